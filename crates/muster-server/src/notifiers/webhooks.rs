//! Channels that are one HTTP POST: a generic JSON webhook, Slack, Microsoft Teams and Mattermost
//! incoming webhooks, and ntfy. Each lays the notice out the way its receiver shows best; any
//! answer but 2xx is a failure the outbox retries.

use hmac::{Hmac, KeyInit, Mac};
use muster_core::notify::ContactKind;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{DeliveryFailed, Outgoing};

pub(super) async fn post(
    http: &reqwest::Client,
    kind: ContactKind,
    url: &str,
    signing_secret: Option<&str>,
    message: &Outgoing,
) -> Result<(), DeliveryFailed> {
    let request = http.post(url).header("Idempotency-Key", &message.idempotency_key);
    let request = match kind {
        ContactKind::Ntfy => ntfy(request, message),
        _ => {
            let body = match kind {
                ContactKind::Slack => slack(message),
                ContactKind::Teams => teams(message),
                ContactKind::Mattermost => mattermost(message),
                _ => generic(message),
            }
            .to_string();
            let request = request.header("content-type", "application/json");
            let request = match signing_secret {
                Some(secret) => {
                    request.header("X-Muster-Signature", format!("sha256={}", sign(secret, &body)))
                }
                None => request,
            };
            request.body(body)
        }
    };
    let response = request.send().await.map_err(|e| DeliveryFailed::Unreachable(without_url(&e)))?;
    if response.status().is_success() { Ok(()) } else { Err(DeliveryFailed::Status(response.status())) }
}

/// A reqwest error without the URL, which may hold a webhook's secret path.
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    kind.to_owned()
}

/// The HMAC-SHA256 of the body under the contact method's secret, as hex.
pub(crate) fn sign(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn generic(message: &Outgoing) -> Value {
    let notice = &message.notice;
    json!({
        "id": message.idempotency_key,
        "title": notice.title,
        "text": notice.text,
        "url": notice.url,
        "links": message.links.as_ref().map(|l| json!({"acknowledge": l.acknowledge, "resolve": l.resolve})),
    })
}

fn slack(message: &Outgoing) -> Value {
    let notice = &message.notice;
    let mut text = format!("*{}*\n{}", notice.title, notice.text);
    if let Some(url) = &notice.url {
        text.push_str(&format!("\n<{url}|Open in Muster>"));
    }
    if let Some(links) = &message.links {
        text.push_str(&format!("\n<{}|Acknowledge> · <{}|Resolve>", links.acknowledge, links.resolve));
    }
    json!({"text": text})
}

fn mattermost(message: &Outgoing) -> Value {
    let notice = &message.notice;
    let mut text = format!("**{}**\n{}", notice.title, notice.text);
    if let Some(url) = &notice.url {
        text.push_str(&format!("\n[Open in Muster]({url})"));
    }
    if let Some(links) = &message.links {
        text.push_str(&format!("\n[Acknowledge]({}) · [Resolve]({})", links.acknowledge, links.resolve));
    }
    json!({"text": text})
}

/// An Office 365 connector card, which Teams incoming webhooks (and Power Automate's "post to a
/// channel when a webhook request is received") show with buttons.
fn teams(message: &Outgoing) -> Value {
    let notice = &message.notice;
    let open = |name: &str, uri: &str| json!({"@type": "OpenUri", "name": name, "targets": [{"os": "default", "uri": uri}]});
    let mut actions = Vec::new();
    if let Some(links) = &message.links {
        actions.push(open("Acknowledge", &links.acknowledge));
        actions.push(open("Resolve", &links.resolve));
    }
    if let Some(url) = &notice.url {
        actions.push(open("Open in Muster", url));
    }
    json!({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": notice.title,
        "title": notice.title,
        "text": notice.text.replace('\n', "  \n"),
        "potentialAction": actions,
    })
}

/// ntfy's publish-as-HTTP-body form: the text as the body, the rest as headers, with action
/// buttons that open the signed links.
fn ntfy(request: reqwest::RequestBuilder, message: &Outgoing) -> reqwest::RequestBuilder {
    let notice = &message.notice;
    let mut request = request.header("Title", header_text(&notice.title)).header("Tags", "rotating_light");
    if notice.respond {
        request = request.header("Priority", "5");
    }
    if let Some(url) = &notice.url {
        request = request.header("Click", url.as_str());
    }
    if let Some(links) = &message.links {
        request = request.header(
            "Actions",
            format!(
                "view, Acknowledge, {}, clear=true; view, Resolve, {}, clear=true",
                links.acknowledge, links.resolve
            ),
        );
    }
    request.header("content-type", "text/plain; charset=utf-8").body(notice.text.clone())
}

/// Header values must be visible ASCII; ntfy shows what is left.
fn header_text(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).take(250).collect()
}

#[cfg(test)]
mod tests {
    use muster_core::notify::Notice;

    use super::*;
    use crate::notifiers::Links;

    fn message() -> Outgoing {
        Outgoing {
            notice: Notice {
                title: "[Business critical] Disk full".into(),
                text: "Checkout\nSource: db-1".into(),
                url: Some("https://muster.example/alerts/a1".into()),
                respond: true,
            },
            links: Some(Links { acknowledge: "https://m/ack".into(), resolve: "https://m/res".into() }),
            idempotency_key: "n1".into(),
        }
    }

    #[test]
    fn each_channel_carries_the_links() {
        assert!(slack(&message())["text"].as_str().unwrap().contains("<https://m/ack|Acknowledge>"));
        assert!(mattermost(&message())["text"].as_str().unwrap().contains("[Resolve](https://m/res)"));
        let card = teams(&message());
        assert_eq!(card["potentialAction"][0]["targets"][0]["uri"], "https://m/ack");
        assert_eq!(generic(&message())["links"]["resolve"], "https://m/res");
        assert_eq!(generic(&message())["id"], "n1");
    }

    #[test]
    fn signatures_are_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
