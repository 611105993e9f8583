//! Channels and directions.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The medium of an engagement. Live channels (voice, video, chat, SMS) and asynchronous
/// back-office work (email, work items) are routed by the same engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Voice,
    Video,
    Chat,
    Sms,
    Email,
    WorkItem,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Voice,
        Channel::Video,
        Channel::Chat,
        Channel::Sms,
        Channel::Email,
        Channel::WorkItem,
    ];

    /// The wire name (`"work_item"`, ...), as used in JSON and URLs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Voice => "voice",
            Channel::Video => "video",
            Channel::Chat => "chat",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::WorkItem => "work_item",
        }
    }

    /// Live channels have a consumer waiting in real time; work items and email do not.
    pub const fn is_live(self) -> bool {
        matches!(
            self,
            Channel::Voice | Channel::Video | Channel::Chat | Channel::Sms
        )
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A channel name that is not one of [`Channel::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel {0:?}")]
pub struct UnknownChannel(pub String);

/// Read from a text column (`#[sqlx(try_from = "String")]` in the backend's rows).
impl TryFrom<String> for Channel {
    type Error = UnknownChannel;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Channel::parse(&s).ok_or(UnknownChannel(s))
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who started the engagement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Inbound,
    Outbound,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for c in Channel::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<Channel>(&json).unwrap(), c);
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::parse("fax"), None);
        assert!(serde_json::from_str::<Channel>("\"fax\"").is_err());
    }
}
