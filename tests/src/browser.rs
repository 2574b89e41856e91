//! Headless Chromium driven over WebDriver (chromedriver + fantoccini).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// A Chromium session with a fresh profile. Call [`Browser::close`] at the
/// end; dropping kills chromedriver and its browser regardless.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Self {
        Self::start_in("en-US").await
    }

    /// A Chromium whose shopper reads `language` (its `navigator.languages`
    /// and `Accept-Language`).
    pub async fn start_in(language: &str) -> Self {
        let chromium = crate::tools::chromium();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut command = Command::new(crate::tools::chromedriver());
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command
            .spawn()
            .expect("cannot start chromedriver: run `cargo xtask setup`");
        let webdriver = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..100 {
            if http
                .get(format!("{webdriver}/status"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not start on port {port}");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=1280,900",
                    format!("--lang={language}"), format!("--accept-lang={language}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {"intl": {"accept_languages": language}},
            }),
        );
        let client = ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(caps)
            .connect(&webdriver)
            .await
            .expect("a Chromium session");
        Self {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Injects the test wallet (an EIP-6963 provider that forwards to anvil's
    /// unlocked `account`) into the current page.
    pub async fn inject_test_wallet(&self, rpc_url: &str, account: &str) {
        self.client
            .execute(
                include_str!("wallet.js"),
                vec![json!(rpc_url), json!(account)],
            )
            .await
            .expect("inject the test wallet");
    }

    /// Waits until the page's URL satisfies `check`; returns it.
    pub async fn wait_for_url(&self, what: &str, check: impl Fn(&url::Url) -> bool) -> url::Url {
        crate::wait::eventually(what, Duration::from_secs(30), || async {
            self.client.current_url().await.ok().filter(|u| check(u))
        })
        .await
    }

    /// Screenshots of the page at desktop (1280 px) and phone (375 px)
    /// widths, written to `target/screenshots/{name}-{width}.png`.
    pub async fn screenshots(&self, name: &str) {
        let dir = crate::tools::root().join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        for (width, height) in [(375, 812), (1280, 900)] {
            self.client
                .set_window_size(width, height)
                .await
                .expect("resize");
            tokio::time::sleep(Duration::from_millis(150)).await;
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(dir.join(format!("{name}-{width}.png")), png).expect("write screenshot");
        }
    }

    /// The visible text of the element matching `css`, waiting for it.
    pub async fn text_of(&self, css: &str) -> String {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .expect("element text")
    }

    /// Waits until the page's text contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        crate::wait::eventually(
            &format!("the page to say {text:?}"),
            Duration::from_secs(30),
            || async {
                let body = self
                    .client
                    .find(fantoccini::Locator::Css("body"))
                    .await
                    .ok()?;
                body.text()
                    .await
                    .ok()
                    .filter(|t| t.contains(text))
                    .map(|_| ())
            },
        )
        .await
    }

    /// Clicks the button whose text contains `label`, waiting for it.
    pub async fn click_button(&self, label: &str) {
        let xpath = format!("//button[contains(., '{label}')]");
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(fantoccini::Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button {label:?}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {label:?}: {e}"));
    }

    /// Ends the browser session cleanly.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver leads its own process group; end Chromium with it.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}
