//! Who is calling, and what they may do.
//!
//! - **API clients** (server-to-server): `client_id` + secret → a bearer token with scopes.
//! - **Agents** (agent, supervisor, admin): email + password (argon2) → a bearer token.
//! - **Embed tokens**: an API client mints one for an agent; the host page hands it to the
//!   widget by postMessage; the widget exchanges it for an agent token. No cookies anywhere.
//!
//! Tokens are self-contained and signed ([`token`]), so checking one needs no database read.

pub mod password;
pub mod throttle;
pub mod token;

use serde::{Deserialize, Serialize};
use shared::config::Role;
use shared::ids::{AccountId, AgentId};

/// What an API client may do.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum Scope {
    /// Start and cancel engagements.
    #[serde(rename = "engagements:write")]
    EngagementsWrite,
    /// Read engagements, notes and interaction data.
    #[serde(rename = "engagements:read")]
    EngagementsRead,
    /// Poll the event log.
    #[serde(rename = "events:read")]
    EventsRead,
    /// Mint embed tokens for agents and supervisors.
    #[serde(rename = "embed_tokens:write")]
    EmbedTokensWrite,
    /// With `embed_tokens:write`, also mint embed tokens for admins: whoever holds it can open
    /// an admin session, so give it only to a client you trust as much as an admin.
    #[serde(rename = "embed_tokens:admin")]
    EmbedTokensAdmin,
    /// Read configuration.
    #[serde(rename = "config:read")]
    ConfigRead,
    /// Change configuration.
    #[serde(rename = "config:write")]
    ConfigWrite,
    /// Manage webhook subscriptions and their deliveries.
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
    /// Upload recordings and transcripts (telephony and messaging connectors).
    #[serde(rename = "recordings:write")]
    RecordingsWrite,
    /// List and download recordings and transcripts.
    #[serde(rename = "recordings:read")]
    RecordingsRead,
    /// Read historical reports and export engagement rows (every queue).
    #[serde(rename = "reports:read")]
    ReportsRead,
}

impl Scope {
    pub const ALL: [Scope; 11] = [
        Scope::EngagementsWrite,
        Scope::EngagementsRead,
        Scope::EventsRead,
        Scope::EmbedTokensWrite,
        Scope::EmbedTokensAdmin,
        Scope::ConfigRead,
        Scope::ConfigWrite,
        Scope::WebhooksWrite,
        Scope::RecordingsWrite,
        Scope::RecordingsRead,
        Scope::ReportsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::EngagementsWrite => "engagements:write",
            Scope::EngagementsRead => "engagements:read",
            Scope::EventsRead => "events:read",
            Scope::EmbedTokensWrite => "embed_tokens:write",
            Scope::EmbedTokensAdmin => "embed_tokens:admin",
            Scope::ConfigRead => "config:read",
            Scope::ConfigWrite => "config:write",
            Scope::WebhooksWrite => "webhooks:write",
            Scope::RecordingsWrite => "recordings:write",
            Scope::RecordingsRead => "recordings:read",
            Scope::ReportsRead => "reports:read",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Agent {
        account: AccountId,
        agent: AgentId,
        role: Role,
    },
    Client {
        account: AccountId,
        client_id: String,
        scopes: Vec<Scope>,
    },
}

/// Why a caller may not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("this needs the {0} role")]
    Role(&'static str),
    #[error("this needs the {0} scope")]
    Scope(&'static str),
    #[error("only agents can do this")]
    AgentsOnly,
    #[error("this engagement is not offered or assigned to you")]
    NotYours,
    /// A supervisor asked about a queue (or an agent of one) outside their queue set.
    #[error("you do not supervise {0}")]
    NotSupervised(String),
}

impl Principal {
    pub fn account(&self) -> AccountId {
        match self {
            Principal::Agent { account, .. } | Principal::Client { account, .. } => *account,
        }
    }

    pub fn agent_id(&self) -> Option<AgentId> {
        match self {
            Principal::Agent { agent, .. } => Some(*agent),
            Principal::Client { .. } => None,
        }
    }

    pub fn has_scope(&self, scope: Scope) -> bool {
        matches!(self, Principal::Client { scopes, .. } if scopes.contains(&scope))
    }

    /// Admin agents, or API clients holding `scope`.
    pub fn admin_or(&self, scope: Scope) -> Result<(), Denied> {
        match self {
            Principal::Agent {
                role: Role::Admin, ..
            } => Ok(()),
            Principal::Agent { .. } => Err(Denied::Role("admin")),
            _ if self.has_scope(scope) => Ok(()),
            _ => Err(Denied::Scope(scope.as_str())),
        }
    }

    /// Supervisors and admins, or API clients holding `scope`.
    pub fn supervisor_or(&self, scope: Scope) -> Result<(), Denied> {
        match self {
            Principal::Agent {
                role: Role::Admin | Role::Supervisor,
                ..
            } => Ok(()),
            Principal::Agent { .. } => Err(Denied::Role("supervisor")),
            _ if self.has_scope(scope) => Ok(()),
            _ => Err(Denied::Scope(scope.as_str())),
        }
    }

    /// API clients holding `scope` (agents never).
    pub fn client_with(&self, scope: Scope) -> Result<(), Denied> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(Denied::Scope(scope.as_str()))
        }
    }

    /// Any agent (of any role).
    pub fn agent(&self) -> Result<(AgentId, Role), Denied> {
        match self {
            Principal::Agent { agent, role, .. } => Ok((*agent, *role)),
            Principal::Client { .. } => Err(Denied::AgentsOnly),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn agent(role: Role) -> Principal {
        Principal::Agent {
            account: AccountId(Uuid::nil()),
            agent: AgentId(Uuid::nil()),
            role,
        }
    }

    #[test]
    fn roles_and_scopes() {
        assert!(agent(Role::Admin).admin_or(Scope::ConfigWrite).is_ok());
        assert_eq!(
            agent(Role::Supervisor).admin_or(Scope::ConfigWrite),
            Err(Denied::Role("admin"))
        );
        assert!(agent(Role::Supervisor)
            .supervisor_or(Scope::ConfigRead)
            .is_ok());
        assert!(agent(Role::Agent).supervisor_or(Scope::ConfigRead).is_err());
        let client = Principal::Client {
            account: AccountId(Uuid::nil()),
            client_id: "c".into(),
            scopes: vec![Scope::EngagementsWrite],
        };
        assert!(client.client_with(Scope::EngagementsWrite).is_ok());
        assert_eq!(
            client.admin_or(Scope::ConfigWrite),
            Err(Denied::Scope("config:write"))
        );
        assert_eq!(client.agent(), Err(Denied::AgentsOnly));
        assert!(agent(Role::Agent)
            .client_with(Scope::EngagementsWrite)
            .is_err());
    }

    #[test]
    fn scope_names_round_trip() {
        for s in Scope::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), s);
        }
    }
}
