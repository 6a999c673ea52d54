//! `/api/v1/audit`: the audit log, for admins.

use axum::{Json, Router, extract::State, routing::get};
use muster_core::{audit::AuditEntry, authz::Permission};

use super::{ListQuery, Listing};
use crate::{auth::Caller, error::ApiResult, json::ApiQuery, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list))
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(ListQuery),
    responses((status = 200, body = Listing<AuditEntry>), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listing<AuditEntry>>> {
    caller.require(Permission::ReadAuditLog, "read the audit log")?;
    let page = query.page()?;
    Ok(Json(Listing::new(state.store.list_audit_log(page).await?, page)))
}
