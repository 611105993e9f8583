//! The demo CRM: a separate web application, on its own port and so its own origin, that
//! embeds the Switchboard widget exactly as a customer's CRM would.
//!
//! Pages:
//! - `/` the agent page: the widget in an iframe, and a live list of every postMessage the
//!   page receives from it (origin, type, payload). Diagnostic query parameters:
//!   `protocol=zcc` embeds the widget in the Zoom-compatible dialect; `widget_origin=<origin>`
//!   tells the widget a different host origin than the real one (to see how a misconfigured
//!   embed fails).
//! - `/healthz`.

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use clap::Parser;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "embed-demo",
    about = "Demo CRM that embeds the Switchboard widget"
)]
struct Config {
    /// Address to listen on (port 0: any free port; printed as `listening on http://…`).
    #[arg(long, env = "EMBED_DEMO_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Base URL of the Switchboard server whose widget this CRM embeds.
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    switchboard_url: String,
}

struct Demo {
    agent_page: String,
}

const AGENT_PAGE: &str = include_str!("../static/agent.html");

/// A JSON string literal that is also safe inside an HTML `<script>` element.
fn js_string(value: &str) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
}

/// Text safe inside a double-quoted HTML attribute.
fn html_attr(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let config = Config::parse();
    let switchboard = match url::Url::parse(&config.switchboard_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            eprintln!(
                "embed-demo: --switchboard-url {:?} is not an http(s) URL",
                config.switchboard_url
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let base = switchboard.as_str().trim_end_matches('/').to_string();
    let demo = Arc::new(Demo {
        agent_page: AGENT_PAGE
            .replace("__SWITCHBOARD_URL__", &js_string(&base))
            .replace("__SWITCHBOARD_ATTR__", &html_attr(&base)),
    });
    let app = Router::new()
        .route("/", get(agent_page))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(demo);
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("embed-demo: cannot listen on {}: {e}", config.listen);
            return std::process::ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().expect("bound address");
    println!("listening on http://{local}");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("embed-demo: {e}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

async fn agent_page(State(demo): State<Arc<Demo>>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(demo.agent_page.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_url_cannot_break_out_of_the_script() {
        assert_eq!(
            js_string("http://a/</script>"),
            "\"http://a/\\u003c/script\\u003e\""
        );
        assert!(AGENT_PAGE.contains("__SWITCHBOARD_URL__"));
        assert!(AGENT_PAGE.contains("__SWITCHBOARD_ATTR__/embed.js"));
        assert_eq!(html_attr("http://a/\"><x"), "http://a/&quot;&gt;&lt;x");
    }
}
