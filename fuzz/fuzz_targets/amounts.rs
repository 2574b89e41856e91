//! Parsing amounts, money, timestamps and request bodies from arbitrary
//! text: never a panic, and what parses formats back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tender_protocol::money::{format_units, parse_units};
use tender_protocol::{CreateSession, Currency, Money, Timestamp};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for decimals in [0, 2, 6, 18] {
        if let Ok(value) = parse_units(text, decimals) {
            let formatted = format_units(value, decimals, 0);
            assert_eq!(parse_units(&formatted, decimals), Ok(value), "{text:?} -> {formatted:?}");
        }
    }
    for currency in [Currency::Usd, text.parse().unwrap_or(Currency::Eur)] {
        if let Ok(money) = Money::parse(text, currency) {
            assert_eq!(Money::parse(&money.amount_string(), currency), Ok(money));
        }
    }
    if let Some(at) = Timestamp::parse(text) {
        assert_eq!(Timestamp::parse(&at.to_string()), Some(at), "{text:?}");
    }
    let _ = serde_json::from_str::<CreateSession>(text);
});
