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
