//! The web UI: server-rendered pages (askama templates in `templates/`) enhanced with htmx, which is
//! served from `static/` with the rest of the assets, so nothing is fetched from elsewhere.
//!
//! Pages work without JavaScript: links and forms are plain HTML, every form carries the session's
//! CSRF token in a hidden `csrf_token` field, and writes answer with a redirect (post/redirect/get).
//! With JavaScript, htmx boosts navigation and lists refresh live from `/api/v1/events`.

mod alerts;
mod escalation;
mod handoff_report;
mod incidents;
mod layout;
mod notifications;
mod postmortems;
mod reading_club;
mod reports;
mod respond;
mod schedules;
mod service_alerts;
mod services;
mod session;
mod settings;
mod sizing;
mod slos;
mod status;
mod team_reports;
mod teams;
mod users;

use axum::{
    Router,
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Request},
    http::{StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use muster_core::FieldError;
use serde::{Deserialize, de::DeserializeOwned};

use crate::{
    auth::{Caller, identify},
    error::ApiError,
    secrets::constant_time_eq,
    state::AppState,
};

pub use layout::{Layout, Pager};

/// For templates that show a form only to those who may respond to alerts.
pub const RESPOND: muster_core::authz::Permission = muster_core::authz::Permission::RespondToAlerts;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/alerts") }))
        .route("/static/{file}", get(static_file))
        .merge(session::router())
        .merge(alerts::router())
        .merge(services::router())
        .merge(service_alerts::router())
        .merge(schedules::router())
        .merge(teams::router())
        .merge(users::router())
        .merge(settings::router())
        .merge(respond::router())
        .merge(notifications::router())
        .merge(escalation::router())
        .merge(incidents::router())
        .merge(postmortems::router())
        .merge(reading_club::router())
        .merge(status::router())
        .merge(slos::router())
        .merge(reports::router())
        .merge(sizing::router())
        .merge(handoff_report::router())
}

/// Every team, for the pages' team pickers.
pub(super) async fn all_teams(state: &AppState) -> Result<Vec<muster_core::team::Team>, ApiError> {
    let page = muster_core::page::Page { limit: muster_core::page::Page::MAX_LIMIT, offset: 0 };
    Ok(state.store.list_teams(page).await?)
}

/// A signed-in person; anyone else is sent to the sign-in page and brought back afterwards.
pub struct SignedIn(pub Caller);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match identify(state, &parts.headers).await {
            Ok(Some(caller)) => Ok(SignedIn(caller)),
            Ok(None) | Err(ApiError::Unauthenticated) => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let target = format!("/login?next={}", urlencode(next));
                Err(Redirect::to(&target).into_response())
            }
            Err(error) => Err(UiError::from(error).into_response()),
        }
    }
}

/// A form posted by a signed-in person, accepted only with their session's CSRF token.
pub struct CsrfForm<T> {
    pub caller: Caller,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    csrf_token: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let SignedIn(caller) = SignedIn::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(|_| {
            UiError::from(ApiError::PayloadTooLarge { limit: crate::json::MAX_BODY_BYTES }).into_response()
        })?;
        let sent = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
            .ok()
            .and_then(|f| f.csrf_token)
            .unwrap_or_default();
        // A bearer-token caller has no session and so no ambient credential to forge.
        if let Some(expected) = caller.csrf_token()
            && !constant_time_eq(&sent, expected)
        {
            return Err(UiError::from(ApiError::CsrfRejected).into_response());
        }
        let form = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|error| {
            UiError::new(StatusCode::BAD_REQUEST, "The form could not be read", error.to_string())
                .into_response()
        })?;
        Ok(CsrfForm { caller, form })
    }
}

/// An error shown as a page of its own.
#[derive(Debug)]
pub struct UiError {
    status: StatusCode,
    title: String,
    message: String,
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl UiError {
    pub fn new(status: StatusCode, title: impl Into<String>, message: impl Into<String>) -> Self {
        UiError { status, title: title.into(), message: message.into() }
    }
}

impl From<ApiError> for UiError {
    fn from(error: ApiError) -> Self {
        let status = error.status();
        let title = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            s if s.is_client_error() => "That did not work",
            _ => "Something went wrong",
        };
        UiError::new(status, title, error.body().message)
    }
}

impl From<askama::Error> for UiError {
    fn from(error: askama::Error) -> Self {
        tracing::error!(error = %error, "template failed to render");
        UiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The page could not be shown; it has been logged.",
        )
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let page = ErrorPage { title: &self.title, message: &self.message };
        match askama::Template::render(&page) {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

pub type UiResult = Result<Response, UiError>;

/// Renders a page with a status (200, or 422 when it shows the errors of a rejected form).
pub fn render(status: StatusCode, page: &impl askama::Template) -> UiResult {
    Ok((status, Html(page.render()?)).into_response())
}

/// 200 for a page, 422 for a page showing the errors of a rejected form.
pub fn form_status(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
}

/// The field errors of a rejected form, to show beside it; any other error becomes an error page.
pub fn form_errors(error: ApiError) -> Result<Vec<FieldError>, UiError> {
    let body = error.body();
    match error {
        ApiError::InvalidInput(_) | ApiError::InvalidBody { .. } | ApiError::Conflict { .. } => {
            Ok(body.fields)
        }
        other => Err(other.into()),
    }
}

/// Where to go after a successful form post, with a notice code for the next page.
pub fn see_other(path: &str, done: &str) -> Response {
    Redirect::to(&format!("{path}?done={done}")).into_response()
}

/// A form whose only field is the CSRF token (sign-out, delete and revoke buttons).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `?done=…&offset=…` on pages.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub done: Option<String>,
    pub offset: Option<u32>,
}

fn urlencode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// A list page's query string: its filters and cursor, leaving out the empty ones.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs.iter().filter(|(_, v)| !v.is_empty()).collect::<Vec<_>>())
        .unwrap_or_default()
}

/// Everyone active who may respond (not stakeholders), for the pickers of roles, reviewers and owners.
pub async fn responders(state: &AppState) -> Result<Vec<muster_core::user::User>, ApiError> {
    let everyone = state
        .store
        .list_users(muster_core::page::Page { limit: muster_core::page::Page::MAX_LIMIT, offset: 0 })
        .await?;
    Ok(everyone
        .into_iter()
        .filter(|u| u.is_active() && u.role != muster_core::user::Role::Stakeholder)
        .collect())
}

/// An empty optional form value means "none".
pub fn non_empty(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

struct StaticFile {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const STATIC_FILES: &[StaticFile] = &[
    StaticFile {
        name: "muster.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/muster.css"),
    },
    StaticFile {
        name: "htmx-2.0.11.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/htmx-2.0.11.min.js"),
    },
    StaticFile {
        name: "muster-live.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/muster-live.js"),
    },
];

/// Assets are compiled into the binary and may be cached for a day; htmx's name carries its version.
async fn static_file(Path(file): Path<String>) -> Response {
    match STATIC_FILES.iter().find(|f| f.name == file) {
        Some(f) => (
            [(header::CONTENT_TYPE, f.content_type), (header::CACHE_CONTROL, "public, max-age=86400")],
            f.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
