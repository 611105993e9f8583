//! `/openapi.json`: the REST surface, generated from the handlers' `#[utoipa::path]`
//! annotations and the `shared` types' schemas.

use shared::api::ErrorBody;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Errors of routes that need no credentials.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum PublicErrors {
    /// The body is not valid JSON.
    #[response(status = 400)]
    Malformed(ErrorBody),
    /// Wrong credentials.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The body is not JSON.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
    /// A field is missing, of the wrong type or out of range; `field` names it.
    #[response(status = 422)]
    Invalid(ErrorBody),
    /// Too many failed sign-ins for this account or address; `Retry-After` says when to try
    /// again (code `too_many_attempts`).
    #[response(status = 429)]
    TooManyAttempts(ErrorBody),
}

/// Errors of authenticated reads.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ReadErrors {
    /// No or an invalid bearer token.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The caller's role or scopes do not allow this, or the engagement is not theirs.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such object.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// A path or query parameter does not parse; `field` names it.
    #[response(status = 422)]
    Invalid(ErrorBody),
}

/// Errors of authenticated writes.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum WriteErrors {
    /// The body is not valid JSON.
    #[response(status = 400)]
    Malformed(ErrorBody),
    /// No or an invalid bearer token.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The caller's role or scopes do not allow this, or the engagement is not theirs.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such object.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// A duplicate (name, email, active work item: `engagement_id` names it), an object still
    /// in use, or a command the engagement's state does not allow (`invalid_state`).
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// The body is larger than the server accepts.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The body is not JSON.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
    /// A field is missing, of the wrong type or out of range; `field` names it.
    #[response(status = 422)]
    Invalid(ErrorBody),
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // Tags default to the handler's module path (`super::engagements`): keep the last part.
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                if let Some(tags) = op.tags.as_mut() {
                    for tag in tags.iter_mut() {
                        if let Some(last) = tag.rsplit("::").next() {
                            *tag = last.to_string();
                        }
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard", description = "Contact-center routing for live engagements and work items. See docs/api.md."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    paths(
        super::health::live,
        super::health::ready,
        super::check_embedding,
        super::csp_report,
        super::auth::token,
        super::auth::login,
        super::auth::exchange_embed,
        super::auth::logout,
        super::auth::mint_embed,
        super::auth::create_client,
        super::auth::list_clients,
        super::auth::delete_client,
        super::auth::rotate_client_secret,
        super::config::list_skills,
        super::config::create_skill,
        super::config::replace_skill,
        super::config::delete_skill,
        super::config::list_dispositions,
        super::config::create_disposition,
        super::config::replace_disposition,
        super::config::delete_disposition,
        super::config::list_queues,
        super::config::get_queue,
        super::config::create_queue,
        super::config::replace_queue,
        super::config::delete_queue,
        super::config::list_flows,
        super::config::get_flow,
        super::config::create_flow,
        super::config::replace_flow,
        super::config::delete_flow,
        super::config::list_entries,
        super::config::create_entry,
        super::config::replace_entry,
        super::config::delete_entry,
        super::config::list_profiles,
        super::config::create_profile,
        super::config::replace_profile,
        super::config::delete_profile,
        super::config::get_busy_rules,
        super::config::put_busy_rules,
        super::config::list_agents,
        super::config::get_agent,
        super::config::create_agent,
        super::config::replace_agent,
        super::config::delete_agent,
        super::config::revoke_agent_sessions,
        super::engagements::start,
        super::engagements::list,
        super::engagements::get_one,
        super::engagements::notes,
        super::engagements::add_note,
        super::engagements::accept,
        super::engagements::decline,
        super::engagements::inactive,
        super::engagements::resume,
        super::engagements::end,
        super::engagements::close,
        super::engagements::cancel,
        super::engagements::transfer,
        super::engagements::disposition,
        super::engagements::variables,
        super::engagements::monitor,
        super::agents::me,
        super::agents::directory,
        super::agents::status,
        super::agents::opt_in,
        super::agents::my_engagements,
        super::agents::dial,
        super::agents::websocket,
        super::agents::events,
        super::agents::queue_stats,
        super::agents::agent_stats,
        super::webhooks::create,
        super::webhooks::list,
        super::webhooks::read,
        super::webhooks::update,
        super::webhooks::remove,
        super::webhooks::validate,
        super::webhooks::rotate_secret,
        super::webhooks::deliveries,
        super::webhooks::redeliver,
        super::webhooks::recover,
        super::webhooks::callout_secret,
        super::webhooks::callout_deliveries,
        super::interactions::upload_recording,
        super::interactions::put_recording_transcript,
        super::interactions::put_engagement_transcript,
        super::interactions::download_recording,
        super::interactions::download_recording_transcript,
        super::interactions::download_engagement_transcript,
        super::interactions::list_recordings,
        super::interactions::list_transcripts,
        super::interactions::list_notes,
        super::interactions::list_dispositions,
    )
)]
pub struct ApiDoc;

/// The document, built once.
pub fn spec() -> &'static utoipa::openapi::OpenApi {
    static SPEC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    SPEC.get_or_init(ApiDoc::openapi)
}

/// `GET /openapi.json`.
pub async fn document() -> axum::Json<&'static utoipa::openapi::OpenApi> {
    axum::Json(spec())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_builds_and_names_every_error_shape() {
        let json = serde_json::to_value(super::spec()).unwrap();
        assert!(json["components"]["schemas"]["ErrorBody"].is_object());
        assert!(json["components"]["schemas"]["StartEngagementRequest"].is_object());
        assert!(json["components"]["securitySchemes"]["bearer"].is_object());
    }
}
