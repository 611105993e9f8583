//! Every REST call the widget makes, one function each: the paths and the request bodies live
//! here and nowhere else in the widget (the socket's path too). A function only describes the
//! call ([`Call`]); [`crate::api::send`] makes it, and the signed-in [`crate::session::Session`]
//! makes it with the agent's token and shows what went wrong (`Session::call`).
//!
//! Bodies are written with [`obj`] (field names as the `shared` types name them) or, for a
//! type that already derives `Serialize`, with [`body`]: never `format!` JSON, and no new
//! derived serializer (each one costs the first load; `BENCHMARKS.md`, "Widget size").

use crate::api::{body, obj, text};
use serde_json::Value;
use shared::api::DialRequest;
use shared::config::AgentStatus;
use shared::ids::EngagementId;

/// The agent's live feed (a WebSocket on the page's own host).
pub const AGENT_SOCKET: &str = "/v1/agent/ws";

/// One request to make: method, path and JSON body.
pub struct Call {
    pub method: &'static str,
    pub path: String,
    pub body: Option<String>,
}

fn get(path: impl Into<String>) -> Call {
    Call {
        method: "GET",
        path: path.into(),
        body: None,
    }
}

fn with(method: &'static str, path: impl Into<String>, body: Option<String>) -> Call {
    Call {
        method,
        path: path.into(),
        body,
    }
}

fn json(pairs: &mut [(&str, Value)]) -> Option<String> {
    Some(text(&obj(pairs)))
}

// ---- signing in and out ---------------------------------------------------------------------

/// `POST /v1/auth/login` (`LoginRequest`).
pub fn login(email: String, password: String) -> Call {
    let body = json(&mut [("email", email.into()), ("password", password.into())]);
    with("POST", "/v1/auth/login", body)
}

/// `POST /v1/auth/embed`: an embed token the host minted, for an agent session (native
/// hosts' `auth.token`).
#[cfg_attr(feature = "zcc", allow(dead_code))]
pub fn exchange(embed_token: String) -> Call {
    with(
        "POST",
        "/v1/auth/embed",
        json(&mut [("embed_token", embed_token.into())]),
    )
}

/// `POST /v1/auth/logout`: ends the session on the server (the token stops working).
pub fn logout() -> Call {
    with("POST", "/v1/auth/logout", None)
}

/// `GET /v1/embedding/check?origin=`: may this page frame the widget?
pub fn embedding_check(origin: &str) -> Call {
    get(format!(
        "/v1/embedding/check?origin={}",
        String::from(js_sys::encode_uri_component(origin))
    ))
}

// ---- the agent -------------------------------------------------------------------------------

/// `GET /v1/agents/me` (`AgentProfile`).
pub fn me() -> Call {
    get("/v1/agents/me")
}

/// `PUT /v1/agents/me/status` (`AgentStatus`; answers `AgentProfile`).
pub fn set_status(status: &AgentStatus) -> Call {
    with("PUT", "/v1/agents/me/status", body(status))
}

/// `PUT /v1/agents/me/device` (`DeviceClaim`; answers `ActiveDevice`).
pub fn claim_device(device_id: String, only_if_free: bool) -> Call {
    let body = json(&mut [
        ("device_id", device_id.into()),
        ("only_if_free", only_if_free.into()),
    ]);
    with("PUT", "/v1/agents/me/device", body)
}

/// `GET /v1/agents/me/engagements` (`Vec<Engagement>`).
pub fn my_engagements() -> Call {
    get("/v1/agents/me/engagements")
}

/// `POST /v1/agents/me/calls` (`DialRequest`; answers `Engagement`).
pub fn dial(request: &DialRequest) -> Call {
    with("POST", "/v1/agents/me/calls", body(request))
}

// ---- what the agent works with ---------------------------------------------------------------

/// `GET /v1/queues` (`Vec<QueueSummary>`).
pub fn queues() -> Call {
    get("/v1/queues")
}

/// `GET /v1/dispositions` (`Vec<Disposition>`).
pub fn dispositions() -> Call {
    get("/v1/dispositions")
}

// ---- one engagement --------------------------------------------------------------------------

/// An engagement command without a body: `accept`, `decline`, `inactive`, `resume`, `end`,
/// `close` (`POST /v1/engagements/{id}/{action}`).
pub fn act(id: EngagementId, action: &str) -> Call {
    with("POST", format!("/v1/engagements/{id}/{action}"), None)
}

/// `GET /v1/engagements/{id}/notes` (`Vec<Note>`).
pub fn notes(id: EngagementId) -> Call {
    get(format!("/v1/engagements/{id}/notes"))
}

/// `POST /v1/engagements/{id}/notes` (`NewNote`).
pub fn add_note(id: EngagementId, text: String) -> Call {
    with(
        "POST",
        format!("/v1/engagements/{id}/notes"),
        json(&mut [("body", text.into())]),
    )
}

/// `PUT /v1/engagements/{id}/disposition` (`SetDisposition`).
pub fn set_disposition(id: EngagementId, disposition_id: String) -> Call {
    with(
        "PUT",
        format!("/v1/engagements/{id}/disposition"),
        json(&mut [("disposition_id", disposition_id.into())]),
    )
}

/// Where a transfer goes: `TransferTarget`'s `to` and the id it names.
#[derive(Clone, Copy)]
pub enum TransferTo<'a> {
    Queue(&'a str),
    Flow(&'a str),
    Agent(&'a str),
}

/// `POST /v1/engagements/{id}/transfer` (`TransferTarget`).
pub fn transfer(id: EngagementId, to: TransferTo) -> Call {
    let (kind, field, target) = match to {
        TransferTo::Queue(q) => ("queue", "queue_id", q),
        TransferTo::Flow(f) => ("flow", "flow_id", f),
        TransferTo::Agent(a) => ("agent", "agent_id", a),
    };
    with(
        "POST",
        format!("/v1/engagements/{id}/transfer"),
        json(&mut [("to", kind.into()), (field, target.into())]),
    )
}

/// `PATCH /v1/engagements/{id}/variables` (`{"variables": {…}}`).
pub fn set_variables(id: EngagementId, variables: Value) -> Call {
    with(
        "PATCH",
        format!("/v1/engagements/{id}/variables"),
        json(&mut [("variables", variables)]),
    )
}
