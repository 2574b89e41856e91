//! `tender`: see the crate's documentation (`lib.rs`) and the README.

use std::io::BufRead;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tender_cli::commands;
use tender_cli::listen::Listen;
use tender_cli::login::{self, Login};
use tender_protocol::WebhookSecret;
use tokio_util::sync::CancellationToken;

/// Tender from the command line: your events forwarded to a local server,
/// test events, sessions.
#[derive(Parser, Debug)]
#[command(name = "tender", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Keep a gateway URL and secret key for the other commands (the key
    /// is read from --api-key, TENDER_API_KEY or standard input).
    Login {
        #[arg(long, env = "TENDER_GATEWAY", default_value = "http://127.0.0.1:4000")]
        gateway: String,
        #[arg(long, env = "TENDER_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
    },
    /// Forward your events to a local URL, signed with a secret printed at
    /// start; one line per delivery.
    Listen {
        /// Where to POST each event, e.g. http://localhost:3000/webhooks/tender.
        #[arg(long)]
        forward_to: String,
        /// Only these event types (comma-separated).
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// Sign with this secret (whsec_…) instead of a new one.
        #[arg(long, env = "TENDER_LISTEN_SECRET", hide_env_values = true)]
        secret: Option<String>,
    },
    /// Send a made-up session.* event, marked as a test.
    Trigger {
        /// e.g. session.paid.
        event_type: String,
    },
    /// Checkout Sessions.
    Sessions {
        #[command(subcommand)]
        command: Sessions,
    },
    /// Events and their deliveries.
    Events {
        #[command(subcommand)]
        command: Events,
    },
}

#[derive(Subcommand, Debug)]
enum Sessions {
    Create {
        #[arg(long)]
        product: String,
        #[arg(long, default_value_t = 1)]
        quantity: u32,
        #[arg(long, default_value = "https://shop.example/success")]
        success_url: String,
    },
    List {
        #[arg(long, default_value_t = 10)]
        limit: u32,
        #[arg(long)]
        status: Option<String>,
    },
    Get {
        id: String,
    },
}

#[derive(Subcommand, Debug)]
enum Events {
    List {
        #[arg(long, default_value_t = 10)]
        limit: u32,
        #[arg(long = "type")]
        kind: Option<String>,
    },
    /// Send an event again to every endpoint subscribed to it.
    Resend { id: String },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Login { gateway, api_key } => {
            let api_key = match api_key {
                Some(key) => key,
                None => {
                    eprintln!("Paste your secret key (sk_test_…):");
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim().to_owned()
                }
            };
            let login = Login { gateway, api_key };
            // Tried before it is kept.
            commands::list_sessions(&login, 1, None)
                .await
                .context("the gateway refused the key")?;
            let path = login::save(&login)?;
            println!("Logged in to {}; kept in {}", login.gateway, path.display());
        }
        Command::Listen {
            forward_to,
            events,
            secret,
        } => {
            let login = login::load()?;
            let secret = match secret {
                Some(text) => WebhookSecret::parse(&text)
                    .map_err(|_| anyhow::anyhow!("--secret must be whsec_ and base64"))?,
                None => WebhookSecret::generate(),
            };
            let stop = CancellationToken::new();
            let on_signal = stop.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                on_signal.cancel();
            });
            Listen {
                gateway: login.gateway,
                api_key: login.api_key,
                forward_to,
                events,
                secret,
            }
            .run(|line| println!("{line}"), stop)
            .await?;
        }
        Command::Trigger { event_type } => {
            println!("{}", commands::trigger(&login::load()?, &event_type).await?);
        }
        Command::Sessions { command } => {
            let login = login::load()?;
            let out = match command {
                Sessions::Create {
                    product,
                    quantity,
                    success_url,
                } => commands::create_session(&login, &product, quantity, &success_url).await?,
                Sessions::List { limit, status } => {
                    commands::list_sessions(&login, limit, status.as_deref()).await?
                }
                Sessions::Get { id } => commands::get_session(&login, &id).await?,
            };
            println!("{out}");
        }
        Command::Events { command } => {
            let login = login::load()?;
            let out = match command {
                Events::List { limit, kind } => commands::list_events(&login, limit, kind).await?,
                Events::Resend { id } => commands::resend_event(&login, &id).await?,
            };
            println!("{out}");
        }
    }
    Ok(())
}
