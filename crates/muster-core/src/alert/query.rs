//! What an alert list can be filtered by, and the cursor that pages through it. Lists are newest
//! first by first-seen time; the cursor names the last alert of a page, so a page never repeats or
//! skips an alert while new ones arrive at the top.

use jiff::Timestamp;

use super::record::AlertStatus;
use crate::{
    FieldError, Invalid,
    ids::{AlertId, ServiceId},
    validate::Checker,
};

/// Longest text search accepted.
pub const MAX_SEARCH_CHARS: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    pub service: Option<ServiceId>,
    pub statuses: Vec<AlertStatus>,
    /// First seen at or after.
    pub since: Option<Timestamp>,
    /// First seen before.
    pub until: Option<Timestamp>,
    /// Words found in the summary, source or dedup key (case-insensitive).
    pub text: Option<String>,
}

/// Where the next page starts: after this alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub first_seen_at: Timestamp,
    pub id: AlertId,
}

impl Cursor {
    /// The opaque text form handed to clients.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.first_seen_at.as_millisecond(), self.id)
    }

    pub fn decode(text: &str) -> Result<Cursor, FieldError> {
        let bad = || FieldError::new("cursor", "is not a cursor this server handed out");
        let (millis, id) = text.split_once('_').ok_or_else(bad)?;
        let millis: i64 = millis.parse().map_err(|_| bad())?;
        let first_seen_at = Timestamp::from_millisecond(millis).map_err(|_| bad())?;
        if id.is_empty() || id.len() > 64 {
            return Err(bad());
        }
        Ok(Cursor { first_seen_at, id: AlertId(id.to_owned()) })
    }
}

impl AlertFilter {
    /// Reads a filter from query parameters; `status` is a comma-separated list.
    pub fn parse(
        service: Option<&str>,
        status: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
        text: Option<&str>,
    ) -> Result<AlertFilter, Invalid> {
        let mut checker = Checker::new();
        let statuses = checker.check(
            status
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::parse)
                .collect::<Result<Vec<AlertStatus>, _>>(),
        );
        let time = |field: &'static str, value: Option<&str>| {
            value.filter(|v| !v.trim().is_empty()).map(|v| {
                v.trim().parse::<Timestamp>().map_err(|_| {
                    FieldError::new(field, "must be an RFC 3339 time such as 2026-11-23T09:00:00Z")
                })
            })
        };
        let since = checker.check_optional(time("since", since));
        let until = checker.check_optional(time("until", until));
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > MAX_SEARCH_CHARS) {
            checker.check::<()>(Err(FieldError::new(
                "q",
                format!("must be at most {MAX_SEARCH_CHARS} characters"),
            )));
        }
        let service = service.map(str::trim).filter(|s| !s.is_empty()).map(|s| ServiceId(s.to_owned()));
        checker.finish(|| {
            Some(AlertFilter {
                service,
                statuses: statuses?,
                since: since?,
                until: until?,
                text: text.map(str::to_owned),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        let cursor =
            Cursor { first_seen_at: "2026-11-23T09:00:00.123Z".parse().unwrap(), id: AlertId("a-1".into()) };
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
        for bad in ["", "abc", "12", "x_y", "1_"] {
            assert_eq!(Cursor::decode(bad).unwrap_err().field, "cursor", "{bad:?}");
        }
    }

    #[test]
    fn filters_read_lists_of_statuses_and_name_bad_fields() {
        let filter = AlertFilter::parse(
            Some("svc"),
            Some("triggered, acknowledged"),
            Some("2026-11-01T00:00:00Z"),
            None,
            Some(" disk "),
        )
        .unwrap();
        assert_eq!(filter.statuses, [AlertStatus::Triggered, AlertStatus::Acknowledged]);
        assert_eq!(filter.text.as_deref(), Some("disk"));
        let error = AlertFilter::parse(None, Some("open"), Some("yesterday"), None, None).unwrap_err();
        let fields: Vec<_> = error.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["status", "since"]);
    }
}
