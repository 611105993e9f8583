//! The host page hears what the agent does (`crate::bridge`, in the dialect of this build).
//! Only the active widget instance tells its host about engagements; status and device
//! changes every instance tells.

use crate::bridge;
use crate::model::Change;
use crate::session::bus::Moment;
use crate::session::Session;

pub fn install(session: Session) {
    session.subscribe(move |moment| match moment {
        Moment::SignedIn => bridge::logged_in(&session),
        Moment::SignedOut { was_in: true } => bridge::logged_out(),
        Moment::Applied {
            event,
            change,
            active,
        } if *active || matches!(change, Change::Status(_) | Change::Device(_)) => {
            bridge::publish(event, change);
        }
        Moment::BecameActive(ringing) => {
            for item in *ringing {
                bridge::ringing_again(item);
            }
        }
        _ => {}
    });
}
