//! Serving the built widget (Trunk's output) and its PWA files: the native build under
//! `/widget/` (the widget folder), and the Zoom-compatible build (its `zcc/` subfolder) under
//! the addresses Smart Embed hosts are configured with — `/zcc/`, Zoom's own
//! `/cci/callbar/crm/` and the older `/crm-int/callbar/` (Zoom's `cti_version=1`) — so such a
//! host needs only a new base address and its trusted origin.
//!
//! `index.html`, `sw.js` and the manifest are revalidated on every load so a new release is
//! picked up at once; Trunk's content-hashed `.js`/`.wasm`/`.css` files are immutable.
//! Responses are compressed (brotli or gzip) when the browser accepts it: from the `.br`/`.gz`
//! files `scripts/build-widget.sh` writes next to each asset (maximum compression, no CPU per
//! request), otherwise on the fly.

use super::error::ApiError;
use axum::http::{header, HeaderValue, Request, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::path::{Path, PathBuf};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

/// `GET /embed.js`: the host-page helper (creates the iframe, `on(type, fn)`, `send(type, data)`).
const EMBED_JS: &str = include_str!("../../static/embed.js");

async fn embed_js() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        EMBED_JS,
    )
        .into_response()
}

/// Where the widget is served, and the build folder (under the widget folder) of each: `/widget/`
/// speaks the native dialect, the others zcc.
pub const WIDGET_PATHS: [(&str, &str); 4] = [
    ("/widget/", ""),
    ("/zcc/", "zcc"),
    ("/cci/callbar/crm/", "zcc"),
    ("/crm-int/callbar/", "zcc"),
];

pub fn routes<S: Clone + Send + Sync + 'static>(widget_dir: &Path) -> Router<S> {
    let mut router = Router::new()
        .route("/embed.js", get(embed_js))
        .route("/", get(|| async { Redirect::temporary("/widget/") }));
    for (path, _) in WIDGET_PATHS {
        // `<base>?origin=…` built from a base without its trailing slash keeps its query.
        let bare = path.trim_end_matches('/');
        router = router.route(bare, get(move |uri: Uri| with_slash(path, uri)));
    }
    for (path, build) in WIDGET_PATHS {
        let dir = widget_dir.join(build);
        let index = dir.join("index.html");
        if !index.is_file() {
            tracing::warn!(
                dir = %dir.display(),
                "the widget is not built (no index.html): {path} answers 503 until it is; run scripts/build-widget.sh"
            );
            router = router.nest_service(path, get(move || not_built(dir.clone())));
            continue;
        }
        let files = ServeDir::new(&dir)
            .precompressed_br()
            .precompressed_gzip()
            .append_index_html_on_directories(true)
            .fallback(ServeFile::new(index));
        router = router.nest_service(path, files);
    }
    router = router.merge(chat_page(&widget_dir.join(CHAT_PAGE_DIR)));
    router
        .layer(middleware::from_fn(cache_headers))
        .layer(CompressionLayer::new().br(true).gzip(true))
}

/// The chat page's build folder under the widget folder (`scripts/build-widget.sh`).
pub const CHAT_PAGE_DIR: &str = "chat-client";

/// The customer's side of web chat: the bubble for websites (`/chat.js`), the chat page
/// (`/chat/{entry_id}`, one page for every entry point: it reads the entry point from its
/// path) and the page's files (`/chat-client/…`).
fn chat_page<S: Clone + Send + Sync + 'static>(dir: &Path) -> Router<S> {
    if !dir.join("index.html").is_file() {
        tracing::warn!(
            dir = %dir.display(),
            "the chat page is not built: /chat.js and /chat/… answer 503 until it is; run scripts/build-widget.sh"
        );
        let missing = dir.to_path_buf();
        let not_built_here: axum::routing::MethodRouter<S> =
            get(move || not_built(missing.clone()));
        return Router::new()
            .route("/chat.js", not_built_here.clone())
            .route("/chat/{entry_id}", not_built_here.clone())
            .route("/chat-client/{*file}", not_built_here);
    }
    let file = |name: &str| {
        ServeFile::new(dir.join(name))
            .precompressed_br()
            .precompressed_gzip()
    };
    Router::new()
        .route_service("/chat.js", file("bubble.js"))
        .route_service("/chat/{entry_id}", file("index.html"))
        .nest_service(
            "/chat-client",
            ServeDir::new(dir).precompressed_br().precompressed_gzip(),
        )
}

async fn with_slash(path: &'static str, uri: Uri) -> Redirect {
    match uri.query() {
        Some(query) => Redirect::permanent(&format!("{path}?{query}")),
        None => Redirect::permanent(path),
    }
}

async fn not_built(dir: PathBuf) -> Response {
    let mut response =
        ApiError::Unavailable(format!("widget not built in {}", dir.display())).into_response();
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
}

async fn cache_headers(request: Request<axum::body::Body>, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let file = path.rsplit('/').next().unwrap_or("");
    let hashed = ["js", "wasm", "css"]
        .iter()
        .any(|ext| file.ends_with(&format!(".{ext}")))
        && file.contains('-')
        && file != "sw.js";
    let value = if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    if file == "sw.js" {
        response.headers_mut().insert(
            "service-worker-allowed",
            HeaderValue::from_static("/widget/"),
        );
    }
    response
}
