//! Money in integer minor units, token amounts in integer base units, and the
//! decimal strings they travel as. Never a float.
//!
//! The file is long because its unit tests, a quarter of it, sit beside the
//! arithmetic they pin down.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a decimal amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount must be a decimal string such as \"12.50\"")]
    NotDecimal,
    #[error("amount has more than {0} decimal places")]
    TooPrecise(u32),
    #[error("amount is too large")]
    TooLarge,
    #[error("unsupported currency {0:?}: use USD, EUR or a token symbol such as ETH")]
    UnknownCurrency(String),
}

/// Parses a non-negative decimal string into an integer scaled by `10^decimals`.
/// Accepts `"12"`, `"12.5"`, `"0.000001"`; refuses signs, exponents, spaces and
/// more fractional digits than `decimals`.
pub fn parse_units(text: &str, decimals: u32) -> Result<u128, AmountError> {
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) if !f.is_empty() => (w, f),
        Some(_) => return Err(AmountError::NotDecimal),
        None => (text, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(AmountError::NotDecimal);
    }
    if fraction.len() > decimals as usize {
        return Err(AmountError::TooPrecise(decimals));
    }
    let scale = 10u128.checked_pow(decimals).ok_or(AmountError::TooLarge)?;
    let whole: u128 = whole.parse().map_err(|_| AmountError::TooLarge)?;
    let fraction_value: u128 = if fraction.is_empty() {
        0
    } else {
        let digits: u128 = fraction.parse().map_err(|_| AmountError::TooLarge)?;
        digits * 10u128.pow(decimals - fraction.len() as u32)
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction_value))
        .ok_or(AmountError::TooLarge)
}

/// Formats an integer scaled by `10^decimals` as a decimal string with at least
/// `min_fraction` fractional digits and no trailing zeros beyond them.
pub fn format_units(value: u128, decimals: u32, min_fraction: u32) -> String {
    if decimals == 0 {
        return value.to_string();
    }
    let scale = 10u128.pow(decimals);
    let mut fraction = format!("{:0width$}", value % scale, width = decimals as usize);
    while fraction.len() > min_fraction as usize && fraction.ends_with('0') {
        fraction.pop();
    }
    if fraction.is_empty() {
        (value / scale).to_string()
    } else {
        format!("{}.{}", value / scale, fraction)
    }
}

/// The symbol of a token (`ETH`, `USDC`): 1 to 11 ASCII letters or digits,
/// stored inline so currencies stay `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenSymbol {
    bytes: [u8; 11],
    len: u8,
}

impl TokenSymbol {
    pub fn parse(text: &str) -> Option<Self> {
        let ok = (1..=11).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric());
        if !ok {
            return None;
        }
        let mut bytes = [0u8; 11];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Some(Self {
            bytes,
            len: text.len() as u8,
        })
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len as usize]).expect("parsed from ASCII")
    }
}

impl fmt::Debug for TokenSymbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an amount is counted in: a fiat currency (ISO 4217), or a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    Usd,
    Eur,
    Gbp,
    Jpy,
    Chf,
    Cad,
    Aud,
    Brl,
    Inr,
    Kwd,
    /// A price set in a token; such a session is paid in that token.
    Token(TokenSymbol),
}

/// Every fiat currency Tender prices in: its ISO 4217 code and the digits
/// of its minor unit (none for the yen, three for the Kuwaiti dinar).
pub const FIAT: [(Currency, &str, u32); 10] = [
    (Currency::Usd, "USD", 2),
    (Currency::Eur, "EUR", 2),
    (Currency::Gbp, "GBP", 2),
    (Currency::Jpy, "JPY", 0),
    (Currency::Chf, "CHF", 2),
    (Currency::Cad, "CAD", 2),
    (Currency::Aud, "AUD", 2),
    (Currency::Brl, "BRL", 2),
    (Currency::Inr, "INR", 2),
    (Currency::Kwd, "KWD", 3),
];

/// The largest fiat amount Tender takes: one trillion (10^12) in the
/// currency's major units. Any amount up to it converts into any token
/// without overflow.
pub const MAX_FIAT_MAJOR: u128 = 1_000_000_000_000;

/// Digits Tender keeps for token-denominated amounts (the most any EVM token uses).
pub const TOKEN_PRICE_DECIMALS: u32 = 18;

impl Currency {
    /// This fiat currency's row of [`FIAT`].
    fn fiat(self) -> Option<&'static (Currency, &'static str, u32)> {
        FIAT.iter().find(|(c, _, _)| *c == self)
    }

    /// Digits after the decimal point of one minor unit (cents: 2).
    pub fn decimals(self) -> u32 {
        self.fiat().map_or(TOKEN_PRICE_DECIMALS, |(_, _, d)| *d)
    }

    /// The ISO 4217 code, or the token's symbol.
    pub fn code(&self) -> &str {
        match self {
            Currency::Token(symbol) => symbol.as_str(),
            fiat => fiat.fiat().map_or("", |(_, code, _)| code),
        }
    }

    pub const fn is_fiat(self) -> bool {
        !matches!(self, Currency::Token(_))
    }

    /// The largest amount Tender takes in this fiat currency, in minor
    /// units ([`MAX_FIAT_MAJOR`] major units).
    pub fn largest_minor(self) -> u128 {
        MAX_FIAT_MAJOR * 10u128.pow(self.decimals())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some((currency, _, _)) = FIAT.iter().find(|(_, code, _)| *code == s) {
            return Ok(*currency);
        }
        TokenSymbol::parse(s)
            .filter(|t| t.as_str().bytes().all(|b| !b.is_ascii_lowercase()))
            .map(Currency::Token)
            .ok_or_else(|| AmountError::UnknownCurrency(s.to_owned()))
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An amount of money: integer minor units plus the currency (cents for
/// fiat; 10^-18 for token prices). JSON: `{"amount": "25.00", "currency": "USD"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: u128,
    currency: Currency,
}

impl Money {
    pub const fn from_minor(minor: u128, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Parses `"25.00"` in `currency`.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, AmountError> {
        let minor = parse_units(amount, currency.decimals())?;
        Ok(Self { minor, currency })
    }

    pub const fn minor(self) -> u128 {
        self.minor
    }

    pub const fn currency(self) -> Currency {
        self.currency
    }

    /// The amount as a decimal string: all of a fiat currency's digits
    /// (`"25.00"`), no trailing zeros for a token (`"0.5"`).
    pub fn amount_string(self) -> String {
        let d = self.currency.decimals();
        let min_fraction = if self.currency.is_fiat() { d } else { 0 };
        format_units(self.minor, d, min_fraction)
    }

    /// `self * quantity`, or `None` on overflow.
    pub fn checked_mul(self, quantity: u64) -> Option<Self> {
        Some(Self {
            minor: self.minor.checked_mul(u128::from(quantity))?,
            currency: self.currency,
        })
    }

    /// The amount in a token's base units, if it is priced in that token and
    /// fits its decimals exactly.
    pub fn in_token_units(self, token_decimals: u32) -> Option<u128> {
        if self.currency.is_fiat() || token_decimals > TOKEN_PRICE_DECIMALS {
            return None;
        }
        let scale = 10u128.pow(TOKEN_PRICE_DECIMALS - token_decimals);
        self.minor
            .is_multiple_of(scale)
            .then_some(self.minor / scale)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyWire {
    amount: String,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyWire {
            amount: self.amount_string(),
            currency: self.currency,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = MoneyWire::deserialize(d)?;
        Money::parse(&wire.amount, wire.currency).map_err(serde::de::Error::custom)
    }
}

/// An integer that travels as a decimal string, for token base units (wei)
/// which overflow JSON numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RawAmount(pub u128);

impl Serialize for RawAmount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for RawAmount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_units(&text, 0)
            .map(RawAmount)
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for RawAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A price of one whole token in fiat, as an exact decimal: `2000.00 USD per ETH`.
/// JSON: `{"token": "ETH", "currency": "USD", "price": "2000.00"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExchangeRate {
    pub token: String,
    pub currency: Currency,
    pub price: String,
}

/// The most fractional digits a rate may carry.
pub const RATE_MAX_DECIMALS: u32 = 8;

impl ExchangeRate {
    /// Converts a fiat amount into token base units at this rate, rounding up
    /// so the merchant is never short. `None` if the rate is zero, malformed or
    /// the result overflows.
    pub fn to_token_units(&self, amount: Money, token_decimals: u32) -> Option<u128> {
        let (numerator, denominator) = self.fraction(amount, token_decimals)?;
        Some(numerator.div_ceil(denominator))
    }

    /// Like [`ExchangeRate::to_token_units`], rounding down: for paying out,
    /// where the payer must never send more than the amount is worth.
    pub fn to_token_units_down(&self, amount: Money, token_decimals: u32) -> Option<u128> {
        let (numerator, denominator) = self.fraction(amount, token_decimals)?;
        Some(numerator / denominator)
    }

    fn fraction(&self, amount: Money, token_decimals: u32) -> Option<(u128, u128)> {
        if amount.currency() != self.currency {
            return None;
        }
        // amount_minor / 10^cd fiat; price_scaled / 10^rs fiat per token.
        // units = amount_minor * 10^(td + rs - cd) / price_scaled: up to
        // MAX_FIAT_MINOR this stays within 128 bits for any token.
        let price_scaled = parse_units(&self.price, RATE_MAX_DECIMALS).ok()?;
        if price_scaled == 0 {
            return None;
        }
        let exponent =
            (token_decimals + RATE_MAX_DECIMALS).checked_sub(amount.currency().decimals())?;
        let numerator = amount.minor().checked_mul(10u128.checked_pow(exponent)?)?;
        Some((numerator, price_scaled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_fiat_amounts_exactly() {
        let m = Money::parse("25.5", Currency::Usd).unwrap();
        assert_eq!(m.minor(), 2550);
        assert_eq!(m.amount_string(), "25.50");
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":"25.50","currency":"USD"}"#
        );
    }

    #[test]
    fn refuses_malformed_amounts() {
        for bad in ["", "-1", "1e3", "1.", ".5", " 1", "1.234", "0x10", "1,5"] {
            assert!(
                Money::parse(bad, Currency::Usd).is_err(),
                "{bad:?} accepted"
            );
        }
        assert_eq!(
            Money::parse("9999999999999999999999999999999999999", Currency::Usd),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn token_prices_keep_eighteen_digits_and_convert_exactly() {
        let m: Money = serde_json::from_str(r#"{"amount":"1.5","currency":"USDC"}"#).unwrap();
        assert_eq!(m.amount_string(), "1.5");
        assert_eq!(m.in_token_units(6), Some(1_500_000));
        let fine: Money =
            serde_json::from_str(r#"{"amount":"0.0000001","currency":"USDC"}"#).unwrap();
        assert_eq!(fine.in_token_units(6), None, "finer than the token can pay");
        assert_eq!(
            Money::parse("1", Currency::Usd).unwrap().in_token_units(6),
            None
        );
    }

    #[test]
    fn refuses_unknown_currency_and_fields() {
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"usd"}"#).is_err());
        assert!(
            serde_json::from_str::<Money>(r#"{"amount":"1","currency":"NOT-A-TOKEN"}"#).is_err()
        );
        assert!(serde_json::from_str::<Money>(r#"{"amount":1,"currency":"USD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"USD","x":1}"#).is_err());
    }

    #[test]
    fn formats_token_units_without_trailing_zeros() {
        assert_eq!(format_units(12_500_000_000_000_000, 18, 0), "0.0125");
        assert_eq!(format_units(1_000_000_000_000_000_000, 18, 0), "1");
        assert_eq!(format_units(1, 18, 0), "0.000000000000000001");
    }

    #[test]
    fn converts_fiat_to_token_units_rounding_up() {
        let rate = ExchangeRate {
            token: "ETH".into(),
            currency: Currency::Usd,
            price: "2000.00".into(),
        };
        let amount = Money::parse("25.00", Currency::Usd).unwrap();
        assert_eq!(
            rate.to_token_units(amount, 18),
            Some(12_500_000_000_000_000)
        );
        // 1 cent at 3 USD per token with 0 decimals: 1/300 token rounds up to 1.
        let rate3 = ExchangeRate {
            price: "3".into(),
            ..rate.clone()
        };
        assert_eq!(
            rate3.to_token_units(Money::from_minor(1, Currency::Usd), 0),
            Some(1)
        );
        let zero = ExchangeRate {
            price: "0".into(),
            ..rate
        };
        assert_eq!(zero.to_token_units(amount, 18), None);
    }

    #[test]
    fn the_largest_fiat_amount_converts_into_an_eighteen_decimal_token() {
        let penny = ExchangeRate {
            token: "ETH".into(),
            currency: Currency::Usd,
            price: "0.00000001".into(),
        };
        let most = Money::from_minor(Currency::Usd.largest_minor(), Currency::Usd);
        // 10^12 USD at 10^-8 USD per token: 10^20 tokens of 18 decimals.
        assert_eq!(penny.to_token_units(most, 18), Some(10u128.pow(38)));
        // So for a currency with no minor unit, or with three.
        for currency in [Currency::Jpy, Currency::Kwd] {
            let rate = ExchangeRate {
                currency,
                ..penny.clone()
            };
            let most = Money::from_minor(currency.largest_minor(), currency);
            assert_eq!(rate.to_token_units(most, 18), Some(10u128.pow(38)));
        }
    }

    #[test]
    fn each_fiat_currency_has_its_own_minor_unit() {
        let yen = Money::parse("2500", Currency::Jpy).unwrap();
        assert_eq!((yen.minor(), yen.to_string()), (2500, "2500 JPY".into()));
        assert!(Money::parse("2500.5", Currency::Jpy).is_err());
        let dinar = Money::parse("7.5", Currency::Kwd).unwrap();
        assert_eq!(
            (dinar.minor(), dinar.to_string()),
            (7500, "7.500 KWD".into())
        );
        for (currency, code, _) in FIAT {
            assert_eq!(code.parse::<Currency>().unwrap(), currency);
            assert_eq!(currency.code(), code);
            assert!(currency.is_fiat());
        }
        assert!(!"ETH".parse::<Currency>().unwrap().is_fiat());
    }

    #[test]
    fn raw_amounts_travel_as_strings() {
        let raw = RawAmount(u128::MAX);
        let json = serde_json::to_string(&raw).unwrap();
        assert_eq!(json, format!("\"{}\"", u128::MAX));
        assert_eq!(serde_json::from_str::<RawAmount>(&json).unwrap(), raw);
    }
}
