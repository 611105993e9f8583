//! The audit trail: every configuration change appends `config.changed` to the event log in
//! the same transaction, naming who did it and what changed (before and after), so "who
//! changed routing on Friday" is answered by `GET /v1/events?event=config.changed` or a
//! webhook subscription to `contact_center.configuration_changed`.
//!
//! Secrets never enter the trail: the documents written here are the API's own views
//! (password hashes and client or webhook secrets are not part of them).

use super::Result;
use crate::auth::Principal;
use crate::store::{agents, NewEvent, Tx};
use serde::Serialize;
use serde_json::Value;
use shared::events::EventKind;
use shared::payload::{Actor, Payload};

/// One configuration change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `queue`, `flow`, `agent`, `api_client`, `webhook`, ...
    pub object: &'static str,
    pub object_id: String,
    /// `created`, `updated`, `deleted`, or an action such as `secret_rotated`.
    pub action: &'static str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

fn doc<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl Change {
    /// A create (no `before`) or an update.
    pub fn put<T: Serialize>(
        object: &'static str,
        object_id: impl ToString,
        before: Option<&T>,
        after: &T,
    ) -> Change {
        Change {
            object,
            object_id: object_id.to_string(),
            action: if before.is_some() {
                "updated"
            } else {
                "created"
            },
            before: before.map(doc),
            after: Some(doc(after)),
        }
    }

    pub fn deleted<T: Serialize>(
        object: &'static str,
        object_id: impl ToString,
        before: Option<&T>,
    ) -> Change {
        Change {
            object,
            object_id: object_id.to_string(),
            action: "deleted",
            before: before.map(doc),
            after: None,
        }
    }

    /// Something done to an object that is not a write of its fields (revoking sessions,
    /// rotating a secret).
    pub fn action(object: &'static str, object_id: impl ToString, action: &'static str) -> Change {
        Change {
            object,
            object_id: object_id.to_string(),
            action,
            before: None,
            after: None,
        }
    }

    /// Top-level fields whose values differ between before and after, sorted.
    pub fn changed_fields(&self) -> Vec<String> {
        let empty = serde_json::Map::new();
        let before = self
            .before
            .as_ref()
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let after = self
            .after
            .as_ref()
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut fields: Vec<String> = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .cloned()
            .collect();
        fields.sort();
        fields.dedup();
        fields
    }
}

/// Who made a change, as the trail shows it.
async fn actor(tx: &mut Tx, p: &Principal) -> Result<Actor> {
    Ok(match p {
        Principal::Agent {
            account,
            agent,
            role,
        } => {
            let who = agents::get(tx.conn().await?, *account, *agent).await?;
            Actor::Agent {
                agent_id: *agent,
                role: *role,
                display_name: who.as_ref().map(|r| r.agent.display_name.clone()),
                email: who.map(|r| r.agent.email),
            }
        }
        Principal::Client { client_id, .. } => Actor::ApiClient {
            client_id: client_id.clone(),
        },
    })
}

/// Append the change to the log inside the transaction that makes it.
pub async fn record(tx: &mut Tx, p: &Principal, change: Change) -> Result<()> {
    if change.before.is_some() && change.before == change.after {
        return Ok(()); // a write that changed nothing
    }
    let data = Payload::ConfigChanged {
        actor: actor(tx, p).await?,
        object: change.object.to_string(),
        object_id: change.object_id.clone(),
        action: change.action.to_string(),
        changed_fields: change.changed_fields(),
        before: change.before,
        after: change.after,
    };
    tx.append(NewEvent {
        account_id: p.account(),
        kind: EventKind::ConfigChanged,
        engagement_id: None,
        agent_id: None,
        data,
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_fields_compare_before_and_after() {
        let c = Change::put(
            "queue",
            "q",
            Some(&json!({"name": "A", "ring_timeout_secs": 30, "gone": 1})),
            &json!({"name": "A", "ring_timeout_secs": 20, "new": true}),
        );
        assert_eq!(c.action, "updated");
        assert_eq!(c.changed_fields(), ["gone", "new", "ring_timeout_secs"]);
        let created = Change::put::<Value>("skill", "s", None, &json!({"name": "x"}));
        assert_eq!(created.action, "created");
        assert_eq!(created.changed_fields(), ["name"]);
        let deleted = Change::deleted("skill", "s", Some(&json!({"name": "x"})));
        assert_eq!(deleted.changed_fields(), ["name"]);
        assert!(Change::action("agent_sessions", "a", "revoked")
            .changed_fields()
            .is_empty());
    }
}
