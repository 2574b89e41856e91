//! The Node example shop (`examples/node-shop`), run by Node on a loopback
//! port with the packages `cargo xtask setup` installed from npm.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running Node shop; stopped when dropped.
pub struct NodeShop {
    child: Child,
    pub url: String,
}

/// A loopback port free a moment ago (the shop's URL must be known before
/// it starts: its webhook secret comes from registering that URL).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl NodeShop {
    /// Starts the shop on `port` against the gateway with `api_key` and the
    /// `whsec_...` of its webhook endpoint.
    pub fn start(port: u16, gateway_url: &str, api_key: &str, webhook_secret: &str) -> Self {
        let dir = crate::tools::root().join("examples/node-shop");
        assert!(
            crate::tools::root().join("node_modules/express").exists(),
            "the Node shop's packages are not installed: run `cargo xtask setup`"
        );
        let mut child = Command::new("node")
            .arg("server.js")
            .current_dir(&dir)
            .env("PORT", port.to_string())
            .env("TENDER_GATEWAY_URL", gateway_url)
            .env("TENDER_API_KEY", api_key)
            .env("TENDER_WEBHOOK_SECRET", webhook_secret)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot run node: run `cargo xtask setup`");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("node shop: {line}");
                if line.contains("listening on") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(20))
            .expect("the Node shop did not start listening within 20 s");
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for NodeShop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
