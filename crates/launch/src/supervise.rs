//! Child processes that are stopped (SIGTERM, then waited for) when
//! dropped, with their output in a log file, and waits for them to serve.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A running child process, stopped when dropped.
#[derive(Debug)]
pub struct Supervised {
    pub name: String,
    child: Child,
    /// Where its output goes, if to a file.
    pub log: Option<PathBuf>,
}

impl Supervised {
    /// Starts `command` with stdout and stderr in `log` (created afresh).
    pub fn spawn_logged(name: &str, command: &mut Command, log: &Path) -> anyhow::Result<Self> {
        let file = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let child = command
            .stdout(file.try_clone()?)
            .stderr(file)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log: Some(log.to_owned()),
        })
    }

    /// Supervises a child started elsewhere.
    pub fn adopt(name: &str, child: Child) -> Self {
        Self {
            name: name.to_owned(),
            child,
            log: None,
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the process has exited, naming where its output went.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            match &self.log {
                Some(log) => bail!("{} exited ({status}); see {}", self.name, log.display()),
                None => bail!("{} exited ({status})", self.name),
            }
        }
        Ok(())
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill_now(&mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// Waits until `url` answers 2xx to a GET, failing if the process dies
    /// first or `timeout` passes.
    pub fn wait_for_http(&mut self, url: &str, timeout: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            self.check_alive()?;
            if http_ok(url) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("{} did not answer at {url} within {timeout:?}", self.name)
    }

    /// Waits until something listens on `port` of loopback.
    pub fn wait_for_port(&mut self, port: u16, timeout: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            self.check_alive()?;
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "{} did not listen on port {port} within {timeout:?}",
            self.name
        )
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // SIGTERM first, so servers shut down cleanly.
            let _ = Command::new("kill")
                .arg(self.child.id().to_string())
                .status();
        }
        let _ = self.child.wait();
    }
}

/// Whether a plain-HTTP GET of `url` (`http://host:port/path`) answers 2xx.
pub fn http_ok(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let Ok(mut stream) = TcpStream::connect(authority) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /{path} HTTP/1.0\r\nHost: {authority}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    if stream.read_exact(&mut head).is_err() {
        return false;
    }
    // "HTTP/1.1 200"
    head.starts_with(b"HTTP/1.") && head[9] == b'2'
}

/// A free port on loopback, for a server about to start.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Fails unless `port` on loopback is free.
pub fn ensure_free(port: u16, what: &str) -> anyhow::Result<()> {
    if TcpListener::bind(("127.0.0.1", port)).is_err() {
        bail!("port {port} ({what}) is in use: stop whatever listens there and run again");
    }
    Ok(())
}
