//! `update_variables`: set or change engagement variables (an agent, or the system that
//! started it); at most 200 per engagement.

use super::super::{apply, Emit};
use super::Cmd;
use crate::service::{invalid, Result};
use shared::engagement::{Engagement, Variables};
use shared::payload::Detail;
use shared::Command;

/// The most variables one engagement holds.
const MAX_VARIABLES: usize = 200;

pub(super) async fn run(c: &mut Cmd<'_>, vars: Variables) -> Result<Engagement> {
    let added = vars
        .keys()
        .filter(|k| !c.rec.variables.contains_key(*k))
        .count();
    if c.rec.variables.len() + added > MAX_VARIABLES {
        return Err(invalid(
            "variables",
            "an engagement holds at most 200 variables",
        ));
    }
    c.rec.variables.extend(vars.clone());
    let emit_to = Emit {
        offered_to: &c.offered,
        agent: c.rec.agent_id,
        detail: Detail::Variables { variables: vars },
    };
    apply(c.tx, &mut c.rec, Command::UpdateVariables, emit_to).await?;
    Ok(c.rec.to_api(&c.offered)?)
}
