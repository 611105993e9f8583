//! Serving the built widget (Trunk's output) and its PWA files under `/widget/`.
//!
//! `index.html`, `sw.js` and the manifest are revalidated on every load so a new release is
//! picked up at once; Trunk's content-hashed `.js`/`.wasm`/`.css` files are immutable.
//! Responses are compressed (brotli or gzip) when the browser accepts it: from the `.br`/`.gz`
//! files `scripts/build-widget.sh` writes next to each asset (maximum compression, no CPU per
//! request), otherwise on the fly.

use super::error::ApiError;
use axum::http::{header, HeaderValue, Request, StatusCode};
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

pub fn routes<S: Clone + Send + Sync + 'static>(widget_dir: &Path) -> Router<S> {
    let common = Router::new().route("/embed.js", get(embed_js));
    let index = widget_dir.join("index.html");
    if !index.is_file() {
        tracing::warn!(
            dir = %widget_dir.display(),
            "the widget is not built (no index.html): /widget/ answers 503 until it is; run scripts/build-widget.sh"
        );
        let dir = widget_dir.to_path_buf();
        return common
            .route("/", get(|| async { Redirect::temporary("/widget/") }))
            .route("/widget", get(|| async { Redirect::permanent("/widget/") }))
            .nest_service("/widget/", get(move || not_built(dir.clone())));
    }
    let files = ServeDir::new(widget_dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true)
        .fallback(ServeFile::new(index));
    common
        .route("/", get(|| async { Redirect::temporary("/widget/") }))
        .route("/widget", get(|| async { Redirect::permanent("/widget/") }))
        .nest_service("/widget/", files)
        .layer(middleware::from_fn(cache_headers))
        .layer(CompressionLayer::new().br(true).gzip(true))
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
