//! `/openapi.json`: the REST surface, generated from the handlers' `#[utoipa::path]`
//! annotations and the `shared` types' schemas. Routes are registered once, through
//! `utoipa_axum`'s `OpenApiRouter`, which adds each to both the router and the document.

use shared::api::ErrorBody;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::Modify;
use utoipa_axum::router::OpenApiRouter;

pub use utoipa::OpenApi;

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
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard", description = "Contact-center routing for live engagements and work items. See docs/api.md."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    // Referred to by `Flow.steps`, whose schema is built by hand (`propertyNames`).
    components(schemas(shared::config::FlowStep)),
)]
pub struct ApiDoc;

/// The document, built once from the same route registrations the server serves
/// ([`super::api_routes`]), so it cannot drift from the router.
pub fn spec() -> &'static utoipa::openapi::OpenApi {
    static SPEC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| super::api_routes().into_openapi())
}

/// Tag every operation of `router` with `tag` (the document groups operations by module).
pub fn tagged<S: Clone + Send + Sync + 'static>(
    mut router: OpenApiRouter<S>,
    tag: &str,
) -> OpenApiRouter<S> {
    for item in router.get_openapi_mut().paths.paths.values_mut() {
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
            op.tags.get_or_insert_with(Vec::new).push(tag.to_string());
        }
    }
    router
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

    /// Every `pattern` in the document compiles (a broken escape would make clients and
    /// fuzzers read a different rule), and every `$ref` resolves.
    #[test]
    fn patterns_compile_and_references_resolve() {
        fn walk(v: &serde_json::Value, patterns: &mut Vec<String>, refs: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        match (k.as_str(), v) {
                            ("pattern", serde_json::Value::String(p)) => patterns.push(p.clone()),
                            ("$ref", serde_json::Value::String(r)) => refs.push(r.clone()),
                            _ => walk(v, patterns, refs),
                        }
                    }
                }
                serde_json::Value::Array(items) => {
                    items.iter().for_each(|i| walk(i, patterns, refs))
                }
                _ => {}
            }
        }
        let json = serde_json::to_value(super::spec()).unwrap();
        let (mut patterns, mut refs) = (Vec::new(), Vec::new());
        walk(&json, &mut patterns, &mut refs);
        assert!(patterns.len() > 20, "{patterns:?}");
        for p in patterns {
            regex::Regex::new(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        }
        for r in refs {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(
                json["components"]["schemas"][name].is_object(),
                "{r} does not resolve"
            );
        }
    }
}
