//! Browser wallets: EIP-6963 discovery (every injected wallet announces
//! itself), falling back to `window.ethereum`, and the EIP-1193 requests a
//! payment needs.

use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use tender_protocol::{Address, PaymentOption, RawAmount};
use tender_web::i18n::{t, tf};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// An injected wallet.
#[derive(Clone)]
pub struct Wallet {
    pub id: String,
    pub name: String,
    pub icon: Option<String>,
    provider: JsValue,
}

/// Why a wallet request failed, in words for the shopper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletError {
    pub code: Option<i64>,
    pub message: String,
}

impl WalletError {
    fn from_js(error: JsValue) -> Self {
        let code = Reflect::get(&error, &"code".into())
            .ok()
            .and_then(|c| c.as_f64())
            .map(|c| c as i64);
        let raw = Reflect::get(&error, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_default();
        let message = match code {
            Some(4001) => t("wallet.declined"),
            Some(4100) => t("wallet.unauthorised"),
            Some(4902) => t("wallet.unknown_network"),
            _ if raw.to_lowercase().contains("insufficient funds") => t("wallet.no_funds"),
            _ if raw.is_empty() => t("wallet.failed"),
            _ => tf("wallet.failed_because", &[("reason", &raw)]),
        };
        Self { code, message }
    }
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

impl Wallet {
    async fn request(&self, method: &str, params: Array) -> Result<JsValue, WalletError> {
        let args = Object::new();
        let _ = Reflect::set(&args, &"method".into(), &method.into());
        let _ = Reflect::set(&args, &"params".into(), &params);
        let request: js_sys::Function =
            get(&self.provider, "request")
                .dyn_into()
                .map_err(|_| WalletError {
                    code: None,
                    message: "This wallet cannot take requests.".into(),
                })?;
        let promise: js_sys::Promise = request
            .call1(&self.provider, &args)
            .map_err(WalletError::from_js)?
            .dyn_into()
            .map_err(|_| WalletError {
                code: None,
                message: "This wallet answered unexpectedly.".into(),
            })?;
        JsFuture::from(promise).await.map_err(WalletError::from_js)
    }

    /// Asks the shopper to connect; answers their first account.
    pub async fn connect(&self) -> Result<String, WalletError> {
        let accounts = self.request("eth_requestAccounts", Array::new()).await?;
        Array::from(&accounts)
            .get(0)
            .as_string()
            .ok_or_else(|| WalletError {
                code: None,
                message: "Your wallet shared no account.".into(),
            })
    }

    /// Switches the wallet to the option's network, adding the network
    /// first if the wallet does not know it (error 4902), then checks.
    pub async fn switch_chain(&self, option: &PaymentOption) -> Result<(), WalletError> {
        let chain_hex = format!("0x{:x}", option.chain_id);
        let param = Object::new();
        let _ = Reflect::set(&param, &"chainId".into(), &chain_hex.clone().into());
        match self
            .request("wallet_switchEthereumChain", Array::of1(&param))
            .await
        {
            Ok(_) => {}
            Err(e) if e.code == Some(4902) => {
                let Some(rpc) = &option.rpc_url else {
                    return Err(e);
                };
                let currency = Object::new();
                let _ = Reflect::set(
                    &currency,
                    &"name".into(),
                    &option.native_token.clone().into(),
                );
                let _ = Reflect::set(
                    &currency,
                    &"symbol".into(),
                    &option.native_token.clone().into(),
                );
                let _ = Reflect::set(&currency, &"decimals".into(), &18.into());
                let add = Object::new();
                let _ = Reflect::set(&add, &"chainId".into(), &chain_hex.clone().into());
                let _ = Reflect::set(
                    &add,
                    &"chainName".into(),
                    &option.network_name.clone().into(),
                );
                let _ = Reflect::set(&add, &"nativeCurrency".into(), &currency);
                let _ = Reflect::set(&add, &"rpcUrls".into(), &Array::of1(&rpc.into()));
                self.request("wallet_addEthereumChain", Array::of1(&add))
                    .await?;
                self.request("wallet_switchEthereumChain", Array::of1(&param))
                    .await?;
            }
            Err(e) => return Err(e),
        }
        let current = self.request("eth_chainId", Array::new()).await?;
        if current
            .as_string()
            .is_some_and(|c| !c.eq_ignore_ascii_case(&chain_hex))
        {
            return Err(WalletError {
                code: None,
                message: tf("wallet.other_network", &[("network", &option.network_name)]),
            });
        }
        Ok(())
    }

    /// Pays `amount` to `to`: a plain transfer of the native token, or the
    /// ERC-20 `transfer(to, amount)` call on `token`. Answers the tx hash.
    pub async fn pay(
        &self,
        from: &str,
        to: &Address,
        token: Option<&Address>,
        amount: RawAmount,
    ) -> Result<String, WalletError> {
        let tx = Object::new();
        let _ = Reflect::set(&tx, &"from".into(), &from.into());
        match token {
            None => {
                let _ = Reflect::set(&tx, &"to".into(), &to.as_str().into());
                let _ = Reflect::set(&tx, &"value".into(), &format!("0x{:x}", amount.0).into());
            }
            Some(token) => {
                let _ = Reflect::set(&tx, &"to".into(), &token.as_str().into());
                let _ = Reflect::set(&tx, &"data".into(), &erc20_transfer(to, amount).into());
            }
        }
        let hash = self.request("eth_sendTransaction", Array::of1(&tx)).await?;
        hash.as_string().ok_or_else(|| WalletError {
            code: None,
            message: "Your wallet returned no transaction.".into(),
        })
    }
}

/// Calldata of ERC-20 `transfer(address,uint256)`: the selector, then both
/// arguments as 32-byte words.
pub fn erc20_transfer(to: &Address, amount: RawAmount) -> String {
    let address = to.as_str().trim_start_matches("0x");
    format!("0xa9059cbb{address:0>64}{:064x}", amount.0)
}

/// Keeps `wallets` up to date with every EIP-6963 announcement for the life
/// of the page, and asks installed wallets to announce themselves.
pub fn discover(wallets: RwSignal<Vec<Wallet>, LocalStorage>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_announce =
        Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| {
            let detail = event.detail();
            let info = get(&detail, "info");
            let provider = get(&detail, "provider");
            let Some(id) = get(&info, "uuid").as_string() else {
                return;
            };
            if provider.is_undefined() {
                return;
            }
            let wallet = Wallet {
                name: get(&info, "name")
                    .as_string()
                    .unwrap_or_else(|| "Browser wallet".into()),
                icon: get(&info, "icon")
                    .as_string()
                    .filter(|i| i.starts_with("data:image/")),
                id,
                provider,
            };
            wallets.update(|list| {
                if !list.iter().any(|w| w.id == wallet.id) {
                    list.push(wallet);
                }
            });
        });
    let _ = window.add_event_listener_with_callback(
        "eip6963:announceProvider",
        on_announce.as_ref().unchecked_ref(),
    );
    // The listener lives as long as the page.
    on_announce.forget();
    if let Ok(event) = web_sys::Event::new("eip6963:requestProvider") {
        let _ = window.dispatch_event(&event);
    }
}

/// `window.ethereum`, for wallets that predate EIP-6963.
pub fn legacy() -> Option<Wallet> {
    let provider = get(&web_sys::window()?.into(), "ethereum");
    if provider.is_undefined() || provider.is_null() {
        return None;
    }
    Some(Wallet {
        id: "window.ethereum".into(),
        name: "Browser wallet".into(),
        icon: None,
        provider,
    })
}

/// Adds the gateway's dev wallet script to the page (offered only by a dev
/// gateway on local chains); it announces itself like any EIP-6963 wallet.
pub fn load_dev_wallet() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(script) = document.create_element("script") else {
        return;
    };
    let _ = script.set_attribute("src", "/dev-wallet.js");
    if let Some(head) = document.head() {
        let _ = head.append_child(&script);
    }
}
