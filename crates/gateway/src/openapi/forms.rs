//! What the wire types' derived schemas cannot say, stated on the
//! description: the product forms a body takes (`oneOf`), the amounts
//! that must be above zero, the `Idempotency-Key` header's form, and (on a running gateway's
//! `/openapi.json`) the networks, tokens and currencies it is configured
//! with. Each is held against the gateway by `tests/openapi_forms.rs`.

use serde_json::{Map, Value, json};
use tender_protocol::{IdempotencyKey, MAX_LINE_ITEMS};

/// The bodies that sell something, and the forms each takes: a product
/// of the library (`productId`), one described inline (`productData`), or
/// a cart (`lineItems`). The gateway takes exactly one (`checkout::cart`).
const SELLING: [(&str, &[&str]); 3] = [
    ("CreateSession", &["productId", "productData", "lineItems"]),
    (
        "CreatePaymentLink",
        &["productId", "productData", "lineItems"],
    ),
    ("CartItem", &["productId", "productData"]),
];

/// Rewrites each body of [`SELLING`] as `oneOf` its forms: each form
/// keeps the body's other fields, requires its own (never `null`), and
/// leaves out the other forms' (`additionalProperties: false`); a cart
/// leaves the quantity to its items.
pub fn products(schemas: &mut Map<String, Value>) {
    // A form's own field shows its type's examples (a product's id, say),
    // which tools drawing from the schema start from.
    let examples: Map<String, Value> = schemas
        .iter()
        .filter_map(|(name, s)| {
            Some((
                format!("#/components/schemas/{name}"),
                s.get("examples")?.clone(),
            ))
        })
        .collect();
    for (name, forms) in SELLING {
        let Some(schema) = schemas.get_mut(name) else {
            continue;
        };
        let mut whole = schema.take();
        let description = whole.as_object_mut().and_then(|o| o.remove("description"));
        let variants: Vec<Value> = forms
            .iter()
            .map(|form| one_form(&whole, form, forms, &examples))
            .collect();
        *schema = json!({"oneOf": variants});
        if let Some(description) = description {
            schema["description"] = description;
        }
    }
}

/// `whole` with `form` required and the other forms left out.
fn one_form(whole: &Value, form: &str, forms: &[&str], examples: &Map<String, Value>) -> Value {
    let mut variant = whole.clone();
    variant["title"] = json!(form);
    let properties = variant["properties"]
        .as_object_mut()
        .expect("a body's schema lists its properties");
    for other in forms.iter().filter(|f| **f != form) {
        properties.remove(*other);
    }
    let cart = form == "lineItems";
    if cart {
        properties.remove("quantity");
    }
    let own = properties
        .get_mut(form)
        .expect("each form is a property of the body");
    *own = required_form(own.take(), cart);
    if let Some(shown) = own
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| examples.get(r))
    {
        own["examples"] = shown.clone();
    }
    let link = properties.contains_key("maxQuantity");
    let body = variant
        .as_object_mut()
        .expect("a body's schema is an object");
    let required = body.entry("required").or_insert_with(|| json!([]));
    if let Some(required) = required.as_array_mut() {
        required.push(json!(form));
    }
    if link {
        // A visitor's most only where the visitor chooses; and chooses
        // only how many of one product (a cart of one item).
        let mut rules = vec![json!({
            "if": {"required": ["maxQuantity"]},
            "then": {"required": ["adjustableQuantity"],
                     "properties": {"adjustableQuantity": {"const": true}}},
        })];
        if cart {
            rules.push(json!({
                "if": {"required": ["adjustableQuantity"],
                       "properties": {"adjustableQuantity": {"const": true}}},
                "then": {"properties": {"lineItems": {"maxItems": 1}}},
            }));
        }
        variant["allOf"] = json!(rules);
    }
    variant
}

/// A form's own field, given: not `null`, and a cart of 1 to
/// [`MAX_LINE_ITEMS`] items.
fn required_form(mut field: Value, cart: bool) -> Value {
    if cart {
        field["minItems"] = json!(1);
        field["maxItems"] = json!(MAX_LINE_ITEMS);
        return field;
    }
    // `{"oneOf": [{"type": "null"}, {"$ref": …}]}` as the reference alone.
    field["oneOf"]
        .as_array()
        .and_then(|choices| choices.iter().find(|c| c.get("$ref").is_some()))
        .cloned()
        .unwrap_or(field)
}

/// Every `Idempotency-Key` header parameter gets the key's form.
pub fn idempotency_key(paths: &mut Value) {
    let Some(paths) = paths.as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(post) = item.get_mut("post") else {
            continue;
        };
        let Some(parameters) = post.get_mut("parameters").and_then(Value::as_array_mut) else {
            continue;
        };
        for parameter in parameters {
            if parameter["name"] == "Idempotency-Key" {
                parameter["schema"] = json!({"type": "string", "pattern": IdempotencyKey::PATTERN});
            }
        }
    }
}

/// The body fields that name one of this gateway's networks or tokens:
/// (schema, property, which).
const CONFIGURED: [(&str, &str, Configured); 4] = [
    ("CreateQuote", "network", Configured::Network),
    ("CreateQuote", "token", Configured::Token),
    ("SettlementDestination", "network", Configured::Network),
    ("SettlementDestination", "token", Configured::Token),
];

#[derive(Clone, Copy)]
enum Configured {
    Network,
    Token,
}

/// States the networks and tokens of `config` as the enums of the fields
/// that name them (a token of another network than the one named is still
/// refused), and the currencies an amount may be in.
pub fn configured(schemas: &mut Map<String, Value>, config: &crate::config::Config) {
    let networks: Vec<&str> = config.networks.iter().map(|n| n.id.as_str()).collect();
    let mut tokens: Vec<&str> = config.tokens().collect();
    tokens.sort_unstable();
    tokens.dedup();
    // Money: the fiat currencies, then this gateway's tokens.
    let currencies: Vec<&str> = tender_protocol::money::FIAT
        .iter()
        .map(|(_, code, _)| *code)
        .chain(tokens.iter().copied())
        .collect();
    if let Some(money) = schemas.get_mut("Money") {
        money["properties"]["currency"]["enum"] = json!(currencies);
        money["anyOf"] = json!(precisions(config, &tokens));
    }
    for (schema, property, which) in CONFIGURED {
        let values = match which {
            Configured::Network => &networks,
            Configured::Token => &tokens,
        };
        if let Some(field) = schemas
            .get_mut(schema)
            .and_then(|s| s.get_mut("properties"))
            .and_then(|p| p.get_mut(property))
        {
            field["enum"] = json!(values);
        }
    }
}

/// The amounts the gateway takes only above zero: (schema, property).
const ABOVE_ZERO: [(&str, &str); 4] = [
    ("CreateProduct", "price"),
    ("ProductData", "price"),
    ("Tolerance", "amount"),
    ("CreateRefund", "amount"),
];

/// A decimal string with a digit other than 0.
const NOT_ZERO: &str = "^([0-9]*[1-9][0-9]*(\\.[0-9]+)?|[0-9]+\\.[0-9]*[1-9][0-9]*)$";

/// Each amount of [`ABOVE_ZERO`]: its `Money` reference, alone or beside
/// `null`, becomes that `Money` with an amount that is not zero.
pub fn above_zero(schemas: &mut Map<String, Value>) {
    let money = json!({"$ref": "#/components/schemas/Money"});
    for (schema, property) in ABOVE_ZERO {
        let Some(field) = schemas
            .get_mut(schema)
            .and_then(|s| s.get_mut("properties"))
            .and_then(|p| p.get_mut(property))
        else {
            continue;
        };
        let reference = match field.get_mut("oneOf").and_then(Value::as_array_mut) {
            Some(choices) => choices.iter_mut().find(|c| c["$ref"] == money["$ref"]),
            None => Some(field),
        };
        if let Some(reference) = reference.and_then(Value::as_object_mut) {
            reference.remove("$ref");
            reference.insert(
                "allOf".into(),
                json!([money, {"properties": {"amount": {"type": "string", "pattern": NOT_ZERO}}}]),
            );
        }
    }
}

/// Each currency's amounts: as many decimals as its minor unit (a
/// token's, its decimals), and a fiat amount at most 12 digits before the
/// point (the largest Tender takes is 10^12 major units).
fn precisions(config: &crate::config::Config, tokens: &[&str]) -> Vec<Value> {
    let mut groups: std::collections::BTreeMap<(bool, u32), Vec<&str>> = Default::default();
    for (_, code, decimals) in tender_protocol::money::FIAT {
        groups.entry((true, decimals)).or_default().push(code);
    }
    for token in tokens {
        if let Some(decimals) = config.token_decimals(token) {
            groups.entry((false, decimals)).or_default().push(token);
        }
    }
    groups
        .into_iter()
        .map(|((fiat, decimals), codes)| {
            let whole = if fiat { "[0-9]{1,12}" } else { "[0-9]+" };
            let fraction = match decimals {
                0 => String::new(),
                d => format!("(\\.[0-9]{{1,{d}}})?"),
            };
            json!({"properties": {
                "currency": {"enum": codes},
                "amount": {"pattern": format!("^{whole}{fraction}$")},
            }})
        })
        .collect()
}
