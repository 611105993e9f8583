//! Request extractors whose rejections are [`ApiError`]s naming the offending field, instead
//! of axum's plain-text rejections.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON body. Malformed JSON is a 400; JSON of the wrong shape is a 422 whose `field` is the
/// path to the problem (`work_item_variables.work_item_name`, `channels[0].channel`).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::MalformedBody(format!("could not read the request body: {rejection}"))
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserialize JSON, mapping errors to [`ApiError`] with a field path. JSON has one number
/// type, so a whole number written with a fraction (`61.0`) is accepted where an integer is
/// expected, as JSON Schema's `integer` (and so `/openapi.json`) says.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    match parse_json_strict(bytes) {
        Err(ApiError::InvalidField { message, .. })
            if message.contains("invalid type: floating point") =>
        {
            let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
                ApiError::MalformedBody(format!("request body is not valid JSON: {e}"))
            })?;
            whole_numbers_as_integers(&mut value);
            serde_path_to_error::deserialize(value).map_err(|err| {
                let path = err.path().to_string();
                field_error(&path, &err.into_inner().to_string())
            })
        }
        other => other,
    }
}

/// Rewrite `61.0` as `61` throughout (fractional numbers and out-of-range ones stay).
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

fn parse_json_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = result.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => field_error(&path, &inner.to_string()),
            _ => ApiError::MalformedBody(format!("request body is not valid JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::MalformedBody(format!("request body is not valid JSON: {e}")))?;
    Ok(value)
}

/// Turn serde's message into a field error. For "missing field `x`" the path points at the
/// parent object, so the missing name is appended; position suffixes are dropped.
fn field_error(path: &str, message: &str) -> ApiError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_string();
    let parent = if path == "." { "" } else { path };
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let field = if parent.is_empty() {
            missing.to_string()
        } else {
            format!("{parent}.{missing}")
        };
        return ApiError::invalid(field.clone(), format!("{field} is required"));
    }
    let field = if parent.is_empty() {
        "body".to_string()
    } else {
        parent.to_string()
    };
    ApiError::invalid(field.clone(), format!("{field}: {message}"))
}

/// A query string, with the same field-naming errors as [`ApiJson`].
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|err| field_error(&err.path().to_string(), &err.inner().to_string()))
    }
}

/// Path parameters, with a JSON 422 naming the parameter when one does not parse.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(rejection) => Err(ApiError::invalid("path", rejection.body_text())),
        }
    }
}

/// Parse a JSON document with `id_field` set to `id`. From the path (`from_path`: a replace),
/// the path names the object and any id in the body is overwritten (the document marks these
/// ids read-only); on create, a body id is kept and a missing one filled with a fresh `id`.
pub fn parse_with_id<T: DeserializeOwned>(
    bytes: &[u8],
    id_field: &str,
    id: String,
    from_path: bool,
) -> Result<T, ApiError> {
    let mut value: serde_json::Value = parse_json(bytes)?;
    let Some(obj) = value.as_object_mut() else {
        return Err(ApiError::invalid("body", "the body must be a JSON object"));
    };
    match obj.get(id_field) {
        Some(v) if !v.is_null() && !from_path => {}
        _ => {
            obj.insert(id_field.to_string(), serde_json::Value::String(id));
        }
    }
    let text = serde_json::to_vec(&value).expect("a JSON value serializes");
    parse_json(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
        name: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    fn err(json: &str) -> ApiError {
        parse_json::<Outer>(json.as_bytes()).unwrap_err()
    }

    #[test]
    fn wrong_types_name_the_path() {
        match err(r#"{"name":"x","items":[{"count":1},{"count":"two"}]}"#) {
            ApiError::InvalidField { field, message } => {
                assert_eq!(field, "items[1].count");
                assert!(message.contains("invalid type"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn whole_numbers_with_a_fraction_are_integers() {
        let ok: Outer = parse_json(br#"{"name":"x","items":[{"count":61.0}]}"#).unwrap();
        assert_eq!(ok.items[0].count, 61);
        match err(r#"{"name":"x","items":[{"count":1},{"count":1.5}]}"#) {
            ApiError::InvalidField { field, .. } => assert_eq!(field, "items[1].count"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_fields_name_the_field() {
        match err(r#"{"items":[]}"#) {
            ApiError::InvalidField { field, message } => {
                assert_eq!(field, "name");
                assert_eq!(message, "name is required");
            }
            other => panic!("{other:?}"),
        }
        match err(r#"{"name":"x","items":[{}]}"#) {
            ApiError::InvalidField { field, .. } => assert_eq!(field, "items[0].count"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_a_400() {
        assert!(matches!(err("{"), ApiError::MalformedBody(_)));
        assert!(matches!(
            err(r#"{"name":"x","items":[]} trailing"#),
            ApiError::MalformedBody(_)
        ));
        assert!(matches!(err(""), ApiError::MalformedBody(_)));
    }

    #[test]
    fn a_body_of_the_wrong_kind_names_the_body() {
        match err("\"hello\"") {
            ApiError::InvalidField { field, .. } => assert_eq!(field, "body"),
            other => panic!("{other:?}"),
        }
    }
}
