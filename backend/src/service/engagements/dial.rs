//! Click-to-dial: an agent calls a number.

use super::{advance, Emit};
use crate::auth::{Denied, Principal};
use crate::service::events::emit;
use crate::service::{conflict, invalid, Ctx, Result, ServiceError};
use crate::store::engagements::{self as eng, EngagementRecord};
use crate::store::{agents, Tx};
use shared::engagement::{Consumer, Engagement};
use shared::ids::AgentId;
use shared::payload::Detail;
use shared::{Channel, Command, Direction};

/// Click-to-dial: the signed-in agent calls a number. The call is an outbound voice engagement
/// that skips routing (the agent chose to make it): it is created, offered to and accepted by
/// that agent in one transaction, so the log shows `created → offered → connected` like any
/// other call and the widget, webhooks and reports treat it the same way.
///
/// Refused with 409 while the agent already holds a voice or video call; an offline agent must
/// sign in (set a status) first.
pub async fn dial(ctx: &Ctx, p: &Principal, req: shared::api::DialRequest) -> Result<Engagement> {
    let Some(me) = p.agent_id() else {
        return Err(Denied::AgentsOnly.into());
    };
    let phone = req.phone.trim().to_string();
    if !shared::api::DialRequest::is_dialable(&phone) {
        return Err(invalid("phone", shared::api::DialRequest::PHONE_RULE));
    }
    for (field, value, max) in [
        ("display_name", &req.display_name, 200),
        ("external_id", &req.external_id, 255),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err(invalid(
                field,
                format!("{field} is longer than {max} characters"),
            ));
        }
    }
    let account = p.account();
    ctx.writer
        .apply(false, move |tx, ctx, _view| {
            Box::pin(place_call(tx, ctx, account, me, phone, req))
        })
        .await
}

/// The call itself, inside a batch.
async fn place_call(
    tx: &mut Tx,
    ctx: &Ctx,
    account: shared::ids::AccountId,
    me: AgentId,
    phone: String,
    req: shared::api::DialRequest,
) -> Result<Engagement> {
    let agent = agents::get(tx.conn().await?, account, me)
        .await?
        .ok_or_else(|| ServiceError::NotFound("no such agent".into()))?;
    if matches!(agent.agent.status, shared::config::AgentStatus::Offline) {
        return Err(conflict(
            "you are offline: set your status to ready or not ready before dialing",
        ));
    }
    let held = eng::holdings(tx.conn().await?, account).await?;
    if held.get(&me).is_some_and(|h| {
        h.iter()
            .any(|c| matches!(c, Channel::Voice | Channel::Video))
    }) {
        return Err(conflict(
            "you are already on a call or have one ringing; finish it before dialing",
        ));
    }
    let now = ctx.clock.now_ms();
    let created = shared::state_machine::initial().1;
    let mut rec = EngagementRecord {
        channel_source: Some("click_to_dial".into()),
        consumer: Some(Consumer {
            display_name: req.display_name.filter(|v| !v.trim().is_empty()),
            email: None,
            phone: Some(phone),
            external_id: req.external_id.filter(|v| !v.trim().is_empty()),
        }),
        ..EngagementRecord::new(account, Channel::Voice, Direction::Outbound, now)
    };
    if let Some(c) = &rec.consumer {
        for (name, value) in [
            ("consumer_phone", &c.phone),
            ("consumer_display_name", &c.display_name),
            ("consumer_external_id", &c.external_id),
        ] {
            if let Some(v) = value {
                rec.variables.insert(name.into(), v.clone());
            }
        }
    }
    emit(tx, &rec, &[], created, Some(me), Detail::Plain {}).await?;
    for command in [Command::Offer, Command::Accept] {
        let offered_to: Vec<AgentId> = match command {
            Command::Offer => {
                rec.offered_at_ms = Some(now);
                vec![me]
            }
            _ => {
                rec.agent_id = Some(me);
                rec.connected_at_ms = Some(now);
                vec![]
            }
        };
        let to = Emit {
            offered_to: &offered_to,
            agent: Some(me),
            detail: Detail::Plain {},
        };
        advance(tx, &mut rec, command, to).await?;
    }
    tx.save_engagement(&rec);
    Ok(rec.to_api(&[])?)
}
