//! The demo's own price feeds: two small HTTP servers on loopback, each
//! answering every request with its table of prices, so the gateway runs its
//! real path (several feeds, their median) without the internet.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use anyhow::Context;

/// Serves `table` (JSON) on `127.0.0.1:{port}` from a thread of its own, for
/// as long as the process lives; answers its URL.
pub fn serve(port: u16, table: serde_json::Value) -> anyhow::Result<String> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("port {port} (a demo price feed) is taken"))?;
    let body = table.to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            // The request's head; its body (there is none) is not read.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = (&stream).write_all(answer.as_bytes());
        }
    });
    Ok(format!("http://127.0.0.1:{port}/"))
}

/// The demo's prices of ETH and TUSD (a dollar) in every fiat currency
/// Tender takes; `eth_usd` moves ETH's, so two feeds can differ a little.
pub fn table(eth_usd: &str) -> serde_json::Value {
    // (currency, ETH at 2000 USD, one dollar), roughly the market's.
    const PRICES: [(&str, &str, &str); 9] = [
        ("EUR", "1850.00", "0.925"),
        ("GBP", "1580.00", "0.79"),
        ("JPY", "300000", "150"),
        ("CHF", "1770.00", "0.885"),
        ("CAD", "2750.00", "1.375"),
        ("AUD", "3050.00", "1.525"),
        ("BRL", "10900.00", "5.45"),
        ("INR", "167000.00", "83.50"),
        ("KWD", "615.500", "0.3078"),
    ];
    let mut eth = serde_json::Map::new();
    let mut tusd = serde_json::Map::new();
    eth.insert("USD".into(), eth_usd.into());
    tusd.insert("USD".into(), "1.00".into());
    for (currency, eth_price, dollar) in PRICES {
        eth.insert(currency.into(), eth_price.into());
        tusd.insert(currency.into(), dollar.into());
    }
    serde_json::json!({"ETH": eth, "TUSD": tusd})
}
