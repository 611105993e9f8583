//! Start-up and graceful shutdown.

use crate::auth::token::Signer;
use crate::config::{LogFormat, ServeConfig};
use crate::embedding::AllowedOrigins;
use crate::http::{self, AppState, EmbeddingPolicy, RouterConfig};
use crate::service::dispatch::Trigger;
use crate::service::{accounts, Clock, Ctx};
use crate::store::Store;
use crate::workers::Workers;
use std::sync::Arc;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: allowed origins: {0}")]
    AllowedOrigins(#[from] crate::embedding::InvalidOrigin),
    #[error("database: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(#[source] std::io::Error),
    #[error("bootstrap: {0}")]
    Bootstrap(#[source] crate::service::ServiceError),
    #[error("files: {0}")]
    Blobs(#[source] crate::store::blobs::BlobError),
    #[error("web calls: {0}")]
    Media(#[from] crate::media::MediaError),
    #[error("cannot handle shutdown signals: {0}")]
    Signals(#[source] std::io::Error),
}

pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second call (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Run until SIGTERM or Ctrl-C, then finish in-flight requests and close the database.
pub async fn serve(config: ServeConfig) -> Result<(), StartError> {
    // First of all: from here on a SIGTERM is ours to handle, even one that arrives while the
    // database is still migrating (it then stops the server as soon as it is up).
    let shutdown = ShutdownSignals::install().map_err(StartError::Signals)?;
    let allowed = AllowedOrigins::parse(&config.allowed_origins)?;
    let store = Store::connect(config.database_url.expose()).await?;
    tracing::info!(backend = store.backend().as_str(), "database ready");
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let local = listener.local_addr().map_err(StartError::Serve)?;
    let blobs =
        crate::store::blobs::Blobs::open(&config.data_dir, config.blob_store_url.as_deref())
            .map_err(StartError::Blobs)?;
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let (media, media_events) = start_media(&config, &metrics)?;
    let calls = Arc::new(crate::service::calls::Calls::new(
        media,
        config.ice_servers.clone().map(|i| i.0).unwrap_or_default(),
    ));
    let (writer, jobs) = crate::service::writer::channel();
    let ctx = Ctx {
        not_ready_reasons: Arc::new(config.not_ready_reasons.0.clone()),
        writer,
        signer: Signer::new(store.server_key().await?),
        account: store.default_account().await?,
        store: store.clone(),
        clock: Clock::default(),
        dispatch: Trigger::default(),
        outbound: Arc::new(crate::delivery::webhooks::Outbound::new(
            config.webhook_allow_private,
            config.webhook_allowed_hosts.clone().unwrap_or_default(),
            config.webhook_retry_schedule.clone(),
            config.callout_retry_schedule.clone(),
        )),
        files: Arc::new(crate::service::interactions::Files {
            blobs,
            public_url: config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{local}")),
            max_upload_bytes: config.max_upload_bytes,
            max_attachment_bytes: config.chat_attachment_max_bytes,
        }),
        sessions: Arc::new(crate::service::sessions::SessionCache::new(
            config.session_check_secs * 1000,
        )),
        throttle: crate::service::throttle::Policy {
            per_identifier: crate::auth::throttle::Limit {
                max_failures: config.signin_max_failures,
                window_ms: config.signin_window_secs * 1000,
            },
            per_address: crate::auth::throttle::Limit {
                max_failures: config.signin_max_failures_per_address,
                window_ms: config.signin_window_secs * 1000,
            },
        },
        metrics,
        chat: Arc::new(crate::service::chat::State::new(
            config.chat_start_limit,
            config.chat_abandon_after_secs,
        )),
        device_sockets: Arc::default(),
        calls,
    };
    if config.webhook_allow_private {
        tracing::warn!(
            "webhooks and callouts may call private addresses (--webhook-allow-private)"
        );
    }
    match (&config.admin_email, &config.admin_password) {
        (Some(email), Some(password)) => {
            if accounts::bootstrap_admin(&ctx, email, password.expose(), "Administrator")
                .await
                .map_err(StartError::Bootstrap)?
            {
                tracing::info!(%email, "created the bootstrap admin");
            }
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(StartError::Bootstrap(crate::service::invalid(
                "admin_password",
                "give both --admin-email and --admin-password (or neither)",
            )))
        }
        (None, None) => {}
    }
    // The batch writer (starts, commands, routing) runs before anything can submit to it.
    let mut workers = Workers::default();
    workers.spawn("writer", |stop| {
        crate::service::writer::run(ctx.clone(), jobs, stop)
    });
    if config.demo {
        crate::service::demo::seed(&ctx, &config.demo_crm_url)
            .await
            .map_err(StartError::Bootstrap)?;
    }
    // Build the OpenAPI document now, so a problem shows at start-up, not on a request.
    let _ = crate::http::openapi::spec();
    workers.spawn("callouts", |stop| {
        crate::delivery::callouts::run(ctx.clone(), stop)
    });
    workers.spawn("reports", |stop| {
        crate::service::reports::projector::run(ctx.clone(), stop)
    });
    workers.spawn("chat transcripts", |stop| {
        crate::service::chat::transcripts::run(ctx.clone(), stop)
    });
    workers.spawn("abandoned chats", |stop| {
        crate::service::chat::presence::run(ctx.clone(), stop)
    });
    workers.spawn("webhooks", |stop| {
        crate::delivery::webhooks::worker::run(store.clone(), ctx.outbound.clone(), stop)
    });
    let hub = crate::delivery::hub::Hub::default();
    workers.spawn("event hub", |stop| {
        hub.clone().run(store.clone(), ctx.account, stop)
    });
    workers.spawn("live statistics", |stop| {
        crate::delivery::live_stats::run(ctx.clone(), hub.clone(), stop)
    });
    if let Some(events) = media_events {
        workers.spawn("web calls", |stop| {
            crate::service::calls::run(ctx.clone(), hub.clone(), events, stop)
        });
        workers.spawn("web call offers from other instances", |stop| {
            crate::delivery::call_signals::run(ctx.clone(), hub.clone(), stop)
        });
    }
    let state = AppState {
        ctx,
        hub,
        embedding: Arc::new(EmbeddingPolicy::new(allowed)),
        client_ip_header: config.trusted_proxy_header.clone(),
        metrics_allow: Arc::new(config.metrics_allow.clone()),
    };
    let app = http::router(
        state,
        RouterConfig {
            widget_dir: config.widget_dir.clone(),
            max_body_bytes: config.max_body_bytes,
        },
    );
    // A plain line on stdout that scripts and tests wait for (the port may have been 0).
    println!("listening on http://{local}");
    tracing::info!(%local, "switchboard serving");

    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.received())
    .await
    .map_err(StartError::Serve)?;
    tracing::info!("shutting down: stopping the workers");
    workers.stop(crate::workers::GRACE).await;
    tracing::info!("closing the database");
    store.close().await;
    Ok(())
}

type MediaEvents = tokio::sync::mpsc::UnboundedReceiver<crate::media::MediaEvent>;

/// The media engine for web calls, as `--media-listen` / `--media-public-ip` say. Left at its
/// default on all interfaces without a public address it stays off (with a warning), so a
/// server that does not take calls starts as before; given explicitly, a problem stops start-up.
fn start_media(
    config: &ServeConfig,
    metrics: &crate::metrics::Metrics,
) -> Result<(Option<crate::media::Media>, Option<MediaEvents>), StartError> {
    use crate::config::MediaListen;
    let (listen, explicit) = match config.media_listen {
        Some(MediaListen::Off) => return Ok((None, None)),
        Some(MediaListen::At(addr)) => (addr, true),
        None => (std::net::SocketAddr::new(config.listen.ip(), 0), false),
    };
    let media_config = crate::media::MediaConfig {
        listen,
        public_ip: config.media_public_ip,
        relay_delay: Some(metrics.media_relay()),
    };
    match crate::media::Media::start(&media_config) {
        Ok((media, events)) => Ok((Some(media), Some(events))),
        Err(crate::media::MediaError::NoAddress(_)) if !explicit => {
            tracing::warn!("web calls are off: listening on all interfaces needs --media-public-ip (or --media-listen); docs/voice.md");
            Ok((None, None))
        }
        Err(e) => Err(e.into()),
    }
}

/// SIGTERM and Ctrl-C (SIGINT), registered eagerly. A handler that is only registered when
/// its future is first polled leaves a window after start-up in which the default action
/// kills the process mid-request instead of draining it.
struct ShutdownSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(ShutdownSignals {
                term: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(ShutdownSignals {})
    }

    /// Resolves at the first SIGTERM or Ctrl-C, including one received before this is polled.
    async fn received(self) {
        #[cfg(unix)]
        {
            let ShutdownSignals {
                mut term,
                mut interrupt,
            } = self;
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("Ctrl-C received"),
                _ = term.recv() => tracing::info!("SIGTERM received"),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C received");
        }
    }
}
