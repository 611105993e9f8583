//! `add_note`: a note on the engagement, with its author, so a CRM receiving the event needs
//! no second call.

use super::super::{apply, Emit};
use super::Cmd;
use crate::service::Result;
use crate::store::agents;
use crate::store::engagements::{self as eng, NoteRecord};
use shared::engagement::Engagement;
use shared::ids::NoteId;
use shared::payload::{Author, Detail};
use shared::Command;

pub(super) async fn run(c: &mut Cmd<'_>, body: String) -> Result<Engagement> {
    let note = NoteRecord {
        note_id: NoteId(uuid::Uuid::now_v7()),
        engagement_id: c.rec.id,
        agent_id: c.actor,
        body,
        created_at_ms: c.now,
    };
    eng::insert_note(c.tx.conn().await?, &note).await?;
    let author = match c.actor {
        Some(a) => agents::get(c.tx.conn().await?, c.account, a)
            .await?
            .map(|r| Author {
                agent_id: a,
                display_name: r.agent.display_name,
                email: r.agent.email,
            }),
        None => None,
    };
    let emit_to = Emit {
        offered_to: &c.offered,
        agent: c.rec.agent_id,
        detail: Detail::Note { note, author },
    };
    apply(c.tx, &mut c.rec, Command::AddNote, emit_to).await?;
    Ok(c.rec.to_api(&c.offered)?)
}
