//! Rates from several price feeds: the median of those that answer, a feed
//! lying by 50% ignored, a currency no feed prices in refused when a
//! session is made, and quotes refused with 503 (and counted) when too few
//! feeds answer and agree.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::{gateway_with, offline_eth};
use serde_json::{Value, json};

/// A price feed on loopback answering ETH at `price` USD until stopped.
struct Feed {
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Feed {
    async fn start(price: &str) -> Feed {
        let table = Arc::new(Mutex::new(json!({"ETH": {"USD": price}})));
        let app = Router::new().route(
            "/",
            get(move || {
                let table = table.clone();
                async move { axum::Json(table.lock().unwrap().clone()) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Feed { url, server }
    }
}

#[tokio::test]
async fn a_lying_feed_is_ignored_and_too_few_agreeing_feeds_refuse_quotes() {
    let feeds = [
        Feed::start("2000").await,
        Feed::start("2010").await,
        Feed::start("3000").await, // 50% off
    ];
    let urls: Vec<url::Url> = feeds.iter().map(|f| f.url.parse().unwrap()).collect();
    let gw = gateway_with(move |config| {
        offline_eth(config);
        config.rates.clear();
        config.pricing.feed_urls = urls;
        config.pricing.min_agreeing_sources = 2;
        config.pricing.max_deviation_percent = 5;
        config.pricing.refresh_seconds = 0;
        config.pricing.max_age_seconds = 1;
    })
    .await;
    let quote = async || -> (StatusCode, Value) {
        let id = gw.create_session().await["id"].as_str().unwrap().to_owned();
        let answer = gw
            .send(
                gw.http
                    .post(format!("{}/v1/pay/{id}/quote", gw.url))
                    .json(&json!({"network": "local", "token": "ETH"})),
            )
            .await;
        (answer.status, answer.body)
    };
    let (status, body) = quote().await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["exchangeRate"]["price"], "2000",
        "the median of the two that agree; 3000 left out"
    );
    // 7.00 USD at 2000 USD/ETH.
    assert_eq!(body["amount"], "0.0035");
    // When the price was fetched, by the gateway's clock: just now.
    let fetched: tender_protocol::Timestamp =
        serde_json::from_value(body["rateFetchedAt"].clone()).expect("rateFetchedAt, RFC 3339");
    let fetched = fetched.unix();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - 5..=now).contains(&fetched), "{fetched} vs {now}");

    // No feed prices in yen: a yen session is refused when it is made.
    let yen = gw
        .post(
            "/v1/checkout/sessions",
            common::patched(
                common::session_body(),
                json!({"productData": {"name": "Tea", "price": {"amount": "3000", "currency": "JPY"}}, "quantity": 1}),
            ),
        )
        .await;
    assert_eq!(yen.status, StatusCode::BAD_REQUEST, "{}", yen.body);
    assert_eq!(yen.body["error"]["param"], "productData.price.currency");

    // Two feeds gone: one source is not enough.
    feeds[1].server.abort();
    feeds[2].server.abort();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (status, body) = quote().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("1 of 3 price sources answered and agreed, 2 are needed"),
        "{message}"
    );
    let metrics = gw
        .http
        .get(format!("{}/metrics", gw.metrics_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tender_quotes_refused_for_rates_total{reason=\"sources_disagree\"} 1"),
        "{metrics}"
    );
}
