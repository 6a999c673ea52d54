//! API tokens: long-lived credentials for the CLI and automation. The secret is shown once at
//! creation; only its hash is kept.

use jiff::Timestamp;
use serde::Serialize;

use crate::{
    ids::{ApiTokenId, UserId},
    validate::{FieldError, MAX_NAME_CHARS, required_line},
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user_id: UserId,
    /// What the token is for, such as `laptop CLI` or `deploy pipeline`.
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_used_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub revoked_at: Option<Timestamp>,
}

pub fn parse_token_name(name: &str) -> Result<String, FieldError> {
    required_line("name", name, MAX_NAME_CHARS)
}
