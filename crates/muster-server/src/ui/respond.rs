//! The pages behind the signed links in notifications: `GET /respond/{id}/{action}?sig=…` shows
//! the alert and a button, and only the button's `POST` acts, so link scanners and previews that
//! fetch every link change nothing. No sign-in: the signature is the credential, and the link
//! works once. Nothing here is cached or sent on as a referrer.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use muster_core::{alert::Alert, ids::NotificationId};
use serde::Deserialize;

use super::{UiError, UiResult, render};
use crate::{
    notifiers::LinkAction,
    paging::{self, LinkRefused},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/respond/{id}/{action}", get(confirm).post(act))
}

#[derive(Debug, Deserialize)]
struct Signature {
    sig: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "respond.html")]
struct RespondPage {
    heading: String,
    summary: String,
    status: &'static str,
    alert_id: String,
    person: String,
    confirm: bool,
    button: &'static str,
    action_path: String,
    message: Option<String>,
}

fn page(alert: &Alert, action: LinkAction, person: String, action_path: String) -> RespondPage {
    let (heading, button) = match action {
        LinkAction::Acknowledge => ("Acknowledge this alert?", "Acknowledge: I am on it"),
        LinkAction::Resolve => ("Resolve this alert?", "Resolve: it is fixed"),
    };
    RespondPage {
        heading: heading.to_owned(),
        summary: alert.summary.clone(),
        status: alert.status.as_str(),
        alert_id: alert.id.to_string(),
        person,
        confirm: alert.status.is_open(),
        button,
        action_path,
        message: (!alert.status.is_open()).then(|| "The alert is already resolved.".to_owned()),
    }
}

fn refused(refusal: LinkRefused) -> UiError {
    match refusal {
        LinkRefused::Invalid => UiError::new(
            StatusCode::NOT_FOUND,
            "This link does not work",
            "It is not a link Muster sent, or it was changed on the way. Open the alert in Muster instead.",
        ),
        LinkRefused::Used(problem) => {
            UiError::new(StatusCode::CONFLICT, "This link was used already", problem)
        }
        LinkRefused::Failed => UiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Something went wrong",
            "Muster could not act on the link just now; it has been logged. Try again, or open the alert in Muster.",
        ),
    }
}

fn parse(action: &str) -> Result<LinkAction, UiError> {
    LinkAction::parse(action).ok_or_else(|| refused(LinkRefused::Invalid))
}

fn private(response: UiResult) -> UiResult {
    response.map(|mut r| {
        r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
        r
    })
}

async fn confirm(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Query(signature): Query<Signature>,
) -> UiResult {
    let action = parse(&action)?;
    let id = NotificationId(id);
    let sig = signature.sig.unwrap_or_default();
    let (notification, alert) = paging::check_link(&state, &id, action, &sig).await.map_err(refused)?;
    let person = state.store.get_user(&notification.user_id).await.map(|u| u.name).unwrap_or_default();
    let path = format!("/respond/{id}/{}?sig={sig}", action.as_str());
    private(render(StatusCode::OK, &page(&alert, action, person, path)))
}

async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Query(signature): Query<Signature>,
) -> Result<Response, UiError> {
    let action = parse(&action)?;
    let id = NotificationId(id);
    let sig = signature.sig.unwrap_or_default();
    let alert = paging::respond_by_link(&state, &id, action, &sig).await.map_err(refused)?;
    let mut done = page(&alert, action, String::new(), String::new());
    done.heading = match action {
        LinkAction::Acknowledge => "Acknowledged: escalation stopped".to_owned(),
        LinkAction::Resolve => "Resolved".to_owned(),
    };
    done.confirm = false;
    done.message = Some("Thank you. Everyone following the alert sees it now.".to_owned());
    Ok(private(render(StatusCode::OK, &done))?.into_response())
}
