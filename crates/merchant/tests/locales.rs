//! `GET /api/locales/{language}.json` over real HTTP: the Pay widget's
//! catalogue in each language it speaks, a clear 404 for any other.

mod common;

use common::shop_with_an_order;
use serde_json::Value;

#[tokio::test]
async fn each_language_of_the_widget_is_served_and_no_other() {
    let shop = shop_with_an_order().await;
    for language in tender_protocol::locale::LANGUAGES {
        let answer = shop
            .http
            .get(format!("{}/api/locales/{language}.json", shop.url))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{language}");
        assert_eq!(answer.headers()["content-type"], "application/json");
        let words: Value = answer.json().await.unwrap();
        assert!(
            words["pay.label"].as_str().is_some_and(|w| !w.is_empty()),
            "{language}: {words}"
        );
    }
    let japanese: Value = shop
        .http
        .get(format!("{}/api/locales/ja.json", shop.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(japanese["status.succeeded"], "お支払いが完了しました");
    for other in ["nl.json", "ja", "%2e%2e%2fCargo.toml", "en.json.bak"] {
        let answer = shop
            .http
            .get(format!("{}/api/locales/{other}", shop.url))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "{other}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"]["type"], "not_found", "{other}: {body}");
    }
}
