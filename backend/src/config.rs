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
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "switchboard.db",
        hide_env_values = true
    )]
    pub database_url: DatabaseUrl,

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
    pub admin_password: Option<Secret>,

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

    /// The only hosts webhooks and flow callouts may call (comma-separated host names or IP
    /// addresses, `*.example.com` for a domain's names), checked before any DNS lookup.
    /// Default: any host with a public address. The address rules above still apply.
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_ALLOWED_HOSTS", value_parser = crate::delivery::webhooks::address::AllowedHosts::parse)]
    pub webhook_allowed_hosts: Option<crate::delivery::webhooks::address::AllowedHosts>,

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

    /// Sign-in throttling: failed sign-ins allowed per account identifier (email, client id,
    /// embed-token agent) within `--signin-window-secs`; the next attempt gets `429` with
    /// `Retry-After` until the window ends. A success resets the count.
    #[arg(long, env = "SWITCHBOARD_SIGNIN_MAX_FAILURES", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub signin_max_failures: i64,

    /// Failed sign-ins allowed per client address within the window (several people may share
    /// one address behind a NAT, so this is higher).
    #[arg(long, env = "SWITCHBOARD_SIGNIN_MAX_FAILURES_PER_ADDRESS", default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub signin_max_failures_per_address: i64,

    /// The throttling window, in seconds, counted from a key's first failure.
    #[arg(long, env = "SWITCHBOARD_SIGNIN_WINDOW_SECS", default_value_t = 300, value_parser = clap::value_parser!(i64).range(1..=86_400))]
    pub signin_window_secs: i64,

    /// Behind a reverse proxy: the header holding the client's address (e.g.
    /// `X-Forwarded-For`; its last entry is used). Without it the TCP peer address is used and
    /// such headers are ignored, so only set it when a proxy you run overwrites the header.
    #[arg(long, env = "SWITCHBOARD_TRUSTED_PROXY_HEADER")]
    pub trusted_proxy_header: Option<axum::http::HeaderName>,

    /// How long an instance may trust a session check (seconds): the worst-case delay
    /// before a signed-out or revoked token is refused by *other* instances (the instance
    /// that ended it refuses it at once).
    #[arg(long, env = "SWITCHBOARD_SESSION_CHECK_SECS", default_value_t = 5, value_parser = clap::value_parser!(i64).range(0..=300))]
    pub session_check_secs: i64,

    /// A web chat still waiting for an agent closes as abandoned (counted against its queue's
    /// service level) once its customer has been gone this long (seconds): no request and no
    /// open chat socket. A reload or a dropped connection that returns sooner keeps it.
    #[arg(long, env = "SWITCHBOARD_CHAT_ABANDON_AFTER_SECS", default_value_t = 180, value_parser = clap::value_parser!(i64).range(1..=86_400))]
    pub chat_abandon_after_secs: i64,

    /// How many web chats (and left messages) one client address may start in 10 minutes;
    /// beyond, `429` with `Retry-After`. 0: no limit. The address honours
    /// `--trusted-proxy-header`.
    #[arg(long, env = "SWITCHBOARD_CHAT_START_LIMIT", default_value_t = crate::service::chat::START_LIMIT)]
    pub chat_start_limit: usize,

    /// Largest file (image or PDF) a web chat's customer or agent may send, in bytes (default
    /// 10 MiB); beyond, `413`.
    #[arg(long, env = "SWITCHBOARD_CHAT_ATTACHMENT_MAX_BYTES", default_value_t = crate::service::chat::attachments::DEFAULT_MAX_BYTES, value_parser = clap::value_parser!(u64).range(1..))]
    pub chat_attachment_max_bytes: u64,

    /// The reasons an agent may give for not being ready, each with the id Smart Embed hosts
    /// use for it (`zcc-agent-status-set-request {"id": "21"}`): `Name=code`, comma-separated.
    /// The default numbers them as payloads captured from Zoom Contact Center do.
    #[arg(
        long,
        env = "SWITCHBOARD_NOT_READY_REASONS",
        default_value = shared::config::NotReadyReason::DEFAULTS,
        value_parser = NotReadyReasons::parse
    )]
    pub not_ready_reasons: NotReadyReasons,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SWITCHBOARD_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Addresses that may scrape `GET /metrics` without an API token, comma-separated
    /// addresses or networks (`10.0.0.0/8,192.168.1.7`). Loopback by default; empty: nobody.
    /// Others need a supervisor's or admin's token (or a client's with `engagements:read`).
    /// The client address honours `--trusted-proxy-header`.
    #[arg(
        long,
        env = "SWITCHBOARD_METRICS_ALLOW",
        default_value = "127.0.0.0/8,::1/128",
        value_parser = MetricsAllow::parse
    )]
    pub metrics_allow: MetricsAllow,

    /// The UDP address web calls' media uses (docs/voice.md): one port for every leg of every
    /// call, and the same port on TCP for ICE-TCP. Default: the `--listen` address's IP with a free port (fine on one machine; give a
    /// fixed port wherever a firewall must let it in). `off`: no web calls.
    #[arg(long, env = "SWITCHBOARD_MEDIA_LISTEN", value_parser = MediaListen::parse)]
    pub media_listen: Option<MediaListen>,

    /// The address browsers send media to, when it is not the one bound (behind NAT, or
    /// `--media-listen 0.0.0.0:…`). Put in the server's ICE candidates (UDP and TCP).
    #[arg(long, env = "SWITCHBOARD_MEDIA_PUBLIC_IP")]
    pub media_public_ip: Option<std::net::IpAddr>,

    /// STUN/TURN servers the browsers use to reach the media port from locked-down networks,
    /// as WebRTC's `iceServers` JSON: `[{"urls":["turns:turn.example.com:443?transport=tcp"],
    /// "username":"…","credential":"…"}]`. The server itself never contacts them.
    #[arg(long, env = "SWITCHBOARD_ICE_SERVERS", value_parser = IceServers::parse, hide_env_values = true)]
    pub ice_servers: Option<IceServers>,
}

/// `--media-listen`: an address, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaListen {
    Off,
    At(SocketAddr),
}

impl MediaListen {
    fn parse(s: &str) -> Result<MediaListen, String> {
        if s.trim().eq_ignore_ascii_case("off") {
            return Ok(MediaListen::Off);
        }
        s.trim()
            .parse()
            .map(MediaListen::At)
            .map_err(|_| format!("{s:?} is not an address like 0.0.0.0:3480 (or off)"))
    }
}

/// `--ice-servers`: checked to be an array of `{urls, username?, credential?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServers(pub Vec<shared::api::IceServer>);

impl IceServers {
    fn parse(s: &str) -> Result<IceServers, String> {
        let servers: Vec<shared::api::IceServer> = serde_json::from_str(s)
            .map_err(|e| format!("not a JSON array of {{\"urls\": [...]}} objects: {e}"))?;
        for server in &servers {
            if server.urls.is_empty() {
                return Err("each ICE server needs at least one URL in \"urls\"".into());
            }
            for url in &server.urls {
                let scheme = url.split(':').next().unwrap_or("");
                if !matches!(scheme, "stun" | "stuns" | "turn" | "turns") {
                    return Err(format!(
                        "{url:?}: ICE server URLs start with stun:, stuns:, turn: or turns:"
                    ));
                }
            }
        }
        Ok(IceServers(servers))
    }
}

/// The `--not-ready-reasons` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReadyReasons(pub Vec<shared::config::NotReadyReason>);

impl NotReadyReasons {
    pub fn parse(value: &str) -> Result<NotReadyReasons, String> {
        shared::config::NotReadyReason::parse_list(value).map(NotReadyReasons)
    }
}

/// The `--metrics-allow` networks (an address is a network of one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsAllow(pub Vec<ipnet::IpNet>);

impl MetricsAllow {
    pub fn parse(value: &str) -> Result<MetricsAllow, String> {
        value
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<ipnet::IpNet>()
                    .or_else(|_| v.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        format!(
                            "{v:?} is not an address or network (e.g. 10.0.0.0/8 or 192.168.1.7)"
                        )
                    })
            })
            .collect::<Result<_, _>>()
            .map(MetricsAllow)
    }

    pub fn contains(&self, address: std::net::IpAddr) -> bool {
        // An IPv4 client seen on a dual-stack socket is matched as IPv4.
        let address = match address {
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, std::net::IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&address))
    }
}

/// A secret from the configuration (a password): `Debug` and `Display` print `***`, so it
/// never reaches a log line or a panic message; [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// A database URL whose password (`postgres://user:password@host/db`) is hidden in `Debug`
/// and `Display`; [`DatabaseUrl::expose`] gives the whole URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return self.0.clone();
        };
        let (authority, tail) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
                None => self.0.clone(),
            },
            None => self.0.clone(),
        }
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(DatabaseUrl(s.to_string()))
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
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
mod secret_tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn secrets_in_the_configuration_never_print() {
        let cli = Cli::try_parse_from([
            "switchboard",
            "serve",
            "--database-url",
            "postgres://switchboard:hunter2-db@db.internal:5432/cc?sslmode=require",
            "--admin-email",
            "admin@example.com",
            "--admin-password",
            "hunter2-admin",
        ])
        .unwrap();
        let Command::Serve(config) = cli.command;
        let shown = format!("{config:?} {}", config.database_url);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("postgres://switchboard:***@db.internal:5432/cc?sslmode=require"),
            "{shown}"
        );
        assert_eq!(config.admin_password.unwrap().expose(), "hunter2-admin");
        assert_eq!(
            config.database_url.expose(),
            "postgres://switchboard:hunter2-db@db.internal:5432/cc?sslmode=require"
        );
    }

    #[test]
    fn urls_without_a_password_are_shown_as_they_are() {
        for url in [
            "switchboard.db",
            "sqlite:data/x.db",
            "postgres://postgres@127.0.0.1/db",
        ] {
            assert_eq!(url.parse::<DatabaseUrl>().unwrap().redacted(), url);
        }
    }
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

#[cfg(test)]
mod metrics_allow_tests {
    use super::MetricsAllow;

    #[test]
    fn networks_addresses_and_mapped_ipv4() {
        let allow = MetricsAllow::parse("10.0.0.0/8, 192.168.1.7,::1/128").unwrap();
        assert!(allow.contains("10.20.30.40".parse().unwrap()));
        assert!(allow.contains("192.168.1.7".parse().unwrap()));
        assert!(!allow.contains("192.168.1.8".parse().unwrap()));
        assert!(allow.contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(allow.contains("::1".parse().unwrap()));
        assert!(!allow.contains("127.0.0.1".parse().unwrap()));
        assert_eq!(MetricsAllow::parse("").unwrap(), MetricsAllow::default());
        let err = MetricsAllow::parse("10.0.0.0/8,intranet").unwrap_err();
        assert!(err.contains("\"intranet\""), "{err}");
    }
}
