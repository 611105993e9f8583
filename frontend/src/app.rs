//! The widget's root component and its start-up sequence.

use crate::host::{is_framed, HostLink};
use crate::launch::{self, Launch, LaunchError};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::EmbeddingCheck;
use shared::post_message::Dialect;

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Checking,
    Embedded { origin: String, dialect: Dialect },
    Standalone,
    Failed(String),
}

#[component]
pub fn App() -> impl IntoView {
    let (phase, set_phase) = signal(Phase::Checking);
    spawn_local(async move {
        let next = match start().await {
            Ok(p) => p,
            Err(e) => Phase::Failed(e.message()),
        };
        set_phase.set(next);
    });

    view! {
        <main class="widget" id="switchboard-widget">
            <header class="bar">
                <span class="logo" aria-hidden="true">"◎"</span>
                <h1>"Switchboard"</h1>
            </header>
            {move || match phase.get() {
                Phase::Checking => view! {
                    <p class="status" role="status" data-state="checking">"Connecting…"</p>
                }.into_any(),
                Phase::Embedded { origin, dialect } => view! {
                    <section class="status" role="status" data-state="ready">
                        <p>"Embedded in " <strong>{origin}</strong>
                            {(dialect == Dialect::Zcc).then_some(" (Zoom-compatible protocol)")}</p>
                        <p class="muted">"No agent is signed in."</p>
                    </section>
                }.into_any(),
                Phase::Standalone => view! {
                    <section class="status" role="status" data-state="standalone">
                        <p>"Running standalone."</p>
                        <p class="muted">"No agent is signed in."</p>
                    </section>
                }.into_any(),
                Phase::Failed(message) => view! {
                    <div class="error" role="alert" data-state="error">
                        <strong>"The widget cannot start"</strong>
                        <p>{message}</p>
                    </div>
                }.into_any(),
            }}
        </main>
    }
}

async fn start() -> Result<Phase, LaunchError> {
    let window = web_sys::window().ok_or(LaunchError::CheckFailed("no window".into()))?;
    let search = window.location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search)
        .map_err(|_| LaunchError::CheckFailed("unreadable address".into()))?;
    let origin = params.get("origin").unwrap_or_default();
    let protocol = params.get("protocol").unwrap_or_default();
    let Launch { origin, dialect } =
        launch::parse([("origin", origin.as_str()), ("protocol", protocol.as_str())])?;

    if !is_framed(&window) {
        register_service_worker(&window);
        return Ok(Phase::Standalone);
    }
    let origin = origin.ok_or(LaunchError::MissingOrigin)?;
    let url = format!(
        "/v1/embedding/check?origin={}",
        String::from(js_sys::encode_uri_component(&origin))
    );
    let response = gloo_net::http::Request::get(&url)
        .send()
        .await
        .map_err(|e| LaunchError::CheckFailed(e.to_string()))?;
    if !response.ok() {
        return Err(LaunchError::CheckFailed(format!(
            "HTTP {}",
            response.status()
        )));
    }
    let check: EmbeddingCheck = response
        .json()
        .await
        .map_err(|e| LaunchError::CheckFailed(e.to_string()))?;
    if !check.allowed || check.origin != origin {
        return Err(LaunchError::NotAllowed(origin));
    }
    let link = HostLink::new(&window, origin.clone(), dialect)
        .ok_or(LaunchError::CheckFailed("no parent window".into()))?;
    link.listen(&window);
    link.announce_ready();
    Ok(Phase::Embedded { origin, dialect })
}

/// The service worker caches the shell so the installed PWA opens offline.
fn register_service_worker(window: &web_sys::Window) {
    let navigator = window.navigator();
    if js_sys::Reflect::has(navigator.as_ref(), &"serviceWorker".into()).unwrap_or(false) {
        let _ = navigator.service_worker().register("sw.js");
    }
}
