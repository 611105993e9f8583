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
use axum::routing::{get, put};
use axum::{Json, Router};
use shared::config::{
    Agent, BusyAgentRules, ConsumerRoutingProfile, Disposition, Flow, Queue, Skill,
};
use shared::ids::{AgentId, DispositionId, FlowId, QueueId, RoutingProfileId, SkillId};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/skills", get(list_skills).post(create_skill))
        .route("/v1/skills/{id}", put(replace_skill).delete(delete_skill))
        .route(
            "/v1/dispositions",
            get(list_dispositions).post(create_disposition),
        )
        .route(
            "/v1/dispositions/{id}",
            put(replace_disposition).delete(delete_disposition),
        )
        .route("/v1/queues", get(list_queues).post(create_queue))
        .route(
            "/v1/queues/{id}",
            get(get_queue).put(replace_queue).delete(delete_queue),
        )
        .route("/v1/flows", get(list_flows).post(create_flow))
        .route(
            "/v1/flows/{id}",
            get(get_flow).put(replace_flow).delete(delete_flow),
        )
        .route("/v1/entry-points", get(list_entries).post(create_entry))
        .route(
            "/v1/entry-points/{entry_id}",
            put(replace_entry).delete(delete_entry),
        )
        .route(
            "/v1/routing-profiles",
            get(list_profiles).post(create_profile),
        )
        .route(
            "/v1/routing-profiles/{id}",
            put(replace_profile).delete(delete_profile),
        )
        .route(
            "/v1/busy-agent-rules",
            get(get_busy_rules).put(put_busy_rules),
        )
        .route("/v1/agents", get(list_agents).post(create_agent))
        .route(
            "/v1/agents/{id}",
            get(get_agent).put(replace_agent).delete(delete_agent),
        )
}

fn fresh() -> String {
    uuid::Uuid::now_v7().to_string()
}

type Created<T> = Result<(StatusCode, Json<T>), ApiError>;

// skills
async fn list_skills(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Skill>>, ApiError> {
    Ok(Json(svc::list_skills(&s.ctx, &p).await?))
}
async fn create_skill(State(s): State<AppState>, Auth(p): Auth, body: Bytes) -> Created<Skill> {
    let skill = parse_with_id(&body, "skill_id", fresh(), false)?;
    Ok((
        StatusCode::CREATED,
        Json(svc::put_skill(&s.ctx, &p, skill).await?),
    ))
}
async fn replace_skill(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SkillId>,
    body: Bytes,
) -> Result<Json<Skill>, ApiError> {
    let skill = parse_with_id(&body, "skill_id", id.to_string(), true)?;
    Ok(Json(svc::put_skill(&s.ctx, &p, skill).await?))
}
async fn delete_skill(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SkillId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_skill(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// dispositions
async fn list_dispositions(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Disposition>>, ApiError> {
    Ok(Json(svc::list_dispositions(&s.ctx, &p).await?))
}
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
async fn replace_disposition(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<DispositionId>,
    body: Bytes,
) -> Result<Json<Disposition>, ApiError> {
    let d = parse_with_id(&body, "disposition_id", id.to_string(), true)?;
    Ok(Json(svc::put_disposition(&s.ctx, &p, d).await?))
}
async fn delete_disposition(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<DispositionId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_disposition(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// queues
async fn list_queues(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Queue>>, ApiError> {
    Ok(Json(svc::list_queues(&s.ctx, &p).await?))
}
async fn get_queue(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<QueueId>,
) -> Result<Json<Queue>, ApiError> {
    Ok(Json(svc::get_queue(&s.ctx, &p, id).await?))
}
async fn create_queue(State(s): State<AppState>, Auth(p): Auth, body: Bytes) -> Created<Queue> {
    let q = parse_with_id(&body, "queue_id", fresh(), false)?;
    Ok((
        StatusCode::CREATED,
        Json(svc::put_queue(&s.ctx, &p, q, false).await?),
    ))
}
async fn replace_queue(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<QueueId>,
    body: Bytes,
) -> Result<Json<Queue>, ApiError> {
    let q = parse_with_id(&body, "queue_id", id.to_string(), true)?;
    Ok(Json(svc::put_queue(&s.ctx, &p, q, true).await?))
}
async fn delete_queue(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<QueueId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_queue(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// flows
async fn list_flows(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<Vec<Flow>>, ApiError> {
    Ok(Json(svc::list_flows(&s.ctx, &p).await?))
}
async fn get_flow(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<FlowId>,
) -> Result<Json<Flow>, ApiError> {
    Ok(Json(svc::get_flow(&s.ctx, &p, id).await?))
}
async fn create_flow(State(s): State<AppState>, Auth(p): Auth, body: Bytes) -> Created<Flow> {
    let f = parse_with_id(&body, "flow_id", fresh(), false)?;
    Ok((
        StatusCode::CREATED,
        Json(svc::put_flow(&s.ctx, &p, f, false).await?),
    ))
}
async fn replace_flow(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<FlowId>,
    body: Bytes,
) -> Result<Json<Flow>, ApiError> {
    let f = parse_with_id(&body, "flow_id", id.to_string(), true)?;
    Ok(Json(svc::put_flow(&s.ctx, &p, f, true).await?))
}
async fn delete_flow(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<FlowId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_flow(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// entry points
async fn list_entries(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<EntryRecord>>, ApiError> {
    Ok(Json(svc::list_entries(&s.ctx, &p).await?))
}
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
async fn replace_entry(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<Json<EntryRecord>, ApiError> {
    let e = parse_with_id(&body, "entry_id", id, true)?;
    Ok(Json(svc::put_entry(&s.ctx, &p, e).await?))
}
async fn delete_entry(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    svc::delete_entry(&s.ctx, &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// routing profiles
async fn list_profiles(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<ConsumerRoutingProfile>>, ApiError> {
    Ok(Json(svc::list_profiles(&s.ctx, &p).await?))
}
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
async fn replace_profile(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RoutingProfileId>,
    body: Bytes,
) -> Result<Json<ConsumerRoutingProfile>, ApiError> {
    let prof = parse_with_id(&body, "profile_id", id.to_string(), true)?;
    Ok(Json(svc::put_profile(&s.ctx, &p, prof, true).await?))
}
async fn delete_profile(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RoutingProfileId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_profile(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// busy-agent rules
async fn get_busy_rules(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<BusyAgentRules>, ApiError> {
    Ok(Json(svc::get_busy_rules(&s.ctx, &p).await?))
}
async fn put_busy_rules(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(r): ApiJson<BusyAgentRules>,
) -> Result<Json<BusyAgentRules>, ApiError> {
    Ok(Json(svc::put_busy_rules(&s.ctx, &p, r).await?))
}

// agents
async fn list_agents(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Agent>>, ApiError> {
    Ok(Json(svc::list_agents(&s.ctx, &p).await?))
}
async fn get_agent(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<AgentId>,
) -> Result<Json<Agent>, ApiError> {
    Ok(Json(svc::get_agent(&s.ctx, &p, id).await?))
}
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
async fn replace_agent(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<AgentId>,
    ApiJson(a): ApiJson<AgentInput>,
) -> Result<Json<Agent>, ApiError> {
    if a.agent_id.is_some_and(|given| given != id) {
        return Err(ApiError::invalid(
            "agent_id",
            "agent_id in the body does not match the path",
        ));
    }
    Ok(Json(svc::put_agent(&s.ctx, &p, a, Some(id)).await?))
}
async fn delete_agent(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<AgentId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_agent(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
