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

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SWITCHBOARD_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}
