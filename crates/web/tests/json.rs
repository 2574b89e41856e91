//! The bundles' JSON (the browser's `JSON.parse`/`JSON.stringify` and our
//! small serde adapters) against serde_json, in headless Chromium
//! (`cargo test --target wasm32-unknown-unknown -p tender-web`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tender_protocol::{Currency, Money, Order, OrderStatus, RawAmount};
use tender_web::{from_json, to_json};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Everything {
    name: String,
    count: u32,
    below: i64,
    big: u64,
    flag: bool,
    maybe: Option<String>,
    #[serde(default)]
    missing: Option<u8>,
    list: Vec<Kind>,
    map: BTreeMap<String, i32>,
    money: Money,
    raw: RawAmount,
    pair: (u8, String),
    inner: Inner,
    unit: (),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Plain,
    WithValue(u16),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Inner(String);

fn sample() -> Everything {
    Everything {
        name: "Tender \"quoted\" \\ \u{1F600} \n".into(),
        count: 3,
        below: -42,
        big: 9_007_199_254_740_991,
        flag: true,
        maybe: None,
        missing: None,
        list: vec![Kind::Plain, Kind::WithValue(7)],
        map: BTreeMap::from([("a".into(), 1), ("b".into(), -2)]),
        money: Money::from_minor(2500, Currency::Usd),
        raw: RawAmount(340_282_366_920_938_463_463_374_607_431_768_211_455),
        pair: (1, "one".into()),
        inner: Inner("x".into()),
        unit: (),
    }
}

#[wasm_bindgen_test]
fn what_serde_json_writes_is_read_back_the_same() {
    let text = serde_json::to_string(&sample()).unwrap();
    assert_eq!(from_json::<Everything>(&text), Some(sample()));
    let order = Order {
        order_id: "ord_1".parse().unwrap(),
        status: OrderStatus::PartiallyRefunded,
        product_id: "prod_tshirt".parse().unwrap(),
        quantity: 2,
        items: Vec::new(),
        tx_hash: None,
    };
    let text = serde_json::to_string(&order).unwrap();
    assert_eq!(from_json::<Order>(&text), Some(order));
}

#[wasm_bindgen_test]
fn what_is_written_reads_in_serde_json_as_the_same_json() {
    let ours: serde_json::Value = serde_json::from_str(&to_json(&sample()).unwrap()).unwrap();
    assert_eq!(ours, serde_json::to_value(sample()).unwrap());
}

#[wasm_bindgen_test]
fn json_that_is_not_the_type_is_refused_not_guessed() {
    let text = serde_json::to_string(&sample()).unwrap();
    let refused = [
        "not json".to_owned(),
        "[]".to_owned(),
        // An unknown field, where the type denies them.
        text.replacen('{', r#"{"extra":1,"#, 1),
        // A fraction, a number past 2^53, a negative count, a wrong type.
        text.replace(r#""count":3"#, r#""count":3.5"#),
        text.replace(r#""big":9007199254740991"#, r#""big":9007199254740993"#),
        text.replace(r#""count":3"#, r#""count":-3"#),
        text.replace(r#""flag":true"#, r#""flag":"true""#),
        // An enum variant that does not exist; an amount that is none.
        text.replace(r#""plain""#, r#""fancy""#),
        text.replace(r#""25.00""#, r#""25.0.0""#),
    ];
    for json in refused {
        assert_eq!(from_json::<Everything>(&json), None, "{json}");
    }
}

#[wasm_bindgen_test]
fn what_json_cannot_say_exactly_is_not_written() {
    assert_eq!(to_json(&0.5_f64), None);
    assert_eq!(to_json(&u64::MAX), None);
    assert_eq!(to_json(&-3_i32).as_deref(), Some("-3"));
}
