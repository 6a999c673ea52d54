//! What a notification says. A [`Notice`] is channel-neutral (a title, plain text, a link to the
//! alert, and whether it carries acknowledge and resolve links); each notifier lays it out in its
//! channel's format. Notices are written into the outbox when the notification is queued, so a
//! retry an hour later sends what was true when the page reached the person.

use serde::{Deserialize, Serialize};

use crate::{alert::Alert, escalation::StepDue};

/// One message, before its channel's layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    pub title: String,
    pub text: String,
    /// Where to read more (the alert's page in Muster).
    pub url: Option<String>,
    /// Whether the message carries signed links to acknowledge and resolve.
    pub respond: bool,
}

impl Notice {
    /// Several notices for one destination that fell due together, as one message.
    pub fn bundle(notices: &[Notice]) -> Notice {
        match notices {
            [one] => one.clone(),
            _ => Notice {
                title: format!("{} alerts need you", notices.len()),
                text: notices.iter().map(|n| format!("• {}", n.title)).collect::<Vec<_>>().join("\n"),
                url: None,
                respond: false,
            },
        }
    }
}

/// The notice of one step of a page.
#[derive(Debug, Clone, Copy)]
pub struct PageNotice<'a> {
    pub alert: &'a Alert,
    pub service_name: &'a str,
    pub step: StepDue,
    pub alert_url: &'a str,
}

impl PageNotice<'_> {
    pub fn notice(&self) -> Notice {
        let alert = self.alert;
        let mut lines = vec![
            String::new(),
            format!("Source: {}", if alert.source.is_empty() { "unknown" } else { &alert.source }),
        ];
        if alert.occurrences > 1 {
            lines.push(format!("Seen {} times", alert.occurrences));
        }
        if self.step.step > 0 || self.step.round > 0 {
            lines.push(format!(
                "Escalated: step {} of round {}, nobody has acknowledged yet",
                self.step.step + 1,
                self.step.round + 1
            ));
        }
        let label = alert.priority.label();
        let mut label_chars = label.chars();
        let label: String =
            label_chars.next().map(|c| c.to_uppercase().chain(label_chars).collect()).unwrap_or_default();
        lines[0] = format!("{label} · {}", self.service_name);
        Notice {
            title: format!("[{label}] {}", alert.summary),
            text: lines.join("\n"),
            url: Some(self.alert_url.to_owned()),
            respond: true,
        }
    }
}
