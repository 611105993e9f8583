//! Typed identifiers. Each is a UUID on the wire (a plain string), but a distinct Rust type so
//! an agent id can never be passed where an engagement id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        /// Read from a text column (`#[sqlx(try_from = "String")]` in the backend's rows).
        impl TryFrom<String> for $name {
            type Error = uuid::Error;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}

define_id!(
    /// The tenant (contact-center account) that owns every other object.
    AccountId
);
define_id!(
    /// One engagement: a call, chat, SMS, email or work item.
    EngagementId
);
define_id!(
    /// An agent, supervisor or admin user.
    AgentId
);
define_id!(
    /// A routing queue.
    QueueId
);
define_id!(
    /// A routing flow.
    FlowId
);
define_id!(
    /// A skill agents can hold and queues/flows can require.
    SkillId
);
define_id!(
    /// A disposition (wrap-up code).
    DispositionId
);
define_id!(
    /// A consumer routing profile.
    RoutingProfileId
);
define_id!(
    /// A side-panel app (a web page the widget shows beside an engagement).
    AppId
);
define_id!(
    /// An entry in the durable event log (used as `webhook-id` and postMessage `id`).
    EventId
);
define_id!(
    /// A note on an engagement.
    NoteId
);
define_id!(
    /// A message in a chat or SMS conversation.
    MessageId
);
define_id!(
    /// A webhook subscription.
    WebhookId
);
define_id!(
    /// One event's delivery to one webhook subscription (or one callout).
    DeliveryId
);
define_id!(
    /// A wallboard: a read-only view of some queues for a screen on the wall.
    WallboardId
);
define_id!(
    /// A canned response: a short reply agents insert by shortcut.
    CannedResponseId
);

/// The public address external systems call to start an engagement (`flow.flow_entry_id`).
/// Unlike the UUID ids above it is chosen by the admin, e.g. `"billing-tickets"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct EntryId(pub String);

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_plain_strings() {
        let id = EngagementId(Uuid::from_u128(0x1234));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"00000000-0000-0000-0000-000000001234\"");
        let back: EngagementId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert_eq!(back.to_string().parse::<EngagementId>().unwrap(), id);
    }

    #[test]
    fn malformed_id_is_rejected() {
        assert!(serde_json::from_str::<AgentId>("\"not-a-uuid\"").is_err());
        assert!("nope".parse::<QueueId>().is_err());
    }
}
