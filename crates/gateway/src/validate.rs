//! Field checks shared by the API's handlers, each naming the offending
//! parameter in its error.

use tender_protocol::Money;
use tender_protocol::limits::{MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_URL_CHARS};

use crate::config::Config;
use url::Url;

use crate::error::ApiError;

pub fn name(param: &'static str, value: &str) -> Result<(), ApiError> {
    let chars = value.trim().chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(ApiError::invalid(
            param,
            format!("{param} must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(())
}

pub fn optional_text(param: &'static str, value: Option<&str>) -> Result<(), ApiError> {
    match value {
        Some(v) if v.chars().count() > MAX_TEXT_CHARS => Err(ApiError::invalid(
            param,
            format!("{param} must be at most {MAX_TEXT_CHARS} characters"),
        )),
        _ => Ok(()),
    }
}

/// An absolute `http` or `https` URL.
pub fn url(param: &'static str, value: &str) -> Result<Url, ApiError> {
    let bad = || ApiError::invalid(param, format!("{param} must be an absolute http(s) URL"));
    if value.chars().count() > MAX_URL_CHARS {
        return Err(bad());
    }
    let url = Url::parse(value).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad());
    }
    Ok(url)
}

pub fn optional_url(param: &'static str, value: Option<&str>) -> Result<(), ApiError> {
    value.map(|v| url(param, v)).transpose().map(|_| ())
}

/// A price above zero, in a fiat currency or in a token this gateway
/// accepts, with no more decimals than the token has.
pub fn price(config: &Config, param: &'static str, price: Money) -> Result<(), ApiError> {
    if price.minor() == 0 {
        return Err(ApiError::invalid(
            param,
            format!("{param} must be greater than 0"),
        ));
    }
    let currency = price.currency();
    if currency.is_fiat() {
        return at_most_the_largest(param, price);
    }
    let decimals = config.token_decimals(currency.code()).ok_or_else(|| {
        ApiError::invalid(
            param,
            format!("{currency} is not a token this gateway accepts"),
        )
    })?;
    if price.in_token_units(decimals).is_none() {
        return Err(ApiError::invalid(
            param,
            format!("{currency} has {decimals} decimals; the price is more precise than that"),
        ));
    }
    Ok(())
}

/// A fiat amount Tender can convert into any token: at most
/// one trillion in the currency's major units.
pub fn at_most_the_largest(param: &'static str, amount: Money) -> Result<(), ApiError> {
    let currency = amount.currency();
    if currency.is_fiat() && amount.minor() > currency.largest_minor() {
        let most = Money::from_minor(currency.largest_minor(), currency);
        return Err(ApiError::invalid(
            param,
            format!("{param} must be at most {most}"),
        ));
    }
    Ok(())
}

/// A real recipient: not the zero address, which burns what it receives.
pub fn not_zero_address(
    param: &'static str,
    address: &tender_protocol::Address,
) -> Result<(), ApiError> {
    if address
        .as_str()
        .trim_start_matches("0x")
        .bytes()
        .all(|b| b == b'0')
    {
        return Err(ApiError::invalid(
            param,
            format!("{param} must not be the zero address"),
        ));
    }
    Ok(())
}
