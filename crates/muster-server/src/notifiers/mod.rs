//! The notifier adapters: one real protocol client per channel. `email` speaks SMTP (lettre, TLS
//! or STARTTLS as the configured URL says); `webhooks` posts to generic JSON webhooks (optionally
//! HMAC-signed), Slack, Microsoft Teams and Mattermost incoming webhooks, and ntfy topics.
//! `links` signs the single-use acknowledge and resolve links every page notification carries.
//!
//! Every attempt of one notification carries the same idempotency key (the notification's id: an
//! `Idempotency-Key` header, the e-mail's `Message-ID`), so a receiver can drop a repeat whose
//! first answer was lost.

mod email;
pub mod links;
mod webhooks;

use std::time::Duration;

use muster_core::notify::{ContactKind, Notice};

use crate::config::Config;

pub use email::Mailer;
pub use links::{LinkAction, LinkSigner, Links};

/// How long one delivery may take before it counts as failed; well inside the outbox claim.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);

/// One message on its way: what it says, its links, and its idempotency key.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub notice: Notice,
    /// Acknowledge and resolve links, for a page notification on its own.
    pub links: Option<Links>,
    pub idempotency_key: String,
}

/// Where one message goes.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    pub kind: ContactKind,
    pub address: &'a str,
    /// The secret that signs a signed webhook.
    pub signing_secret: Option<&'a str>,
}

/// Why a delivery failed; the outbox tries again later.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryFailed {
    #[error("the receiver answered {0}")]
    Status(reqwest::StatusCode),
    #[error("could not reach the receiver: {0}")]
    Unreachable(String),
    #[error("e-mail is not set up on this server (smtp_url)")]
    NoMailer,
    #[error("the mail server refused the message: {0}")]
    Smtp(String),
    #[error("{0}")]
    BadAddress(String),
}

impl DeliveryFailed {
    /// Whether trying again cannot help: only a change of the server's configuration or of the
    /// address can, so the outbox makes it a dead letter at once instead of retrying for half an
    /// hour with a warning each time.
    pub fn is_permanent(&self) -> bool {
        matches!(self, DeliveryFailed::NoMailer | DeliveryFailed::BadAddress(_))
    }
}

/// The clients of every channel, built once from the configuration.
#[derive(Debug, Clone)]
pub struct Notifiers {
    http: reqwest::Client,
    mailer: Option<Mailer>,
}

impl Notifiers {
    pub fn new(config: &Config) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .user_agent(concat!("Muster/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let mailer = config.smtp_url.as_deref().map(|url| Mailer::new(url, &config.smtp_from)).transpose()?;
        Ok(Notifiers { http, mailer })
    }

    /// The one HTTP client, with its connection pool; others that call out (Prometheus) share it.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Whether e-mail can be sent at all.
    pub fn has_mailer(&self) -> bool {
        self.mailer.is_some()
    }

    pub async fn deliver(&self, to: Destination<'_>, message: &Outgoing) -> Result<(), DeliveryFailed> {
        match to.kind {
            ContactKind::Email => match &self.mailer {
                Some(mailer) => mailer.send(to.address, message).await,
                None => Err(DeliveryFailed::NoMailer),
            },
            kind => webhooks::post(&self.http, kind, to.address, to.signing_secret, message).await,
        }
    }
}

/// Escapes text for HTML.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}
