//! Agent and supervisor commands on one engagement, one file per command. [`act`] checks the
//! payload, then in a batch of `service::writer` loads the engagement, authorizes the caller
//! and runs the command, which ends in `super::apply` (transition, save, events).

mod accept;
mod activity;
mod cancel;
mod close;
mod decline;
mod end;
pub mod leave;
pub mod message;
mod monitor;
mod note;
pub mod receipt;
mod set_disposition;
mod transfer;
mod update_variables;

use super::load;
use crate::auth::{Denied, Principal, Scope};
use crate::service::routing_view::RoutingView;
use crate::service::{invalid, validate, Ctx, Result};
use crate::store::engagements::{self as eng, EngagementRecord};
use crate::store::Tx;
use shared::config::Role;
use shared::engagement::{Engagement, Variables};
use shared::ids::{AccountId, AgentId, DispositionId, EngagementId};
use shared::Command;

pub use shared::engagement::TransferTarget;

/// The longest chat or SMS message, in characters.
pub const MESSAGE_MAX_CHARS: usize = 4_000;

/// A command with its payload, as the API receives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Accept,
    Decline,
    MarkInactive,
    Resume,
    Transfer(TransferTarget),
    AddNote(String),
    SetDisposition(DispositionId),
    UpdateVariables(Variables),
    End,
    Close,
    Cancel,
    Monitor {
        barge: bool,
    },
    /// A message in a chat or SMS conversation.
    AddMessage(message::Draft),
}

/// What a command works on: the batch's transaction, the engagement as loaded, and who acts.
struct Cmd<'a> {
    tx: &'a mut Tx,
    /// The batch's routing view (configuration, engagements as committed).
    view: &'a RoutingView,
    rec: EngagementRecord,
    /// The agents it was ringing for before the command.
    offered: Vec<AgentId>,
    /// The agent (or supervisor) giving the command; `None` for an API client.
    actor: Option<AgentId>,
    account: AccountId,
    now: i64,
}

impl Cmd<'_> {
    /// The acting agent (commands only agents may give were authorized as such).
    fn agent(&self) -> Result<AgentId> {
        Ok(self.actor.ok_or(Denied::AgentsOnly)?)
    }
}

fn authorize(
    p: &Principal,
    action: &Action,
    rec: &EngagementRecord,
    offered: &[AgentId],
) -> Result<()> {
    match p {
        Principal::Client { .. } => match action {
            Action::Cancel => Ok(p.client_with(Scope::EngagementsWrite)?),
            Action::UpdateVariables(_) => Ok(p.client_with(Scope::EngagementsWrite)?),
            _ => Err(Denied::AgentsOnly.into()),
        },
        Principal::Agent { agent, role, .. } => match action {
            Action::Accept | Action::Decline => {
                if offered.contains(agent) {
                    Ok(())
                } else {
                    Err(Denied::NotYours.into())
                }
            }
            Action::Cancel | Action::Monitor { .. } => {
                if matches!(role, Role::Supervisor | Role::Admin) {
                    Ok(())
                } else {
                    Err(Denied::Role("supervisor").into())
                }
            }
            _ => {
                if rec.agent_id == Some(*agent) || matches!(role, Role::Supervisor | Role::Admin) {
                    Ok(())
                } else {
                    Err(Denied::NotYours.into())
                }
            }
        },
    }
}

/// A message or note an agent writes must not hold a canned response's placeholder
/// (`{{consumer.name}}`, `{{variables.x}}`…) it left for them to fill: the customer would read
/// it raw (`shared::canned`).
fn no_placeholder_left(body: &str) -> Result<()> {
    match shared::canned::unfilled(body) {
        Some(left) => Err(invalid(
            "body",
            format!("fill in {left} first: the canned response had no value for it"),
        )),
        None => Ok(()),
    }
}

/// Check the payload before taking any lock.
fn check_action(action: &Action) -> Result<()> {
    match action {
        Action::AddNote(body) => {
            validate::required("body", body, 10_000)?;
            no_placeholder_left(body)
        }
        Action::AddMessage(draft) => {
            message::check(draft)?;
            no_placeholder_left(&draft.body)
        }
        Action::UpdateVariables(vars) => {
            if vars.is_empty() || vars.len() > 50 {
                return Err(invalid("variables", "give 1 to 50 variables"));
            }
            for (k, v) in vars {
                validate::name(&format!("variables.{k}"), k, 64)?;
                validate::optional(&format!("variables.{k}"), Some(v), 1000)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Run one action; returns the engagement afterwards.
pub async fn act(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
    mut action: Action,
) -> Result<Engagement> {
    check_action(&action)?;
    if let Action::AddMessage(draft) = &mut action {
        message::name_author(ctx, p, draft).await?;
    }
    let p = p.clone();
    // What may add waiting work or free an agent's capacity; notes, dispositions, variables,
    // wrap-up, parking and monitoring change neither.
    let reroutes = matches!(
        action,
        Action::Accept | Action::Decline | Action::Transfer(_) | Action::Close | Action::Cancel
    );
    ctx.writer
        .apply(reroutes, move |tx, ctx, view| {
            Box::pin(run(tx, ctx, view, p, id, action))
        })
        .await
}

/// The agents `rec` rings for. A connected or parked engagement rings for no one (accepting it
/// removed its offers; ringing again means going back to the queue first). Otherwise the
/// routing view's offers, unless this transaction changed them (then the database's).
pub(super) async fn ringing_for(
    tx: &mut Tx,
    view: &RoutingView,
    rec: &EngagementRecord,
) -> Result<Vec<AgentId>> {
    if matches!(
        rec.state,
        shared::EngagementState::Connected | shared::EngagementState::Inactive
    ) {
        return Ok(Vec::new());
    }
    if !tx.touched_offers(rec.id) && view.engagement(rec.id).is_some() {
        let mut agents: Vec<AgentId> = view
            .offers
            .get(&rec.id)
            .map(|offers| offers.iter().map(|o| o.agent).collect())
            .unwrap_or_default();
        // As the database lists them.
        agents.sort_by_key(|a| a.to_string());
        return Ok(agents);
    }
    Ok(eng::agent_ids(
        &eng::offers_for(tx.conn().await?, rec.id).await?,
    ))
}

/// The command itself, inside a batch.
async fn run(
    tx: &mut Tx,
    ctx: &Ctx,
    view: &RoutingView,
    p: Principal,
    id: EngagementId,
    action: Action,
) -> Result<Engagement> {
    let account = p.account();
    let rec = load(tx, view, account, id).await?;
    let offered = ringing_for(tx, view, &rec).await?;
    authorize(&p, &action, &rec, &offered)?;
    let mut c = Cmd {
        tx,
        view,
        rec,
        offered,
        actor: p.agent_id(),
        account,
        now: ctx.clock.now_ms(),
    };
    match action {
        Action::Accept => accept::run(&mut c).await,
        Action::Decline => decline::run(&mut c).await,
        Action::MarkInactive => activity::run(&mut c, Command::MarkInactive).await,
        Action::Resume => activity::run(&mut c, Command::Resume).await,
        Action::Transfer(target) => transfer::run(&mut c, target).await,
        Action::AddNote(body) => note::run(&mut c, body).await,
        Action::SetDisposition(d) => set_disposition::run(&mut c, d).await,
        Action::UpdateVariables(vars) => update_variables::run(&mut c, vars).await,
        Action::End => end::run(&mut c).await,
        Action::Close => close::run(&mut c).await,
        Action::Cancel => cancel::run(&mut c).await,
        Action::Monitor { barge } => monitor::run(&mut c, barge).await,
        Action::AddMessage(draft) => message::run(&mut c, draft).await,
    }
}
