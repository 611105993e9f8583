//! The parts that react to the session: each subscribes to its [`Moment`]s
//! (`crate::session::bus`) and imports the session, never the other way round.
//!
//! [`install`] subscribes them, and so writes down, once, the order in which they hear each
//! moment. It matters where one part's reaction makes another's: the ring is checked before
//! the device part may announce this instance as the active one (which rings what was ringing
//! elsewhere and tells the host), and the host hears about an event last, after the device
//! part has told it what is ringing.
//!
//! [`Moment`]: crate::session::bus::Moment

pub mod device;
pub mod extras;
mod host;
mod screen_pop;
pub mod sound;

use crate::session::Session;

/// Subscribe every part, in the order they hear what happens: sound, screen pop, device,
/// extras, host page.
pub fn install(session: Session) {
    sound::install(session);
    screen_pop::install(session);
    device::install(session);
    extras::install(session);
    host::install(session);
}
