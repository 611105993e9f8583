//! What the session tells the rest of the widget. The session never calls the parts that
//! react (sound, the active device, screen pops, the host page, the on-demand extras): it
//! [emits](super::Session::emit) a [`Moment`], and each part has subscribed at start-up
//! (`crate::react::install`). So the session imports none of them, and none of them is in an
//! import cycle with it.
//!
//! Subscribers run in the order they subscribed, one after another, each to the end; the
//! order is written once, in `crate::react::install`. A subscriber may emit again (the device
//! part does when this instance becomes the active one): that moment reaches every subscriber
//! before the rest of the first one's subscribers run.

use crate::model::{Change, Item};
use serde_json::Value;
use shared::events::Event;
use shared::ids::EngagementId;
use std::rc::Rc;

/// Something that happened to the session, as its subscribers hear it.
pub enum Moment<'a> {
    /// Signed in, with the agent's picture complete (after the first sync).
    SignedIn,
    /// Signed out (by the agent, or because the server ended the session); `was_in`: a
    /// session was running (a failed restore at start-up is not a sign-out to tell).
    SignedOut { was_in: bool },
    /// The feed is live again (`hello`): nothing is known about which instance is active.
    Online,
    /// The local picture was replaced with the server's (`GET /v1/agents/me/engagements`).
    Synced,
    /// Which instance is active was learned outside the feed (a device claim's answer,
    /// another tab of this origin).
    DeviceKnown,
    /// The customer of a chat is typing.
    Typing(&'a str),
    /// A chat message or receipt (`event`, as the socket sent it) for the conversation of
    /// chat `id`; `unseen`: the customer wrote where the agent is not looking (the session has
    /// counted it unread).
    Chat {
        id: EngagementId,
        event: &'a Value,
        unseen: bool,
    },
    /// An event from the feed changed the picture. `active`: this widget instance is the
    /// agent's active one (only that one rings, pops and tells its host about engagements).
    Applied {
        event: &'a Event,
        change: &'a Change,
        active: bool,
    },
    /// The server's answer to this widget's web-call offer (`call_answer` / `call_error`,
    /// the frame as sent) for call `id`.
    CallSignal { id: &'a str, frame: &'a str },
    /// The live statistics a supervisor's socket receives (the `live_stats` frame as sent).
    LiveStats(&'a str),
    /// This instance has just become the agent's active one: these offers were ringing
    /// elsewhere until now.
    BecameActive(&'a [Item]),
}

/// One subscriber.
pub type Reaction = Rc<dyn Fn(&Moment)>;
