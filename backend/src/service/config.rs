//! Configuration (admin): skills, dispositions, queues, flows, entry points, agents, routing
//! profiles and busy-agent rules. Every write is validated as a whole; a problem is an
//! `Invalid` error naming the field (`steps.vip.queue_id`, `overflow.queue_id`, ...).

use super::audit::Change;
use super::{invalid, unknown, validate, Ctx, Result, ServiceError};
use crate::auth::{password, Principal, Scope};
use crate::routing::{flow as flows, template};
use crate::store::agents::{self, AgentRecord};
use crate::store::config::{self as cfg, DocTable, EntryRecord};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use shared::config::{
    Agent, AgentSkill, AgentStatus, BusyAgentRules, ConsumerRoutingProfile, Disposition, Flow,
    FlowStep, OverflowAction, ProfileEffect, Queue, QueueMembership, Role, Skill,
};
use shared::ids::{AccountId, AgentId, DispositionId, FlowId, QueueId, RoutingProfileId, SkillId};
use std::collections::{BTreeSet, HashMap};

fn not_found(what: &str, id: impl std::fmt::Display) -> ServiceError {
    ServiceError::NotFound(format!("no {what} {id}"))
}

/// Unique-name clashes become a 409 that says which name.
fn named_conflict(e: StoreError, what: &str, name: &str) -> ServiceError {
    match e {
        StoreError::Conflict { .. } => {
            super::conflict(format!("a {what} named {name:?} already exists"))
        }
        other => other.into(),
    }
}

fn deleted(e: StoreError, what: &str, id: impl std::fmt::Display) -> ServiceError {
    match e {
        StoreError::NotFound => not_found(what, id),
        other => other.into(),
    }
}

// ---- skills & dispositions --------------------------------------------------------------------

pub async fn put_skill(ctx: &Ctx, p: &Principal, skill: Skill) -> Result<Skill> {
    p.admin_or(Scope::ConfigWrite)?;
    validate::required("name", &skill.name, 100)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before = cfg::list_skills(tx.conn().await?, p.account())
        .await?
        .into_iter()
        .find(|x| x.skill_id == skill.skill_id);
    cfg::put_skill(tx.conn().await?, p.account(), &skill)
        .await
        .map_err(|e| named_conflict(e, "skill", &skill.name))?;
    super::audit::record(
        &mut tx,
        p,
        Change::put("skill", skill.skill_id, before.as_ref(), &skill),
    )
    .await?;
    tx.commit().await?;
    Ok(skill)
}

pub async fn list_skills(ctx: &Ctx, p: &Principal) -> Result<Vec<Skill>> {
    p.supervisor_or(Scope::ConfigRead)?;
    Ok(cfg::list_skills(&mut *ctx.store.read().await?, p.account()).await?)
}

pub async fn delete_skill(ctx: &Ctx, p: &Principal, id: SkillId) -> Result<()> {
    p.admin_or(Scope::ConfigWrite)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before = cfg::list_skills(tx.conn().await?, p.account())
        .await?
        .into_iter()
        .find(|x| x.skill_id == id);
    cfg::delete_skill(tx.conn().await?, p.account(), id)
        .await
        .map_err(|e| deleted(e, "skill", id))?;
    super::audit::record(&mut tx, p, Change::deleted("skill", id, before.as_ref())).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn put_disposition(ctx: &Ctx, p: &Principal, d: Disposition) -> Result<Disposition> {
    p.admin_or(Scope::ConfigWrite)?;
    validate::required("name", &d.name, 100)?;
    validate::optional("code", d.code.as_deref(), 50)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before = cfg::list_dispositions(tx.conn().await?, p.account())
        .await?
        .into_iter()
        .find(|x| x.disposition_id == d.disposition_id);
    cfg::put_disposition(tx.conn().await?, p.account(), &d)
        .await
        .map_err(|e| named_conflict(e, "disposition", &d.name))?;
    super::audit::record(
        &mut tx,
        p,
        Change::put("disposition", d.disposition_id, before.as_ref(), &d),
    )
    .await?;
    tx.commit().await?;
    Ok(d)
}

/// Agents may read dispositions too: they pick one for each engagement.
pub async fn list_dispositions(ctx: &Ctx, p: &Principal) -> Result<Vec<Disposition>> {
    if p.agent().is_err() {
        p.supervisor_or(Scope::ConfigRead)?;
    }
    Ok(cfg::list_dispositions(&mut *ctx.store.read().await?, p.account()).await?)
}

pub async fn delete_disposition(ctx: &Ctx, p: &Principal, id: DispositionId) -> Result<()> {
    p.admin_or(Scope::ConfigWrite)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before = cfg::list_dispositions(tx.conn().await?, p.account())
        .await?
        .into_iter()
        .find(|x| x.disposition_id == id);
    cfg::delete_disposition(tx.conn().await?, p.account(), id)
        .await
        .map_err(|e| deleted(e, "disposition", id))?;
    super::audit::record(
        &mut tx,
        p,
        Change::deleted("disposition", id, before.as_ref()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---- queues ------------------------------------------------------------------------------------

pub(super) async fn queue_map(
    conn: &mut sqlx::AnyConnection,
    account: AccountId,
) -> Result<HashMap<QueueId, Queue>> {
    let list: Vec<Queue> = cfg::list_docs(conn, DocTable::Queues, account).await?;
    Ok(list.into_iter().map(|q| (q.queue_id, q)).collect())
}

pub(crate) async fn flow_map(
    conn: &mut sqlx::AnyConnection,
    account: AccountId,
) -> Result<HashMap<FlowId, Flow>> {
    let list: Vec<Flow> = cfg::list_docs(conn, DocTable::Flows, account).await?;
    Ok(list.into_iter().map(|f| (f.flow_id, f)).collect())
}

/// Create (`replace = false`) or replace a queue.
pub async fn put_queue(ctx: &Ctx, p: &Principal, q: Queue, replace: bool) -> Result<Queue> {
    p.admin_or(Scope::ConfigWrite)?;
    // An app listed twice is shown once.
    let mut q = q;
    let mut listed = BTreeSet::new();
    q.app_ids.retain(|a| listed.insert(*a));
    validate::required("name", &q.name, 100)?;
    if !(1..=600).contains(&q.ring_timeout_secs) {
        return Err(invalid(
            "ring_timeout_secs",
            "ring_timeout_secs must be between 1 and 600",
        ));
    }
    if q.wrap_up_secs > 3600 {
        return Err(invalid("wrap_up_secs", "wrap_up_secs must be at most 3600"));
    }
    if !(1..=100).contains(&q.service_level.target_percent) {
        return Err(invalid(
            "service_level.target_percent",
            "target_percent must be between 1 and 100",
        ));
    }
    if !(1..=3600).contains(&q.service_level.threshold_secs) {
        return Err(invalid(
            "service_level.threshold_secs",
            "threshold_secs must be between 1 and 3600",
        ));
    }
    if q.service_level.short_abandon_secs > 600 {
        return Err(invalid(
            "service_level.short_abandon_secs",
            "short_abandon_secs must be at most 600",
        ));
    }
    validate::at_most("disposition_ids", &q.disposition_ids, 100)?;
    validate::at_most("required_skills", &q.required_skills, 20)?;
    validate::at_most("app_ids", &q.app_ids, 10)?;
    if let Some(t) = &q.launch_url_template {
        validate::optional("launch_url_template", Some(t), 2000)?;
        validate::http_url(
            "launch_url_template",
            &template::render_url(t, &Default::default()),
            2000,
        )?;
    }
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before: Option<Queue> = cfg::get_doc(
        tx.conn().await?,
        DocTable::Queues,
        p.account(),
        &q.queue_id.to_string(),
    )
    .await?;
    let queues = queue_map(tx.conn().await?, p.account()).await?;
    if replace && !queues.contains_key(&q.queue_id) {
        return Err(not_found("queue", q.queue_id));
    }
    if let Some(o) = &q.overflow {
        if !(1..=86_400).contains(&o.after_secs) {
            return Err(invalid(
                "overflow.after_secs",
                "after_secs must be between 1 and 86400",
            ));
        }
        if let OverflowAction::ToQueue { queue_id } = &o.action {
            match queues.get(queue_id) {
                _ if *queue_id == q.queue_id => {
                    return Err(invalid(
                        "overflow.queue_id",
                        "a queue cannot overflow into itself",
                    ))
                }
                None => {
                    return Err(unknown(
                        "overflow.queue_id",
                        format!("queue {queue_id} does not exist"),
                    ))
                }
                Some(target) if target.channel != q.channel => {
                    return Err(invalid(
                        "overflow.queue_id",
                        format!(
                            "queue {queue_id} takes {}, not {}",
                            target.channel, q.channel
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
    }
    let skills: BTreeSet<SkillId> = cfg::list_skills(tx.conn().await?, p.account())
        .await?
        .into_iter()
        .map(|s| s.skill_id)
        .collect();
    for (i, r) in q.required_skills.iter().enumerate() {
        if !skills.contains(&r.skill_id) {
            return Err(unknown(
                format!("required_skills[{i}].skill_id"),
                format!("skill {} does not exist", r.skill_id),
            ));
        }
    }
    let dispositions: BTreeSet<DispositionId> =
        cfg::list_dispositions(tx.conn().await?, p.account())
            .await?
            .into_iter()
            .map(|d| d.disposition_id)
            .collect();
    for (i, d) in q.disposition_ids.iter().enumerate() {
        if !dispositions.contains(d) {
            return Err(unknown(
                format!("disposition_ids[{i}]"),
                format!("disposition {d} does not exist"),
            ));
        }
    }
    let apps: BTreeSet<shared::ids::AppId> = cfg::list_apps(tx.conn().await?, p.account())
        .await?
        .into_iter()
        .map(|a| a.app_id)
        .collect();
    validate::all_exist("app_ids", "app", &q.app_ids, |a| apps.contains(a))?;
    cfg::put_doc(
        tx.conn().await?,
        DocTable::Queues,
        p.account(),
        &q.queue_id.to_string(),
        &q.name,
        &q,
    )
    .await
    .map_err(|e| named_conflict(e, "queue", &q.name))?;
    super::audit::record(
        &mut tx,
        p,
        Change::put("queue", q.queue_id, before.as_ref(), &q),
    )
    .await?;
    tx.commit().await?;
    ctx.dispatch.poke();
    Ok(q)
}

pub async fn get_queue(ctx: &Ctx, p: &Principal, id: QueueId) -> Result<Queue> {
    p.supervisor_or(Scope::ConfigRead)?;
    cfg::get_doc(
        &mut *ctx.store.read().await?,
        DocTable::Queues,
        p.account(),
        &id.to_string(),
    )
    .await?
    .ok_or_else(|| not_found("queue", id))
}

pub async fn list_queues(ctx: &Ctx, p: &Principal) -> Result<Vec<Queue>> {
    if p.agent().is_err() {
        p.supervisor_or(Scope::ConfigRead)?;
    }
    Ok(cfg::list_docs(&mut *ctx.store.read().await?, DocTable::Queues, p.account()).await?)
}

pub async fn delete_queue(ctx: &Ctx, p: &Principal, id: QueueId) -> Result<()> {
    p.admin_or(Scope::ConfigWrite)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before: Option<Queue> = cfg::get_doc(
        tx.conn().await?,
        DocTable::Queues,
        p.account(),
        &id.to_string(),
    )
    .await?;
    for flow in flow_map(tx.conn().await?, p.account()).await?.values() {
        if flow
            .steps
            .values()
            .any(|s| matches!(s, FlowStep::RouteToQueue { queue_id, .. } if *queue_id == id))
        {
            return Err(super::conflict(format!(
                "flow {:?} routes to this queue; change it first",
                flow.name
            )));
        }
    }
    cfg::delete_doc(
        tx.conn().await?,
        DocTable::Queues,
        p.account(),
        &id.to_string(),
    )
    .await
    .map_err(|e| deleted(e, "queue", id))?;
    super::audit::record(&mut tx, p, Change::deleted("queue", id, before.as_ref())).await?;
    tx.commit().await?;
    Ok(())
}

// ---- flows -------------------------------------------------------------------------------------

pub async fn put_flow(ctx: &Ctx, p: &Principal, mut f: Flow, replace: bool) -> Result<Flow> {
    p.admin_or(Scope::ConfigWrite)?;
    validate::required("name", &f.name, 100)?;
    if f.steps.is_empty() || f.steps.len() > 200 {
        return Err(invalid("steps", "a flow has 1 to 200 steps"));
    }
    for name in f.steps.keys() {
        validate::required(&format!("steps.{name}"), name, 64)?;
    }
    validate::at_most("callouts", &f.callouts, 10)?;
    for (i, c) in f.callouts.iter_mut().enumerate() {
        c.url = validate::http_url(&format!("callouts[{i}].url"), &c.url, 2000)?;
        // The same outbound rules as webhooks: https, public addresses only (unless allowed).
        ctx.outbound
            .sender
            .check_public(&c.url)
            .await
            .map_err(|e| super::address_error(format!("callouts[{i}].url"), e))?;
        validate::optional(
            &format!("callouts[{i}].body_template"),
            Some(&c.body_template),
            10_000,
        )?;
        let sample = |_: &str| Some(serde_json::Value::String("x".into()));
        if serde_json::from_str::<serde_json::Value>(&template::render_callout(
            &c.body_template,
            &sample,
        ))
        .is_err()
        {
            return Err(invalid(
                format!("callouts[{i}].body_template"),
                "body_template must be JSON, with {{placeholders}} as values or inside strings",
            ));
        }
    }
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before: Option<Flow> = cfg::get_doc(
        tx.conn().await?,
        DocTable::Flows,
        p.account(),
        &f.flow_id.to_string(),
    )
    .await?;
    let queues = queue_map(tx.conn().await?, p.account()).await?;
    let mut all = flow_map(tx.conn().await?, p.account()).await?;
    if replace && !all.contains_key(&f.flow_id) {
        return Err(not_found("flow", f.flow_id));
    }
    all.insert(f.flow_id, f.clone());
    flows::validate_graph(&all, |q| queues.contains_key(q), f.flow_id).map_err(|e| {
        if e.missing {
            unknown(e.field, e.message)
        } else {
            invalid(e.field, e.message)
        }
    })?;
    cfg::put_doc(
        tx.conn().await?,
        DocTable::Flows,
        p.account(),
        &f.flow_id.to_string(),
        &f.name,
        &f,
    )
    .await
    .map_err(|e| named_conflict(e, "flow", &f.name))?;
    super::audit::record(
        &mut tx,
        p,
        Change::put("flow", f.flow_id, before.as_ref(), &f),
    )
    .await?;
    tx.commit().await?;
    Ok(f)
}

pub async fn get_flow(ctx: &Ctx, p: &Principal, id: FlowId) -> Result<Flow> {
    p.supervisor_or(Scope::ConfigRead)?;
    cfg::get_doc(
        &mut *ctx.store.read().await?,
        DocTable::Flows,
        p.account(),
        &id.to_string(),
    )
    .await?
    .ok_or_else(|| not_found("flow", id))
}

pub async fn list_flows(ctx: &Ctx, p: &Principal) -> Result<Vec<Flow>> {
    if p.agent().is_err() {
        p.supervisor_or(Scope::ConfigRead)?;
    }
    Ok(cfg::list_docs(&mut *ctx.store.read().await?, DocTable::Flows, p.account()).await?)
}

pub async fn delete_flow(ctx: &Ctx, p: &Principal, id: FlowId) -> Result<()> {
    p.admin_or(Scope::ConfigWrite)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before: Option<Flow> = cfg::get_doc(
        tx.conn().await?,
        DocTable::Flows,
        p.account(),
        &id.to_string(),
    )
    .await?;
    let users = cfg::entries_using_flow(tx.conn().await?, p.account(), id).await?;
    if let Some(entry) = users.first() {
        return Err(super::conflict(format!(
            "entry point {entry:?} starts this flow; change it first"
        )));
    }
    for flow in flow_map(tx.conn().await?, p.account()).await?.values() {
        if flow
            .steps
            .values()
            .any(|s| matches!(s, FlowStep::RouteToFlow { flow_id } if *flow_id == id))
        {
            return Err(super::conflict(format!(
                "flow {:?} routes to this flow; change it first",
                flow.name
            )));
        }
    }
    cfg::delete_doc(
        tx.conn().await?,
        DocTable::Flows,
        p.account(),
        &id.to_string(),
    )
    .await
    .map_err(|e| deleted(e, "flow", id))?;
    super::audit::record(&mut tx, p, Change::deleted("flow", id, before.as_ref())).await?;
    tx.commit().await?;
    Ok(())
}

// ---- entry points ------------------------------------------------------------------------------

pub async fn put_entry(ctx: &Ctx, p: &Principal, e: EntryRecord) -> Result<EntryRecord> {
    p.admin_or(Scope::ConfigWrite)?;
    validate::name("entry_id", &e.entry.entry_id.0, 100)?;
    validate::optional("description", e.entry.description.as_deref(), 500)?;
    validate::optional("address", e.entry.address.as_deref(), 100)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before = cfg::get_entry(tx.conn().await?, p.account(), &e.entry.entry_id.0).await?;
    if !flow_map(tx.conn().await?, p.account())
        .await?
        .contains_key(&e.entry.flow_id)
    {
        return Err(unknown(
            "flow_id",
            format!("flow {} does not exist", e.entry.flow_id),
        ));
    }
    if let Some(chat) = &e.entry.chat {
        super::chat::check_calls(ctx, chat)?;
        super::chat::check_settings(tx.conn().await?, p.account(), &e.entry.entry_id.0, chat)
            .await?;
    }
    if let Some(survey) = &e.entry.survey {
        validate::required("survey.question", &survey.question, 200)?;
    }
    if let Some(profile) = e.profile_id {
        let found: Option<ConsumerRoutingProfile> = cfg::get_doc(
            tx.conn().await?,
            DocTable::RoutingProfiles,
            p.account(),
            &profile.to_string(),
        )
        .await?;
        if found.is_none() {
            return Err(unknown(
                "profile_id",
                format!("routing profile {profile} does not exist"),
            ));
        }
    }
    cfg::put_entry(tx.conn().await?, p.account(), &e).await?;
    super::audit::record(
        &mut tx,
        p,
        Change::put("entry_point", &e.entry.entry_id.0, before.as_ref(), &e),
    )
    .await?;
    tx.commit().await?;
    Ok(e)
}

pub async fn list_entries(ctx: &Ctx, p: &Principal) -> Result<Vec<EntryRecord>> {
    p.supervisor_or(Scope::ConfigRead)?;
    Ok(cfg::list_entries(&mut *ctx.store.read().await?, p.account()).await?)
}

pub async fn delete_entry(ctx: &Ctx, p: &Principal, id: &str) -> Result<()> {
    p.admin_or(Scope::ConfigWrite)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before = cfg::get_entry(tx.conn().await?, p.account(), id).await?;
    let users: Vec<String> = cfg::list_entries(tx.conn().await?, p.account())
        .await?
        .into_iter()
        .filter(|e| {
            e.entry
                .chat
                .as_ref()
                .and_then(|c| c.leave_message_entry_id.as_deref())
                == Some(id)
        })
        .map(|e| e.entry.entry_id.0)
        .collect();
    if let Some(user) = users.first() {
        return Err(super::conflict(format!(
            "the web chat of entry point {user:?} leaves its messages here; change it first"
        )));
    }
    cfg::delete_entry(tx.conn().await?, p.account(), id)
        .await
        .map_err(|e| deleted(e, "entry point", id))?;
    super::audit::record(
        &mut tx,
        p,
        Change::deleted("entry_point", id, before.as_ref()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---- routing profiles --------------------------------------------------------------------------

pub async fn put_profile(
    ctx: &Ctx,
    p: &Principal,
    prof: ConsumerRoutingProfile,
    replace: bool,
) -> Result<ConsumerRoutingProfile> {
    p.admin_or(Scope::ConfigWrite)?;
    validate::required("name", &prof.name, 100)?;
    validate::at_most("rules", &prof.rules, 50)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before: Option<ConsumerRoutingProfile> = cfg::get_doc(
        tx.conn().await?,
        DocTable::RoutingProfiles,
        p.account(),
        &prof.profile_id.to_string(),
    )
    .await?;
    let queues = queue_map(tx.conn().await?, p.account()).await?;
    let agent_ids: BTreeSet<AgentId> = agents::list(tx.conn().await?, p.account())
        .await?
        .iter()
        .map(|a| a.agent.agent_id)
        .collect();
    for (i, rule) in prof.rules.iter().enumerate() {
        match &rule.effect {
            ProfileEffect::UseQueue { queue_id } if !queues.contains_key(queue_id) => {
                return Err(unknown(
                    format!("rules[{i}].effect.queue_id"),
                    format!("queue {queue_id} does not exist"),
                ))
            }
            ProfileEffect::PreferAgent { agent_id, .. } if !agent_ids.contains(agent_id) => {
                return Err(unknown(
                    format!("rules[{i}].effect.agent_id"),
                    format!("agent {agent_id} does not exist"),
                ))
            }
            ProfileEffect::RaisePriority { by } if by.abs() > 1000 => {
                return Err(invalid(
                    format!("rules[{i}].effect.by"),
                    "by must be between -1000 and 1000",
                ))
            }
            ProfileEffect::PreferLastAgent { wait_secs }
            | ProfileEffect::PreferAgent { wait_secs, .. }
                if *wait_secs > 3600 =>
            {
                return Err(invalid(
                    format!("rules[{i}].effect.wait_secs"),
                    "wait_secs must be at most 3600",
                ))
            }
            _ => {}
        }
    }
    let id = prof.profile_id.to_string();
    if replace
        && cfg::get_doc::<ConsumerRoutingProfile>(
            tx.conn().await?,
            DocTable::RoutingProfiles,
            p.account(),
            &id,
        )
        .await?
        .is_none()
    {
        return Err(not_found("routing profile", &id));
    }
    cfg::put_doc(
        tx.conn().await?,
        DocTable::RoutingProfiles,
        p.account(),
        &id,
        &prof.name,
        &prof,
    )
    .await
    .map_err(|e| named_conflict(e, "routing profile", &prof.name))?;
    super::audit::record(
        &mut tx,
        p,
        Change::put("routing_profile", prof.profile_id, before.as_ref(), &prof),
    )
    .await?;
    tx.commit().await?;
    Ok(prof)
}

pub async fn list_profiles(ctx: &Ctx, p: &Principal) -> Result<Vec<ConsumerRoutingProfile>> {
    p.supervisor_or(Scope::ConfigRead)?;
    Ok(cfg::list_docs(
        &mut *ctx.store.read().await?,
        DocTable::RoutingProfiles,
        p.account(),
    )
    .await?)
}

pub async fn delete_profile(ctx: &Ctx, p: &Principal, id: RoutingProfileId) -> Result<()> {
    p.admin_or(Scope::ConfigWrite)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before: Option<ConsumerRoutingProfile> = cfg::get_doc(
        tx.conn().await?,
        DocTable::RoutingProfiles,
        p.account(),
        &id.to_string(),
    )
    .await?;
    cfg::delete_doc(
        tx.conn().await?,
        DocTable::RoutingProfiles,
        p.account(),
        &id.to_string(),
    )
    .await
    .map_err(|e| deleted(e, "routing profile", id))?;
    super::audit::record(
        &mut tx,
        p,
        Change::deleted("routing_profile", id, before.as_ref()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---- busy-agent rules --------------------------------------------------------------------------

pub async fn put_busy_rules(
    ctx: &Ctx,
    p: &Principal,
    rules: BusyAgentRules,
) -> Result<BusyAgentRules> {
    p.admin_or(Scope::ConfigWrite)?;
    check_busy_rules("", &rules)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before = cfg::busy_rules(tx.conn().await?, p.account()).await?;
    cfg::put_busy_rules(tx.conn().await?, p.account(), &rules).await?;
    super::audit::record(
        &mut tx,
        p,
        Change::put("busy_agent_rules", "account", Some(&before), &rules),
    )
    .await?;
    tx.commit().await?;
    ctx.dispatch.poke();
    Ok(rules)
}

pub async fn get_busy_rules(ctx: &Ctx, p: &Principal) -> Result<BusyAgentRules> {
    p.supervisor_or(Scope::ConfigRead)?;
    Ok(cfg::busy_rules(&mut *ctx.store.read().await?, p.account()).await?)
}

fn check_busy_rules(prefix: &str, rules: &BusyAgentRules) -> Result<()> {
    for (channel, limit) in &rules.limits {
        if *limit > 100 {
            return Err(invalid(
                format!("{prefix}limits.{channel}"),
                "a channel limit is at most 100",
            ));
        }
    }
    validate::at_most(&format!("{prefix}combinations"), &rules.combinations, 100)
}

// ---- agents ------------------------------------------------------------------------------------

/// An agent as an admin writes it: the profile plus an optional new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentInput {
    #[serde(default)]
    pub agent_id: Option<AgentId>,
    #[schema(schema_with = shared::limits::schemas::visible_100)]
    pub display_name: String,
    #[schema(schema_with = shared::limits::schemas::email_320)]
    pub email: String,
    pub role: Role,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub skills: Vec<AgentSkill>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub queues: Vec<QueueMembership>,
    /// For supervisors: the queues whose reports and live figures they may read.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub supervised_queue_ids: Vec<QueueId>,
    #[serde(default)]
    pub busy_rules: Option<BusyAgentRules>,
    /// At least 8 characters. Omit to keep the current one (or to have none: embed-only agents).
    #[serde(default, skip_serializing)]
    #[schema(min_length = 8, max_length = 1024)]
    pub password: Option<String>,
}

pub async fn put_agent(
    ctx: &Ctx,
    p: &Principal,
    input: AgentInput,
    replace: Option<AgentId>,
) -> Result<Agent> {
    p.admin_or(Scope::ConfigWrite)?;
    validate::required("display_name", &input.display_name, 100)?;
    validate::email("email", input.email.trim())?;
    if let Some(pw) = &input.password {
        if pw.chars().count() < 8 || pw.len() > 1024 {
            return Err(invalid(
                "password",
                "password must have 8 to 1024 characters",
            ));
        }
    }
    validate::at_most("skills", &input.skills, 50)?;
    validate::at_most("queues", &input.queues, 100)?;
    validate::at_most("supervised_queue_ids", &input.supervised_queue_ids, 1000)?;
    // An admin cannot lock themselves (or, as the last one, everybody) out of configuration.
    if replace.is_some() && replace == p.agent_id() && input.role != Role::Admin {
        return Err(super::conflict(
            "you cannot remove your own admin role; another admin can",
        ));
    }
    if let Some(r) = &input.busy_rules {
        check_busy_rules("busy_rules.", r)?;
    }
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let skills: BTreeSet<SkillId> = cfg::list_skills(tx.conn().await?, p.account())
        .await?
        .into_iter()
        .map(|s| s.skill_id)
        .collect();
    for (i, s) in input.skills.iter().enumerate() {
        if !skills.contains(&s.skill_id) {
            return Err(unknown(
                format!("skills[{i}].skill_id"),
                format!("skill {} does not exist", s.skill_id),
            ));
        }
    }
    let queues = queue_map(tx.conn().await?, p.account()).await?;
    for (i, m) in input.queues.iter().enumerate() {
        if !queues.contains_key(&m.queue_id) {
            return Err(unknown(
                format!("queues[{i}].queue_id"),
                format!("queue {} does not exist", m.queue_id),
            ));
        }
    }
    validate::all_exist(
        "supervised_queue_ids",
        "queue",
        &input.supervised_queue_ids,
        |q| queues.contains_key(q),
    )?;
    let existing = match replace {
        Some(id) => Some(
            agents::get(tx.conn().await?, p.account(), id)
                .await?
                .ok_or_else(|| not_found("agent", id))?,
        ),
        None => None,
    };
    let now = ctx.clock.now_ms();
    let record = AgentRecord {
        account: p.account(),
        agent: Agent {
            agent_id: replace
                .or(input.agent_id)
                .unwrap_or_else(|| AgentId(uuid::Uuid::now_v7())),
            display_name: input.display_name.trim().to_string(),
            email: input.email.trim().to_string(),
            role: input.role,
            status: existing
                .as_ref()
                .map(|e| e.agent.status.clone())
                .unwrap_or(AgentStatus::Offline),
            skills: input.skills,
            queues: input.queues,
            supervised_queue_ids: input.supervised_queue_ids,
            busy_rules: input.busy_rules,
        },
        password_hash: match input.password {
            Some(pw) => Some(password::hash(&pw)),
            None => existing.as_ref().and_then(|e| e.password_hash.clone()),
        },
        idle_since_ms: existing.as_ref().map_or(now, |e| e.idle_since_ms),
        last_offer_ms: existing.as_ref().map_or(0, |e| e.last_offer_ms),
        consecutive_misses: existing.as_ref().map_or(0, |e| e.consecutive_misses),
    };
    if replace.is_none()
        && agents::get(tx.conn().await?, p.account(), record.agent.agent_id)
            .await?
            .is_some()
    {
        return Err(super::conflict(format!(
            "agent {} already exists",
            record.agent.agent_id
        )));
    }
    agents::upsert(tx.conn().await?, &record)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => super::conflict(format!(
                "an agent with email {:?} already exists",
                record.agent.email
            )),
            other => other.into(),
        })?;
    super::audit::record(
        &mut tx,
        p,
        Change::put(
            "agent",
            record.agent.agent_id,
            existing.as_ref().map(|e| &e.agent),
            &record.agent,
        ),
    )
    .await?;
    tx.commit().await?;
    ctx.dispatch.poke();
    Ok(record.agent)
}

pub async fn list_agents(ctx: &Ctx, p: &Principal) -> Result<Vec<Agent>> {
    p.supervisor_or(Scope::ConfigRead)?;
    let list = agents::list(&mut *ctx.store.read().await?, p.account()).await?;
    Ok(list.into_iter().map(|r| r.agent).collect())
}

pub async fn get_agent(ctx: &Ctx, p: &Principal, id: AgentId) -> Result<Agent> {
    if p.agent_id() != Some(id) {
        p.supervisor_or(Scope::ConfigRead)?;
    }
    agents::get(&mut *ctx.store.read().await?, p.account(), id)
        .await?
        .map(|r| r.agent)
        .ok_or_else(|| not_found("agent", id))
}

pub async fn delete_agent(ctx: &Ctx, p: &Principal, id: AgentId) -> Result<()> {
    p.admin_or(Scope::ConfigWrite)?;
    if p.agent_id() == Some(id) {
        return Err(super::conflict(
            "you cannot delete yourself; another admin can",
        ));
    }
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let held = crate::store::engagements::for_agent(tx.conn().await?, p.account(), id).await?;
    if let Some(e) = held.first() {
        return Err(ServiceError::Conflict {
            message: format!(
                "the agent still holds engagement {}; close or transfer it first",
                e.id
            ),
            engagement_id: Some(e.id),
        });
    }
    let before = agents::get(tx.conn().await?, p.account(), id)
        .await?
        .map(|r| r.agent);
    agents::delete(tx.conn().await?, p.account(), id)
        .await
        .map_err(|e| deleted(e, "agent", id))?;
    super::sessions::end_agent_sessions(
        &mut tx,
        p.account(),
        id,
        ctx.clock.now_ms(),
        "agent_deleted",
    )
    .await?;
    super::audit::record(&mut tx, p, Change::deleted("agent", id, before.as_ref())).await?;
    tx.commit().await?;
    super::sessions::forget_subject(ctx, &id.to_string());
    Ok(())
}
