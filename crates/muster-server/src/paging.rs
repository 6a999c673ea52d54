//! Paging operations shared by the API and the web UI: a person's contact methods (with their
//! verification codes and "send me a test"), their notification rules, a page with its delivery
//! log, the dead letters, and acting on an alert through a notification's signed link.
//!
//! Everyone manages their own contact methods and rules, whatever their role: a stakeholder may
//! be notified too. Each operation publishes what changed and wakes the outbox when it queued a
//! notification.

use jiff::SignedDuration;
use muster_core::{
    Invalid,
    alert::{ActedBy, Alert},
    authz::Permission,
    escalation::{Page, ResponseOutcome},
    ids::{AlertId, ContactMethodId, NotificationId, NotificationRuleId},
    notify::{
        ContactKind, ContactMethod, NewContactMethod, NewNotificationRule, Notice, Notification,
        NotificationRule, Purpose,
    },
};
use muster_store::{AlertAction, VerificationCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    events::Topic,
    notifiers::LinkAction,
    secrets::{random_hex, token_hash},
    state::AppState,
};

/// How long a verification code works.
const CODE_LIFETIME: SignedDuration = SignedDuration::from_mins(30);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContactMethod {
    /// `email`, `webhook`, `slack`, `teams`, `mattermost` or `ntfy`.
    pub kind: String,
    /// The e-mail address, or the webhook or ntfy topic URL.
    pub address: String,
    /// A name to tell methods apart ("Phone", "Work e-mail"); the channel's name by default.
    pub label: Option<String>,
    /// Webhooks only: sign every message with HMAC-SHA256 (`X-Muster-Signature: sha256=…`).
    #[serde(default)]
    pub signed: bool,
}

/// A new contact method; its signing secret, for signed webhooks, is shown only now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedContactMethod {
    #[serde(flatten)]
    pub method: ContactMethod,
    pub signing_secret: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyContactMethod {
    /// The six-digit code Muster sent through the method.
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNotificationRule {
    pub contact_method_id: String,
    /// Minutes after a page reaches you, 0 to 120 (default 0: at once).
    pub delay_minutes: Option<u32>,
}

/// A page with its response target and delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageView {
    #[serde(flatten)]
    pub page: Page,
    /// `met`, `missed` or `pending` against the response target; absent for normal work.
    pub response: Option<ResponseOutcome>,
    /// Every notification the page sent, oldest first.
    pub notifications: Vec<Notification>,
}

/// A six-digit code and what the store keeps of it.
pub(crate) fn new_code(now: jiff::Timestamp) -> (String, VerificationCode) {
    let number = u32::from_str_radix(&random_hex(4), 16).unwrap_or(0) % 1_000_000;
    let code = format!("{number:06}");
    let hash = token_hash(&code);
    (code, VerificationCode { hash, expires_at: now + CODE_LIFETIME })
}

pub(crate) fn verification_notice(code: &str) -> Notice {
    Notice {
        title: format!("Your Muster verification code: {code}"),
        text: "Type this code next to the contact method on your Settings page in Muster to start \
               receiving pages here. It works for 30 minutes."
            .to_owned(),
        url: None,
        respond: false,
    }
}

pub async fn add_contact_method(
    state: &AppState,
    caller: &Caller,
    body: CreateContactMethod,
) -> ApiResult<CreatedContactMethod> {
    let new = NewContactMethod::parse(&body.kind, body.label.as_deref(), &body.address, body.signed)?;
    if new.kind == ContactKind::Email && !state.notifiers.has_mailer() {
        return Err(
            Invalid::one("kind", "e-mail is not set up on this server: its admin must set smtp_url").into()
        );
    }
    let secret = new.signed.then(|| random_hex(32));
    let now = state.now();
    let (code, verification) = new_code(now);
    let method = state
        .store
        .create_contact_method(
            &caller.user.id,
            &new,
            secret.as_deref(),
            &verification,
            verification_notice(&code),
            &caller.actor(),
            now,
        )
        .await?;
    state.events.publish(Topic::Notification, method.id.as_str(), "created");
    state.events.publish(Topic::User, caller.user.id.as_str(), "updated");
    Ok(CreatedContactMethod { method, signing_secret: secret })
}

pub async fn resend_code(
    state: &AppState,
    caller: &Caller,
    id: &ContactMethodId,
) -> ApiResult<ContactMethod> {
    let now = state.now();
    let (code, verification) = new_code(now);
    let method = state
        .store
        .resend_verification(&caller.user.id, id, &verification, verification_notice(&code), now)
        .await?;
    state.events.publish(Topic::Notification, id.as_str(), "created");
    Ok(method)
}

pub async fn verify(
    state: &AppState,
    caller: &Caller,
    id: &ContactMethodId,
    code: &str,
) -> ApiResult<ContactMethod> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::one("code", "must be the six digits Muster sent").into());
    }
    let method = state
        .store
        .verify_contact_method(&caller.user.id, id, &token_hash(code), &caller.actor(), state.now())
        .await?;
    state.events.publish(Topic::User, caller.user.id.as_str(), "updated");
    Ok(method)
}

/// "Send me a test": a message through a verified method, now.
pub async fn send_test(state: &AppState, caller: &Caller, id: &ContactMethodId) -> ApiResult<Notification> {
    let method = state.store.get_contact_method(&caller.user.id, id).await?;
    if !method.is_verified() {
        return Err(ApiError::Conflict {
            field: "contact_method".into(),
            problem: "verify it first: type the code Muster sent through it".into(),
        });
    }
    let now = state.now();
    let notice = Notice {
        title: "Test notification from Muster".to_owned(),
        text: format!(
            "{} asked for a test through {} ({}). Pages reach you here the way this message did.",
            caller.user.name,
            method.label,
            method.kind.label()
        ),
        url: Some(format!("{}/settings", state.config.public_url())),
        respond: false,
    };
    let notification = muster_store::queued(&method, Purpose::Test, notice, now, now);
    state.store.queue_notification(&notification).await?;
    state.events.publish(Topic::Notification, notification.id.as_str(), "created");
    Ok(notification)
}

pub async fn remove_contact_method(state: &AppState, caller: &Caller, id: &ContactMethodId) -> ApiResult<()> {
    state.store.delete_contact_method(&caller.user.id, id, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::User, caller.user.id.as_str(), "updated");
    Ok(())
}

pub async fn add_rule(
    state: &AppState,
    caller: &Caller,
    body: CreateNotificationRule,
) -> ApiResult<NotificationRule> {
    let new = NewNotificationRule::parse(&body.contact_method_id, body.delay_minutes)?;
    let rule = state.store.add_notification_rule(&caller.user.id, &new, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::User, caller.user.id.as_str(), "updated");
    Ok(rule)
}

pub async fn remove_rule(state: &AppState, caller: &Caller, id: &NotificationRuleId) -> ApiResult<()> {
    state.store.delete_notification_rule(&caller.user.id, id, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::User, caller.user.id.as_str(), "updated");
    Ok(())
}

/// The page of an alert, if it paged, with its delivery log.
pub async fn page_of_alert(
    state: &AppState,
    caller: &Caller,
    alert: &AlertId,
) -> ApiResult<Option<PageView>> {
    caller.require(Permission::ReadAlerts, "read alerts")?;
    let Some(page) = state.store.page_of_alert(alert).await? else { return Ok(None) };
    let notifications = state.store.notifications_of_page(&page.id).await?;
    let response = page.outcome(state.now());
    Ok(Some(PageView { page, response, notifications }))
}

pub async fn dead_letters(state: &AppState, caller: &Caller) -> ApiResult<Vec<Notification>> {
    caller.require(Permission::ManageUsers, "read everyone's undelivered notifications")?;
    Ok(state.store.dead_letters(200).await?)
}

/// Why a signed link did not act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRefused {
    /// Not a link Muster made (or it was altered).
    Invalid,
    /// The link worked once already, or the alert is resolved.
    Used(String),
    Failed,
}

/// Checks a signed link without acting: the notification it names, when the signature holds.
pub async fn check_link(
    state: &AppState,
    id: &NotificationId,
    action: LinkAction,
    signature: &str,
) -> Result<(Notification, Alert), LinkRefused> {
    let signer = state.link_signer().await.map_err(|_| LinkRefused::Failed)?;
    if !signer.verify(id, action, signature) {
        return Err(LinkRefused::Invalid);
    }
    let notification = state.store.get_notification(id).await.map_err(|_| LinkRefused::Invalid)?;
    let alert_id = notification.alert_id.clone().ok_or(LinkRefused::Invalid)?;
    let alert = state.store.get_alert(&alert_id).await.map_err(|_| LinkRefused::Failed)?;
    Ok((notification, alert))
}

/// Acts through a signed link, once, as the person it was sent to.
pub async fn respond_by_link(
    state: &AppState,
    id: &NotificationId,
    action: LinkAction,
    signature: &str,
) -> Result<Alert, LinkRefused> {
    let (notification, _) = check_link(state, id, action, signature).await?;
    let person = state.store.get_user(&notification.user_id).await.map_err(|_| LinkRefused::Failed)?;
    let by = ActedBy::user(person.id.clone(), format!("{} (by link)", person.name));
    let store_action = match action {
        LinkAction::Acknowledge => AlertAction::Acknowledge,
        LinkAction::Resolve => AlertAction::Resolve,
    };
    match state.store.respond_by_link(id, store_action, &by, state.now()).await {
        Ok(alert) => {
            state.events.publish(Topic::Alert, alert.id.as_str(), "updated");
            tracing::info!(alert.id = %alert.id, user.id = %person.id, action = action.as_str(), "alert answered by link");
            Ok(alert)
        }
        Err(muster_store::StoreError::Conflict { problem, .. }) => Err(LinkRefused::Used(problem)),
        Err(error) => {
            tracing::error!(error = %error, "answering by link failed");
            Err(LinkRefused::Failed)
        }
    }
}
