//! The demo CRM ("Acme CRM"): a separate web application, on its own port and so its own
//! origin, that integrates Switchboard the way a customer's CRM would.
//!
//! - Its own SQLite store of contacts, tickets and call logs (`store`).
//! - Its own API client at Switchboard (`switchboard`): given with `--client-id/--client-secret`,
//!   or created once with an admin's sign-in (`--provision-admin-email/-password`) and kept in
//!   its database.
//! - `/` the agent desk: the widget embedded with `/embed.js`; `ringing` pops the matching
//!   ticket or contact, `closed` writes a call-log entry; "Call" buttons click-to-dial.
//! - `/tickets/{id}`: a ticket, with "Route to an agent" (Start Engagement API; a 409 duplicate
//!   is shown with the engagement that already holds it). It is also the work item's link.
//! - `/smart-embed`: a reference host page written the way public Zoom Smart Embed hosts write
//!   theirs (strict `{type, data}`, posting early with `"*"`), the widget at its `/zcc/` address.
//! - `/webhooks/switchboard`: the CRM's webhook receiver (`inbox`): URL validation, both
//!   signatures, dedupe, notes/dispositions/transcripts/recordings stored on the ticket or
//!   contact; it subscribes itself at start. A reconciliation job pages the events API every
//!   night (`--reconcile-at`) and on "Reconcile now".
//! - Sign-in is by picking a CRM user (a demo, no passwords); the server mints an embed token
//!   for that user's Switchboard agent, so the widget needs no second login.
//!
//! Diagnostic query parameters on `/`: `protocol=zcc` (Zoom-compatible dialect) and
//! `widget_origin=<origin>` (tell the widget a wrong host origin, to see that fail).

mod inbox;
mod interaction_store;
mod pages;
mod store;
mod switchboard;

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Parser;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use store::{CallLog, Store};
use switchboard::{Credentials, Switchboard, SwitchboardError};

#[derive(Debug, Parser)]
#[command(
    name = "embed-demo",
    about = "Demo CRM that embeds the Switchboard widget"
)]
struct Config {
    /// Address to listen on (port 0: any free port; printed as `listening on http://…`).
    #[arg(long, env = "EMBED_DEMO_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Base URL of the Switchboard server.
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    switchboard_url: String,
    /// The CRM's own database (created on first start, seeded with demo contacts and tickets).
    #[arg(
        long,
        env = "EMBED_DEMO_DATABASE_URL",
        default_value = "sqlite://.demo/crm.db"
    )]
    database_url: String,
    /// Switchboard entry point that CRM tickets are routed through.
    #[arg(long, env = "EMBED_DEMO_ENTRY", default_value = "crm-tickets")]
    entry_id: String,
    /// The CRM's API client at Switchboard.
    #[arg(long, env = "EMBED_DEMO_CLIENT_ID", requires = "client_secret")]
    client_id: Option<String>,
    #[arg(long, env = "EMBED_DEMO_CLIENT_SECRET", requires = "client_id")]
    client_secret: Option<String>,
    /// Without a client: create one at first start with this Switchboard admin's sign-in.
    #[arg(
        long,
        env = "EMBED_DEMO_ADMIN_EMAIL",
        requires = "provision_admin_password"
    )]
    provision_admin_email: Option<String>,
    #[arg(
        long,
        env = "EMBED_DEMO_ADMIN_PASSWORD",
        requires = "provision_admin_email"
    )]
    provision_admin_password: Option<String>,
    /// The URL Switchboard calls with webhooks (default: this CRM's own
    /// `/webhooks/switchboard`). Empty: do not subscribe.
    #[arg(long, env = "EMBED_DEMO_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// When the nightly reconciliation runs, `HH:MM` UTC.
    #[arg(long, env = "EMBED_DEMO_RECONCILE_AT", default_value = "02:00", value_parser = inbox::parse_hh_mm)]
    reconcile_at: (u32, u32),
    /// Where the CRM keeps downloaded recordings (default: next to its database).
    #[arg(long, env = "EMBED_DEMO_FILES_DIR")]
    files_dir: Option<std::path::PathBuf>,
}

pub struct Crm {
    store: Store,
    inbox: inbox::Inbox,
    switchboard: Switchboard,
    entry_id: String,
    desk_page: String,
    /// The reference Smart Embed host page (`/smart-embed`).
    smart_embed_page: String,
    /// The public website with the chat bubble.
    site_page: String,
    customer_app_page: String,
    /// This CRM's own base URL (for ticket links), from the bound address.
    public_url: String,
}

type AppState = Arc<Crm>;

/// The CRM's HTTP errors: a status and a message for the page; internals are logged.
enum CrmError {
    NotFound(String),
    BadRequest(String),
    Switchboard(SwitchboardError),
    Internal(String),
}

impl From<store::StoreError> for CrmError {
    fn from(e: store::StoreError) -> Self {
        CrmError::Internal(e.to_string())
    }
}

impl From<SwitchboardError> for CrmError {
    fn from(e: SwitchboardError) -> Self {
        CrmError::Switchboard(e)
    }
}

impl IntoResponse for CrmError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            CrmError::NotFound(m) => (StatusCode::NOT_FOUND, json!({"message": m})),
            CrmError::BadRequest(m) => (StatusCode::BAD_REQUEST, json!({"message": m})),
            CrmError::Switchboard(SwitchboardError::Api {
                status,
                code,
                message,
                engagement_id,
            }) => (
                // Pass Switchboard's 4xx through (409 duplicate, 422 bad field); its 5xx is ours.
                if (400..500).contains(&status) {
                    StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY)
                } else {
                    StatusCode::BAD_GATEWAY
                },
                json!({"message": message, "code": code, "engagement_id": engagement_id, "switchboard_status": status}),
            ),
            CrmError::Switchboard(e) => {
                (StatusCode::BAD_GATEWAY, json!({"message": e.to_string()}))
            }
            CrmError::Internal(m) => {
                tracing::error!(error = %m, "embed-demo internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"message": "the CRM had a problem; see its log"}),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

type Result<T> = std::result::Result<T, CrmError>;

/// The signed-in CRM user (an email) from the `crm_user` cookie.
fn current_user(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "crm_user")
        .map(|(_, v)| v.replace("%40", "@"))
        .filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let config = Config::parse();
    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("embed-demo: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> std::result::Result<(), String> {
    let switchboard_url = match url::Url::parse(&config.switchboard_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            u.as_str().trim_end_matches('/').to_string()
        }
        _ => {
            return Err(format!(
                "--switchboard-url {:?} is not an http(s) URL",
                config.switchboard_url
            ))
        }
    };
    if let Some(dir) = config
        .database_url
        .strip_prefix("sqlite://")
        .and_then(|p| std::path::Path::new(p.split('?').next().unwrap_or(p)).parent())
    {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| format!("database {}: {e}", config.database_url))?;
    let credentials = match (config.client_id, config.client_secret) {
        (Some(client_id), Some(client_secret)) => Some(Credentials {
            client_id,
            client_secret,
        }),
        _ => match (
            store
                .setting("client_id")
                .await
                .map_err(|e| e.to_string())?,
            store
                .setting("client_secret")
                .await
                .map_err(|e| e.to_string())?,
        ) {
            (Some(client_id), Some(client_secret)) => Some(Credentials {
                client_id,
                client_secret,
            }),
            _ => None,
        },
    };
    let switchboard = Switchboard::new(switchboard_url.clone(), credentials.clone());
    if credentials.is_none() {
        if let (Some(email), Some(password)) = (
            config.provision_admin_email,
            config.provision_admin_password,
        ) {
            let c = provision_with_retry(&switchboard, &email, &password).await?;
            store
                .set_setting("client_id", &c.client_id)
                .await
                .map_err(|e| e.to_string())?;
            store
                .set_setting("client_secret", &c.client_secret)
                .await
                .map_err(|e| e.to_string())?;
            switchboard.set_credentials(c).await;
            eprintln!("embed-demo: created the CRM's API client at Switchboard");
        } else {
            eprintln!("embed-demo: no Switchboard API client configured; routing and embed sign-in will fail until one is (see --help)");
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let secret = match store
        .setting("webhook_secret")
        .await
        .map_err(|e| e.to_string())?
    {
        Some(s) => s,
        None => {
            let s = inbox::new_secret();
            store
                .set_setting("webhook_secret", &s)
                .await
                .map_err(|e| e.to_string())?;
            s
        }
    };
    let files = config.files_dir.clone().unwrap_or_else(|| {
        let db = config.database_url.trim_start_matches("sqlite://");
        let db = db.split('?').next().unwrap_or(db);
        std::path::Path::new(db)
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("crm-files")
    });
    let crm = Arc::new(Crm {
        inbox: inbox::Inbox {
            secret,
            receiving: std::sync::atomic::AtomicBool::new(true),
            files,
            reconciling: tokio::sync::Mutex::new(()),
        },
        store,
        desk_page: pages::desk(&switchboard_url),
        smart_embed_page: pages::smart_embed(&switchboard_url),
        site_page: pages::site(&switchboard_url),
        customer_app_page: pages::customer_app(&switchboard_url),
        switchboard,
        entry_id: config.entry_id,
        public_url: format!("http://{local}"),
    });
    let app = Router::new()
        .route("/", get(desk))
        .route("/signin", get(signin_page).post(signin))
        .route("/smart-embed", get(smart_embed))
        .route("/site", get(site))
        .route("/apps/customer", get(customer_app))
        .route("/signout", get(signout))
        .route("/tickets/{id}", get(ticket_page))
        .route("/api/tickets", get(tickets))
        .route("/api/contacts", get(contacts))
        .route("/api/tickets/{id}/route", post(route_ticket))
        .route("/api/lookup", get(lookup))
        .route("/api/call-logs", get(call_logs).post(log_call))
        .route("/api/embed-token", post(embed_token))
        .route("/webhooks/switchboard", post(receive_webhook))
        .route("/api/reconcile", get(last_reconcile).post(reconcile_now))
        .route("/api/receiver", post(switch_receiver))
        .route("/api/tickets/{id}/interactions", get(ticket_interactions))
        .route("/api/contacts/{id}/transcripts", get(contact_transcripts))
        .route("/recordings/{id}", get(recording_file))
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/{file}", get(static_file))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(content_security_policies(&switchboard_url)),
            security_headers,
        ))
        .with_state(crm.clone());
    let webhook_url = config
        .webhook_url
        .unwrap_or_else(|| format!("{}/webhooks/switchboard", crm.public_url));
    if !webhook_url.is_empty() {
        tokio::spawn(subscribe_with_retry(crm.clone(), webhook_url));
    }
    tokio::spawn(nightly(crm.clone(), config.reconcile_at));
    println!("listening on http://{local}");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| e.to_string())
}

/// Subscribe once the receiver is serving (Switchboard validates the URL by calling it).
async fn subscribe_with_retry(crm: AppState, url: String) {
    let mut wait = std::time::Duration::from_millis(200);
    for _ in 0..30 {
        match inbox::subscribe(&crm.store, &crm.switchboard, &crm.inbox, &url).await {
            Ok(id) => {
                tracing::info!(webhook_id = %id, %url, "subscribed to Switchboard webhooks");
                return;
            }
            Err(e) if e.contains("webhooks:write") => {
                // A client provisioned by an older CRM has fewer scopes; retrying cannot help.
                tracing::error!(error = %e, "the CRM's API client may not subscribe to webhooks: it predates webhooks; delete the CRM's database (.demo/crm.db) to provision a new client");
                return;
            }
            Err(e) => tracing::warn!(error = %e, "subscribing to Switchboard webhooks; retrying"),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(std::time::Duration::from_secs(30));
    }
    tracing::error!(
        "could not subscribe to Switchboard webhooks; the nightly reconciliation still runs"
    );
}

/// The nightly reconciliation.
async fn nightly(crm: AppState, at: (u32, u32)) {
    loop {
        let now = inbox::now_ms() / 1000;
        tokio::time::sleep(std::time::Duration::from_secs(inbox::secs_until(at, now))).await;
        match inbox::reconcile(&crm.store, &crm.switchboard, &crm.inbox, "nightly").await {
            Ok(run) => tracing::info!(
                seen = run.seen,
                applied = run.applied,
                "nightly reconciliation"
            ),
            Err(e) => tracing::warn!(error = %e, "nightly reconciliation failed"),
        }
    }
}

/// Switchboard may still be starting (the demo script starts both at once).
async fn provision_with_retry(
    sb: &Switchboard,
    email: &str,
    password: &str,
) -> std::result::Result<Credentials, String> {
    let mut last = String::new();
    for _ in 0..50 {
        match sb.provision(email, password).await {
            Ok(c) => return Ok(c),
            Err(SwitchboardError::Unreachable(e)) => last = e,
            Err(e) => return Err(format!("creating the CRM's API client: {e}")),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Err(format!(
        "Switchboard at {} did not answer: {last}",
        sb.base()
    ))
}

fn no_cache(html: String) -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response()
}

async fn desk(State(crm): State<AppState>, headers: HeaderMap) -> Response {
    match current_user(&headers) {
        Some(user) => no_cache(crm.desk_page.replace("__CRM_USER__", &pages::escape(&user))),
        None => Redirect::to("/signin").into_response(),
    }
}

/// A host page written like public Smart Embed integrations (`static/smart-embed.js`): the
/// agent signs in inside the widget, as with Zoom's.
async fn smart_embed(State(crm): State<AppState>) -> Response {
    no_cache(crm.smart_embed_page.clone())
}

/// The company's public website, where customers chat through Switchboard's bubble.
async fn site(State(crm): State<AppState>) -> Response {
    no_cache(crm.site_page.clone())
}

/// Customer 360: the side-panel app (framed by Switchboard's widget, see the policy below).
async fn customer_app(State(crm): State<AppState>) -> Response {
    no_cache(crm.customer_app_page.clone())
}

async fn signin_page() -> Response {
    no_cache(pages::signin(None))
}

#[derive(Deserialize)]
struct SignIn {
    email: String,
}

/// Sign in as a CRM user; the user must be a Switchboard agent (matched by email).
async fn signin(State(crm): State<AppState>, Form(form): Form<SignIn>) -> Response {
    let email = form.email.trim().to_ascii_lowercase();
    if email.is_empty() || !email.contains('@') || email.contains([';', ',', ' ']) {
        return no_cache(pages::signin(Some("Enter an email address.")));
    }
    match crm.switchboard.agent_id_for(&email).await {
        Ok(Some(_)) => (
            [(
                header::SET_COOKIE,
                format!("crm_user={email}; Path=/; HttpOnly; SameSite=Lax"),
            )],
            Redirect::to("/"),
        )
            .into_response(),
        Ok(None) => no_cache(pages::signin(Some("No Switchboard agent has that email."))),
        Err(e) => no_cache(pages::signin(Some(&e.to_string()))),
    }
}

async fn signout() -> Response {
    (
        [(
            header::SET_COOKIE,
            "crm_user=; Path=/; Max-Age=0".to_string(),
        )],
        Redirect::to("/signin"),
    )
        .into_response()
}

async fn ticket_or_404(crm: &AppState, id: &str) -> Result<store::Ticket> {
    crm.store
        .ticket(id)
        .await?
        .ok_or_else(|| CrmError::NotFound(format!("no ticket {id}")))
}

async fn ticket_page(State(crm): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let ticket = ticket_or_404(&crm, &id).await?;
    let contact = crm.store.contact(&ticket.contact_id).await?;
    let data = crm.store.ticket_data(&id).await?;
    let last_run = crm.store.last_run().await?;
    let logs: Vec<CallLog> = crm
        .store
        .call_logs()
        .await?
        .into_iter()
        .filter(|l| l.ticket_id.as_deref() == Some(id.as_str()))
        .collect();
    Ok(no_cache(pages::ticket(
        &ticket,
        contact.as_ref(),
        &logs,
        &data,
        last_run.as_ref(),
    )))
}

async fn tickets(State(crm): State<AppState>) -> Result<Json<Vec<store::Ticket>>> {
    Ok(Json(crm.store.tickets().await?))
}

async fn contacts(State(crm): State<AppState>) -> Result<Json<Vec<store::Contact>>> {
    Ok(Json(crm.store.contacts().await?))
}

/// "Route to an agent": start a work item for the ticket.
async fn route_ticket(
    State(crm): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<serde_json::Value>)> {
    let ticket = ticket_or_404(&crm, &id).await?;
    let contact = crm.store.contact(&ticket.contact_id).await?;
    let url = format!("{}/tickets/{}", crm.public_url, ticket.ticket_id);
    let request = switchboard::work_item_request(&crm.entry_id, &ticket, contact.as_ref(), url);
    let engagement = crm.switchboard.start_work_item(&request).await?;
    if let Some(eid) = engagement["engagement_id"].as_str() {
        crm.store
            .set_ticket_engagement(&ticket.ticket_id, eid)
            .await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "engagement": engagement })),
    ))
}

#[derive(Deserialize)]
struct Lookup {
    phone: Option<String>,
    email: Option<String>,
    work_item_id: Option<String>,
    /// Free text: the agent's contact search.
    q: Option<String>,
}

/// Screen-pop lookup and contact search: the records matching a caller (or the text `q`), in
/// the zcc record shape `{id, name, phone, email, entity}` (tickets first).
async fn lookup(
    State(crm): State<AppState>,
    Query(q): Query<Lookup>,
) -> Result<Json<Vec<serde_json::Value>>> {
    let mut out = Vec::new();
    if let Some(id) = q.work_item_id.as_deref().filter(|s| !s.is_empty()) {
        if let Some(t) = crm.store.ticket(id).await? {
            out.push(json!({"id": t.ticket_id, "name": t.subject, "phone": "", "email": "", "entity": "ticket"}));
        }
    }
    let mut contacts = crm
        .store
        .find_contacts(q.phone.as_deref(), q.email.as_deref())
        .await?;
    if let Some(text) = q.q.as_deref() {
        contacts.extend(crm.store.search_contacts(text).await?);
    }
    for c in contacts {
        out.push(json!({"id": c.contact_id, "name": c.name, "phone": c.phone, "email": c.email, "entity": "contact"}));
    }
    Ok(Json(out))
}

async fn call_logs(State(crm): State<AppState>) -> Result<Json<Vec<CallLog>>> {
    Ok(Json(crm.store.call_logs().await?))
}

#[derive(Deserialize)]
struct NewLog {
    engagement_id: String,
    contact_id: Option<String>,
    ticket_id: Option<String>,
    channel: String,
    direction: String,
    duration_secs: i64,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    disposition: String,
}

/// The agent page reports a closed engagement (from `engagement.closed` or
/// `zcc-phone-call-log`). Idempotent per engagement.
async fn log_call(
    State(crm): State<AppState>,
    headers: HeaderMap,
    Json(n): Json<NewLog>,
) -> Result<(StatusCode, Json<serde_json::Value>)> {
    if n.engagement_id.trim().is_empty() || n.engagement_id.len() > 64 {
        return Err(CrmError::BadRequest("engagement_id is required".into()));
    }
    if n.notes.len() > 100_000 || n.duration_secs < 0 {
        return Err(CrmError::BadRequest(
            "notes or duration_secs out of range".into(),
        ));
    }
    // Only link records that exist here.
    let contact_id = match n.contact_id.filter(|s| !s.is_empty()) {
        Some(c) if crm.store.contact(&c).await?.is_some() => Some(c),
        _ => None,
    };
    let ticket_id = match n.ticket_id.filter(|s| !s.is_empty()) {
        Some(t) if crm.store.ticket(&t).await?.is_some() => Some(t),
        _ => None,
    };
    let log = CallLog {
        engagement_id: n.engagement_id,
        contact_id,
        ticket_id,
        channel: n.channel,
        direction: n.direction,
        duration_secs: n.duration_secs,
        notes: n.notes,
        disposition: n.disposition,
        agent_email: current_user(&headers).unwrap_or_default(),
        logged_at_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0),
    };
    let created = crm.store.log_call(&log).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(json!({ "created": created, "log": log })),
    ))
}

/// An embed token for the signed-in CRM user's Switchboard agent.
async fn embed_token(
    State(crm): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>> {
    let user = current_user(&headers)
        .ok_or_else(|| CrmError::BadRequest("sign in to the CRM first".into()))?;
    let agent =
        crm.switchboard.agent_id_for(&user).await?.ok_or_else(|| {
            CrmError::NotFound(format!("no Switchboard agent has the email {user}"))
        })?;
    let token = crm.switchboard.mint_embed_token(&agent).await?;
    Ok(Json(json!({ "token": token })))
}

/// `POST /webhooks/switchboard`: Switchboard's deliveries (and its URL validation).
async fn receive_webhook(
    State(crm): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !crm
        .inbox
        .receiving
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the receiver is switched off",
        )
            .into_response();
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if let Err(why) = inbox::verify(&crm.inbox.secret, header, &body, inbox::now_ms() / 1000) {
        tracing::warn!(%why, "refused a webhook");
        return (StatusCode::UNAUTHORIZED, Json(json!({"message": why}))).into_response();
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    if value["event"] == "endpoint.url_validation" {
        let plain = value["payload"]["plainToken"].as_str().unwrap_or_default();
        return Json(inbox::validation_answer(&crm.inbox.secret, plain)).into_response();
    }
    let id = header("webhook-id").unwrap_or_default();
    let Some(event) = inbox::Incoming::from_webhook(&id, &value) else {
        return (StatusCode::BAD_REQUEST, "not a Switchboard event").into_response();
    };
    match inbox::apply(&crm.store, &crm.switchboard, &crm.inbox, &event, "webhook").await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            // Not stored: answer 500 so Switchboard tries again.
            tracing::warn!(error = %e, event = %event.event, "could not store a webhook");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"message": e})),
            )
                .into_response()
        }
    }
}

async fn last_reconcile(State(crm): State<AppState>) -> Result<Json<serde_json::Value>> {
    Ok(Json(json!({ "last_run": crm.store.last_run().await? })))
}

/// "Reconcile now".
async fn reconcile_now(State(crm): State<AppState>) -> Result<Json<serde_json::Value>> {
    let run = inbox::reconcile(&crm.store, &crm.switchboard, &crm.inbox, "manual")
        .await
        .map_err(CrmError::Internal)?;
    Ok(Json(json!({ "last_run": run })))
}

#[derive(Deserialize)]
struct ReceiverSwitch {
    enabled: bool,
}

/// The demo's switch to take the webhook receiver down (503) and back up.
async fn switch_receiver(
    State(crm): State<AppState>,
    Json(s): Json<ReceiverSwitch>,
) -> Json<serde_json::Value> {
    crm.inbox
        .receiving
        .store(s.enabled, std::sync::atomic::Ordering::Relaxed);
    Json(json!({ "enabled": s.enabled }))
}

async fn ticket_interactions(
    State(crm): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<interaction_store::TicketData>> {
    ticket_or_404(&crm, &id).await?;
    Ok(Json(crm.store.ticket_data(&id).await?))
}

/// The chat transcripts stored on a contact.
async fn contact_transcripts(
    State(crm): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<interaction_store::Transcript>>> {
    if crm.store.contact(&id).await?.is_none() {
        return Err(CrmError::NotFound(format!("no contact {id}")));
    }
    Ok(Json(crm.store.contact_transcripts(&id).await?))
}

/// A recording's audio from the CRM's own copy, for signed-in CRM users.
async fn recording_file(
    State(crm): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    if current_user(&headers).is_none() {
        return Ok((
            StatusCode::UNAUTHORIZED,
            "sign in to the CRM to play recordings",
        )
            .into_response());
    }
    let rec = crm
        .store
        .recording(&id)
        .await?
        .ok_or_else(|| CrmError::NotFound(format!("no recording {id}")))?;
    let path = rec
        .local_path
        .ok_or_else(|| CrmError::NotFound("the recording is not downloaded yet".into()))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| CrmError::Internal(format!("{path}: {e}")))?;
    Ok(([(header::CONTENT_TYPE, rec.content_type)], bytes).into_response())
}

/// The CRM's own policies: scripts only from itself and Switchboard (`embed.js`, `chat.js`),
/// frames only from Switchboard (the widget, the chat), requests to itself and Switchboard (the
/// chat bubble's allow-list check, as docs/chat.md tells website owners), no inline code.
/// Nobody may frame the CRM's pages; its side-panel apps (`/apps/…`) may be framed by
/// Switchboard's widget only.
struct Policies {
    pages: HeaderValue,
    apps: HeaderValue,
}

fn content_security_policies(switchboard_url: &str) -> Policies {
    let origin = url::Url::parse(switchboard_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let policy = |ancestors: &str| {
        let text = format!(
            "default-src 'self'; script-src 'self' {origin}; frame-src {origin}; connect-src 'self' {origin}; \
             img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors {ancestors}"
        );
        HeaderValue::from_str(&text)
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
    };
    Policies {
        pages: policy("'none'"),
        // The widget may be in one of the CRM's own pages: every ancestor must be allowed.
        apps: policy(&format!("{origin} 'self'")),
    }
}

async fn security_headers(
    axum::extract::State(policies): axum::extract::State<Arc<Policies>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let app = request.uri().path().starts_with("/apps/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let csp = if app { &policies.apps } else { &policies.pages };
    headers.insert(axum::http::header::CONTENT_SECURITY_POLICY, csp.clone());
    headers.insert(
        axum::http::HeaderName::from_static("permissions-policy"),
        axum::http::HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=()",
        ),
    );
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        axum::http::HeaderValue::from_static("nosniff"),
    );
    response
}

/// `/static/{file}`: the pages' style sheets and scripts.
async fn static_file(
    axum::extract::Path(file): axum::extract::Path<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (body, kind) = match file.as_str() {
        "crm.css" => (pages::CRM_CSS, "text/css; charset=utf-8"),
        "desk.css" => (pages::DESK_CSS, "text/css; charset=utf-8"),
        "desk.js" => (pages::DESK_JS, "text/javascript; charset=utf-8"),
        "ticket.js" => (pages::TICKET_JS, "text/javascript; charset=utf-8"),
        "smart-embed.js" => (pages::SMART_EMBED_JS, "text/javascript; charset=utf-8"),
        "customer-app.js" => (pages::CUSTOMER_APP_JS, "text/javascript; charset=utf-8"),
        _ => return (axum::http::StatusCode::NOT_FOUND, "no such file").into_response(),
    };
    (
        [
            (axum::http::header::CONTENT_TYPE, kind),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_comes_from_the_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; crm_user=ada%40demo.test; b=2".parse().unwrap(),
        );
        assert_eq!(current_user(&h).as_deref(), Some("ada@demo.test"));
        assert_eq!(current_user(&HeaderMap::new()), None);
    }
}
