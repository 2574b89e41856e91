//! A TCP hop in front of a chain's RPC that can drop every connection and
//! refuse new ones for a while: a flaky node, for fault tests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A running hop.
pub struct Flaky {
    /// `127.0.0.1:port` of the hop.
    pub addr: String,
    down: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    server: JoinHandle<()>,
}

impl Flaky {
    /// Forwards every connection to `target` (`host:port`).
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the hop");
        let addr = listener.local_addr().expect("address").to_string();
        let down = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (down_flag, link_list) = (down.clone(), links.clone());
        let server = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if down_flag.load(Ordering::SeqCst) {
                    drop(inbound); // refused, as far as the client can tell
                    continue;
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                link_list.lock().expect("links lock").push(link);
            }
        });
        Self {
            addr,
            down,
            links,
            server,
        }
    }

    /// Drops every open connection and refuses new ones.
    pub fn go_down(&self) {
        self.down.store(true, Ordering::SeqCst);
        for link in self.links.lock().expect("links lock").drain(..) {
            link.abort();
        }
    }

    pub fn come_back(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

impl Drop for Flaky {
    fn drop(&mut self) {
        self.server.abort();
        for link in self.links.lock().expect("links lock").drain(..) {
            link.abort();
        }
    }
}
