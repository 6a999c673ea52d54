//! The audit log's vocabulary: who did a write and what it was. Every write in Muster records one
//! entry in the same transaction as the write itself.

use jiff::Timestamp;
use serde::Serialize;

use crate::ids::UserId;

/// Who performed a write: a signed-in user, or Muster itself acting for an operator at the console
/// (`muster user create`, the demo seed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    System(&'static str),
}

/// One audited write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// The user who acted, when a user did.
    pub actor_user_id: Option<UserId>,
    /// The user's name, or the console command for system writes.
    pub actor: String,
    /// Dotted action name such as `service.create`.
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    /// What changed, in words; never contains a secret.
    pub summary: String,
}
