//! The widget's root component and its start-up sequence.

use crate::bridge;
use crate::browser::is_framed;
use crate::launch::{self, Launch, LaunchError};
use crate::session::{self, Session};
use crate::ui::SignedIn;
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
    let session = Session::new();
    session::watch_wakeups(session);
    // What reacts to the session (sound, device, screen pop, extras, host page), in order.
    crate::react::install(session);
    let restored = RwSignal::new(false);
    spawn_local(async move {
        let next = match start(session).await {
            Ok(p) => p,
            Err(e) => Phase::Failed(e.message()),
        };
        // Checking still: the page is moving to the other dialect's build.
        let started = matches!(next, Phase::Embedded { .. } | Phase::Standalone);
        set_phase.set(next);
        if started {
            session.restore().await;
            restored.set(true);
        }
    });
    // Host messages are handled once a stored sign-in is restored and, when signed in, the
    // feed is live: what the host asks for (a dial, say) then comes back through the feed
    // and is reported to it. Until then they wait in early.js's queue.
    let listening = StoredValue::new(false);
    Effect::new(move |_| {
        let ready = restored.get() && (session.online.get() || session.token.with(Option::is_none));
        if ready && !listening.get_value() {
            listening.set_value(true);
            if let Some(window) = web_sys::window() {
                bridge::listen(&window);
            }
        }
    });

    view! {
        <main class="widget" id="switchboard-widget">
            <header class="bar">
                <span class="logo" aria-hidden="true">"◎"</span>
                <h1>"Switchboard"</h1>
                <span class="where muted" data-test="where">{move || match phase.get() {
                    Phase::Embedded { origin, dialect } => format!(
                        "in {origin}{}", if dialect == Dialect::Zcc { " · Zoom-compatible" } else { "" }),
                    Phase::Standalone => "standalone".to_string(),
                    _ => String::new(),
                }}</span>
            </header>
            {move || match phase.get() {
                Phase::Checking => view! {
                    <p class="status" role="status" data-state="checking">"Connecting…"</p>
                }.into_any(),
                Phase::Failed(message) => view! {
                    <div class="error" role="alert" data-state="error">
                        <strong>"The widget cannot start"</strong>
                        <p>{message}</p>
                    </div>
                }.into_any(),
                _ => view! {
                    <div data-state="ready">
                        {move || if session.token.with(Option::is_some) {
                            view! { <SignedIn session=session/> }.into_any()
                        } else {
                            view! { <SignIn session=session/> }.into_any()
                        }}
                    </div>
                }.into_any(),
            }}
        </main>
    }
}

/// Password sign-in. Inside a host that signs its users in, the host sends `auth.token`
/// instead and this form is never used.
#[component]
fn SignIn(session: Session) -> impl IntoView {
    let email: NodeRef<leptos::html::Input> = NodeRef::new();
    let password: NodeRef<leptos::html::Input> = NodeRef::new();
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(e), Some(p)) = (email.get(), password.get()) else {
            return;
        };
        let (e, p) = (e.value(), p.value());
        if e.trim().is_empty() || p.is_empty() {
            session
                .notice
                .set(Some("Enter your email and password.".into()));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let r = session.login(e.trim().to_string(), p).await;
            busy.set(false);
            session.report(&r);
        });
    };
    view! {
        <form class="signin" data-test="signin" on:submit=submit>
            <h2>"Sign in"</h2>
            <p class="error" role="alert" data-test="notice" hidden=move || session.notice.with(Option::is_none)>{move || session.notice.get()}</p>
            <label>"Email"<input type="email" node_ref=email autocomplete="username" required data-test="email"/></label>
            <label>"Password"<input type="password" node_ref=password autocomplete="current-password" required data-test="password"/></label>
            <button class="primary" type="submit" data-test="sign-in" disabled=move || busy.get()>"Sign in"</button>
        </form>
    }
}

async fn start(session: Session) -> Result<Phase, LaunchError> {
    let window = web_sys::window().ok_or(LaunchError::CheckFailed("no window".into()))?;
    let search = window.location().search().unwrap_or_default();
    let path = window.location().pathname().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&launch::query_string(&search))
        .map_err(|_| LaunchError::CheckFailed("unreadable address".into()))?;
    // Without `?origin=`, the embedding page's origin as the browser tells it (checked alike).
    let origin = params
        .get("origin")
        .filter(|o| !o.trim().is_empty())
        .or_else(|| {
            is_framed(&window)
                .then(|| embedding_origin(&window))
                .flatten()
        })
        .unwrap_or_default();
    let protocol = params.get("protocol").unwrap_or_default();
    let Launch { origin, dialect } = launch::parse(
        launch::dialect_for_path(&path),
        [("origin", origin.as_str()), ("protocol", protocol.as_str())],
    )?;
    if dialect != bridge::DIALECT {
        // Each dialect is its own build: `…/widget/?protocol=zcc` moves to /zcc/ (and back).
        let _ = window
            .location()
            .replace(&format!("{}{search}", bridge::home_of(dialect)));
        return Ok(Phase::Checking);
    }

    if !is_framed(&window) {
        register_service_worker(&window);
        return Ok(Phase::Standalone);
    }
    let origin = origin.ok_or(LaunchError::MissingOrigin)?;
    let check: EmbeddingCheck = crate::api::json(crate::client::embedding_check(&origin), None)
        .await
        .map_err(|e| LaunchError::CheckFailed(e.message))?;
    if !check.allowed || check.origin != origin {
        return Err(LaunchError::NotAllowed(origin));
    }
    if !bridge::install(&window, origin.clone(), session) {
        return Err(LaunchError::CheckFailed("no parent window".into()));
    }
    Ok(Phase::Embedded { origin, dialect })
}

/// The embedding page's origin as the browser tells it, for hosts that frame the widget
/// without `?origin=` (Zoom's own sample does): `location.ancestorOrigins[0]` (Chromium,
/// Safari), else the referrer's origin (Firefox), as `early.js` noted it. It passes the same
/// allow-list check as a given one, and the page policy's `frame-ancestors` still decides who
/// may frame at all. (Standalone, there is none.)
fn embedding_origin(window: &web_sys::Window) -> Option<String> {
    js_sys::Reflect::get(window, &"__sbParent".into())
        .ok()?
        .as_string()
        .filter(|o| o.starts_with("http"))
}

/// The service worker caches the shell so the installed PWA opens offline.
fn register_service_worker(window: &web_sys::Window) {
    let navigator = window.navigator();
    if js_sys::Reflect::has(navigator.as_ref(), &"serviceWorker".into()).unwrap_or(false) {
        let _ = navigator.service_worker().register("sw.js");
    }
}
