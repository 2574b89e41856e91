//! A PostgreSQL server for the tests, on loopback: Debian's packages
//! (installed when missing), a cluster of its own under target/postgres,
//! started by `cargo xtask test` and stopped after.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::process::{exec, output, root, step};

/// The port the test cluster listens on (loopback only).
const PORT: u16 = 54329;

fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    output("id", &["-u"]).as_deref() == Some("0")
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root (the
/// server refuses to run as root), else as ourselves.
fn as_owner(tool: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(tool);
        command
    } else {
        Command::new(tool)
    }
}

/// Installs the server from Debian's packages when missing.
pub fn install() -> anyhow::Result<()> {
    if bin_dir().is_some() {
        step("postgresql: present");
        return Ok(());
    }
    step("installing postgresql from Debian (apt-get)");
    let apt = |args: &[&str]| {
        let mut command = if is_root() {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !is_root() {
            command.arg("apt-get");
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    exec(&mut apt(&["update"])).context("apt-get update failed")?;
    exec(&mut apt(&["install", "-y", "postgresql"])).context("cannot install postgresql")
}

/// A running test cluster.
pub struct Cluster {
    data: PathBuf,
    bin: PathBuf,
    /// The URL of the `postgres` database, to create test databases from.
    pub admin_url: String,
}

impl Cluster {
    /// Starts (initialising once) the test cluster.
    pub fn start() -> anyhow::Result<Self> {
        let bin = bin_dir().context("postgresql is not installed: run `cargo xtask setup`")?;
        let base = root().join("target/postgres");
        let data = base.join("data");
        std::fs::create_dir_all(&base)?;
        if is_root() {
            exec(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&base),
            )?;
        }
        if !data.join("PG_VERSION").exists() {
            step("initialising a PostgreSQL cluster in target/postgres");
            exec(as_owner(&bin.join("initdb")).arg("-D").arg(&data).args([
                "-U",
                "tender",
                "--auth=trust",
                "--no-sync",
            ]))
            .context("initdb failed")?;
        }
        let running = as_owner(&bin.join("pg_ctl"))
            .arg("status")
            .arg("-D")
            .arg(&data)
            .output()
            .is_ok_and(|o| o.status.success());
        if !running {
            step(&format!("starting PostgreSQL on 127.0.0.1:{PORT}"));
            let options = format!(
                "-p {PORT} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=300",
                base.display()
            );
            exec(
                as_owner(&bin.join("pg_ctl"))
                    .args(["start", "-w", "-D"])
                    .arg(&data)
                    .args(["-o", &options, "-l"])
                    .arg(base.join("server.log")),
            )
            .context("PostgreSQL did not start (see target/postgres/server.log)")?;
        }
        let admin_url = format!("postgres://tender@127.0.0.1:{PORT}/postgres");
        if output("psql", &[&admin_url, "-tAc", "SELECT 1"]).as_deref() != Some("1") {
            bail!("PostgreSQL does not answer at {admin_url}");
        }
        let cluster = Self {
            data,
            bin,
            admin_url,
        };
        cluster.drop_test_databases();
        Ok(cluster)
    }

    /// Drops the databases the tests and benches made (`t_…`, `bench_…`),
    /// left over from this run or an interrupted one, so the cluster does
    /// not grow by every run's data.
    fn drop_test_databases(&self) {
        let list = "SELECT datname FROM pg_database \
                    WHERE datname LIKE 't\\_%' OR datname LIKE 'bench\\_%'";
        let names = output("psql", &[&self.admin_url, "-tAc", list]).unwrap_or_default();
        for name in names.lines().map(str::trim).filter(|n| !n.is_empty()) {
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            if output("psql", &[&self.admin_url, "-tAc", &drop]).is_none() {
                eprintln!("could not drop the test database {name}");
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.drop_test_databases();
        let _ = as_owner(&self.bin.join("pg_ctl"))
            .args(["stop", "-m", "fast", "-D"])
            .arg(&self.data)
            .status();
    }
}
