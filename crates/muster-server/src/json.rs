//! `ApiJson`, the JSON body extractor of the API. Unlike axum's `Json`, its errors use the API's
//! error shape and name the field at fault (`team_id: invalid type: integer, expected a string`).

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest JSON body the API accepts (alert ingestion sets its own, larger limit).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json =
            request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES })?;
        parse(&bytes).map(ApiJson)
    }
}

/// `ApiQuery`, the query-string extractor of the API, whose errors name the parameter at fault.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(ApiQuery).map_err(|error| {
            let path = error.path().to_string();
            let message = error.into_inner().to_string();
            let field = if path == "." { "query".to_owned() } else { path };
            ApiError::InvalidBody { field, problem: message }
        })
    }
}

/// Parses a JSON body, naming the path of the value at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let field = if path == "." { "body".to_owned() } else { path };
        // serde reports a missing field at its parent; name the field itself.
        let message = inner.to_string();
        let field = match message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
            Some(missing) if field == "body" => missing.to_owned(),
            Some(missing) => format!("{field}.{missing}"),
            None => field,
        };
        let problem = message.split(" at line ").next().unwrap_or(&message).to_owned();
        ApiError::InvalidBody { field, problem }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        team_id: Option<String>,
    }

    fn field_of(json: &str) -> String {
        match parse::<Body>(json.as_bytes()) {
            Err(ApiError::InvalidBody { field, .. }) => field,
            other => panic!("expected an invalid body, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(r#"{"team_id": "t"}"#), "name");
        assert_eq!(field_of(r#"{"name": 7}"#), "name");
        assert_eq!(field_of(r#"{"name": "x", "team_id": 3}"#), "team_id");
        assert_eq!(field_of(r#"{"name": "x", "colour": "red"}"#), "colour");
        assert_eq!(field_of("not json"), "body");
    }
}
