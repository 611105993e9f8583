//! Every REST call the no-framework modules make (the widget's extras, the customer's chat
//! page), one function each: the paths and request bodies live here and nowhere else in them.
//! A function describes the call ([`Call`]); [`Call::send`] makes it.
//!
//! Bodies are written through the browser's `JSON` ([`json`]) with the field names of the
//! `shared` types they stand for.

use crate::{call_with_status, object};
use wasm_bindgen::JsValue;

/// One request to make: method, path and JSON body.
pub struct Call {
    pub method: &'static str,
    pub path: String,
    pub body: Option<String>,
}

impl Call {
    /// Make the call with `token` (none when empty): the parsed JSON answer (`null` for
    /// none), or the server's message.
    pub async fn send(self, token: &str) -> Result<JsValue, String> {
        self.send_with_status(token)
            .await
            .map_err(|(_, message)| message)
    }

    /// [`Call::send`], with the HTTP status beside the message of a failure (0: the server
    /// could not be reached).
    pub async fn send_with_status(self, token: &str) -> Result<JsValue, (u16, String)> {
        call_with_status(self.method, &self.path, token, self.body).await
    }
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

/// A JSON object's text from `(field, value)` pairs.
pub fn json(fields: &[(&str, JsValue)]) -> Option<String> {
    js_sys::JSON::stringify(&object(fields))
        .ok()
        .and_then(|s| s.as_string())
}

fn encoded(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}

// ---- the agent's side (extras) ----------------------------------------------------------------

/// `GET /v1/agents/me` (`AgentProfile`).
pub fn me() -> Call {
    get("/v1/agents/me")
}

/// `PUT /v1/agents/me/queues/{queue}` (`{"opted_in": …}`).
pub fn opt_in(queue: &str, opted_in: bool) -> Call {
    with(
        "PUT",
        format!("/v1/agents/me/queues/{queue}"),
        json(&[("opted_in", opted_in.into())]),
    )
}

/// `GET /v1/agents/directory` (`Vec<Colleague>`).
pub fn directory() -> Call {
    get("/v1/agents/directory")
}

/// `GET /v1/queues` (`Vec<QueueSummary>`).
pub fn queues() -> Call {
    get("/v1/queues")
}

/// `GET /v1/flows` (`Vec<FlowSummary>`).
pub fn flows() -> Call {
    get("/v1/flows")
}

/// `GET /v1/apps` (`Vec<App>`).
pub fn apps() -> Call {
    get("/v1/apps")
}

/// `GET /v1/wallboards/{id}/view` (`WallboardView`), with the wallboard's token.
pub fn wallboard_view(id: &str) -> Call {
    get(format!("/v1/wallboards/{}/view", encoded(id)))
}

/// `GET /v1/engagements?state=connected&limit=50`: the live engagements a supervisor sees.
pub fn connected_engagements() -> Call {
    get("/v1/engagements?state=connected&limit=50")
}

/// `GET /v1/engagements/{id}/canned-responses` (`Vec<FilledResponse>`).
pub fn canned_responses(id: &str) -> Call {
    get(format!("/v1/engagements/{id}/canned-responses"))
}

/// `GET /v1/engagements/{id}` (`Engagement`).
pub fn engagement(id: &str) -> Call {
    get(format!("/v1/engagements/{id}"))
}

/// `PATCH /v1/engagements/{id}/variables` (`{"variables": {…}}`).
pub fn set_variables(id: &str, variables: JsValue) -> Call {
    with(
        "PATCH",
        format!("/v1/engagements/{id}/variables"),
        json(&[("variables", variables)]),
    )
}

/// `POST /v1/engagements/{id}/monitor` (`{"mode": "monitor" | "barge"}`).
pub fn monitor(id: &str, mode: &str) -> Call {
    with(
        "POST",
        format!("/v1/engagements/{id}/monitor"),
        json(&[("mode", mode.into())]),
    )
}

/// `GET /v1/engagements/{id}/messages` (`Vec<MessageRecord>`).
pub fn messages(id: &str) -> Call {
    get(format!("/v1/engagements/{id}/messages"))
}

/// `POST /v1/engagements/{id}/messages` (`{"body": …}`; answers the `MessageRecord`).
pub fn send_message(id: &str, body: &str) -> Call {
    with(
        "POST",
        format!("/v1/engagements/{id}/messages"),
        json(&[("body", body.into())]),
    )
}

/// `GET /v1/engagements/{id}/receipts` (`Vec<Receipt>`).
pub fn receipts(id: &str) -> Call {
    get(format!("/v1/engagements/{id}/receipts"))
}

/// `POST /v1/engagements/{id}/receipts`: the agent has got or read up to `message_id`.
pub fn receipt(id: &str, message_id: &str, status: &str) -> Call {
    with(
        "POST",
        format!("/v1/engagements/{id}/receipts"),
        json(&[("message_id", message_id.into()), ("status", status.into())]),
    )
}

/// `POST /v1/engagements/{id}/typing`.
pub fn typing(id: &str) -> Call {
    with("POST", format!("/v1/engagements/{id}/typing"), None)
}

/// Where the agent uploads a file to a chat (`POST`, [`crate::upload`]).
pub fn attachments_path(id: &str) -> String {
    format!("/v1/engagements/{id}/attachments")
}

/// Where the agent downloads a chat's file (`GET`, [`crate::blob_url`]).
pub fn attachment_path(id: &str, file: &str) -> String {
    format!("/v1/engagements/{id}/attachments/{file}")
}

// ---- the customer's side (the chat page) ------------------------------------------------------

/// `GET /v1/embedding/check?origin=`: may this page frame the chat?
pub fn embedding_check(origin: &str) -> Call {
    get(format!("/v1/embedding/check?origin={}", encoded(origin)))
}

/// `GET /v1/chat/{entry}` (`ChatEntry`: the entry point's chat settings).
pub fn chat_entry(entry: &str) -> Call {
    get(format!("/v1/chat/{entry}"))
}

/// `POST /v1/chat/{entry}/sessions` (`ChatStart`).
pub fn start_chat(entry: &str, body: Option<String>) -> Call {
    with("POST", format!("/v1/chat/{entry}/sessions"), body)
}

/// `POST /v1/chat/{entry}/calls` (`ChatStart`): a web call (docs/voice.md).
pub fn start_call(entry: &str, body: Option<String>) -> Call {
    with("POST", format!("/v1/chat/{entry}/calls"), body)
}

/// `POST /v1/chat/{entry}/left-messages` (`LeftMessage`).
pub fn leave_message(entry: &str, body: Option<String>) -> Call {
    with(
        "POST",
        format!("/v1/chat/{}/left-messages", encoded(entry)),
        body,
    )
}

/// `GET /v1/chat/session` (`ChatSessionView`).
pub fn chat_session() -> Call {
    get("/v1/chat/session")
}

/// `POST /v1/chat/session/messages` (`{"body": …}`).
pub fn customer_message(body: &str) -> Call {
    with(
        "POST",
        "/v1/chat/session/messages",
        json(&[("body", body.into())]),
    )
}

/// `POST /v1/chat/session/receipts`: the customer has got or read up to `message_id`.
pub fn customer_receipt(message_id: &str, status: &str) -> Call {
    with(
        "POST",
        "/v1/chat/session/receipts",
        json(&[("message_id", message_id.into()), ("status", status.into())]),
    )
}

/// `POST /v1/chat/session/typing`.
pub fn customer_typing() -> Call {
    with("POST", "/v1/chat/session/typing", None)
}

/// `POST /v1/chat/session/end`.
pub fn end_chat() -> Call {
    with("POST", "/v1/chat/session/end", None)
}

/// `POST /v1/chat/session/survey` (`SurveyAnswer`): the customer's rating (1–5) and, when
/// they wrote one, their comment.
pub fn answer_survey(rating: u8, comment: Option<&str>) -> Call {
    let mut fields = vec![("rating", JsValue::from(rating))];
    if let Some(c) = comment {
        fields.push(("comment", c.into()));
    }
    with("POST", "/v1/chat/session/survey", json(&fields))
}

/// Where the customer uploads a file (`POST`, [`crate::upload`]).
pub const CUSTOMER_ATTACHMENTS: &str = "/v1/chat/session/attachments";

/// Where the customer downloads a chat's file (`GET`, [`crate::blob_url`]).
pub fn customer_attachment_path(file: &str) -> String {
    format!("/v1/chat/session/attachments/{file}")
}

/// The customer's chat socket (`ws(s)://{host}…`), resuming after `after`.
pub fn customer_socket(scheme: &str, host: &str, token: &str, after: i64) -> String {
    format!(
        "{scheme}://{host}/v1/chat/session/socket?access_token={}&after={after}",
        encoded(token)
    )
}
