//! Webhook subscriptions: create (with Zoom's URL validation), read, change, delete, validate,
//! rotate the secret; the delivery log, redelivery and recovery. Delivery itself is
//! `delivery::webhooks`.

use super::audit::{self, Change};
use super::{invalid, validate, Ctx, Result, ServiceError};
use crate::auth::{Principal, Scope};
use crate::delivery::webhooks::signing::Secret;
use crate::delivery::webhooks::{self as outbound, worker, ROTATION_OVERLAP_MS};
use crate::store::webhooks::{self as store, WebhookRow};
use shared::ids::{DeliveryId, WebhookId};
use shared::webhooks::{
    is_known_name, CreateWebhook, DeliveriesPage, Delivery, DeliveryAttempt, DeliveryStatus,
    Requeued, UpdateWebhook, ValidationState, Webhook, WebhookWithSecret, ALL_EVENTS,
};

fn not_found(id: WebhookId) -> ServiceError {
    ServiceError::NotFound(format!("no webhook {id}"))
}

fn allowed(p: &Principal) -> Result<()> {
    Ok(p.admin_or(Scope::WebhooksWrite)?)
}

fn to_api(w: &WebhookRow) -> Result<Webhook> {
    Ok(Webhook {
        webhook_id: w.webhook_id,
        url: w.url.clone(),
        events: w.events.clone(),
        description: w.description.clone(),
        enabled: w.enabled,
        validation: w.validation,
        disabled_reason: w.disabled_reason.clone(),
        previous_secret_expires_at: w
            .previous_secret_expires_ms
            .filter(|t| *t > crate::store::now_ms())
            .map(crate::store::ms_to_datetime)
            .transpose()?,
        created_at: crate::store::ms_to_datetime(w.created_at_ms)?,
    })
}

/// A URL the server may call: well-formed, https unless private addresses are allowed, and
/// not resolving to a refused address.
async fn check_url(ctx: &Ctx, url: &str) -> Result<String> {
    validate::required("url", url, 2000)?;
    ctx.outbound
        .sender
        .check_public(url)
        .await
        .map_err(|e| super::address_error("url", e))?;
    Ok(url.trim().to_string())
}

fn check_events(events: &[String]) -> Result<Vec<String>> {
    if events.is_empty() {
        return Err(invalid(
            "events",
            "give at least one event name, or [\"*\"] for every event",
        ));
    }
    validate::at_most("events", events, 100)?;
    let mut out: Vec<String> = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        if !is_known_name(e) {
            return Err(invalid(
                format!("events[{i}]"),
                format!("{e:?} is not a webhook event name (see docs/webhooks.md), nor \"*\""),
            ));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    if out.iter().any(|e| e == ALL_EVENTS) {
        out = vec![ALL_EVENTS.to_string()];
    }
    Ok(out)
}

async fn validate_url(ctx: &Ctx, url: &str, secret: &Secret) -> Result<()> {
    outbound::validate_endpoint(&ctx.outbound.sender, url, secret)
        .await
        .map_err(|message| invalid("url", message))
}

pub async fn create(ctx: &Ctx, p: &Principal, req: CreateWebhook) -> Result<WebhookWithSecret> {
    allowed(p)?;
    let url = check_url(ctx, &req.url).await?;
    let events = check_events(&req.events)?;
    validate::optional("description", req.description.as_deref(), 500)?;
    let (secret, validation) = match &req.secret {
        Some(given) => {
            let secret = Secret::parse(given).map_err(|e| invalid("secret", e.to_string()))?;
            // The receiver holds the secret already: validate before anything is saved.
            validate_url(ctx, &url, &secret).await?;
            (secret, ValidationState::Passed)
        }
        None => (Secret::generate(), ValidationState::Pending),
    };
    let now = ctx.clock.now_ms();
    let row = WebhookRow {
        webhook_id: WebhookId(uuid::Uuid::now_v7()),
        account_id: p.account(),
        url,
        events,
        description: req.description.filter(|d| !d.trim().is_empty()),
        enabled: validation == ValidationState::Passed,
        validation,
        secret: secret.as_str().to_string(),
        previous_secret: None,
        previous_secret_expires_ms: None,
        cursor_seq: 0,
        failing_since_ms: None,
        disabled_reason: None,
        created_at_ms: now,
        updated_at_ms: now,
    };
    let mut tx = ctx.store.begin().await?;
    store::insert(tx.conn().await?, &row).await?;
    store::reset_cursor(tx.conn().await?, &row).await?;
    let view = to_api(&row)?;
    audit::record(&mut tx, p, Change::put("webhook", id_of(&row), None, &view)).await?;
    tx.commit().await?;
    ctx.outbound.changed.notify_one();
    Ok(WebhookWithSecret {
        webhook: to_api(&row)?,
        secret: secret.as_str().to_string(),
    })
}

async fn load(ctx: &Ctx, p: &Principal, id: WebhookId) -> Result<WebhookRow> {
    let mut conn = ctx.store.read().await?;
    store::get(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| not_found(id))
}

pub async fn list(ctx: &Ctx, p: &Principal) -> Result<Vec<Webhook>> {
    allowed(p)?;
    let mut conn = ctx.store.read().await?;
    store::list(&mut conn, p.account())
        .await?
        .iter()
        .map(to_api)
        .collect()
}

pub async fn get(ctx: &Ctx, p: &Principal, id: WebhookId) -> Result<Webhook> {
    allowed(p)?;
    to_api(&load(ctx, p, id).await?)
}

pub async fn update(
    ctx: &Ctx,
    p: &Principal,
    id: WebhookId,
    req: UpdateWebhook,
) -> Result<Webhook> {
    allowed(p)?;
    let mut row = load(ctx, p, id).await?;
    let before = to_api(&row)?;
    let was_enabled = row.enabled;
    if let Some(events) = &req.events {
        row.events = check_events(events)?;
    }
    if let Some(description) = req.description {
        validate::optional("description", Some(&description), 500)?;
        row.description = Some(description).filter(|d| !d.trim().is_empty());
    }
    if let Some(url) = &req.url {
        let url = check_url(ctx, url).await?;
        if url != row.url {
            row.url = url;
            // A pending subscription is validated later, once the receiver holds its secret.
            if row.validation != ValidationState::Pending {
                validate_url(ctx, &row.url, &stored_secret(&row)?).await?;
                row.validation = ValidationState::Passed;
            }
        }
    }
    if let Some(enabled) = req.enabled {
        if enabled && row.validation != ValidationState::Passed {
            return Err(super::conflict("the URL has not passed validation: POST /v1/webhooks/{id}/validate once the receiver holds the secret"));
        }
        if enabled {
            enable(&mut row);
        } else {
            row.enabled = false;
        }
    }
    save(ctx, p, &mut row, was_enabled, &before).await?;
    to_api(&row)
}

fn id_of(row: &WebhookRow) -> String {
    row.webhook_id.0.to_string()
}

fn stored_secret(row: &WebhookRow) -> Result<Secret> {
    Secret::parse(&row.secret)
        .map_err(|e| ServiceError::Store(crate::store::StoreError::Corrupt(e.to_string())))
}

fn enable(row: &mut WebhookRow) {
    row.enabled = true;
    row.disabled_reason = None;
    row.failing_since_ms = None;
}

/// Save a changed subscription; one (re-)enabled starts from the end of the log, and the
/// delivery worker hears of it at once.
/// The change is recorded in the audit trail against `before`.
async fn save(
    ctx: &Ctx,
    p: &Principal,
    row: &mut WebhookRow,
    was_enabled: bool,
    before: &Webhook,
) -> Result<()> {
    row.updated_at_ms = ctx.clock.now_ms();
    let mut tx = ctx.store.begin().await?;
    store::update(tx.conn().await?, row).await?;
    if row.enabled && !was_enabled {
        store::reset_cursor(tx.conn().await?, row).await?;
    }
    let after = to_api(row)?;
    audit::record(
        &mut tx,
        p,
        Change::put("webhook", id_of(row), Some(before), &after),
    )
    .await?;
    tx.commit().await?;
    ctx.outbound.changed.notify_one();
    Ok(())
}

pub async fn delete(ctx: &Ctx, p: &Principal, id: WebhookId) -> Result<()> {
    allowed(p)?;
    let before = to_api(&load(ctx, p, id).await?)?;
    let mut tx = ctx.store.begin().await?;
    store::delete(tx.conn().await?, p.account(), id)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => not_found(id),
            other => other.into(),
        })?;
    audit::record(&mut tx, p, Change::deleted("webhook", id.0, Some(&before))).await?;
    tx.commit().await?;
    Ok(())
}

/// Run the URL validation with the stored secret; on success the subscription is enabled.
pub async fn validate(ctx: &Ctx, p: &Principal, id: WebhookId) -> Result<Webhook> {
    allowed(p)?;
    let mut row = load(ctx, p, id).await?;
    let before = to_api(&row)?;
    let result = validate_url(ctx, &row.url, &stored_secret(&row)?).await;
    let was_enabled = row.enabled;
    row.validation = if result.is_ok() {
        ValidationState::Passed
    } else {
        ValidationState::Failed
    };
    if result.is_ok() {
        enable(&mut row);
    }
    save(ctx, p, &mut row, was_enabled, &before).await?;
    result?;
    to_api(&row)
}

/// A new secret; for 24 h deliveries carry signatures made with both.
pub async fn rotate_secret(ctx: &Ctx, p: &Principal, id: WebhookId) -> Result<WebhookWithSecret> {
    allowed(p)?;
    let mut row = load(ctx, p, id).await?;
    let now = ctx.clock.now_ms();
    let secret = Secret::generate();
    row.previous_secret = Some(std::mem::replace(
        &mut row.secret,
        secret.as_str().to_string(),
    ));
    row.previous_secret_expires_ms = Some(now + ROTATION_OVERLAP_MS);
    row.updated_at_ms = now;
    let mut tx = ctx.store.begin().await?;
    store::update(tx.conn().await?, &row).await?;
    audit::record(
        &mut tx,
        p,
        Change::action("webhook", id_of(&row), "secret_rotated"),
    )
    .await?;
    tx.commit().await?;
    Ok(WebhookWithSecret {
        webhook: to_api(&row)?,
        secret: secret.as_str().to_string(),
    })
}

pub async fn deliveries(
    ctx: &Ctx,
    p: &Principal,
    id: WebhookId,
    status: Option<DeliveryStatus>,
    after: i64,
    limit: i64,
) -> Result<DeliveriesPage> {
    allowed(p)?;
    load(ctx, p, id).await?;
    let mut conn = ctx.store.read().await?;
    let rows = store::deliveries(&mut conn, id, status, after, limit).await?;
    let has_more = rows.len() as i64 == limit;
    let next_after = rows.last().map_or(after, |d| d.event_seq);
    let deliveries = rows
        .into_iter()
        .map(|d| {
            Ok(Delivery {
                delivery_id: d.delivery_id,
                event_id: d.event_id,
                seq: d.event_seq,
                event: d.event_name,
                status: d.status,
                next_attempt_at: d
                    .next_attempt_ms
                    .filter(|_| d.status == DeliveryStatus::Pending)
                    .map(crate::store::ms_to_datetime)
                    .transpose()?,
                attempts: attempts_view(d.attempts)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DeliveriesPage {
        deliveries,
        next_after,
        has_more,
    })
}

pub async fn redeliver(
    ctx: &Ctx,
    p: &Principal,
    id: WebhookId,
    delivery: DeliveryId,
) -> Result<Requeued> {
    allowed(p)?;
    load(ctx, p, id).await?;
    let mut tx = ctx.store.begin().await?;
    if !store::redeliver(tx.conn().await?, id, delivery, ctx.clock.now_ms()).await? {
        return Err(ServiceError::NotFound(format!(
            "webhook {id} has no delivery {delivery}"
        )));
    }
    tx.commit().await?;
    ctx.store.poke_watchers();
    Ok(Requeued { queued: 1 })
}

/// Queue again every selected event since `since` (at most 31 days back).
pub async fn recover(
    ctx: &Ctx,
    p: &Principal,
    id: WebhookId,
    since: time::OffsetDateTime,
) -> Result<Requeued> {
    allowed(p)?;
    let row = load(ctx, p, id).await?;
    let now = ctx.clock.now_ms();
    let since_ms = (since.unix_timestamp_nanos() / 1_000_000) as i64;
    if since_ms > now {
        return Err(invalid("since", "since is in the future"));
    }
    let mut tx = ctx.store.begin().await?;
    let queued = store::recover(tx.conn().await?, &row, since_ms, now, |e| {
        worker::select(&row, e)
    })
    .await?;
    tx.commit().await?;
    ctx.store.poke_watchers();
    Ok(Requeued { queued })
}

// ---- flow callouts -------------------------------------------------------------------------

/// The key flow callouts are signed with (admins only: it lets its holder forge callouts).
pub async fn callout_secret(ctx: &Ctx, p: &Principal) -> Result<shared::webhooks::CalloutSecret> {
    match p {
        Principal::Agent {
            role: shared::config::Role::Admin,
            ..
        } => {}
        _ => return Err(crate::auth::Denied::Role("admin").into()),
    }
    let secret = ctx
        .store
        .callout_secret(p.account(), Secret::generate().as_str())
        .await?;
    Ok(shared::webhooks::CalloutSecret { secret })
}

/// A flow's callout log.
pub async fn callout_deliveries(
    ctx: &Ctx,
    p: &Principal,
    flow: shared::ids::FlowId,
    status: Option<DeliveryStatus>,
    after: i64,
    limit: i64,
) -> Result<shared::webhooks::CalloutDeliveriesPage> {
    p.admin_or(Scope::ConfigRead)?;
    let mut conn = ctx.store.read().await?;
    let exists: Option<shared::config::Flow> = crate::store::config::get_doc(
        &mut conn,
        crate::store::config::DocTable::Flows,
        p.account(),
        &flow.to_string(),
    )
    .await?;
    if exists.is_none() {
        return Err(ServiceError::NotFound(format!("no flow {flow}")));
    }
    let rows =
        crate::store::callouts::deliveries(&mut conn, p.account(), flow, status, after, limit)
            .await?;
    let has_more = rows.len() as i64 == limit;
    let next_after = rows.last().map_or(after, |d| d.event_seq);
    let deliveries = rows
        .into_iter()
        .map(|d| {
            Ok(shared::webhooks::CalloutDelivery {
                delivery_id: d.delivery_id,
                event_id: d.event_id,
                seq: d.event_seq,
                callout_index: d.callout_index,
                on: d.trigger,
                url: d.url,
                status: d.status,
                next_attempt_at: d
                    .next_attempt_ms
                    .filter(|_| d.status == DeliveryStatus::Pending)
                    .map(crate::store::ms_to_datetime)
                    .transpose()?,
                attempts: attempts_view(d.attempts)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(shared::webhooks::CalloutDeliveriesPage {
        deliveries,
        next_after,
        has_more,
    })
}

fn attempts_view(
    attempts: Vec<crate::store::webhooks::AttemptRow>,
) -> Result<Vec<DeliveryAttempt>> {
    attempts
        .into_iter()
        .map(|a| {
            Ok(DeliveryAttempt {
                attempted_at: crate::store::ms_to_datetime(a.attempted_at_ms)?,
                response_status: a.response_status,
                latency_ms: a.latency_ms,
                response_body: a.response_body,
                error: a.error,
            })
        })
        .collect()
}
