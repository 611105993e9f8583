//! The engagement state machine, written once.
//!
//! ```text
//! queued → offered (ringing) → connected ⇄ inactive → wrap_up → closed
//! offered → queued      on decline or ring timeout
//! connected → queued    on transfer (to a queue, a flow or an agent)
//! queued → closed       when cancelled by the external system or abandoned by the consumer
//! ```
//!
//! Decision recorded here: a consumer can also hang up (or the external system cancel) while
//! the engagement is *ringing*, so `offered → closed` is allowed for `Cancel` and `Abandon`;
//! the backend rescinds the offer in the same transaction.
//!
//! [`transition`] is a pure function: the backend calls it to decide, the widget calls
//! [`allowed_commands`] to show only the actions that are valid now. An invalid command is an
//! [`InvalidTransition`] error, never a panic.

use crate::events::EventKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an engagement is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EngagementState {
    /// Waiting in a queue for an eligible agent.
    Queued,
    /// Reserved for an agent (or several, for ring-all) and ringing.
    Offered,
    /// An agent accepted and is working it.
    Connected,
    /// Paused: the agent is waiting on the consumer (e.g. a chat gone quiet) or parked it.
    Inactive,
    /// The conversation is over; the agent is writing notes and picking a disposition.
    WrapUp,
    /// Finished. Terminal.
    Closed,
}

impl EngagementState {
    pub const ALL: [EngagementState; 6] = [
        EngagementState::Queued,
        EngagementState::Offered,
        EngagementState::Connected,
        EngagementState::Inactive,
        EngagementState::WrapUp,
        EngagementState::Closed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EngagementState::Queued => "queued",
            EngagementState::Offered => "offered",
            EngagementState::Connected => "connected",
            EngagementState::Inactive => "inactive",
            EngagementState::WrapUp => "wrap_up",
            EngagementState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<EngagementState> {
        EngagementState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Active engagements hold a work-item id/name pair and count toward agent capacity.
    pub const fn is_active(self) -> bool {
        !matches!(self, EngagementState::Closed)
    }

    /// States in which an agent holds the engagement (it counts toward their busy limits).
    pub const fn holds_agent(self) -> bool {
        matches!(
            self,
            EngagementState::Offered
                | EngagementState::Connected
                | EngagementState::Inactive
                | EngagementState::WrapUp
        )
    }
}

impl fmt::Display for EngagementState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every command an engagement understands. Payloads (note text, target queue, ...) travel
/// beside the command; the state machine only needs to know which command it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// The routing engine reserves the engagement for an agent (or several, ring-all).
    Offer,
    /// The agent takes the offer.
    Accept,
    /// The agent refuses the offer.
    Decline,
    /// Nobody accepted before the queue's ring timeout.
    RingTimeout,
    /// The only agent it rang for stopped being available (left ready, signed out): the offer
    /// is rescinded and the engagement goes back to its queue.
    Withdraw,
    MarkInactive,
    Resume,
    /// To a queue, a flow or an agent; the engagement goes back to routing.
    Transfer,
    AddNote,
    SetDisposition,
    UpdateVariables,
    /// The conversation ends (agent or consumer hung up); wrap-up starts.
    End,
    /// The agent finishes wrap-up.
    Close,
    /// The external system withdraws the engagement before an agent took it.
    Cancel,
    /// The consumer left before an agent took it.
    Abandon,
    /// A supervisor listens in or barges into a live engagement (its state does not change).
    Monitor,
    /// A message in the conversation of a chat or SMS engagement (its state does not change).
    AddMessage,
}

impl Command {
    pub const ALL: [Command; 17] = [
        Command::Offer,
        Command::Accept,
        Command::Decline,
        Command::RingTimeout,
        Command::Withdraw,
        Command::MarkInactive,
        Command::Resume,
        Command::Transfer,
        Command::AddNote,
        Command::SetDisposition,
        Command::UpdateVariables,
        Command::End,
        Command::Close,
        Command::Cancel,
        Command::Abandon,
        Command::Monitor,
        Command::AddMessage,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Command::Offer => "offer",
            Command::Accept => "accept",
            Command::Decline => "decline",
            Command::RingTimeout => "ring_timeout",
            Command::Withdraw => "withdraw",
            Command::MarkInactive => "mark_inactive",
            Command::Resume => "resume",
            Command::Transfer => "transfer",
            Command::AddNote => "add_note",
            Command::SetDisposition => "set_disposition",
            Command::UpdateVariables => "update_variables",
            Command::End => "end",
            Command::Close => "close",
            Command::Cancel => "cancel",
            Command::Abandon => "abandon",
            Command::Monitor => "monitor",
            Command::AddMessage => "add_message",
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of an accepted command: the state before and after, and the one event that
/// records it, appended to the log in the same transaction as the change (once per agent it
/// concerns, when it concerns several: an offer rings each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: EngagementState,
    pub to: EngagementState,
    pub event: EventKind,
}

/// A command that is not valid in the engagement's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("cannot {command} an engagement that is {state}")]
pub struct InvalidTransition {
    pub state: EngagementState,
    pub command: Command,
}

/// Decide what `command` does to an engagement in `state`.
pub fn transition(
    state: EngagementState,
    command: Command,
) -> Result<Transition, InvalidTransition> {
    use Command as C;
    use EngagementState as S;
    use EventKind as E;

    let (to, event) = match (state, command) {
        (S::Queued, C::Offer) => (S::Offered, E::EngagementOffered),
        (S::Offered, C::Accept) => (S::Connected, E::EngagementConnected),
        (S::Offered, C::Decline) => (S::Queued, E::EngagementOfferDeclined),
        (S::Offered, C::RingTimeout) => (S::Queued, E::EngagementOfferTimedOut),
        (S::Offered, C::Withdraw) => (S::Queued, E::EngagementOfferRescinded),
        (S::Connected, C::MarkInactive) => (S::Inactive, E::EngagementInactive),
        (S::Inactive, C::Resume) => (S::Connected, E::EngagementResumed),
        (S::Connected | S::Inactive, C::Transfer) => (S::Queued, E::EngagementTransferred),
        (S::Connected | S::Inactive | S::WrapUp, C::AddNote) => (state, E::EngagementNoteAdded),
        (S::Connected | S::Inactive | S::WrapUp, C::SetDisposition) => {
            (state, E::EngagementDispositionAdded)
        }
        (S::Queued | S::Offered | S::Connected | S::Inactive | S::WrapUp, C::UpdateVariables) => {
            (state, E::EngagementVariablesUpdated)
        }
        (S::Connected | S::Inactive, C::Monitor) => (state, E::EngagementMonitorStarted),
        // The customer writes from the start (queued, ringing); agents once connected.
        (S::Queued | S::Offered | S::Connected | S::Inactive, C::AddMessage) => {
            (state, E::EngagementMessageAdded)
        }
        (S::Connected | S::Inactive, C::End) => (S::WrapUp, E::EngagementWrapUpStarted),
        (S::WrapUp, C::Close) => (S::Closed, E::EngagementClosed),
        (S::Queued | S::Offered, C::Cancel | C::Abandon) => (S::Closed, E::EngagementClosed),
        _ => return Err(InvalidTransition { state, command }),
    };
    Ok(Transition {
        from: state,
        to,
        event,
    })
}

/// The commands [`transition`] accepts in `state`, in [`Command::ALL`] order.
pub fn allowed_commands(state: EngagementState) -> Vec<Command> {
    Command::ALL
        .into_iter()
        .filter(|c| transition(state, *c).is_ok())
        .collect()
}

/// The state a new engagement starts in, and the event that records its creation.
pub const fn initial() -> (EngagementState, EventKind) {
    (EngagementState::Queued, EventKind::EngagementCreated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use EngagementState as S;

    /// The specification, written independently of `transition`: every (from, to) pair the
    /// machine may ever take. Self-loops are commands that record something without moving.
    const ALLOWED: &[(S, S)] = &[
        (S::Queued, S::Offered),
        (S::Queued, S::Closed),
        (S::Queued, S::Queued),
        (S::Offered, S::Connected),
        (S::Offered, S::Queued),
        (S::Offered, S::Closed),
        (S::Offered, S::Offered),
        (S::Connected, S::Inactive),
        (S::Connected, S::Queued),
        (S::Connected, S::WrapUp),
        (S::Connected, S::Connected),
        (S::Inactive, S::Connected),
        (S::Inactive, S::Queued),
        (S::Inactive, S::WrapUp),
        (S::Inactive, S::Inactive),
        (S::WrapUp, S::Closed),
        (S::WrapUp, S::WrapUp),
    ];

    /// The event that must name each command when it is accepted (the independent spec).
    fn naming_event(command: Command) -> EventKind {
        match command {
            Command::Offer => EventKind::EngagementOffered,
            Command::Accept => EventKind::EngagementConnected,
            Command::Decline => EventKind::EngagementOfferDeclined,
            Command::RingTimeout => EventKind::EngagementOfferTimedOut,
            Command::Withdraw => EventKind::EngagementOfferRescinded,
            Command::MarkInactive => EventKind::EngagementInactive,
            Command::Resume => EventKind::EngagementResumed,
            Command::Transfer => EventKind::EngagementTransferred,
            Command::AddNote => EventKind::EngagementNoteAdded,
            Command::SetDisposition => EventKind::EngagementDispositionAdded,
            Command::UpdateVariables => EventKind::EngagementVariablesUpdated,
            Command::End => EventKind::EngagementWrapUpStarted,
            Command::Close | Command::Cancel | Command::Abandon => EventKind::EngagementClosed,
            Command::Monitor => EventKind::EngagementMonitorStarted,
            Command::AddMessage => EventKind::EngagementMessageAdded,
        }
    }

    fn any_command() -> impl Strategy<Value = Command> {
        proptest::sample::select(Command::ALL.to_vec())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// No sequence of commands reaches a state (or takes a step) the machine does not
        /// allow; every accepted transition emits the event that names it; every refusal is
        /// a typed error that names the state and the command.
        #[test]
        fn random_command_sequences_stay_inside_the_machine(commands in proptest::collection::vec(any_command(), 0..60)) {
            let (mut state, created) = initial();
            prop_assert_eq!(created, EventKind::EngagementCreated);
            for command in commands {
                match transition(state, command) {
                    Ok(t) => {
                        prop_assert_eq!(t.from, state);
                        prop_assert!(ALLOWED.contains(&(t.from, t.to)), "illegal step {:?} -> {:?} by {:?}", t.from, t.to, command);
                        prop_assert_eq!(t.event, naming_event(command), "{:?}", command);
                        // A rescinded offer moves the engagement only when nobody else has it
                        // ringing, so its event names no state of its own.
                        if t.to != t.from && t.event != EventKind::EngagementOfferRescinded {
                            prop_assert_eq!(t.event.entered_state(), Some(t.to));
                        }
                        state = t.to;
                    }
                    Err(e) => {
                        prop_assert_eq!(e, InvalidTransition { state, command });
                        prop_assert!(!allowed_commands(state).contains(&command));
                    }
                }
            }
        }
    }

    #[test]
    fn closed_is_terminal() {
        assert!(allowed_commands(S::Closed).is_empty());
        for c in Command::ALL {
            let err = transition(S::Closed, c).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("cannot {c} an engagement that is closed")
            );
        }
    }

    #[test]
    fn every_allowed_step_is_reachable() {
        for &(from, to) in ALLOWED {
            assert!(
                Command::ALL
                    .iter()
                    .any(|c| transition(from, *c).map(|t| t.to) == Ok(to)),
                "spec allows {from:?} -> {to:?} but no command takes it"
            );
        }
    }

    #[test]
    fn the_happy_path_of_a_work_item() {
        let mut s = S::Queued;
        for (c, expect) in [
            (Command::Offer, S::Offered),
            (Command::Decline, S::Queued),
            (Command::Offer, S::Offered),
            (Command::Accept, S::Connected),
            (Command::MarkInactive, S::Inactive),
            (Command::Resume, S::Connected),
            (Command::AddNote, S::Connected),
            (Command::End, S::WrapUp),
            (Command::SetDisposition, S::WrapUp),
            (Command::Close, S::Closed),
        ] {
            s = transition(s, c).unwrap().to;
            assert_eq!(s, expect, "after {c}");
        }
    }

    #[test]
    fn states_and_commands_use_snake_case_on_the_wire() {
        assert_eq!(serde_json::to_string(&S::WrapUp).unwrap(), "\"wrap_up\"");
        assert_eq!(
            serde_json::to_string(&Command::RingTimeout).unwrap(),
            "\"ring_timeout\""
        );
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for c in Command::ALL {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
    }
}
