//! Server configuration: command-line flags, each with an environment variable.

use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Switchboard contact-center server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: REST API, agent WebSocket, routing, delivery and the widget.
    Serve(ServeConfig),
}

#[derive(Debug, Clone, Parser)]
pub struct ServeConfig {
    /// Address to listen on. Port 0 picks a free port; the chosen address is printed as
    /// `listening on http://…` on standard output.
    #[arg(long, env = "SWITCHBOARD_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// `postgres://…` for PostgreSQL; `sqlite:<path>` or a plain path for SQLite (created if
    /// missing, WAL mode).
    #[arg(long, env = "DATABASE_URL", default_value = "switchboard.db")]
    pub database_url: String,

    /// Folder holding the built widget (`trunk build` output), served at `/widget/`.
    #[arg(long, env = "SWITCHBOARD_WIDGET_DIR", default_value = "frontend/dist")]
    pub widget_dir: PathBuf,

    /// Origins allowed to embed the widget in an iframe, comma-separated
    /// (e.g. `https://crm.example.com,http://localhost:8090`). Sent as
    /// `Content-Security-Policy: frame-ancestors` and checked by the widget.
    #[arg(
        long,
        env = "SWITCHBOARD_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub allowed_origins: Vec<String>,

    /// Log format.
    #[arg(long, env = "SWITCHBOARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// Create this admin on start if no agent has the email yet (first-run bootstrap).
    #[arg(long, env = "SWITCHBOARD_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// The bootstrap admin's password (at least 8 characters).
    #[arg(long, env = "SWITCHBOARD_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Add demo data on start (queues, a flow, entry point `crm-tickets`, agents
    /// ada@demo.test and grace@demo.test, admin admin@demo.test; password `switchboard-demo`).
    #[arg(long, env = "SWITCHBOARD_DEMO")]
    pub demo: bool,

    /// With `--demo`: where the demo CRM runs, for the demo queues' launch URLs
    /// (`<url>/tickets/{work_item_id}`…). Used when the demo data is first created.
    #[arg(long, env = "SWITCHBOARD_DEMO_CRM_URL", default_value = "http://127.0.0.1:8090", value_parser = crm_url)]
    pub demo_crm_url: String,

    /// Let webhooks and flow callouts call loopback, private, link-local and other non-public
    /// addresses, and plain `http`. For development, the demo and tests only.
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub webhook_allow_private: bool,

    /// Webhook retry schedule: comma-separated delays (`ms`, `s`, `m`, `h`, `d`), the first
    /// before the first attempt, each next one after a failure. Default: Standard Webhooks'.
    #[arg(
        long,
        env = "SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE",
        default_value = "0s,5s,5m,30m,2h,5h,10h,14h,20h,24h"
    )]
    pub webhook_retry_schedule: crate::delivery::webhooks::retry::RetrySchedule,

    /// Where Switchboard keeps its files (recordings, transcripts) when no blob store URL is
    /// given: `<data-dir>/blobs`.
    #[arg(long, env = "SWITCHBOARD_DATA_DIR", default_value = "switchboard-data")]
    pub data_dir: PathBuf,

    /// An object store for files instead of the data folder, e.g. `s3://bucket/prefix`
    /// (credentials from the usual `AWS_*` variables; needs a server built with
    /// `--features s3`).
    #[arg(long, env = "SWITCHBOARD_BLOB_STORE_URL")]
    pub blob_store_url: Option<String>,

    /// Largest recording upload accepted, in bytes (default 500 MB).
    #[arg(long, env = "SWITCHBOARD_MAX_UPLOAD_BYTES", default_value_t = 500 * 1024 * 1024)]
    pub max_upload_bytes: u64,

    /// The server's public base URL, used in `download_url` and `transcript_url`
    /// (e.g. `https://cc.example.com`). Default: `http://<listen address>`.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL", value_parser = crm_url)]
    pub public_url: Option<String>,

    /// Flow callout retry schedule, like `--webhook-retry-schedule`. Default: three attempts
    /// within a minute (at once, 5 s and 20 s after a failure).
    #[arg(
        long,
        env = "SWITCHBOARD_CALLOUT_RETRY_SCHEDULE",
        default_value = "0s,5s,20s"
    )]
    pub callout_retry_schedule: crate::delivery::webhooks::retry::RetrySchedule,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SWITCHBOARD_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
}

/// An http(s) base URL, without a trailing slash.
fn crm_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or("must start with http:// or https://")?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err("must name a host, e.g. http://127.0.0.1:8090".into());
    }
    Ok(s.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[cfg(test)]
mod crm_url_tests {
    use super::crm_url;

    #[test]
    fn base_urls_are_http_and_lose_their_trailing_slash() {
        assert_eq!(
            crm_url(" http://127.0.0.1:9000/ ").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            crm_url("https://crm.example").unwrap(),
            "https://crm.example"
        );
        for bad in ["crm.example", "ftp://crm.example", "http://", "http://a b"] {
            assert!(crm_url(bad).is_err(), "{bad}");
        }
    }
}
