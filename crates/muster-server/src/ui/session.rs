//! Signing in and out of the web UI.
//!
//! The sign-in form has no session yet, so it is protected by a double-submit token: a random
//! value set as a cookie and repeated in the form; a forged cross-site post cannot read the cookie.

use std::net::SocketAddr;

use axum::{
    Form, Router,
    extract::{ConnectInfo, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::{
    CookieJar,
    cookie::{Cookie, SameSite},
};
use jiff::SignedDuration;
use muster_core::{FieldError, user::User};
use serde::Deserialize;

use super::{CsrfForm, NoFields, UiError, UiResult, render};
use crate::{
    auth::{Credential, SESSION_COOKIE},
    error::ApiError,
    secrets::{
        DUMMY_PASSWORD_HASH, constant_time_eq, new_session_token, random_hex, token_hash, verify_password,
    },
    state::AppState,
};

const LOGIN_CSRF_COOKIE: &str = "muster_login_csrf";

pub fn router() -> Router<AppState> {
    Router::new().route("/login", get(login_page).post(login)).route("/logout", post(logout))
}

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    errors: Vec<FieldError>,
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths are followed after signing in, so the form cannot be used to bounce people
/// to another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") => {
            path.to_owned()
        }
        _ => "/services".to_owned(),
    }
}

fn cookie(name: &'static str, value: String, state: &AppState, max_age: SignedDuration) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .path("/")
        .max_age(time_duration(max_age))
        .build()
}

fn time_duration(duration: SignedDuration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(duration.as_secs())
}

async fn login_page(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<NextQuery>,
) -> UiResult {
    let csrf = random_hex(16);
    let page = LoginPage {
        csrf: csrf.clone(),
        next: safe_next(query.next.as_deref()),
        email: String::new(),
        errors: vec![],
    };
    let jar = jar.add(cookie(LOGIN_CSRF_COOKIE, csrf, &state, SignedDuration::from_hours(1)));
    Ok((jar, render(StatusCode::OK, &page)?).into_response())
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    csrf_token: String,
    email: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> UiResult {
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(&form.csrf_token, &expected) {
        return Err(ApiError::CsrfRejected.into());
    }
    let now = state.now();
    let client = client.ip().to_string();
    if let Err(retry_after_secs) = state.login_limiter.check(&form.email, &client, now) {
        tracing::warn!(client = %client, "sign-in refused: too many failed attempts");
        return Err(ApiError::RateLimited { retry_after_secs }.into());
    }
    let email = form.email.trim().to_lowercase();
    let credentials = state.store.credentials(&email).await.map_err(ApiError::from)?;
    let (user, hash) = match credentials {
        Some(c) if c.user.is_active() => (Some(c.user), c.password_hash),
        _ => (None, None),
    };
    // Always run one argon2 verification, so the reply time does not reveal whether the e-mail exists.
    let verified =
        verify_password(form.password, hash.unwrap_or_else(|| DUMMY_PASSWORD_HASH.to_owned())).await;
    let Some(user) = user.filter(|_| verified) else {
        state.login_limiter.record_failure(&email, &client, now);
        tracing::info!(client = %client, "sign-in failed");
        let page = LoginPage {
            csrf: expected,
            next: safe_next(form.next.as_deref()),
            email: form.email,
            errors: vec![FieldError::new("password", "the e-mail address or the password is not right")],
        };
        return render(StatusCode::UNAUTHORIZED, &page);
    };
    state.login_limiter.record_success(&email);
    let jar = start_session(&state, jar.remove(Cookie::from(LOGIN_CSRF_COOKIE)), &user).await?;
    Ok((jar, Redirect::to(&safe_next(form.next.as_deref()))).into_response())
}

/// Opens a session for `user` and sets its cookie.
pub async fn start_session(state: &AppState, jar: CookieJar, user: &User) -> Result<CookieJar, UiError> {
    let now = state.now();
    let lifetime = SignedDuration::from_hours(i64::from(state.config.session_hours));
    let token = new_session_token();
    state
        .store
        .create_session(&token_hash(&token), &user.id, &random_hex(32), now, now + lifetime)
        .await
        .map_err(ApiError::from)?;
    Ok(jar.add(cookie(SESSION_COOKIE, token, state, lifetime)))
}

async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> Response {
    if let Credential::Session { token_hash, .. } = &caller.credential
        && let Err(error) = state.store.delete_session(token_hash, &caller.user.id, state.now()).await
    {
        return UiError::from(ApiError::from(error)).into_response();
    }
    (jar.remove(Cookie::build(SESSION_COOKIE).path("/").build()), Redirect::to("/login")).into_response()
}
