//! Contact methods and notification rules: the ways a person can be reached, and which of them a
//! page uses after how long ("ntfy at once, e-mail after 2 minutes").
//!
//! A contact method is used only once it is verified: Muster sends a code through it and the
//! person types the code back, which proves both that the address is theirs and that messages
//! arrive. Normal-priority work never interrupts anyone outside their working day: a notification
//! of a normal page that falls due outside it is held until the person's next working day starts.

use jiff::{SignedDuration, Timestamp, civil::Weekday, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::{
    FieldError, Invalid,
    alert::Priority,
    ids::{ContactMethodId, NotificationRuleId, UserId},
    schedule::wall::instant_of,
    user::parse_email,
    validate::{Checker, MAX_NAME_CHARS, required_line},
};

/// The longest address (URL or e-mail) of a contact method.
pub const MAX_ADDRESS_CHARS: usize = 2000;
/// The most contact methods and the most rules one person has.
pub const MAX_PER_PERSON: usize = 20;
/// The bounds of a rule's delay, in minutes.
pub const DELAY_MINUTES: std::ops::RangeInclusive<u32> = 0..=120;
/// The working day during which normal-priority work may notify a person, in their time zone.
pub const WORKING_HOURS: std::ops::Range<i8> = 9..17;

/// A channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// E-mail over SMTP; the address is an e-mail address.
    Email,
    /// A generic JSON webhook; the address is its URL. Optionally HMAC-signed.
    Webhook,
    /// A Slack incoming webhook URL.
    Slack,
    /// A Microsoft Teams incoming webhook URL.
    Teams,
    /// A Mattermost incoming webhook URL.
    Mattermost,
    /// An ntfy topic URL (`https://ntfy.example/oncall-ada`).
    Ntfy,
}

impl ContactKind {
    pub const ALL: [ContactKind; 6] = [
        ContactKind::Email,
        ContactKind::Webhook,
        ContactKind::Slack,
        ContactKind::Teams,
        ContactKind::Mattermost,
        ContactKind::Ntfy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Email => "email",
            ContactKind::Webhook => "webhook",
            ContactKind::Slack => "slack",
            ContactKind::Teams => "teams",
            ContactKind::Mattermost => "mattermost",
            ContactKind::Ntfy => "ntfy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ContactKind::Email => "E-mail",
            ContactKind::Webhook => "Webhook",
            ContactKind::Slack => "Slack",
            ContactKind::Teams => "Microsoft Teams",
            ContactKind::Mattermost => "Mattermost",
            ContactKind::Ntfy => "ntfy",
        }
    }
}

impl std::fmt::Display for ContactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ContactKind {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        ContactKind::ALL.into_iter().find(|k| k.as_str() == value.trim()).ok_or_else(|| {
            FieldError::new("kind", "must be one of email, webhook, slack, teams, mattermost, ntfy")
        })
    }
}

/// A stored contact method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactMethod {
    pub id: ContactMethodId,
    pub user_id: UserId,
    pub kind: ContactKind,
    pub label: String,
    /// The e-mail address or URL.
    pub address: String,
    /// Whether webhook messages carry an HMAC-SHA256 signature (`X-Muster-Signature`).
    pub signed: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub verified_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

impl ContactMethod {
    pub fn is_verified(&self) -> bool {
        self.verified_at.is_some()
    }
}

/// A contact method to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContactMethod {
    pub kind: ContactKind,
    pub label: String,
    pub address: String,
    pub signed: bool,
}

impl NewContactMethod {
    pub fn parse(kind: &str, label: Option<&str>, address: &str, signed: bool) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let kind = checker.check(kind.parse::<ContactKind>());
        let address = kind.and_then(|kind| {
            checker.check(match kind {
                ContactKind::Email => parse_email("address", address),
                _ => parse_url("address", address),
            })
        });
        let label = kind.and_then(|kind| {
            checker.check(required_line("label", label.unwrap_or(kind.label()), MAX_NAME_CHARS))
        });
        if signed && kind.is_some_and(|k| k != ContactKind::Webhook) {
            checker.check::<()>(Err(FieldError::new("signed", "only webhooks are signed")));
        }
        checker.finish(|| Some(NewContactMethod { kind: kind?, label: label?, address: address?, signed }))
    }
}

/// An `http://` or `https://` URL with a host. Only the shape is checked; verifying the contact
/// method proves it works.
pub fn parse_url(field: &str, value: &str) -> Result<String, FieldError> {
    let url = value.trim();
    if url.chars().count() > MAX_ADDRESS_CHARS {
        return Err(FieldError::new(field, format!("must be at most {MAX_ADDRESS_CHARS} characters")));
    }
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(host) if !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Ok(url.to_owned())
        }
        _ => Err(FieldError::new(
            field,
            "must be an http:// or https:// URL such as https://ntfy.example/topic",
        )),
    }
}

/// A stored notification rule: notify through this contact method this long after a page reaches
/// the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationRule {
    pub id: NotificationRuleId,
    pub user_id: UserId,
    pub contact_method_id: ContactMethodId,
    pub delay_minutes: u32,
}

/// A rule to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotificationRule {
    pub contact_method_id: ContactMethodId,
    pub delay_minutes: u32,
}

impl NewNotificationRule {
    pub fn parse(contact_method_id: &str, delay_minutes: Option<u32>) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let id = contact_method_id.trim();
        let method = checker.check(if id.is_empty() {
            Err(FieldError::new("contact_method_id", "is missing"))
        } else {
            Ok(ContactMethodId(id.to_owned()))
        });
        let delay = checker.check(match delay_minutes.unwrap_or(0) {
            d if DELAY_MINUTES.contains(&d) => Ok(d),
            _ => Err(FieldError::new("delay_minutes", "must be between 0 and 120")),
        });
        checker.finish(|| Some(NewNotificationRule { contact_method_id: method?, delay_minutes: delay? }))
    }
}

/// How one person is reached: their time zone and their rules over verified contact methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachable {
    pub user_id: UserId,
    pub time_zone: String,
    /// Each verified method with its delay.
    pub rules: Vec<(ContactMethod, u32)>,
}

/// One notification to write to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub user_id: UserId,
    pub method: ContactMethod,
    pub deliver_at: Timestamp,
}

/// The notifications a step sends its people: one per rule of each, after the rule's delay, and
/// for normal work not before the person's working day.
pub fn plan_notifications(people: &[Reachable], priority: Priority, due_at: Timestamp) -> Vec<Planned> {
    people
        .iter()
        .flat_map(|person| {
            person.rules.iter().map(move |(method, delay)| {
                let after_delay = due_at + SignedDuration::from_mins(i64::from(*delay));
                let deliver_at = match priority {
                    Priority::Normal => next_working_instant(&person.time_zone, after_delay),
                    _ => after_delay,
                };
                Planned { user_id: person.user_id.clone(), method: method.clone(), deliver_at }
            })
        })
        .collect()
}

/// `at` if it is within the working day (Monday to Friday, 09:00–17:00 in `zone`), otherwise the
/// start of the next working day. An unknown zone counts as UTC.
pub fn next_working_instant(zone: &str, at: Timestamp) -> Timestamp {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let local = tz.to_datetime(at);
    let working_day = |weekday: Weekday| !matches!(weekday, Weekday::Saturday | Weekday::Sunday);
    if working_day(local.weekday()) && WORKING_HOURS.contains(&local.hour()) {
        return at;
    }
    let mut day = local.date();
    if local.hour() >= WORKING_HOURS.end || !working_day(day.weekday()) {
        day = day.tomorrow().unwrap_or(day);
    }
    while !working_day(day.weekday()) {
        day = day.tomorrow().unwrap_or(day);
    }
    let start = day.at(WORKING_HOURS.start, 0, 0, 0);
    instant_of(&tz, start).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(result: Result<NewContactMethod, Invalid>) -> Vec<String> {
        result.expect_err("invalid").0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn addresses_are_checked_by_kind() {
        let email = NewContactMethod::parse("email", None, " Ada@Example.com ", false).unwrap();
        assert_eq!((email.address.as_str(), email.label.as_str()), ("ada@example.com", "E-mail"));
        let ntfy = NewContactMethod::parse("ntfy", Some("Phone"), "https://ntfy.example/ada", false).unwrap();
        assert_eq!(ntfy.address, "https://ntfy.example/ada");
        assert_eq!(fields(NewContactMethod::parse("email", None, "not-an-address", false)), ["address"]);
        assert_eq!(fields(NewContactMethod::parse("slack", None, "ftp://hooks.example", false)), ["address"]);
        assert_eq!(fields(NewContactMethod::parse("webhook", None, "https:///path", false)), ["address"]);
        assert_eq!(fields(NewContactMethod::parse("pager", None, "x", false)), ["kind"]);
        assert_eq!(
            fields(NewContactMethod::parse("slack", None, "https://hooks.example/x", true)),
            ["signed"]
        );
    }

    #[test]
    fn rule_delays_are_bounded() {
        assert_eq!(NewNotificationRule::parse("cm1", None).unwrap().delay_minutes, 0);
        let bad = NewNotificationRule::parse(" ", Some(121)).unwrap_err();
        let fields: Vec<_> = bad.0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["contact_method_id", "delay_minutes"]);
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn normal_work_waits_for_the_working_day_in_the_persons_zone() {
        let zone = "America/New_York";
        // Tuesday 2026-11-24 10:00 in New York is 15:00 UTC: within the working day.
        assert_eq!(next_working_instant(zone, ts("2026-11-24T15:00:00Z")), ts("2026-11-24T15:00:00Z"));
        // 03:00 in New York waits for 09:00 the same day.
        assert_eq!(next_working_instant(zone, ts("2026-11-24T08:00:00Z")), ts("2026-11-24T14:00:00Z"));
        // 17:00 on Friday waits for Monday 09:00.
        assert_eq!(next_working_instant(zone, ts("2026-11-27T22:00:00Z")), ts("2026-11-30T14:00:00Z"));
        // Saturday morning waits for Monday too.
        assert_eq!(next_working_instant(zone, ts("2026-11-28T15:00:00Z")), ts("2026-11-30T14:00:00Z"));
    }

    #[test]
    fn each_rule_notifies_after_its_delay() {
        let method = |id: &str, kind| ContactMethod {
            id: ContactMethodId(id.into()),
            user_id: UserId("ada".into()),
            kind,
            label: id.into(),
            address: "https://ntfy.example/ada".into(),
            signed: false,
            verified_at: Some(ts("2026-11-01T00:00:00Z")),
            created_at: ts("2026-11-01T00:00:00Z"),
        };
        let ada = Reachable {
            user_id: UserId("ada".into()),
            time_zone: "Europe/London".into(),
            rules: vec![(method("push", ContactKind::Ntfy), 0), (method("mail", ContactKind::Email), 2)],
        };
        let night = ts("2026-11-24T03:00:00Z");
        let urgent = plan_notifications(std::slice::from_ref(&ada), Priority::Urgent, night);
        let times: Vec<_> = urgent.iter().map(|p| (p.method.id.as_str(), p.deliver_at)).collect();
        assert_eq!(times, [("push", night), ("mail", ts("2026-11-24T03:02:00Z"))]);
        let normal = plan_notifications(&[ada], Priority::Normal, night);
        assert!(normal.iter().all(|p| p.deliver_at == ts("2026-11-24T09:00:00Z")), "{normal:?}");
    }
}
