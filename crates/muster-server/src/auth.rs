//! Who is calling. Every route except ingestion, probes and static files resolves a [`Caller`]
//! from an API token (`Authorization: Bearer …`) or a web session cookie, and checks the role's
//! permission before doing anything.
//!
//! A cookie is sent by the browser on its own, so a cookie-authenticated request that changes
//! something must also carry the session's CSRF token (`X-CSRF-Token` header, or the form's
//! `csrf_token` field in the web UI). Bearer tokens are never sent implicitly and need no CSRF
//! token.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, Method, header, request::Parts},
};
use axum_extra::extract::CookieJar;
use muster_core::{audit::Actor, authz::Permission, user::User};

use crate::{
    error::ApiError,
    secrets::{constant_time_eq, token_hash},
    state::AppState,
};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "muster_session";
/// Header carrying the CSRF token on cookie-authenticated API writes (htmx sends it).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    ApiToken,
    /// A web session; `token_hash` identifies it for sign-out.
    Session {
        token_hash: String,
        csrf_token: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub credential: Credential,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::User(self.user.id.clone())
    }

    /// `Ok` when the caller's role allows `permission`; `what` completes "your role does not allow
    /// you to …".
    pub fn require(&self, permission: Permission, what: &'static str) -> Result<(), ApiError> {
        if self.user.role.allows(permission) { Ok(()) } else { Err(ApiError::Forbidden(what)) }
    }

    /// The zone the caller reads times in (UTC if their stored zone has left the database).
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.user.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    pub fn csrf_token(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { csrf_token, .. } => Some(csrf_token),
            Credential::ApiToken => None,
        }
    }
}

/// Finds the caller from a bearer token or a session cookie, without any CSRF check.
pub async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    let now = state.now();
    if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(ApiError::Unauthenticated)?;
        let user = state.store.api_token_user(&token_hash(token), now).await?;
        return Ok(user.map(|user| Caller { user, credential: Credential::ApiToken }));
    }
    let jar = CookieJar::from_headers(headers);
    let Some(cookie) = jar.get(SESSION_COOKIE) else { return Ok(None) };
    let hash = token_hash(cookie.value());
    let session = state.store.session(&hash, now).await?;
    Ok(session.map(|session| Caller {
        user: session.user,
        credential: Credential::Session { token_hash: hash, csrf_token: session.csrf_token },
    }))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = identify(state, &parts.headers).await?.ok_or(ApiError::Unauthenticated)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if let Some(expected) = caller.csrf_token()
            && !safe
        {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !constant_time_eq(sent, expected) {
                return Err(ApiError::CsrfRejected);
            }
        }
        Ok(caller)
    }
}
