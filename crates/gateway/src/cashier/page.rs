//! Serving the hosted cashier: the page at `/pay/{id}`, its assets under
//! `/cashier/`, and (dev only) the dev wallet. The page runs under a strict
//! Content-Security-Policy without inline script: trunk's inline boot script
//! is served as `/cashier/boot.js` instead.

use std::path::Path as FsPath;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tender_protocol::SessionId;
use tender_protocol::locale::LANGUAGES;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::chain::devnet::DEV_ACCOUNTS;
use crate::config::Config;
use crate::state::AppState;

const BOOT: &str = "/cashier/boot.js";
/// The refund page is a bundle of its own, in the cashier's `refund/`.
const REFUND_BOOT: &str = "/cashier/refund/boot.js";
const DEV_WALLET: &str = include_str!("../../assets/dev-wallet.js");

pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new()
        .route("/pay/{id}", get(page))
        .route("/refund/{token}", get(claim_page))
        .route(BOOT, get(boot))
        .route(REFUND_BOOT, get(refund_boot))
        .route("/dev-wallet.js", get(dev_wallet));
    if let Some(dir) = &state.config.cashier_dir {
        router = router.nest_service("/cashier", ServeDir::new(dir));
    }
    guarded(router, &policy(&state.config))
}

/// A page's routes under `csp` and the headers every page of ours has: no
/// referrer, no sniffing, no framing.
pub fn guarded(router: Router<AppState>, csp: &str) -> Router<AppState> {
    let csp = HeaderValue::from_str(csp).expect("a CSP is a valid header value");
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

/// The page's Content-Security-Policy. Script only from this origin (and
/// WebAssembly compilation); no inline script. Local chains' RPC may be
/// called in dev mode, by the dev wallet.
pub fn policy(config: &Config) -> String {
    let mut connect = vec!["'self'".to_owned()];
    if config.offers_dev_wallet() {
        for n in &config.networks {
            connect.push(origin(n.public_rpc_url.as_ref().unwrap_or(&n.rpc_url)));
        }
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: https:; connect-src {}; frame-ancestors 'none'; base-uri 'none'; \
         form-action 'self'; object-src 'none'",
        connect.join(" ")
    )
}

fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// trunk's `index.html` with its inline boot script replaced by `boot`
/// (its path); and the script.
fn split(index: &str, boot: &str) -> (String, String) {
    const OPEN: &str = "<script type=\"module\">";
    let Some(start) = index.find(OPEN) else {
        return (index.to_owned(), String::new());
    };
    let body_start = start + OPEN.len();
    let Some(len) = index[body_start..].find("</script>") else {
        return (index.to_owned(), String::new());
    };
    let script = index[body_start..body_start + len].to_owned();
    let page = format!(
        "{}<script type=\"module\" src=\"{boot}\"></script>{}",
        &index[..start],
        &index[body_start + len + "</script>".len()..]
    );
    (page, script)
}

/// A bundle's `index.html` (trunk's output in `dir`).
async fn read_index(dir: Option<&FsPath>) -> Option<String> {
    let dir = dir?;
    match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(html) => Some(html),
        Err(err) => {
            tracing::error!(error = %err, dir = %dir.display(), "cannot read a bundle's page");
            None
        }
    }
}

/// The cashier page; the same document for every session (it reads the id
/// from its URL), but for the language the merchant chose for it, if any
/// (`<html data-locale>`).
async fn page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if SessionId::parse(&id).is_err() {
        return (StatusCode::NOT_FOUND, "No such checkout session").into_response();
    }
    let locale: Option<String> = sqlx::query_scalar("SELECT locale FROM sessions WHERE id = $1")
        .bind(&id)
        .fetch_optional(&state.db)
        .await
        .ok()
        .flatten()
        .flatten();
    // Only a language of the list (it was checked when the session was made).
    let mark = locale
        .filter(|l| LANGUAGES.contains(&l.as_str()))
        .map(|l| format!("<html data-locale=\"{l}\""));
    bundle_page_marked(
        state.config.cashier_dir.as_deref(),
        BOOT,
        "The cashier is not available on this gateway (cashier_dir is not set or not built).",
        mark.as_deref(),
    )
    .await
}

/// A bundle's document from its `dir`, its boot script moved to `boot`,
/// never cached (it names the current bundle); 503 saying `missing` when
/// the bundle is not there.
pub async fn bundle_page(dir: Option<&FsPath>, boot: &str, missing: &'static str) -> Response {
    bundle_page_marked(dir, boot, missing, None).await
}

/// [`bundle_page`], its `<html` tag replaced by `html_tag` when given.
async fn bundle_page_marked(
    dir: Option<&FsPath>,
    boot: &str,
    missing: &'static str,
    html_tag: Option<&str>,
) -> Response {
    match read_index(dir).await {
        Some(index) => {
            let mut page = split(&index, boot).0;
            if let Some(tag) = html_tag {
                page = page.replacen("<html", tag, 1);
            }
            let mut response = Html(page).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        None => (StatusCode::SERVICE_UNAVAILABLE, missing).into_response(),
    }
}

/// A bundle's boot script (see [`split`]).
pub async fn bundle_boot(dir: Option<&FsPath>, boot: &str) -> Response {
    match read_index(dir).await {
        Some(index) => (
            [(header::CONTENT_TYPE, "text/javascript")],
            split(&index, boot).1,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The refund claim page's bundle, in the cashier's `refund/`.
fn refund_dir(config: &Config) -> Option<std::path::PathBuf> {
    config.cashier_dir.as_ref().map(|dir| dir.join("refund"))
}

/// The refund claim page (the app reads the token from its path).
async fn claim_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if token.len() > 64 || !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        return (StatusCode::NOT_FOUND, "No such refund").into_response();
    }
    bundle_page(
        refund_dir(&state.config).as_deref(),
        REFUND_BOOT,
        "Refunds cannot be claimed on this gateway (its refund page is not built).",
    )
    .await
}

async fn boot(State(state): State<AppState>) -> Response {
    bundle_boot(state.config.cashier_dir.as_deref(), BOOT).await
}

async fn refund_boot(State(state): State<AppState>) -> Response {
    bundle_boot(refund_dir(&state.config).as_deref(), REFUND_BOOT).await
}

/// The dev wallet, configured with the local chains; 404 unless the gateway
/// is in dev mode with every network on this machine.
async fn dev_wallet(State(state): State<AppState>) -> Response {
    if !state.config.offers_dev_wallet() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let chains: Vec<_> = state
        .config
        .networks
        .iter()
        .map(|n| json!({"chainId": n.chain_id, "rpcUrl": n.public_rpc_url.as_ref().unwrap_or(&n.rpc_url)}))
        .collect();
    let config = json!({"accounts": DEV_ACCOUNTS.map(|a| a.to_string()), "chains": chains});
    let script = DEV_WALLET.replace(
        "const config = CONFIG;",
        &format!("const config = {config};"),
    );
    ([(header::CONTENT_TYPE, "text/javascript")], script).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inline_boot_script_moves_to_its_own_file() {
        let index = r#"<head><link rel="stylesheet" href="/cashier/a.css"><script type="module">import init from '/cashier/x.js'; await init();</script></head><body></body>"#;
        let (page, script) = split(index, BOOT);
        assert_eq!(script, "import init from '/cashier/x.js'; await init();");
        assert!(page.contains(r#"<script type="module" src="/cashier/boot.js"></script>"#));
        assert!(!page.contains("import init"));
    }
}
