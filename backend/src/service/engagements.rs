//! Engagements: start (external systems and connectors), agent and supervisor commands,
//! cancel, reads. Every change goes through `shared::transition` and appends its events in
//! the same transaction.

use super::{conflict, invalid, unknown, validate, Ctx, Result, ServiceError};
use crate::auth::{Denied, Principal, Scope};
use crate::routing::flow::{self as flows, Facts};
use crate::store::config::{self as cfg, DocTable};
use crate::store::engagements::{self as eng, EngagementRecord, NoteRecord, StoredResponse};
use crate::store::{agents, NewEvent, Tx};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use shared::api::StartEngagementRequest;
use shared::config::{ConsumerRoutingProfile, Flow, ProfileEffect, Queue, Role, SkillRequirement};
use shared::engagement::{Consumer, Engagement, Variables, WorkItem};
use shared::events::EventKind;
use shared::ids::{AccountId, AgentId, DispositionId, EngagementId, FlowId, NoteId, QueueId};
use shared::{transition, Channel, Command, Direction, EngagementState};
use std::collections::HashMap;

/// Append an engagement event whose payload is the engagement (plus `extra` fields).
pub(crate) async fn emit(
    tx: &mut Tx,
    rec: &EngagementRecord,
    offered_to: &[AgentId],
    kind: EventKind,
    agent: Option<AgentId>,
    extra: serde_json::Value,
) -> Result<()> {
    let mut data = serde_json::json!({ "engagement": rec.to_api(offered_to)? });
    if let (Some(obj), serde_json::Value::Object(more)) = (data.as_object_mut(), extra) {
        obj.extend(more);
    }
    tx.append(NewEvent {
        account_id: rec.account,
        kind,
        engagement_id: Some(rec.id),
        agent_id: agent,
        data,
    })
    .await?;
    Ok(())
}

fn not_found(id: EngagementId) -> ServiceError {
    ServiceError::NotFound(format!("no engagement {id}"))
}

async fn load(tx: &mut Tx, account: AccountId, id: EngagementId) -> Result<EngagementRecord> {
    eng::get(tx.conn(), account, id)
        .await?
        .ok_or_else(|| not_found(id))
}

// ---- start -------------------------------------------------------------------------------------

/// The outcome of a start: `replayed` when an `Idempotency-Key` matched an earlier request.
pub struct Started {
    pub status: u16,
    pub body: String,
}

fn check_start(req: &StartEngagementRequest) -> Result<(Channel, Option<WorkItem>, Option<i64>)> {
    if req.channels.len() != 1 {
        return Err(invalid("channels", "give exactly one channel"));
    }
    let channel = req.channels[0].channel;
    validate::optional(
        "channels[0].channel_source",
        req.channels[0].channel_source.as_deref(),
        100,
    )?;
    validate::required("flow.flow_entry_id", &req.flow.flow_entry_id, 100)?;
    validate::at_most("consumers", &req.consumers, 1)?;
    if let Some(c) = req.consumers.first() {
        validate::optional(
            "consumers[0].consumer_display_name",
            c.consumer_display_name.as_deref(),
            200,
        )?;
        if let Some(e) = c.consumer_email.as_deref().filter(|e| !e.is_empty()) {
            validate::email("consumers[0].consumer_email", e)?;
        }
        validate::optional(
            "consumers[0].consumer_phone",
            c.consumer_phone.as_deref(),
            50,
        )?;
        validate::optional(
            "consumers[0].consumer_external_id",
            c.consumer_external_id.as_deref(),
            200,
        )?;
    }
    validate::at_most("variables", &req.variables, 50)?;
    let mut seen = std::collections::BTreeSet::new();
    for (i, v) in req.variables.iter().enumerate() {
        validate::name(&format!("variables[{i}].name"), &v.name, 64)?;
        validate::optional(&format!("variables[{i}].value"), Some(&v.value), 1000)?;
        if !seen.insert(&v.name) {
            return Err(invalid(
                format!("variables[{i}].name"),
                format!("variable {:?} is given twice", v.name),
            ));
        }
    }
    let mut due = None;
    let work_item = match &req.work_item_variables {
        None if channel == Channel::WorkItem => {
            return Err(invalid(
                "work_item_variables",
                "work_item_variables is required for the work_item channel",
            ))
        }
        None => None,
        Some(w) => {
            let f = |n: &str| format!("work_item_variables.{n}");
            validate::required(&f("work_item_name"), &w.work_item_name, 200)?;
            validate::optional(&f("work_item_id"), w.work_item_id.as_deref(), 200)?;
            validate::optional(&f("work_item_desc"), w.work_item_desc.as_deref(), 4000)?;
            if let Some(h) = w.work_item_hyperlink.as_deref().filter(|h| !h.is_empty()) {
                validate::http_url(&f("work_item_hyperlink"), h, 2000)?;
            }
            if let Some(p) = w.work_item_priority {
                if !(-100..=100).contains(&p) {
                    return Err(invalid(
                        f("work_item_priority"),
                        "work_item_priority must be between -100 and 100",
                    ));
                }
            }
            validate::optional(&f("work_item_origin"), w.work_item_origin.as_deref(), 100)?;
            validate::optional(&f("work_item_type_id"), w.work_item_type_id.as_deref(), 100)?;
            let due_date = match w.work_item_due_date.as_deref().filter(|d| !d.is_empty()) {
                Some(d) => {
                    let t = time::OffsetDateTime::parse(
                        d,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .map_err(|_| {
                        invalid(
                            f("work_item_due_date"),
                            "work_item_due_date must be RFC 3339, e.g. 2026-12-01T17:00:00Z",
                        )
                    })?;
                    due = Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
                    Some(t)
                }
                None => None,
            };
            Some(WorkItem {
                name: w.work_item_name.trim().to_string(),
                id: w.work_item_id.clone().filter(|s| !s.is_empty()),
                description: w.work_item_desc.clone(),
                hyperlink: w.work_item_hyperlink.clone().filter(|s| !s.is_empty()),
                priority: w.work_item_priority,
                due_date,
                origin: w.work_item_origin.clone(),
                type_id: w.work_item_type_id.clone(),
            })
        }
    };
    Ok((channel, work_item, due))
}

/// Work-item and consumer fields as variables and as flow facts.
fn facts_for(
    channel: Channel,
    consumer: &Option<Consumer>,
    work_item: &Option<WorkItem>,
    given: Variables,
) -> Facts {
    let mut facts = Facts {
        variables: given,
        fields: HashMap::new(),
    };
    let mut put = |var: &str, field: &str, value: Option<String>| {
        if let Some(v) = value {
            facts.variables.insert(var.to_string(), v.clone());
            facts.fields.insert(field.to_string(), v);
        }
    };
    put("channel", "channel", Some(channel.as_str().to_string()));
    if let Some(c) = consumer {
        put(
            "consumer_display_name",
            "consumer.display_name",
            c.display_name.clone(),
        );
        put("consumer_email", "consumer.email", c.email.clone());
        put("consumer_phone", "consumer.phone", c.phone.clone());
        put(
            "consumer_external_id",
            "consumer.external_id",
            c.external_id.clone(),
        );
    }
    if let Some(w) = work_item {
        put("work_item_name", "work_item.name", Some(w.name.clone()));
        put("work_item_id", "work_item.id", w.id.clone());
        put(
            "work_item_desc",
            "work_item.description",
            w.description.clone(),
        );
        put(
            "work_item_hyperlink",
            "work_item.hyperlink",
            w.hyperlink.clone(),
        );
        put(
            "work_item_priority",
            "work_item.priority",
            w.priority.map(|p| p.to_string()),
        );
        put("work_item_origin", "work_item.origin", w.origin.clone());
        put("work_item_type_id", "work_item.type_id", w.type_id.clone());
        put(
            "work_item_due_date",
            "work_item.due_date",
            w.due_date.and_then(|d| {
                d.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        );
    }
    facts
}

async fn load_flows(tx: &mut Tx, account: AccountId) -> Result<HashMap<FlowId, Flow>> {
    let list: Vec<Flow> = cfg::list_docs(tx.conn(), DocTable::Flows, account).await?;
    Ok(list.into_iter().map(|f| (f.flow_id, f)).collect())
}

async fn load_queue(tx: &mut Tx, account: AccountId, id: QueueId) -> Result<Option<Queue>> {
    Ok(cfg::get_doc(tx.conn(), DocTable::Queues, account, &id.to_string()).await?)
}

/// Route `rec` through `flow` (new engagement or transfer): sets queue, skills, priority,
/// overflow timer and variables the flow set.
async fn route_through_flow(
    tx: &mut Tx,
    rec: &mut EngagementRecord,
    flow: FlowId,
    field: &str,
    now: i64,
) -> Result<Queue> {
    let all = load_flows(tx, rec.account).await?;
    let mut facts = facts_for(
        rec.channel,
        &rec.consumer,
        &rec.work_item,
        rec.variables.clone(),
    );
    let routed = flows::evaluate(&all, flow, &mut facts).map_err(|e| {
        conflict(format!(
            "{field}: the flow cannot route this engagement: {e}"
        ))
    })?;
    // The routing configuration, not the request, is what refuses these: `409`.
    let queue = load_queue(tx, rec.account, routed.queue)
        .await?
        .ok_or_else(|| {
            conflict(format!(
                "{field}: the flow routes to queue {} which no longer exists",
                routed.queue
            ))
        })?;
    if queue.channel != rec.channel {
        return Err(conflict(format!(
            "this entry point routes to queue {:?}, which takes {} engagements, not {}",
            queue.name, queue.channel, rec.channel
        )));
    }
    rec.variables = facts.variables;
    rec.flow_id = Some(routed.flow);
    place_in_queue(rec, &queue, routed.skills, routed.priority, now);
    Ok(queue)
}

fn place_in_queue(
    rec: &mut EngagementRecord,
    queue: &Queue,
    extra: Vec<SkillRequirement>,
    flow_priority: i32,
    now: i64,
) {
    let mut skills = queue.required_skills.clone();
    for s in extra {
        if !skills.iter().any(|k| k.skill_id == s.skill_id) {
            skills.push(s);
        }
    }
    rec.queue_id = Some(queue.queue_id);
    rec.required_skills = skills;
    rec.skills_relaxed = false;
    rec.base_priority =
        flow_priority.saturating_add(rec.work_item.as_ref().and_then(|w| w.priority).unwrap_or(0));
    rec.overflow_at_ms = queue
        .overflow
        .as_ref()
        .map(|o| now + i64::from(o.after_secs) * 1000);
    rec.queued_at_ms = Some(now);
}

/// Apply a consumer routing profile's rules.
async fn apply_profile(
    tx: &mut Tx,
    rec: &mut EngagementRecord,
    profile: &ConsumerRoutingProfile,
    now: i64,
) -> Result<()> {
    let facts = facts_for(
        rec.channel,
        &rec.consumer,
        &rec.work_item,
        rec.variables.clone(),
    );
    for rule in &profile.rules {
        if !flows::holds(&rule.when, &facts) {
            continue;
        }
        match &rule.effect {
            ProfileEffect::RaisePriority { by } => {
                rec.base_priority = rec.base_priority.saturating_add(*by)
            }
            ProfileEffect::UseQueue { queue_id } => {
                if let Some(q) = load_queue(tx, rec.account, *queue_id).await? {
                    if q.channel == rec.channel {
                        let skills = rec.required_skills.clone();
                        let prio = rec.base_priority
                            - rec.work_item.as_ref().and_then(|w| w.priority).unwrap_or(0);
                        place_in_queue(rec, &q, skills, prio, now);
                    }
                }
            }
            ProfileEffect::PreferAgent {
                agent_id,
                wait_secs,
            } => {
                rec.preferred_agent = Some(*agent_id);
                rec.preferred_until_ms = Some(now + i64::from(*wait_secs) * 1000);
            }
            ProfileEffect::PreferLastAgent { wait_secs } => {
                if let Some(agent) = last_agent_for(tx, rec).await? {
                    rec.preferred_agent = Some(agent);
                    rec.preferred_until_ms = Some(now + i64::from(*wait_secs) * 1000);
                }
            }
        }
    }
    Ok(())
}

/// The agent who most recently served this consumer (same external id, email or phone).
async fn last_agent_for(tx: &mut Tx, rec: &EngagementRecord) -> Result<Option<AgentId>> {
    let Some(c) = &rec.consumer else {
        return Ok(None);
    };
    let closed = eng::list(tx.conn(), rec.account, Some(EngagementState::Closed), 500).await?;
    let same = |o: &Consumer| {
        (c.external_id.is_some() && o.external_id == c.external_id)
            || (c.email.is_some() && o.email == c.email)
            || (c.phone.is_some() && o.phone == c.phone)
    };
    Ok(closed
        .iter()
        .find(|e| e.agent_id.is_some() && e.consumer.as_ref().is_some_and(same))
        .and_then(|e| e.agent_id))
}

/// `POST /v1/engagements`.
pub async fn start(
    ctx: &Ctx,
    p: &Principal,
    req: StartEngagementRequest,
    idempotency_key: Option<&str>,
) -> Result<Started> {
    p.admin_or(Scope::EngagementsWrite)?;
    if let Some(key) = idempotency_key {
        if key.is_empty() || key.len() > 255 || !key.is_ascii() {
            return Err(invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 1 to 255 ASCII characters",
            ));
        }
    }
    let (channel, work_item, due_at_ms) = check_start(&req)?;
    let request_hash = format!(
        "{:x}",
        sha2::Sha256::digest(serde_json::to_vec(&req).unwrap_or_default())
    );
    let account = p.account();
    let mut tx = ctx.store.begin_for(account).await?;
    if let Some(key) = idempotency_key {
        if let Some(stored) = eng::idempotent_response(tx.conn(), account, key).await? {
            if stored.request_hash != request_hash {
                return Err(invalid(
                    "Idempotency-Key",
                    "this Idempotency-Key was used for a different request",
                ));
            }
            return Ok(Started {
                status: stored.status,
                body: stored.body,
            });
        }
    }
    let entry = cfg::get_entry(tx.conn(), account, req.flow.flow_entry_id.trim())
        .await?
        .ok_or_else(|| {
            unknown(
                "flow.flow_entry_id",
                format!("no entry point {:?}", req.flow.flow_entry_id),
            )
        })?;
    let now = ctx.clock.now_ms();
    let consumer = req.consumers.first().map(|c| Consumer {
        display_name: c.consumer_display_name.clone(),
        email: c.consumer_email.clone(),
        phone: c.consumer_phone.clone(),
        external_id: c.consumer_external_id.clone(),
    });
    let mut rec = EngagementRecord {
        channel_source: req.channels[0].channel_source.clone(),
        entry_id: Some(entry.entry.entry_id.0.clone()),
        consumer,
        work_item,
        variables: req
            .variables
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect(),
        due_at_ms,
        queued_at_ms: Some(now),
        ..EngagementRecord::new(account, channel, Direction::Inbound, now)
    };
    if let Some(key) = rec.work_item_key() {
        if let Some(existing) = eng::active_with_work_item(tx.conn(), account, &key).await? {
            return Err(duplicate(existing));
        }
    }
    route_through_flow(
        &mut tx,
        &mut rec,
        entry.entry.flow_id,
        "flow.flow_entry_id",
        now,
    )
    .await?;
    if let Some(profile_id) = entry.profile_id {
        let profile: Option<ConsumerRoutingProfile> = cfg::get_doc(
            tx.conn(),
            DocTable::RoutingProfiles,
            account,
            &profile_id.to_string(),
        )
        .await?;
        if let Some(profile) = profile {
            apply_profile(&mut tx, &mut rec, &profile, now).await?;
        }
    }
    if let Err(e) = eng::save(tx.conn(), &rec).await {
        drop(tx);
        return Err(match e {
            // Lost a race to a concurrent request for the same work item.
            crate::store::StoreError::Conflict { .. } => {
                let key = rec.work_item_key().unwrap_or_default();
                let mut conn = ctx.store.read().await?;
                match eng::active_with_work_item(&mut conn, account, &key).await? {
                    Some(existing) => duplicate(existing),
                    None => e.into(),
                }
            }
            other => other.into(),
        });
    }
    let created = shared::state_machine::initial().1;
    emit(&mut tx, &rec, &[], created, None, serde_json::json!({})).await?;
    let body = serde_json::to_string(&rec.to_api(&[])?).expect("engagement serializes");
    if let Some(key) = idempotency_key {
        eng::store_response(
            tx.conn(),
            account,
            key,
            &StoredResponse {
                request_hash,
                status: 201,
                body: body.clone(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    ctx.dispatch.poke();
    Ok(Started { status: 201, body })
}

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
    let mut tx = ctx.store.begin_for(account).await?;
    let agent = agents::get(tx.conn(), account, me)
        .await?
        .ok_or_else(|| ServiceError::NotFound("no such agent".into()))?;
    if matches!(agent.agent.status, shared::config::AgentStatus::Offline) {
        return Err(super::conflict(
            "you are offline: set your status to ready or not ready before dialing",
        ));
    }
    let held = eng::holdings(tx.conn(), account).await?;
    if held.get(&me).is_some_and(|h| {
        h.iter()
            .any(|c| matches!(c, Channel::Voice | Channel::Video))
    }) {
        return Err(super::conflict(
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
    emit(&mut tx, &rec, &[], created, Some(me), serde_json::json!({})).await?;
    for command in [Command::Offer, Command::Accept] {
        let t = transition(rec.state, command)?;
        rec.state = t.to;
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
        for kind in t.events {
            emit(
                &mut tx,
                &rec,
                &offered_to,
                kind,
                Some(me),
                serde_json::json!({}),
            )
            .await?;
        }
    }
    eng::save(tx.conn(), &rec).await?;
    tx.commit().await?;
    Ok(rec.to_api(&[])?)
}

fn duplicate(existing: EngagementId) -> ServiceError {
    ServiceError::Conflict {
        message: format!(
            "engagement {existing} is already active for this work_item_id and work_item_name"
        ),
        engagement_id: Some(existing),
    }
}

// ---- reads -------------------------------------------------------------------------------------

/// Who may see an engagement: supervisors/admins, clients with `engagements:read`, and the
/// agents it is offered or assigned to.
async fn visible(
    tx_or_conn: &mut sqlx::AnyConnection,
    p: &Principal,
    rec: &EngagementRecord,
) -> Result<Vec<AgentId>> {
    let offered = eng::agent_ids(&eng::offers_for(tx_or_conn, rec.id).await?);
    match p {
        Principal::Agent {
            role: Role::Agent,
            agent,
            ..
        } => {
            if rec.agent_id != Some(*agent) && !offered.contains(agent) {
                return Err(Denied::NotYours.into());
            }
        }
        Principal::Agent { .. } => {}
        Principal::Client { .. } => p
            .client_with(Scope::EngagementsRead)
            .or_else(|_| p.client_with(Scope::EngagementsWrite))?,
    }
    Ok(offered)
}

pub async fn get(ctx: &Ctx, p: &Principal, id: EngagementId) -> Result<Engagement> {
    let mut conn = ctx.store.snapshot().await?;
    let rec = eng::get(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let offered = visible(&mut conn, p, &rec).await?;
    Ok(rec.to_api(&offered)?)
}

pub async fn notes(ctx: &Ctx, p: &Principal, id: EngagementId) -> Result<Vec<NoteRecord>> {
    let mut conn = ctx.store.snapshot().await?;
    let rec = eng::get(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    visible(&mut conn, p, &rec).await?;
    Ok(eng::notes(&mut conn, id).await?)
}

/// The engagements an agent holds or is being offered (the widget's resync).
pub async fn mine(ctx: &Ctx, p: &Principal) -> Result<Vec<Engagement>> {
    let (agent, _) = p.agent()?;
    let mut conn = ctx.store.snapshot().await?;
    let list = eng::for_agent(&mut conn, p.account(), agent).await?;
    let mut out = Vec::with_capacity(list.len());
    for rec in list {
        let offered = eng::agent_ids(&eng::offers_for(&mut conn, rec.id).await?);
        out.push(rec.to_api(&offered)?);
    }
    Ok(out)
}

pub async fn list(
    ctx: &Ctx,
    p: &Principal,
    state: Option<EngagementState>,
    limit: i64,
) -> Result<Vec<Engagement>> {
    if let Principal::Client { .. } = p {
        p.client_with(Scope::EngagementsRead)?;
    } else {
        p.supervisor_or(Scope::EngagementsRead)?;
    }
    let mut conn = ctx.store.snapshot().await?;
    let list = eng::list(&mut conn, p.account(), state, limit.clamp(1, 500)).await?;
    let mut out = Vec::with_capacity(list.len());
    for rec in list {
        let offered = eng::agent_ids(&eng::offers_for(&mut conn, rec.id).await?);
        out.push(rec.to_api(&offered)?);
    }
    Ok(out)
}

// ---- commands ----------------------------------------------------------------------------------

/// Where a transfer sends the engagement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum TransferTarget {
    Queue {
        queue_id: QueueId,
    },
    Flow {
        flow_id: FlowId,
    },
    /// Ring this agent first (for up to two minutes), then anyone in the current queue.
    Agent {
        agent_id: AgentId,
    },
}

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
    Monitor { barge: bool },
}

impl Action {
    fn command(&self) -> Command {
        match self {
            Action::Accept => Command::Accept,
            Action::Decline => Command::Decline,
            Action::MarkInactive => Command::MarkInactive,
            Action::Resume => Command::Resume,
            Action::Transfer(_) => Command::Transfer,
            Action::AddNote(_) => Command::AddNote,
            Action::SetDisposition(_) => Command::SetDisposition,
            Action::UpdateVariables(_) => Command::UpdateVariables,
            Action::End => Command::End,
            Action::Close => Command::Close,
            Action::Cancel => Command::Cancel,
            Action::Monitor { .. } => Command::Monitor,
        }
    }
}

/// Missed offers in a row after which an agent is set not ready.
pub const MAX_MISSES: i64 = 3;
const DIRECT_TRANSFER_WAIT_MS: i64 = 120_000;

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

/// Check the payload before taking any lock.
fn check_action(action: &Action) -> Result<()> {
    match action {
        Action::AddNote(body) => validate::required("body", body, 10_000),
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
pub async fn act(ctx: &Ctx, p: &Principal, id: EngagementId, action: Action) -> Result<Engagement> {
    check_action(&action)?;
    let account = p.account();
    let mut tx = ctx.store.begin_for(account).await?;
    let mut rec = load(&mut tx, account, id).await?;
    let offered = eng::agent_ids(&eng::offers_for(tx.conn(), id).await?);
    authorize(p, &action, &rec, &offered)?;
    let actor = p.agent_id();
    let now = ctx.clock.now_ms();
    let mut poke = false;

    if let Action::Monitor { barge } = action {
        let t = transition(rec.state, Command::Monitor)?;
        let extra = serde_json::json!({ "supervisor_id": actor, "mode": if barge { "barge" } else { "monitor" } });
        emit(&mut tx, &rec, &[], t.events[0], rec.agent_id, extra).await?;
        tx.commit().await?;
        return Ok(rec.to_api(&[])?);
    }

    let command = action.command();
    // Close from connected/inactive passes through wrap-up (End then Close).
    if command == Command::Close
        && matches!(
            rec.state,
            EngagementState::Connected | EngagementState::Inactive
        )
    {
        let t = transition(rec.state, Command::End)?;
        rec.state = t.to;
        rec.wrap_up_at_ms = Some(now);
        for kind in t.events {
            emit(
                &mut tx,
                &rec,
                &[],
                kind,
                rec.agent_id,
                serde_json::json!({}),
            )
            .await?;
        }
    }
    let t = transition(rec.state, command)?;
    let mut remaining_offers = offered.clone();
    let mut extra = serde_json::json!({});
    match &action {
        Action::Accept => {
            let me = actor.expect("authorized agent");
            rec.agent_id = Some(me);
            rec.connected_at_ms = Some(now);
            eng::delete_offers(tx.conn(), id).await?;
            agents::reset_misses(tx.conn(), me).await?;
            for other in offered.iter().filter(|a| **a != me) {
                emit(
                    &mut tx,
                    &rec,
                    &[],
                    EventKind::EngagementOfferRescinded,
                    Some(*other),
                    serde_json::json!({"reason": "accepted_by_another"}),
                )
                .await?;
            }
            remaining_offers.clear();
            poke = offered.len() > 1;
        }
        Action::Decline => {
            let me = actor.expect("authorized agent");
            eng::delete_offer(tx.conn(), id, me).await?;
            remaining_offers.retain(|a| *a != me);
            if !rec.excluded_agents.contains(&me) {
                rec.excluded_agents.push(me);
            }
            super::agents::note_miss(&mut tx, account, me).await?;
            if !remaining_offers.is_empty() {
                // Ring-all: others are still ringing; the engagement stays offered, and the
                // decliner stays excluded from it.
                eng::save(tx.conn(), &rec).await?;
                emit(
                    &mut tx,
                    &rec,
                    &remaining_offers,
                    EventKind::EngagementOfferDeclined,
                    Some(me),
                    serde_json::json!({}),
                )
                .await?;
                tx.commit().await?;
                return Ok(rec.to_api(&remaining_offers)?);
            }
            extra = serde_json::json!({"declined_by": me});
            poke = true;
        }
        Action::MarkInactive | Action::Resume => {}
        Action::Transfer(target) => {
            let from = rec.agent_id;
            rec.agent_id = None;
            rec.excluded_agents = from.into_iter().collect();
            rec.preferred_agent = None;
            rec.preferred_until_ms = None;
            rec.connected_at_ms = None;
            match target {
                TransferTarget::Queue { queue_id } => {
                    let queue =
                        load_queue(&mut tx, account, *queue_id)
                            .await?
                            .ok_or_else(|| {
                                unknown("queue_id", format!("queue {queue_id} does not exist"))
                            })?;
                    if queue.channel != rec.channel {
                        return Err(invalid(
                            "queue_id",
                            format!(
                                "queue {:?} takes {}, not {}",
                                queue.name, queue.channel, rec.channel
                            ),
                        ));
                    }
                    place_in_queue(&mut rec, &queue, vec![], 0, now);
                }
                TransferTarget::Flow { flow_id } => {
                    route_through_flow(&mut tx, &mut rec, *flow_id, "flow_id", now).await?;
                }
                TransferTarget::Agent { agent_id } => {
                    if agents::get(tx.conn(), account, *agent_id).await?.is_none() {
                        return Err(unknown(
                            "agent_id",
                            format!("agent {agent_id} does not exist"),
                        ));
                    }
                    if Some(*agent_id) == from {
                        return Err(invalid("agent_id", "the engagement is already yours"));
                    }
                    rec.excluded_agents.clear();
                    rec.preferred_agent = Some(*agent_id);
                    rec.preferred_until_ms = Some(now + DIRECT_TRANSFER_WAIT_MS);
                    rec.queued_at_ms = Some(now);
                }
            }
            if let Some(agent) = from {
                agents::set_idle_since(tx.conn(), agent, now).await?;
            }
            extra = serde_json::json!({"target": target, "from_agent_id": from});
            rec.state = t.to;
            eng::save(tx.conn(), &rec).await?;
            // The agent who had it learns it left; the next owner learns through its offer.
            emit(&mut tx, &rec, &[], t.events[0], from, extra).await?;
            tx.commit().await?;
            ctx.dispatch.poke();
            return Ok(rec.to_api(&[])?);
        }
        Action::AddNote(body) => {
            let note = NoteRecord {
                note_id: NoteId(uuid::Uuid::now_v7()),
                engagement_id: id,
                agent_id: actor,
                body: body.clone(),
                created_at_ms: now,
            };
            eng::insert_note(tx.conn(), &note).await?;
            // Who wrote it, so a CRM receiving the event needs no second call.
            let author = match actor {
                Some(a) => agents::get(tx.conn(), account, a).await?.map(|r| {
                    serde_json::json!({"agent_id": a, "display_name": r.agent.display_name, "email": r.agent.email})
                }),
                None => None,
            };
            extra = serde_json::json!({"note": note, "author": author});
        }
        Action::SetDisposition(d) => {
            let allowed: Vec<DispositionId> = match rec.queue_id {
                Some(q) => load_queue(&mut tx, account, q)
                    .await?
                    .map(|q| q.disposition_ids)
                    .unwrap_or_default(),
                None => vec![],
            };
            let all = cfg::list_dispositions(tx.conn(), account).await?;
            let found = all.iter().find(|x| x.disposition_id == *d);
            match found {
                None => {
                    return Err(unknown(
                        "disposition_id",
                        format!("disposition {d} does not exist"),
                    ))
                }
                Some(_) if !allowed.is_empty() && !allowed.contains(d) => {
                    return Err(invalid(
                        "disposition_id",
                        "this disposition is not in the queue's disposition set",
                    ))
                }
                Some(x) => extra = serde_json::json!({"disposition": x}),
            }
            rec.disposition_id = Some(*d);
        }
        Action::UpdateVariables(vars) => {
            if rec.variables.len()
                + vars
                    .keys()
                    .filter(|k| !rec.variables.contains_key(*k))
                    .count()
                > 200
            {
                return Err(invalid(
                    "variables",
                    "an engagement holds at most 200 variables",
                ));
            }
            rec.variables.extend(vars.clone());
            extra = serde_json::json!({"variables": vars});
        }
        Action::End => {
            rec.wrap_up_at_ms = Some(now);
        }
        Action::Close => {
            rec.closed_at_ms = Some(now);
            rec.close_reason = Some("completed".into());
            if let Some(agent) = rec.agent_id {
                agents::set_idle_since(tx.conn(), agent, now).await?;
            }
            extra = serde_json::json!({"reason": "completed"});
            poke = true;
        }
        Action::Cancel => {
            rec.closed_at_ms = Some(now);
            rec.close_reason = Some("cancelled".into());
            eng::delete_offers(tx.conn(), id).await?;
            for agent in &offered {
                emit(
                    &mut tx,
                    &rec,
                    &[],
                    EventKind::EngagementOfferRescinded,
                    Some(*agent),
                    serde_json::json!({"reason": "cancelled"}),
                )
                .await?;
            }
            remaining_offers.clear();
            extra = serde_json::json!({"reason": "cancelled"});
            poke = !offered.is_empty();
        }
        Action::Monitor { .. } => unreachable!("handled above"),
    }
    rec.state = t.to;
    if rec.state == EngagementState::Queued {
        rec.offered_at_ms = None;
    }
    eng::save(tx.conn(), &rec).await?;
    let event_agent = match &action {
        Action::Decline => actor,
        _ => rec.agent_id,
    };
    for kind in &t.events {
        emit(
            &mut tx,
            &rec,
            &remaining_offers,
            *kind,
            event_agent,
            extra.clone(),
        )
        .await?;
    }
    tx.commit().await?;
    if poke {
        ctx.dispatch.poke();
    }
    Ok(rec.to_api(&remaining_offers)?)
}
