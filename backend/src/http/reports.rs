//! Report routes (`docs/reports.md`): engagement rows (JSON pages, or the whole window as CSV
//! or NDJSON by `Accept`), and interval figures per queue and per agent. Supervisors (their
//! queues), admins and API clients with `reports:read`.

use super::auth::Auth;
use super::error::ApiError;
use super::extract::ApiQuery;
use super::AppState;
use crate::service::interactions::WindowQuery;
use crate::service::reports::{self as svc, ExportFormat, IntervalQuery, RowQuery};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shared::interactions::Page;
use shared::reports::{AgentReport, EngagementReport, IntervalReport, QueueReport};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(engagement_rows))
        .routes(routes!(queue_report))
        .routes(routes!(agent_report))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RowParams {
    /// Start of the window: RFC 3339 or a date (default: 30 days before `to`).
    #[param(schema_with = shared::limits::schemas::time_or_date)]
    from: Option<String>,
    /// End of the window: RFC 3339 or a date, that whole day (default: now). At most one
    /// month after `from`.
    #[param(schema_with = shared::limits::schemas::time_or_date)]
    to: Option<String>,
    /// The engagement's `start_time` (default: created) or `end_time` (closed).
    #[param(pattern = "^(start_time|end_time)$")]
    query_date_type: Option<String>,
    /// 1–300 (default 30). Ignored by CSV and NDJSON, which stream the whole window.
    #[param(minimum = 1, maximum = 300)]
    page_size: Option<i64>,
    /// From the previous page, for the next one (same window and filters).
    next_page_token: Option<String>,
    /// Engagements whose first or last queue is this one.
    #[param(value_type = Option<uuid::Uuid>)]
    queue_id: Option<String>,
    /// Engagements whose first or last agent is this one.
    #[param(value_type = Option<uuid::Uuid>)]
    agent_id: Option<String>,
    #[param(value_type = Option<shared::Channel>)]
    channel: Option<String>,
    #[param(value_type = Option<shared::reports::Outcome>)]
    outcome: Option<String>,
}

impl From<RowParams> for RowQuery {
    fn from(p: RowParams) -> Self {
        RowQuery {
            window: WindowQuery {
                from: p.from,
                to: p.to,
                query_date_type: p.query_date_type,
                page_size: p.page_size,
                next_page_token: p.next_page_token,
            },
            queue_id: p.queue_id,
            agent_id: p.agent_id,
            channel: p.channel,
            outcome: p.outcome,
        }
    }
}

/// The export format `Accept` asks for, if it asks for one.
fn export_format(headers: &HeaderMap) -> Option<ExportFormat> {
    let accept = headers
        .get(header::ACCEPT)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    let types: Vec<&str> = accept
        .split(',')
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .collect();
    if types.contains(&"text/csv") {
        Some(ExportFormat::Csv)
    } else if types.contains(&"application/x-ndjson") {
        Some(ExportFormat::Ndjson)
    } else {
        None
    }
}

/// `GET /v1/reports/engagements?from=&to=&queue_id=&agent_id=&channel=&outcome=`: one row per
/// engagement. `Accept: text/csv` (RFC 4180, a header row) or `application/x-ndjson` streams
/// the whole window; JSON pages otherwise.
#[utoipa::path(get, path = "/v1/reports/engagements", params(RowParams), responses((status = 200, content((Page<EngagementReport> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"))), super::openapi::ReadErrors))]
async fn engagement_rows(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<RowParams>,
) -> Result<Response, ApiError> {
    let q: RowQuery = q.into();
    let Some(format) = export_format(&headers) else {
        return Ok(Json(svc::engagement_rows(&s.ctx, &p, &q).await?).into_response());
    };
    let stream = svc::export(&s.ctx, &p, &q, format).await?;
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8; header=present", "csv"),
        ExportFormat::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"engagements.{extension}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct IntervalParams {
    /// Start: a date (local midnight in `time_zone`) or RFC 3339 (default: the start of the day `to` ends in).
    #[param(schema_with = shared::limits::schemas::time_or_date)]
    from: Option<String>,
    /// End: a date (through that whole local day) or RFC 3339 (default: now). At most 31
    /// days after `from`.
    #[param(schema_with = shared::limits::schemas::time_or_date)]
    to: Option<String>,
    /// `15m`, `1h` (default) or `1d`.
    #[param(pattern = "^(15m|1h|1d)$")]
    interval: Option<String>,
    /// IANA time zone the intervals follow, e.g. `Europe/Berlin` (default `UTC`).
    #[param(schema_with = time_zones)]
    time_zone: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct QueueParams {
    /// Only this queue.
    #[param(value_type = Option<uuid::Uuid>)]
    queue_id: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AgentParams {
    /// Only this agent.
    #[param(value_type = Option<uuid::Uuid>)]
    agent_id: Option<String>,
}

/// The time zones this server knows (its IANA database), as the parameter's enum.
fn time_zones() -> utoipa::openapi::schema::Object {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .collect();
    if !names.iter().any(|n| n == "UTC") {
        names.push("UTC".into());
    }
    names.sort();
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(names))
        .build()
}

fn interval_query(p: IntervalParams) -> IntervalQuery {
    IntervalQuery {
        from: p.from,
        to: p.to,
        interval: p.interval,
        time_zone: p.time_zone,
        queue_id: None,
        agent_id: None,
    }
}

/// `GET /v1/reports/queues?from=&to=&interval=&time_zone=&queue_id=`: per queue and interval,
/// offered, answered, abandoned (short apart), service level, ASA, p90 wait, handle time and
/// satisfaction.
#[utoipa::path(get, path = "/v1/reports/queues", params(IntervalParams, QueueParams), responses((status = 200, body = IntervalReport<QueueReport>), super::openapi::ReadErrors))]
async fn queue_report(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(i): ApiQuery<IntervalParams>,
    ApiQuery(q): ApiQuery<QueueParams>,
) -> Result<Json<IntervalReport<QueueReport>>, ApiError> {
    let mut query = interval_query(i);
    query.queue_id = q.queue_id;
    Ok(Json(svc::queue_report(&s.ctx, &p, &query).await?))
}

/// `GET /v1/reports/agents?from=&to=&interval=&time_zone=&agent_id=`: per agent and interval,
/// offers, answers, misses, handle time, occupancy and time per status.
#[utoipa::path(get, path = "/v1/reports/agents", params(IntervalParams, AgentParams), responses((status = 200, body = IntervalReport<AgentReport>), super::openapi::ReadErrors))]
async fn agent_report(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(i): ApiQuery<IntervalParams>,
    ApiQuery(q): ApiQuery<AgentParams>,
) -> Result<Json<IntervalReport<AgentReport>>, ApiError> {
    let mut query = interval_query(i);
    query.agent_id = q.agent_id;
    Ok(Json(svc::agent_report(&s.ctx, &p, &query).await?))
}
