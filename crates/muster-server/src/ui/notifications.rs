//! The signed-in person's notification settings: contact methods (add, verify with the code, send
//! a new code, send a test, remove), the rules that use them, and their recent notifications;
//! and, for admins, the notifications that could not be delivered.

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use muster_core::{
    FieldError,
    ids::{ContactMethodId, NotificationRuleId},
    notify::{ContactKind, ContactMethod, Notification, NotificationRule},
};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, PageQuery, SignedIn, UiResult, form_errors, form_status, render, see_other,
};
use crate::{
    auth::Caller,
    error::ApiError,
    paging::{self, CreateContactMethod, CreateNotificationRule},
    schedules::Names,
    state::AppState,
};

const PAGE: &str = "/settings/notifications";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(show))
        .route("/settings/notifications/methods", post(add_method))
        .route("/settings/notifications/methods/{id}/verify", post(verify))
        .route("/settings/notifications/methods/{id}/resend", post(resend))
        .route("/settings/notifications/methods/{id}/test", post(send_test))
        .route("/settings/notifications/methods/{id}/delete", post(remove_method))
        .route("/settings/notifications/rules", post(add_rule))
        .route("/settings/notifications/rules/{id}/delete", post(remove_rule))
        .route("/settings/notifications/subscriptions", post(subscribe))
        .route("/settings/notifications/subscriptions/{id}/delete", post(unsubscribe))
        .route("/notifications/undelivered", get(dead_letters))
}

#[derive(askama::Template)]
#[template(path = "dead_letters.html")]
struct DeadLettersPage {
    layout: Layout,
    dead: Vec<Notification>,
    names: Names,
}

async fn dead_letters(State(state): State<AppState>, SignedIn(caller): SignedIn) -> UiResult {
    let dead = paging::dead_letters(&state, &caller).await?;
    let names = Names::of(&state, dead.iter().map(|n| n.user_id.clone()).collect()).await?;
    render(
        axum::http::StatusCode::OK,
        &DeadLettersPage { layout: Layout::new(&caller, "undelivered", None, state.now()), dead, names },
    )
}

#[derive(askama::Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    methods: Vec<ContactMethod>,
    verified: Vec<ContactMethod>,
    rules: Vec<NotificationRule>,
    recent: Vec<Notification>,
    subscriptions: Vec<muster_core::incident::Subscription>,
    kinds: [ContactKind; 6],
    has_mailer: bool,
    new_secret: Option<String>,
    draft_kind: String,
    draft_address: String,
    errors: Vec<FieldError>,
}

impl NotificationsPage {
    /// What a subscription follows, as a link.
    fn followed(&self, scope: &muster_core::incident::SubscriptionScope) -> (String, &'static str) {
        match scope {
            muster_core::incident::SubscriptionScope::Service(id) => {
                (format!("/services/{id}"), "a service's incidents")
            }
            muster_core::incident::SubscriptionScope::Incident(id) => {
                (format!("/incidents/{id}"), "an incident")
            }
        }
    }

    fn method_label(&self, id: &ContactMethodId) -> String {
        self.methods
            .iter()
            .find(|m| &m.id == id)
            .map_or_else(|| id.to_string(), |m| format!("{} ({})", m.label, m.kind.label()))
    }
}

/// What the page shows besides the stored settings.
#[derive(Default)]
struct Shown {
    done: Option<String>,
    new_secret: Option<String>,
    draft: Option<MethodForm>,
    errors: Vec<FieldError>,
}

async fn page(state: &AppState, caller: &Caller, shown: Shown) -> UiResult {
    let methods = state.store.contact_methods_of(&caller.user.id).await.map_err(ApiError::from)?;
    let rules = state.store.notification_rules_of(&caller.user.id).await.map_err(ApiError::from)?;
    let recent = state.store.notifications_of_user(&caller.user.id, 20).await.map_err(ApiError::from)?;
    let draft = shown.draft.unwrap_or_default();
    let view = NotificationsPage {
        layout: Layout::new(caller, "settings", shown.done.as_deref(), state.now()),
        verified: methods.iter().filter(|m| m.is_verified()).cloned().collect(),
        methods,
        rules,
        recent,
        subscriptions: crate::incidents::subscriptions(state, caller).await?,
        kinds: ContactKind::ALL,
        has_mailer: state.notifiers.has_mailer(),
        new_secret: shown.new_secret,
        draft_kind: if draft.kind.is_empty() { "ntfy".to_owned() } else { draft.kind },
        draft_address: draft.address,
        errors: shown.errors.clone(),
    };
    render(form_status(&shown.errors), &view)
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(query): Query<PageQuery>,
) -> UiResult {
    page(&state, &caller, Shown { done: query.done, ..Default::default() }).await
}

#[derive(Debug, Default, Deserialize)]
struct MethodForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    signed: Option<String>,
}

async fn add_method(
    State(state): State<AppState>,
    CsrfForm { caller, form }: CsrfForm<MethodForm>,
) -> UiResult {
    let body = CreateContactMethod {
        kind: form.kind.clone(),
        address: form.address.clone(),
        label: super::non_empty(&form.label),
        signed: form.signed.is_some(),
    };
    match paging::add_contact_method(&state, &caller, body).await {
        Ok(created) if created.signing_secret.is_some() => {
            let shown = Shown {
                done: Some("method-added".into()),
                new_secret: created.signing_secret,
                ..Default::default()
            };
            page(&state, &caller, shown).await
        }
        Ok(_) => Ok(see_other(PAGE, "method-added")),
        Err(error) => {
            page(
                &state,
                &caller,
                Shown { draft: Some(form), errors: form_errors(error)?, ..Default::default() },
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn verify(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<CodeForm>,
) -> UiResult {
    match paging::verify(&state, &caller, &ContactMethodId(id), &form.code).await {
        Ok(_) => Ok(see_other(PAGE, "method-verified")),
        Err(error) => {
            page(&state, &caller, Shown { errors: form_errors(error)?, ..Default::default() }).await
        }
    }
}

async fn resend(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    paging::resend_code(&state, &caller, &ContactMethodId(id)).await?;
    Ok(see_other(PAGE, "code-sent"))
}

async fn send_test(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    match paging::send_test(&state, &caller, &ContactMethodId(id)).await {
        Ok(_) => Ok(see_other(PAGE, "test-sent")),
        Err(error) => {
            page(&state, &caller, Shown { errors: form_errors(error)?, ..Default::default() }).await
        }
    }
}

async fn remove_method(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    paging::remove_contact_method(&state, &caller, &ContactMethodId(id)).await?;
    Ok(see_other(PAGE, "method-removed"))
}

#[derive(Debug, Deserialize)]
struct RuleForm {
    #[serde(default)]
    contact_method_id: String,
    #[serde(default)]
    delay_minutes: String,
}

async fn add_rule(State(state): State<AppState>, CsrfForm { caller, form }: CsrfForm<RuleForm>) -> UiResult {
    let delay = match form.delay_minutes.trim() {
        "" => None,
        text => match text.parse() {
            Ok(minutes) => Some(minutes),
            Err(_) => {
                let errors =
                    vec![FieldError::new("delay_minutes", "must be a whole number of minutes from 0 to 120")];
                return page(&state, &caller, Shown { errors, ..Default::default() }).await;
            }
        },
    };
    let body = CreateNotificationRule { contact_method_id: form.contact_method_id, delay_minutes: delay };
    match paging::add_rule(&state, &caller, body).await {
        Ok(_) => Ok(see_other(PAGE, "rule-added")),
        Err(error) => {
            page(&state, &caller, Shown { errors: form_errors(error)?, ..Default::default() }).await
        }
    }
}

async fn remove_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    paging::remove_rule(&state, &caller, &NotificationRuleId(id)).await?;
    Ok(see_other(PAGE, "rule-removed"))
}

#[derive(Debug, Deserialize)]
struct SubscribeForm {
    #[serde(default)]
    contact_method_id: String,
    service_id: Option<String>,
    incident_id: Option<String>,
    #[serde(default)]
    audience: String,
}

/// Follows an incident or a service from its page, and goes back there.
async fn subscribe(
    State(state): State<AppState>,
    CsrfForm { caller, form }: CsrfForm<SubscribeForm>,
) -> UiResult {
    let back = match (&form.service_id, &form.incident_id) {
        (Some(service), _) => format!("/services/{service}"),
        (_, Some(incident)) => format!("/incidents/{incident}"),
        _ => PAGE.to_owned(),
    };
    let body = crate::incidents::Subscribe {
        contact_method_id: form.contact_method_id,
        service_id: form.service_id,
        incident_id: form.incident_id,
        audience: super::non_empty(&form.audience),
    };
    match crate::incidents::subscribe(&state, &caller, body).await {
        Ok(_) => Ok(see_other(&back, "subscribed")),
        Err(error) => {
            page(&state, &caller, Shown { errors: form_errors(error)?, ..Default::default() }).await
        }
    }
}

async fn unsubscribe(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    crate::incidents::unsubscribe(&state, &caller, &id).await?;
    Ok(see_other(PAGE, "unsubscribed"))
}
