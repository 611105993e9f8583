//! `POST /v1/engagements`: an external system or connector starts an engagement.

use super::placement::{apply_profile, route_through_flow};
use crate::auth::{Principal, Scope};
use crate::service::events::emit;
use crate::service::routing_view::RoutingView;
use crate::service::{invalid, unknown, validate, Ctx, Result, ServiceError};
use crate::store::engagements::{self as eng, EngagementRecord, StoredResponse};
use crate::store::{StoreError, Tx};
use sha2::Digest;
use shared::api::StartEngagementRequest;
use shared::engagement::{Consumer, WorkItem};
use shared::ids::EngagementId;
use shared::payload::Detail;
use shared::{Channel, Direction};

/// The outcome of a start: the engagement, and `replayed` when an `Idempotency-Key` matched
/// an earlier request (the engagement is then the one that request created, as it was). It is
/// serialised only where it leaves: the idempotency store and the HTTP answer.
pub struct Started {
    pub engagement: shared::Engagement,
    pub replayed: bool,
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
            let hyperlink = match w.work_item_hyperlink.as_deref().filter(|h| !h.is_empty()) {
                Some(h) => Some(validate::http_url(&f("work_item_hyperlink"), h, 2000)?),
                None => None,
            };
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
                hyperlink,
                priority: w.work_item_priority,
                due_date,
                origin: w.work_item_origin.clone(),
                type_id: w.work_item_type_id.clone(),
            })
        }
    };
    Ok((channel, work_item, due))
}

/// `POST /v1/engagements`.
pub async fn start(
    ctx: &Ctx,
    p: &Principal,
    req: StartEngagementRequest,
    idempotency_key: Option<&str>,
) -> Result<Started> {
    let checked = check(p, req, idempotency_key)?;
    let account = p.account();
    ctx.writer
        .apply(true, move |tx, ctx, view| {
            Box::pin(create(tx, ctx, view, account, checked))
        })
        .await
}

/// Every check of a start that needs no database: who may start, the key, the request.
pub(crate) fn check(
    p: &Principal,
    req: StartEngagementRequest,
    idempotency_key: Option<&str>,
) -> Result<Checked> {
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
    Ok(Checked {
        req,
        channel,
        work_item,
        due_at_ms,
        request_hash,
        idempotency_key: idempotency_key.map(str::to_owned),
    })
}

/// A start request that passed every check that needs no database.
pub(crate) struct Checked {
    req: StartEngagementRequest,
    channel: Channel,
    work_item: Option<WorkItem>,
    due_at_ms: Option<i64>,
    /// SHA-256 of the request, to tell a replay from a different request under one key.
    request_hash: String,
    idempotency_key: Option<String>,
}

/// The start itself, inside a batch.
pub(crate) async fn create(
    tx: &mut Tx,
    ctx: &Ctx,
    view: &RoutingView,
    account: shared::ids::AccountId,
    checked: Checked,
) -> Result<Started> {
    let Checked {
        req,
        channel,
        work_item,
        due_at_ms,
        request_hash,
        idempotency_key,
    } = checked;
    if let Some(key) = idempotency_key.as_deref() {
        if let Some(stored) = eng::idempotent_response(tx.conn().await?, account, key).await? {
            if stored.request_hash != request_hash {
                return Err(invalid(
                    "Idempotency-Key",
                    "this Idempotency-Key was used for a different request",
                ));
            }
            let engagement = serde_json::from_str(&stored.body).map_err(|e| {
                StoreError::Corrupt(format!("a stored start response does not read: {e}"))
            })?;
            return Ok(Started {
                engagement,
                replayed: true,
            });
        }
    }
    let entry = view
        .entries
        .get(req.flow.flow_entry_id.trim())
        .cloned()
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
        entry_address: entry.entry.address.clone(),
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
        if let Some(existing) = holder_of(tx, view, &key) {
            return Err(duplicate(existing));
        }
    }
    route_through_flow(
        view,
        &mut rec,
        entry.entry.flow_id,
        "flow.flow_entry_id",
        now,
    )?;
    if let Some(profile) = entry.profile_id.and_then(|id| view.profiles.get(&id)) {
        apply_profile(tx, view, &mut rec, profile, now).await?;
    }
    // The batch holds the account's write lock and `holder_of` above sees every committed
    // engagement and every earlier start of the same batch, so the unique index (the last
    // line) cannot refuse this save.
    tx.save_engagement(&rec);
    let created = shared::state_machine::initial().1;
    emit(tx, &rec, &[], created, None, Detail::Plain {}).await?;
    let engagement = rec.to_api(&[])?;
    if let Some(key) = idempotency_key.as_deref() {
        eng::store_response(
            tx.conn().await?,
            account,
            key,
            &StoredResponse {
                request_hash,
                status: 201,
                body: serde_json::to_string(&engagement).expect("an engagement serializes"),
            },
        )
        .await?;
    }
    // The batch's routing pass offers it before the batch commits.
    Ok(Started {
        engagement,
        replayed: false,
    })
}

/// The active engagement holding a work-item key: one this transaction saved, else the
/// routing view's (every active engagement as committed), unless this transaction has since
/// moved that one off the key.
fn holder_of(tx: &Tx, view: &RoutingView, key: &str) -> Option<EngagementId> {
    if let Some(id) = tx.key_owner(key) {
        return Some(id);
    }
    let id = view.with_work_item(key)?;
    // Saved by this transaction since, it holds the key no more (else `key_owner` found it).
    (!tx.touched_engagement(id)).then_some(id)
}

fn duplicate(existing: EngagementId) -> ServiceError {
    ServiceError::Conflict {
        message: format!(
            "engagement {existing} is already active for this work_item_id and work_item_name"
        ),
        engagement_id: Some(existing),
    }
}
