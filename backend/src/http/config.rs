//! Configuration routes (admin; supervisors and `config:read` clients may read).

use super::auth::Auth;
use super::error::ApiError;
use super::extract::{parse_with_id, ApiJson, ApiPath};
use super::AppState;
use crate::service::config::{self as svc, AgentInput};
use crate::store::config::EntryRecord;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shared::config::{
    Agent, BusyAgentRules, ConsumerRoutingProfile, Disposition, Flow, Queue, Skill,
};
use shared::ids::{AgentId, DispositionId, FlowId, QueueId, RoutingProfileId, SkillId};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_skills, create_skill))
        .routes(routes!(replace_skill, delete_skill))
        .routes(routes!(list_dispositions, create_disposition))
        .routes(routes!(replace_disposition, delete_disposition))
        .routes(routes!(list_queues, create_queue))
        .routes(routes!(get_queue, replace_queue, delete_queue))
        .routes(routes!(list_flows, create_flow))
        .routes(routes!(get_flow, replace_flow, delete_flow))
        .routes(routes!(list_entries, create_entry))
        .routes(routes!(replace_entry, delete_entry))
        .routes(routes!(list_profiles, create_profile))
        .routes(routes!(replace_profile, delete_profile))
        .routes(routes!(get_busy_rules, put_busy_rules))
        .routes(routes!(list_agents, create_agent))
        .routes(routes!(get_agent, replace_agent, delete_agent))
        .routes(routes!(revoke_agent_sessions))
}

fn fresh() -> String {
    uuid::Uuid::now_v7().to_string()
}

type Created<T> = Result<(StatusCode, Json<T>), ApiError>;

// skills
#[utoipa::path(get, path = "/v1/skills", responses((status = 200, body = Vec<shared::config::Skill>), super::openapi::ReadErrors))]
async fn list_skills(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Skill>>, ApiError> {
    Ok(Json(svc::list_skills(&s.ctx, &p).await?))
}
#[utoipa::path(post, path = "/v1/skills", request_body = shared::config::Skill, responses((status = 201, body = shared::config::Skill), super::openapi::WriteErrors))]
async fn create_skill(State(s): State<AppState>, Auth(p): Auth, body: Bytes) -> Created<Skill> {
    let skill = parse_with_id(&body, "skill_id", fresh(), false)?;
    Ok((
        StatusCode::CREATED,
        Json(svc::put_skill(&s.ctx, &p, skill).await?),
    ))
}
#[utoipa::path(put, path = "/v1/skills/{id}", request_body = shared::config::Skill, params(("id" = uuid::Uuid, Path, description = "Skill id")), responses((status = 200, body = shared::config::Skill), super::openapi::WriteErrors))]
async fn replace_skill(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SkillId>,
    body: Bytes,
) -> Result<Json<Skill>, ApiError> {
    let skill = parse_with_id(&body, "skill_id", id.to_string(), true)?;
    Ok(Json(svc::put_skill(&s.ctx, &p, skill).await?))
}
#[utoipa::path(delete, path = "/v1/skills/{id}", params(("id" = uuid::Uuid, Path, description = "Skill id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_skill(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SkillId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_skill(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// dispositions
#[utoipa::path(get, path = "/v1/dispositions", responses((status = 200, body = Vec<shared::config::Disposition>), super::openapi::ReadErrors))]
async fn list_dispositions(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Disposition>>, ApiError> {
    Ok(Json(svc::list_dispositions(&s.ctx, &p).await?))
}
#[utoipa::path(post, path = "/v1/dispositions", request_body = shared::config::Disposition, responses((status = 201, body = shared::config::Disposition), super::openapi::WriteErrors))]
async fn create_disposition(
    State(s): State<AppState>,
    Auth(p): Auth,
    body: Bytes,
) -> Created<Disposition> {
    let d = parse_with_id(&body, "disposition_id", fresh(), false)?;
    Ok((
        StatusCode::CREATED,
        Json(svc::put_disposition(&s.ctx, &p, d).await?),
    ))
}
#[utoipa::path(put, path = "/v1/dispositions/{id}", request_body = shared::config::Disposition, params(("id" = uuid::Uuid, Path, description = "Disposition id")), responses((status = 200, body = shared::config::Disposition), super::openapi::WriteErrors))]
async fn replace_disposition(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<DispositionId>,
    body: Bytes,
) -> Result<Json<Disposition>, ApiError> {
    let d = parse_with_id(&body, "disposition_id", id.to_string(), true)?;
    Ok(Json(svc::put_disposition(&s.ctx, &p, d).await?))
}
#[utoipa::path(delete, path = "/v1/dispositions/{id}", params(("id" = uuid::Uuid, Path, description = "Disposition id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_disposition(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<DispositionId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_disposition(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// queues
#[utoipa::path(get, path = "/v1/queues", responses((status = 200, body = Vec<shared::config::Queue>), super::openapi::ReadErrors))]
async fn list_queues(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Queue>>, ApiError> {
    Ok(Json(svc::list_queues(&s.ctx, &p).await?))
}
#[utoipa::path(get, path = "/v1/queues/{id}", params(("id" = uuid::Uuid, Path, description = "Queue id")), responses((status = 200, body = shared::config::Queue), super::openapi::ReadErrors))]
async fn get_queue(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<QueueId>,
) -> Result<Json<Queue>, ApiError> {
    Ok(Json(svc::get_queue(&s.ctx, &p, id).await?))
}
#[utoipa::path(post, path = "/v1/queues", request_body = shared::config::Queue, responses((status = 201, description = "Created (queue_id may be omitted)", body = shared::config::Queue), super::openapi::WriteErrors))]
async fn create_queue(State(s): State<AppState>, Auth(p): Auth, body: Bytes) -> Created<Queue> {
    let q = parse_with_id(&body, "queue_id", fresh(), false)?;
    Ok((
        StatusCode::CREATED,
        Json(svc::put_queue(&s.ctx, &p, q, false).await?),
    ))
}
#[utoipa::path(put, path = "/v1/queues/{id}", request_body = shared::config::Queue, params(("id" = uuid::Uuid, Path, description = "Queue id")), responses((status = 200, body = shared::config::Queue), super::openapi::WriteErrors))]
async fn replace_queue(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<QueueId>,
    body: Bytes,
) -> Result<Json<Queue>, ApiError> {
    let q = parse_with_id(&body, "queue_id", id.to_string(), true)?;
    Ok(Json(svc::put_queue(&s.ctx, &p, q, true).await?))
}
#[utoipa::path(delete, path = "/v1/queues/{id}", params(("id" = uuid::Uuid, Path, description = "Queue id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_queue(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<QueueId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_queue(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// flows
#[utoipa::path(get, path = "/v1/flows", responses((status = 200, body = Vec<shared::config::Flow>), super::openapi::ReadErrors))]
async fn list_flows(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<Vec<Flow>>, ApiError> {
    Ok(Json(svc::list_flows(&s.ctx, &p).await?))
}
#[utoipa::path(get, path = "/v1/flows/{id}", params(("id" = uuid::Uuid, Path, description = "Flow id")), responses((status = 200, body = shared::config::Flow), super::openapi::ReadErrors))]
async fn get_flow(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<FlowId>,
) -> Result<Json<Flow>, ApiError> {
    Ok(Json(svc::get_flow(&s.ctx, &p, id).await?))
}
#[utoipa::path(post, path = "/v1/flows", request_body = shared::config::Flow, responses((status = 201, description = "Created (flow_id may be omitted)", body = shared::config::Flow), super::openapi::WriteErrors))]
async fn create_flow(State(s): State<AppState>, Auth(p): Auth, body: Bytes) -> Created<Flow> {
    let f = parse_with_id(&body, "flow_id", fresh(), false)?;
    Ok((
        StatusCode::CREATED,
        Json(svc::put_flow(&s.ctx, &p, f, false).await?),
    ))
}
#[utoipa::path(put, path = "/v1/flows/{id}", request_body = shared::config::Flow, params(("id" = uuid::Uuid, Path, description = "Flow id")), responses((status = 200, body = shared::config::Flow), super::openapi::WriteErrors))]
async fn replace_flow(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<FlowId>,
    body: Bytes,
) -> Result<Json<Flow>, ApiError> {
    let f = parse_with_id(&body, "flow_id", id.to_string(), true)?;
    Ok(Json(svc::put_flow(&s.ctx, &p, f, true).await?))
}
#[utoipa::path(delete, path = "/v1/flows/{id}", params(("id" = uuid::Uuid, Path, description = "Flow id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_flow(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<FlowId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_flow(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// entry points
#[utoipa::path(get, path = "/v1/entry-points", responses((status = 200, body = Vec<EntryRecord>), super::openapi::ReadErrors))]
async fn list_entries(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<EntryRecord>>, ApiError> {
    Ok(Json(svc::list_entries(&s.ctx, &p).await?))
}
#[utoipa::path(post, path = "/v1/entry-points", request_body = EntryRecord, responses((status = 201, body = EntryRecord), super::openapi::WriteErrors))]
async fn create_entry(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(e): ApiJson<EntryRecord>,
) -> Created<EntryRecord> {
    Ok((
        StatusCode::CREATED,
        Json(svc::put_entry(&s.ctx, &p, e).await?),
    ))
}
#[utoipa::path(put, path = "/v1/entry-points/{entry_id}", request_body = EntryRecord, params(("entry_id" = String, Path, min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_.-]+$", description = "The public entry id")), responses((status = 200, body = EntryRecord), super::openapi::WriteErrors))]
async fn replace_entry(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<Json<EntryRecord>, ApiError> {
    let e = parse_with_id(&body, "entry_id", id, true)?;
    Ok(Json(svc::put_entry(&s.ctx, &p, e).await?))
}
#[utoipa::path(delete, path = "/v1/entry-points/{entry_id}", params(("entry_id" = String, Path, min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_.-]+$", description = "The public entry id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_entry(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    svc::delete_entry(&s.ctx, &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// routing profiles
#[utoipa::path(get, path = "/v1/routing-profiles", responses((status = 200, body = Vec<shared::config::ConsumerRoutingProfile>), super::openapi::ReadErrors))]
async fn list_profiles(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<ConsumerRoutingProfile>>, ApiError> {
    Ok(Json(svc::list_profiles(&s.ctx, &p).await?))
}
#[utoipa::path(post, path = "/v1/routing-profiles", request_body = shared::config::ConsumerRoutingProfile, responses((status = 201, body = shared::config::ConsumerRoutingProfile), super::openapi::WriteErrors))]
async fn create_profile(
    State(s): State<AppState>,
    Auth(p): Auth,
    body: Bytes,
) -> Created<ConsumerRoutingProfile> {
    let prof = parse_with_id(&body, "profile_id", fresh(), false)?;
    Ok((
        StatusCode::CREATED,
        Json(svc::put_profile(&s.ctx, &p, prof, false).await?),
    ))
}
#[utoipa::path(put, path = "/v1/routing-profiles/{id}", request_body = shared::config::ConsumerRoutingProfile, params(("id" = uuid::Uuid, Path, description = "Profile id")), responses((status = 200, body = shared::config::ConsumerRoutingProfile), super::openapi::WriteErrors))]
async fn replace_profile(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RoutingProfileId>,
    body: Bytes,
) -> Result<Json<ConsumerRoutingProfile>, ApiError> {
    let prof = parse_with_id(&body, "profile_id", id.to_string(), true)?;
    Ok(Json(svc::put_profile(&s.ctx, &p, prof, true).await?))
}
#[utoipa::path(delete, path = "/v1/routing-profiles/{id}", params(("id" = uuid::Uuid, Path, description = "Profile id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_profile(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RoutingProfileId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_profile(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// busy-agent rules
#[utoipa::path(get, path = "/v1/busy-agent-rules", responses((status = 200, body = shared::config::BusyAgentRules), super::openapi::ReadErrors))]
async fn get_busy_rules(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<BusyAgentRules>, ApiError> {
    Ok(Json(svc::get_busy_rules(&s.ctx, &p).await?))
}
#[utoipa::path(put, path = "/v1/busy-agent-rules", request_body = shared::config::BusyAgentRules, responses((status = 200, body = shared::config::BusyAgentRules), super::openapi::WriteErrors))]
async fn put_busy_rules(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(r): ApiJson<BusyAgentRules>,
) -> Result<Json<BusyAgentRules>, ApiError> {
    Ok(Json(svc::put_busy_rules(&s.ctx, &p, r).await?))
}

// agents
#[utoipa::path(get, path = "/v1/agents", responses((status = 200, body = Vec<shared::config::Agent>), super::openapi::ReadErrors))]
async fn list_agents(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Agent>>, ApiError> {
    Ok(Json(svc::list_agents(&s.ctx, &p).await?))
}
#[utoipa::path(get, path = "/v1/agents/{id}", params(("id" = uuid::Uuid, Path, description = "Agent id")), responses((status = 200, body = shared::config::Agent), super::openapi::ReadErrors))]
async fn get_agent(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<AgentId>,
) -> Result<Json<Agent>, ApiError> {
    Ok(Json(svc::get_agent(&s.ctx, &p, id).await?))
}
#[utoipa::path(post, path = "/v1/agents", request_body = AgentInput, responses((status = 201, body = shared::config::Agent), super::openapi::WriteErrors))]
async fn create_agent(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(a): ApiJson<AgentInput>,
) -> Created<Agent> {
    Ok((
        StatusCode::CREATED,
        Json(svc::put_agent(&s.ctx, &p, a, None).await?),
    ))
}
#[utoipa::path(put, path = "/v1/agents/{id}", request_body = AgentInput, params(("id" = uuid::Uuid, Path, description = "Agent id")), responses((status = 200, body = shared::config::Agent), super::openapi::WriteErrors))]
async fn replace_agent(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<AgentId>,
    ApiJson(a): ApiJson<AgentInput>,
) -> Result<Json<Agent>, ApiError> {
    // The path names the agent; an `agent_id` in the body is ignored.
    Ok(Json(svc::put_agent(&s.ctx, &p, a, Some(id)).await?))
}
#[utoipa::path(delete, path = "/v1/agents/{id}", params(("id" = uuid::Uuid, Path, description = "Agent id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_agent(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<AgentId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_agent(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/agents/{id}/sessions/revoke`: end every session of the agent (admins, or API
/// clients with `config:write`). Its tokens are refused at once on this instance, within
/// `--session-check-secs` on the others, and its WebSockets close everywhere.
#[utoipa::path(post, path = "/v1/agents/{id}/sessions/revoke", params(("id" = uuid::Uuid, Path, description = "Agent id")), responses((status = 200, description = "How many sessions were ended", body = crate::service::sessions::Revoked), super::openapi::WriteErrors))]
async fn revoke_agent_sessions(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<AgentId>,
) -> Result<Json<crate::service::sessions::Revoked>, ApiError> {
    Ok(Json(
        crate::service::sessions::revoke_agent(&s.ctx, &p, id).await?,
    ))
}
