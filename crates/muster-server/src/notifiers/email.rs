//! E-mail over SMTP with lettre: a plain-text and an HTML part, the acknowledge and resolve links
//! in both, and the notification's id as the `Message-ID`, so a repeat of a delivery whose answer
//! was lost is recognisable as the same message.

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};

use super::{DELIVERY_TIMEOUT, DeliveryFailed, Outgoing, escape_html};

/// The SMTP client and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    // The transport holds the SMTP password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `url` (`smtps://…` for TLS, `smtp://…?tls=required` for STARTTLS, plain
    /// `smtp://…` otherwise) sending as `from`.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(DELIVERY_TIMEOUT))
            .build();
        let from = from.parse().map_err(|e| format!("smtp_from: {e}"))?;
        Ok(Mailer { transport, from })
    }

    pub(super) async fn send(&self, to: &str, message: &Outgoing) -> Result<(), DeliveryFailed> {
        let to: Mailbox =
            to.parse().map_err(|_| DeliveryFailed::BadAddress(format!("{to:?} is not an e-mail address")))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .message_id(Some(format!("<{}@muster>", message.idempotency_key)))
            .subject(&message.notice.title)
            .multipart(MultiPart::alternative_plain_html(plain(message), html(message)))
            .map_err(|e| DeliveryFailed::Smtp(e.to_string()))?;
        self.transport.send(email).await.map(|_| ()).map_err(|e| DeliveryFailed::Smtp(e.to_string()))
    }
}

fn plain(message: &Outgoing) -> String {
    let notice = &message.notice;
    let mut text = format!("{}\n\n{}\n", notice.title, notice.text);
    if let Some(links) = &message.links {
        text.push_str(&format!("\nAcknowledge: {}\nResolve: {}\n", links.acknowledge, links.resolve));
    }
    if let Some(url) = &notice.url {
        text.push_str(&format!("\nOpen in Muster: {url}\n"));
    }
    text
}

fn html(message: &Outgoing) -> String {
    let notice = &message.notice;
    let lines: Vec<String> = notice.text.lines().map(escape_html).collect();
    let mut body = format!("<h2>{}</h2><p>{}</p>", escape_html(&notice.title), lines.join("<br>"));
    let button = |href: &str, label: &str| {
        format!(
            "<a href=\"{}\" style=\"display:inline-block;padding:8px 16px;margin-right:8px;background:#1f2937;color:#fff;text-decoration:none;border-radius:4px\">{label}</a>",
            escape_html(href)
        )
    };
    if let Some(links) = &message.links {
        body.push_str(&format!(
            "<p>{}{}</p>",
            button(&links.acknowledge, "Acknowledge"),
            button(&links.resolve, "Resolve")
        ));
    }
    if let Some(url) = &notice.url {
        body.push_str(&format!("<p><a href=\"{}\">Open in Muster</a></p>", escape_html(url)));
    }
    format!("<!doctype html><html><body style=\"font-family:sans-serif\">{body}</body></html>")
}
