//! Who hears whom in a call: the rules, pure. The engine asks [`routes`] where a party's
//! packet goes and [`hears_hold_audio`] whether the caller should hear the hold music.
//!
//! Every browser leg has two audio m-lines: `Main` (sendrecv: the leg's own microphone out,
//! its main counterpart in) and `Extra` (recvonly: a third voice). That way listen, barge and
//! transfer never need a new SDP round trip.
//!
//! | from \ to | caller | agent | supervisor (listen or barge) | recording |
//! |---|---|---|---|---|
//! | caller | – | Main | Main | left |
//! | agent | Main | – | Extra | right |
//! | supervisor, barging | Extra | Extra | – | – |
//!
//! On hold the caller and the agent hear nothing of each other (the caller hears the hold
//! music instead) and the recording holds silence; a listening supervisor still hears both.

/// A leg of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    Caller,
    Agent,
    /// A supervisor, told apart by a number the service chooses (their agent id's hash).
    Supervisor(u64),
}

/// Which of a leg's two audio m-lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Main,
    Extra,
}

/// How a supervisor takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monitor {
    /// Hears both parties; nobody hears them.
    Listen,
    /// Hears both parties and both hear them.
    Barge,
}

/// The call's state as far as forwarding is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mixing {
    pub hold: bool,
    pub supervisors: Vec<(u64, Monitor)>,
    /// The caller had an agent and has none now (a transfer under way).
    pub awaiting_agent: bool,
}

/// Where a packet from `from` goes, and whether it is recorded (and on which channel).
pub fn routes(
    mixing: &Mixing,
    from: Party,
) -> (Vec<(Party, Slot)>, Option<super::recording::Channel>) {
    use super::recording::Channel;
    let listeners = mixing
        .supervisors
        .iter()
        .map(|(id, _)| Party::Supervisor(*id));
    match from {
        Party::Caller => {
            let mut to: Vec<_> = listeners.map(|s| (s, Slot::Main)).collect();
            if !mixing.hold {
                to.push((Party::Agent, Slot::Main));
            }
            (to, (!mixing.hold).then_some(Channel::Caller))
        }
        Party::Agent => {
            let mut to: Vec<_> = listeners.map(|s| (s, Slot::Extra)).collect();
            if !mixing.hold {
                to.push((Party::Caller, Slot::Main));
            }
            (to, (!mixing.hold).then_some(Channel::Agent))
        }
        Party::Supervisor(id) => {
            let barging = mixing
                .supervisors
                .iter()
                .any(|(s, mode)| *s == id && *mode == Monitor::Barge);
            let to = if barging {
                vec![(Party::Caller, Slot::Extra), (Party::Agent, Slot::Extra)]
            } else {
                Vec::new()
            };
            (to, None)
        }
    }
}

/// The caller hears the hold music while held, and while a transfer finds their next agent.
pub fn hears_hold_audio(mixing: &Mixing) -> bool {
    mixing.hold || mixing.awaiting_agent
}

#[cfg(test)]
mod tests {
    use super::super::recording::Channel;
    use super::*;

    #[test]
    fn caller_and_agent_hear_each_other_and_are_recorded() {
        let m = Mixing::default();
        assert_eq!(
            routes(&m, Party::Caller),
            (vec![(Party::Agent, Slot::Main)], Some(Channel::Caller))
        );
        assert_eq!(
            routes(&m, Party::Agent),
            (vec![(Party::Caller, Slot::Main)], Some(Channel::Agent))
        );
    }

    #[test]
    fn on_hold_nobody_hears_the_other_and_the_recording_is_silent() {
        let m = Mixing {
            hold: true,
            ..Mixing::default()
        };
        assert_eq!(routes(&m, Party::Caller), (vec![], None));
        assert_eq!(routes(&m, Party::Agent), (vec![], None));
        assert!(hears_hold_audio(&m));
    }

    #[test]
    fn a_caller_between_agents_hears_hold_music() {
        let m = Mixing {
            awaiting_agent: true,
            ..Mixing::default()
        };
        assert!(hears_hold_audio(&m));
        assert!(!hears_hold_audio(&Mixing::default()));
    }

    #[test]
    fn a_listening_supervisor_hears_both_and_is_heard_by_nobody() {
        let m = Mixing {
            supervisors: vec![(7, Monitor::Listen)],
            ..Mixing::default()
        };
        assert!(routes(&m, Party::Caller)
            .0
            .contains(&(Party::Supervisor(7), Slot::Main)));
        assert!(routes(&m, Party::Agent)
            .0
            .contains(&(Party::Supervisor(7), Slot::Extra)));
        assert_eq!(routes(&m, Party::Supervisor(7)).0, vec![]);
    }

    #[test]
    fn a_barging_supervisor_is_heard_by_both_on_their_extra_line() {
        let m = Mixing {
            supervisors: vec![(7, Monitor::Barge), (8, Monitor::Listen)],
            ..Mixing::default()
        };
        assert_eq!(
            routes(&m, Party::Supervisor(7)),
            (
                vec![(Party::Caller, Slot::Extra), (Party::Agent, Slot::Extra)],
                None
            )
        );
        assert_eq!(routes(&m, Party::Supervisor(8)).0, vec![]);
        // Supervisors are never recorded and never hear each other.
        assert!(!routes(&m, Party::Supervisor(7))
            .0
            .iter()
            .any(|(p, _)| matches!(p, Party::Supervisor(_))));
    }
}
