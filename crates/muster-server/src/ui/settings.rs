//! The signed-in person's own settings: profile and time zone, password, API tokens.

use axum::{
    Router,
    extract::{Path, Query, State},
    response::IntoResponse,
    routing::{get, post},
};
use axum_extra::extract::CookieJar;
use muster_core::{FieldError, ids::ApiTokenId};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, PageQuery, SignedIn, UiResult, form_errors, form_status, render, see_other,
    session,
};
use crate::{
    auth::Caller,
    calendar::{CalendarAddresses, new_addresses},
    directory::{self, CreateToken, UpdateUser},
    error::ApiError,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(show).post(update_profile))
        .route("/settings/password", post(change_password))
        .route("/settings/tokens", post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
        .route("/settings/calendar", post(new_calendar))
        .route("/settings/calendar/revoke", post(revoke_calendar))
}

#[derive(Debug, Default, Deserialize)]
struct ProfileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
}

#[derive(askama::Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    draft: ProfileForm,
    tokens: Vec<muster_core::token::ApiToken>,
    new_token: Option<String>,
    calendar: Option<CalendarAddresses>,
    has_calendar: bool,
    public_url: String,
    errors: Vec<FieldError>,
}

async fn settings_page(
    state: &AppState,
    caller: &Caller,
    done: Option<&str>,
    draft: Option<ProfileForm>,
    new_token: Option<String>,
    errors: Vec<FieldError>,
) -> UiResult {
    settings_page_with(state, caller, done, draft, new_token, None, errors).await
}

async fn settings_page_with(
    state: &AppState,
    caller: &Caller,
    done: Option<&str>,
    draft: Option<ProfileForm>,
    new_token: Option<String>,
    calendar: Option<CalendarAddresses>,
    errors: Vec<FieldError>,
) -> UiResult {
    let tokens = state.store.list_api_tokens(&caller.user.id).await.map_err(ApiError::from)?;
    let status = form_status(&errors);
    let view = SettingsPage {
        layout: Layout::new(caller, "settings", done, state.now()),
        draft: draft.unwrap_or_else(|| ProfileForm {
            name: caller.user.name.clone(),
            time_zone: caller.user.time_zone.clone(),
        }),
        tokens,
        new_token,
        has_calendar: state.store.has_calendar_feed(&caller.user.id).await.map_err(ApiError::from)?,
        calendar,
        public_url: state.config.public_url(),
        errors,
    };
    render(status, &view)
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(query): Query<PageQuery>,
) -> UiResult {
    settings_page(&state, &caller, query.done.as_deref(), None, None, vec![]).await
}

async fn update_profile(
    State(state): State<AppState>,
    CsrfForm { caller, form }: CsrfForm<ProfileForm>,
) -> UiResult {
    let input = UpdateUser {
        name: Some(form.name.clone()),
        time_zone: Some(form.time_zone.clone()),
        ..Default::default()
    };
    match directory::update_user(&state, &caller, &caller.user.id, input).await {
        Ok(_) => Ok(see_other("/settings", "profile-updated")),
        Err(error) => settings_page(&state, &caller, None, Some(form), None, form_errors(error)?).await,
    }
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    current_password: String,
    password: String,
}

/// Changing the password signs out every session; this one is renewed so the person stays in.
async fn change_password(
    State(state): State<AppState>,
    jar: CookieJar,
    CsrfForm { caller, form }: CsrfForm<PasswordForm>,
) -> UiResult {
    let input = UpdateUser {
        password: Some(form.password),
        current_password: Some(form.current_password),
        ..Default::default()
    };
    match directory::update_user(&state, &caller, &caller.user.id, input).await {
        Ok(user) => {
            let jar = session::start_session(&state, jar, &user).await?;
            Ok((jar, see_other("/settings", "password-changed")).into_response())
        }
        Err(error) => settings_page(&state, &caller, None, None, None, form_errors(error)?).await,
    }
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    name: String,
}

/// Shows the new token on the page itself: it exists only in this response.
async fn create_token(
    State(state): State<AppState>,
    CsrfForm { caller, form }: CsrfForm<TokenForm>,
) -> UiResult {
    match directory::create_token(&state, &caller, CreateToken { name: form.name }).await {
        Ok((_, secret)) => settings_page(&state, &caller, None, None, Some(secret), vec![]).await,
        Err(error) => settings_page(&state, &caller, None, None, None, form_errors(error)?).await,
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    directory::revoke_token(&state, &caller, &ApiTokenId(id)).await?;
    Ok(see_other("/settings", "token-revoked"))
}

/// Shows the new calendar addresses on the page itself: they exist only in this response.
async fn new_calendar(
    State(state): State<AppState>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let addresses = new_addresses(&state, &caller).await?;
    settings_page_with(&state, &caller, None, None, None, Some(addresses), vec![]).await
}

async fn revoke_calendar(
    State(state): State<AppState>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    state
        .store
        .revoke_calendar_feed(&caller.user.id, &caller.actor(), state.now())
        .await
        .map_err(ApiError::from)?;
    Ok(see_other("/settings", "calendar-revoked"))
}
