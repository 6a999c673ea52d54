//! The one API error type. Each variant has a stable snake_case code; the reply is always
//! `{"error": code, "message": text}` plus `fields` when particular inputs are at fault. Internal
//! causes are logged here, once, and never returned.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use muster_core::{FieldError, Invalid};
use muster_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub enum ApiError {
    /// No valid credentials were presented.
    Unauthenticated,
    /// The caller is known but their role does not allow this.
    Forbidden(&'static str),
    /// A form or cookie-authenticated write came without the right CSRF token.
    CsrfRejected,
    NotFound(&'static str),
    /// The body is not the JSON that was expected (syntax, types, unknown fields).
    InvalidBody {
        field: String,
        problem: String,
    },
    /// The values were understood but are not acceptable.
    InvalidInput(Invalid),
    Conflict {
        field: String,
        problem: String,
    },
    PayloadTooLarge {
        limit: usize,
    },
    UnsupportedMediaType,
    RateLimited {
        retry_after_secs: u64,
    },
    NotReady(String),
    Internal,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, such as `invalid_input`.
    pub error: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// The inputs at fault, when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::CsrfRejected => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::InvalidBody { .. } => StatusCode::BAD_REQUEST,
            ApiError::InvalidInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (error, message, fields) = match self {
            ApiError::Unauthenticated => (
                "unauthenticated",
                "sign in, or send an API token as 'Authorization: Bearer <token>'".to_owned(),
                vec![],
            ),
            ApiError::Forbidden(what) => {
                ("forbidden", format!("your role does not allow you to {what}"), vec![])
            }
            ApiError::CsrfRejected => (
                "csrf_rejected",
                "the form's security token is missing or stale; reload the page".to_owned(),
                vec![],
            ),
            ApiError::NotFound(what) => ("not_found", format!("{what} not found"), vec![]),
            ApiError::InvalidBody { field, problem } => {
                ("invalid_body", format!("{field}: {problem}"), vec![FieldError::new(field, problem)])
            }
            ApiError::InvalidInput(invalid) => ("invalid_input", invalid.to_string(), invalid.0.clone()),
            ApiError::Conflict { field, problem } => {
                ("conflict", format!("{field}: {problem}"), vec![FieldError::new(field, problem)])
            }
            ApiError::PayloadTooLarge { limit } => (
                "payload_too_large",
                format!("body: must be at most {limit} bytes"),
                vec![FieldError::new("body", format!("must be at most {limit} bytes"))],
            ),
            ApiError::UnsupportedMediaType => (
                "unsupported_media_type",
                "send the body as Content-Type: application/json".to_owned(),
                vec![],
            ),
            ApiError::RateLimited { retry_after_secs } => {
                ("rate_limited", format!("too many attempts; try again in {retry_after_secs} s"), vec![])
            }
            ApiError::NotReady(why) => ("not_ready", why.clone(), vec![]),
            ApiError::Internal => {
                ("internal", "something went wrong on our side; it has been logged".to_owned(), vec![])
            }
        };
        ErrorBody { error, message, fields }
    }

    /// A validation error on one field.
    pub fn field(field: &str, problem: impl Into<String>) -> Self {
        ApiError::InvalidInput(Invalid::one(field, problem))
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        ApiError::InvalidInput(invalid)
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        ApiError::InvalidInput(error.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Conflict { field, problem } => {
                ApiError::Conflict { field: field.to_owned(), problem }
            }
            StoreError::Invalid(invalid) => ApiError::InvalidInput(invalid),
            StoreError::Forbidden(what) => ApiError::Forbidden(what),
            other => {
                tracing::error!(error = %other, "store call failed");
                ApiError::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if let ApiError::RateLimited { retry_after_secs } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
