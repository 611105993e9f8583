//! The CRM's client for the Switchboard API, using its own API-client credentials
//! (client-credentials grant; the access token is cached until shortly before it expires).

use serde::Deserialize;
use serde_json::{json, Value};
use shared::api::{
    ChannelSpec, ConsumerInput, ErrorBody, FlowRef, StartEngagementRequest, WorkItemVariables,
};
use shared::Channel;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// What can go wrong talking to Switchboard. `Api` carries the server's status and its
/// people-readable message (a 409 duplicate names the engagement that holds the ticket).
#[derive(Debug, thiserror::Error)]
pub enum SwitchboardError {
    #[error("Switchboard cannot be reached: {0}")]
    Unreachable(String),
    #[error("{message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        engagement_id: Option<String>,
    },
    #[error("the CRM has no Switchboard API client yet: start it with --client-id/--client-secret or --provision-admin-email/--provision-admin-password")]
    NotConfigured,
}

pub type Result<T> = std::result::Result<T, SwitchboardError>;

#[derive(Clone, Debug)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

pub struct Switchboard {
    base: String,
    http: reqwest::Client,
    credentials: Mutex<Option<Credentials>>,
    token: Mutex<Option<(String, Instant)>>,
}

/// The scopes the CRM's client needs: start work items, mint embed tokens, find agents,
/// subscribe to webhooks, reconcile from the events API, download recordings.
pub const SCOPES: [&str; 7] = [
    "engagements:write",
    "engagements:read",
    "embed_tokens:write",
    "config:read",
    "webhooks:write",
    "events:read",
    "recordings:read",
];

#[derive(Deserialize)]
struct Token {
    access_token: String,
    expires_in: i64,
}

impl Switchboard {
    pub fn new(base: String, credentials: Option<Credentials>) -> Switchboard {
        Switchboard {
            base,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("an HTTP client"),
            credentials: Mutex::new(credentials),
            token: Mutex::new(None),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn set_credentials(&self, c: Credentials) {
        *self.credentials.lock().await = Some(c);
        *self.token.lock().await = None;
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value> {
        let resp = req
            .send()
            .await
            .map_err(|e| SwitchboardError::Unreachable(e.to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| SwitchboardError::Unreachable(e.to_string()))?;
        if (200..300).contains(&status) {
            return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
        }
        let body = serde_json::from_str::<ErrorBody>(&text).ok();
        Err(SwitchboardError::Api {
            status,
            code: body
                .as_ref()
                .map(|b| b.error.code.clone())
                .unwrap_or_default(),
            message: body
                .as_ref()
                .map(|b| b.error.message.clone())
                .unwrap_or_else(|| format!("HTTP {status}")),
            engagement_id: body.and_then(|b| b.error.engagement_id),
        })
    }

    async fn access_token(&self) -> Result<String> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let creds = self
            .credentials
            .lock()
            .await
            .clone()
            .ok_or(SwitchboardError::NotConfigured)?;
        let v = self
            .send(
                self.http
                    .post(format!("{}/v1/oauth/token", self.base))
                    .basic_auth(&creds.client_id, Some(&creds.client_secret))
                    .form(&[("grant_type", "client_credentials")]),
            )
            .await?;
        let t: Token =
            serde_json::from_value(v).map_err(|e| SwitchboardError::Unreachable(e.to_string()))?;
        let life = Duration::from_secs(t.expires_in.max(60) as u64 - 30);
        *cached = Some((t.access_token.clone(), Instant::now() + life));
        Ok(t.access_token)
    }

    async fn authed(&self, req: reqwest::RequestBuilder) -> Result<Value> {
        let token = self.access_token().await?;
        self.send(req.bearer_auth(token)).await
    }

    /// One-time set-up with an admin's sign-in: create the CRM's own API client.
    pub async fn provision(&self, admin_email: &str, admin_password: &str) -> Result<Credentials> {
        let login = self
            .send(
                self.http
                    .post(format!("{}/v1/auth/login", self.base))
                    .json(&json!({"email": admin_email, "password": admin_password})),
            )
            .await?;
        let admin = login["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let client = self
            .send(
                self.http
                    .post(format!("{}/v1/api-clients", self.base))
                    .bearer_auth(admin)
                    .json(&json!({"name": "Acme CRM (embed-demo)", "scopes": SCOPES})),
            )
            .await?;
        Ok(Credentials {
            client_id: client["client_id"].as_str().unwrap_or_default().to_string(),
            client_secret: client["client_secret"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        })
    }

    /// The Switchboard agent id of a CRM user, matched by email.
    pub async fn agent_id_for(&self, email: &str) -> Result<Option<String>> {
        let agents = self
            .authed(self.http.get(format!("{}/v1/agents", self.base)))
            .await?;
        Ok(agents.as_array().and_then(|list| {
            list.iter()
                .find(|a| {
                    a["email"]
                        .as_str()
                        .is_some_and(|e| e.eq_ignore_ascii_case(email))
                })
                .and_then(|a| a["agent_id"].as_str().map(str::to_string))
        }))
    }

    /// A short-lived embed token for that agent; the widget exchanges it for a session.
    pub async fn mint_embed_token(&self, agent_id: &str) -> Result<String> {
        let v = self
            .authed(
                self.http
                    .post(format!("{}/v1/embed-tokens", self.base))
                    .json(&json!({ "agent_id": agent_id })),
            )
            .await?;
        Ok(v["access_token"].as_str().unwrap_or_default().to_string())
    }

    /// Download a file (`download_url`, `transcript_url`) with the CRM's credentials.
    pub async fn download(&self, url: &str) -> Result<Vec<u8>> {
        if !url.starts_with(&self.base) {
            return Err(SwitchboardError::Unreachable(format!(
                "{url} is not on this Switchboard ({}); not sending credentials there",
                self.base
            )));
        }
        let token = self.access_token().await?;
        let resp = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| SwitchboardError::Unreachable(e.to_string()))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| SwitchboardError::Unreachable(e.to_string()))?;
        if !(200..300).contains(&status) {
            let body = serde_json::from_slice::<ErrorBody>(&bytes).ok();
            return Err(SwitchboardError::Api {
                status,
                code: body
                    .as_ref()
                    .map(|b| b.error.code.clone())
                    .unwrap_or_default(),
                message: body
                    .map(|b| b.error.message)
                    .unwrap_or_else(|| format!("HTTP {status}")),
                engagement_id: None,
            });
        }
        Ok(bytes.to_vec())
    }

    /// A page of the event log after `after`, only the named events.
    pub async fn events(&self, after: i64, kinds: &[&str]) -> Result<Value> {
        let mut query: Vec<(&str, String)> =
            vec![("after", after.to_string()), ("limit", "1000".into())];
        query.extend(kinds.iter().map(|k| ("event", k.to_string())));
        self.authed(
            self.http
                .get(format!("{}/v1/events", self.base))
                .query(&query),
        )
        .await
    }

    pub async fn webhook(&self, id: &str) -> Result<Value> {
        self.authed(self.http.get(format!("{}/v1/webhooks/{id}", self.base)))
            .await
    }

    /// Subscribe `url` with a secret the CRM holds (Switchboard validates the URL first).
    pub async fn subscribe(&self, url: &str, events: &[&str], secret: &str) -> Result<Value> {
        self.authed(self.http.post(format!("{}/v1/webhooks", self.base)).json(
            &json!({"url": url, "events": events, "secret": secret, "description": "Acme CRM"}),
        ))
        .await
    }

    /// Start a work item for a ticket through the Start Engagement API.
    pub async fn start_work_item(&self, request: &StartEngagementRequest) -> Result<Value> {
        self.authed(
            self.http
                .post(format!("{}/v1/engagements", self.base))
                .json(request),
        )
        .await
    }
}

/// The Start Engagement request for a ticket: the ticket id and subject identify the work
/// item (Switchboard refuses a second active one with 409), the ticket page is its hyperlink.
pub fn work_item_request(
    entry_id: &str,
    ticket: &crate::store::Ticket,
    contact: Option<&crate::store::Contact>,
    ticket_url: String,
) -> StartEngagementRequest {
    StartEngagementRequest {
        channels: vec![ChannelSpec {
            channel: Channel::WorkItem,
            channel_source: Some("acme-crm".into()),
        }],
        flow: FlowRef {
            flow_entry_id: entry_id.to_string(),
        },
        consumers: contact
            .map(|c| ConsumerInput {
                consumer_display_name: Some(c.name.clone()),
                consumer_email: Some(c.email.clone()),
                consumer_phone: Some(c.phone.clone()),
                consumer_external_id: Some(c.contact_id.clone()),
            })
            .into_iter()
            .collect(),
        work_item_variables: Some(WorkItemVariables {
            work_item_name: ticket.subject.clone(),
            work_item_id: Some(ticket.ticket_id.clone()),
            work_item_desc: (!ticket.description.is_empty()).then(|| ticket.description.clone()),
            work_item_hyperlink: Some(ticket_url),
            work_item_priority: Some(ticket.priority as i32),
            work_item_origin: Some("Acme CRM".into()),
            ..WorkItemVariables::default()
        }),
        variables: vec![],
    }
}
