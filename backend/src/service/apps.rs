//! Side-panel apps (admin): web pages the widget shows as tabs beside the engagements of the
//! queues that list them (`Queue::app_ids`). Agents read the list (their widget needs each
//! app's name, address and icon); only admins or clients with `config:write` change it.

use super::audit::Change;
use super::{conflict, validate, Ctx, Result, ServiceError};
use crate::auth::{Principal, Scope};
use crate::store::config::{self as cfg, DocTable};
use crate::store::StoreError;
use shared::config::{App, Queue};
use shared::ids::AppId;

/// Check an app and put its addresses in the form stored (see `validate::http_url`).
fn check(mut app: App) -> Result<App> {
    validate::required("name", &app.name, 100)?;
    app.url = validate::http_url("url", &app.url, 2000)?;
    if let Some(icon) = &app.icon_url {
        app.icon_url = Some(validate::http_url("icon_url", icon, 2000)?);
    }
    Ok(app)
}

/// `POST /v1/apps`, `PUT /v1/apps/{id}`.
pub async fn put(ctx: &Ctx, p: &Principal, app: App) -> Result<App> {
    p.admin_or(Scope::ConfigWrite)?;
    let app = check(app)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before = cfg::list_apps(tx.conn().await?, p.account())
        .await?
        .into_iter()
        .find(|x| x.app_id == app.app_id);
    cfg::put_app(tx.conn().await?, p.account(), &app)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => {
                conflict(format!("an app named {:?} already exists", app.name))
            }
            other => other.into(),
        })?;
    super::audit::record(
        &mut tx,
        p,
        Change::put("app", app.app_id, before.as_ref(), &app),
    )
    .await?;
    tx.commit().await?;
    Ok(app)
}

/// `GET /v1/apps`: agents read it too.
pub async fn list(ctx: &Ctx, p: &Principal) -> Result<Vec<App>> {
    if p.agent().is_err() {
        p.supervisor_or(Scope::ConfigRead)?;
    }
    Ok(cfg::list_apps(&mut *ctx.store.read().await?, p.account()).await?)
}

/// `GET /v1/apps/{id}`.
pub async fn get(ctx: &Ctx, p: &Principal, id: AppId) -> Result<App> {
    list(ctx, p)
        .await?
        .into_iter()
        .find(|a| a.app_id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("no app {id}")))
}

/// The origins the widget's pages may load side-panel apps from: their pages (`frame-src`)
/// and their icons (`img-src`), each once.
#[derive(Debug, Default)]
pub struct AppOrigins {
    pub frames: Vec<String>,
    pub images: Vec<String>,
}

pub async fn origins(ctx: &Ctx) -> Result<AppOrigins> {
    let urls = cfg::all_app_urls(&mut *ctx.store.read().await?).await?;
    let origin_of = |u: &str| {
        url::Url::parse(u)
            .ok()
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o != "null")
    };
    let frames: std::collections::BTreeSet<String> =
        urls.iter().filter_map(|(u, _)| origin_of(u)).collect();
    let images: std::collections::BTreeSet<String> = urls
        .iter()
        .filter_map(|(_, i)| i.as_deref().and_then(origin_of))
        .collect();
    Ok(AppOrigins {
        frames: frames.into_iter().collect(),
        images: images.into_iter().collect(),
    })
}

/// `DELETE /v1/apps/{id}`: refused (409, naming them) while queues still show it.
pub async fn delete(ctx: &Ctx, p: &Principal, id: AppId) -> Result<()> {
    p.admin_or(Scope::ConfigWrite)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before = cfg::list_apps(tx.conn().await?, p.account())
        .await?
        .into_iter()
        .find(|x| x.app_id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("no app {id}")))?;
    let queues: Vec<Queue> =
        cfg::list_docs(tx.conn().await?, DocTable::Queues, p.account()).await?;
    let using: Vec<String> = queues
        .into_iter()
        .filter(|q| q.app_ids.contains(&id))
        .map(|q| format!("{:?}", q.name))
        .collect();
    if !using.is_empty() {
        return Err(conflict(format!(
            "app {id} is shown by queue(s) {}: take it out of their app_ids first",
            using.join(", ")
        )));
    }
    cfg::delete_app(tx.conn().await?, p.account(), id).await?;
    super::audit::record(&mut tx, p, Change::deleted("app", id, Some(&before))).await?;
    tx.commit().await?;
    Ok(())
}
