//! A service's alert settings (priority map, rate limit, open-alert cap), its maintenance windows,
//! and its heartbeat monitors.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::{priority::PriorityMap, record::ActedBy, signal::clip};
use crate::{
    FieldError, Invalid,
    ids::{HeartbeatId, MaintenanceWindowId, ServiceId},
    validate::{Checker, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, optional_text, required_line},
};

/// The most events per minute a rate limit may allow; above this it is no limit at all.
pub const MAX_RATE_LIMIT_PER_MINUTE: u32 = 10_000_000;
/// The highest open-alert cap.
pub const MAX_OPEN_ALERT_CAP: u32 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertSettings {
    pub priorities: PriorityMap,
    /// Events a minute the service accepts from all its keys together; `None` for no limit.
    pub rate_limit_per_minute: Option<u32>,
    /// Open alerts past which new ones are grouped into one storm alert; `None` for no cap.
    pub open_alert_cap: Option<u32>,
}

impl Default for AlertSettings {
    /// Twenty events a second sustained is far above a healthy service and well below a storm that
    /// would bury the database; two hundred open alerts is more than anyone reads one by one.
    fn default() -> Self {
        AlertSettings {
            priorities: PriorityMap::default(),
            rate_limit_per_minute: Some(1200),
            open_alert_cap: Some(200),
        }
    }
}

impl AlertSettings {
    /// Applies a change: each limit is absent (unchanged), `Some(None)` (removed) or a new value.
    pub fn changed(
        self,
        priorities: PriorityMap,
        rate_limit_per_minute: Option<Option<u32>>,
        open_alert_cap: Option<Option<u32>>,
    ) -> Result<AlertSettings, Invalid> {
        let mut checker = Checker::new();
        let bounded = |field: &str, value: Option<Option<u32>>, max: u32| match value {
            Some(Some(n)) if n == 0 || n > max => Some(Err(FieldError::new(
                field,
                format!("must be between 1 and {max}, or null for no limit"),
            ))),
            other => other.map(Ok),
        };
        let rate = checker.check_optional(bounded(
            "rate_limit_per_minute",
            rate_limit_per_minute,
            MAX_RATE_LIMIT_PER_MINUTE,
        ));
        let cap = checker.check_optional(bounded("open_alert_cap", open_alert_cap, MAX_OPEN_ALERT_CAP));
        checker.finish(|| {
            Some(AlertSettings {
                priorities,
                rate_limit_per_minute: rate?.unwrap_or(self.rate_limit_per_minute),
                open_alert_cap: cap?.unwrap_or(self.open_alert_cap),
            })
        })
    }
}

/// A planned period in which a service's alerts are kept but page no one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceWindow {
    pub id: MaintenanceWindowId,
    pub service_id: ServiceId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub starts_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub ends_at: Timestamp,
    pub reason: String,
    pub created_by: ActedBy,
}

/// The longest maintenance window: longer ones are better served by deleting the service.
pub const MAX_MAINTENANCE: SignedDuration = SignedDuration::from_hours(24 * 31);

/// A validated new maintenance window. It may start in the past (to cover work already begun), but
/// must end in the future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMaintenanceWindow {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub reason: String,
}

impl NewMaintenanceWindow {
    pub fn parse(
        starts_at: Option<&str>,
        ends_at: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let time = |field: &str, value: &str| {
            value
                .trim()
                .parse::<Timestamp>()
                .map_err(|_| FieldError::new(field, "must be an RFC 3339 time such as 2026-11-23T22:00:00Z"))
        };
        let starts_at = checker
            .check(starts_at.filter(|s| !s.trim().is_empty()).map_or(Ok(now), |s| time("starts_at", s)));
        let ends_at = checker.check(time("ends_at", ends_at));
        let reason = checker.check(optional_text("reason", reason.unwrap_or(""), MAX_DESCRIPTION_CHARS));
        if let (Some(start), Some(end)) = (starts_at, ends_at) {
            if end <= start {
                checker.check::<()>(Err(FieldError::new("ends_at", "must be after starts_at")));
            } else if end <= now {
                checker.check::<()>(Err(FieldError::new("ends_at", "must be in the future")));
            } else if end.duration_since(start) > MAX_MAINTENANCE {
                checker
                    .check::<()>(Err(FieldError::new("ends_at", "must be at most 31 days after starts_at")));
            }
        }
        checker.finish(|| {
            Some(NewMaintenanceWindow { starts_at: starts_at?, ends_at: ends_at?, reason: reason? })
        })
    }
}

/// A dead-man's switch: a job must check in at least every `interval`, or an alert opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Heartbeat {
    pub id: HeartbeatId,
    pub service_id: ServiceId,
    pub name: String,
    pub interval_seconds: u32,
    /// The secret in the check-in URL; shown to responders so they can configure the job.
    pub key: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_check_in_at: Option<Timestamp>,
    /// Set while the heartbeat is overdue and its alert is open.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub down_since: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

impl Heartbeat {
    /// When silence becomes an alert: one interval after the last check-in (or after creation).
    pub fn deadline(&self) -> Timestamp {
        self.last_check_in_at.unwrap_or(self.created_at)
            + SignedDuration::from_secs(i64::from(self.interval_seconds))
    }

    /// Whether it should raise its alert at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.down_since.is_none() && now >= self.deadline()
    }

    /// The dedup key of this heartbeat's alert.
    pub fn dedup_key(&self) -> String {
        format!("heartbeat:{}", self.id)
    }

    /// The summary of this heartbeat's alert.
    pub fn missed_summary(&self) -> String {
        let since = self.last_check_in_at.map_or_else(|| "it was created".to_owned(), |at| at.to_string());
        clip(&format!("Heartbeat {:?} missed: no check-in since {since}", self.name), 1024)
    }
}

/// Shortest and longest heartbeat intervals.
pub const MIN_HEARTBEAT_SECONDS: u32 = 60;
pub const MAX_HEARTBEAT_SECONDS: u32 = 7 * 24 * 3600;

/// A validated new heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHeartbeat {
    pub name: String,
    pub interval_seconds: u32,
}

impl NewHeartbeat {
    pub fn parse(name: &str, interval_seconds: Option<u32>) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check(required_line("name", name, MAX_NAME_CHARS));
        let interval = checker.check(match interval_seconds {
            None => Err(FieldError::new("interval_seconds", "is missing")),
            Some(s) if !(MIN_HEARTBEAT_SECONDS..=MAX_HEARTBEAT_SECONDS).contains(&s) => Err(FieldError::new(
                "interval_seconds",
                format!("must be between {MIN_HEARTBEAT_SECONDS} and {MAX_HEARTBEAT_SECONDS} (one minute to one week)"),
            )),
            Some(s) => Ok(s),
        });
        checker.finish(|| Some(NewHeartbeat { name: name?, interval_seconds: interval? }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-23T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn limits_can_be_changed_removed_or_kept() {
        let settings = AlertSettings::default();
        let changed = settings.changed(PriorityMap::default(), Some(None), Some(Some(50))).unwrap();
        assert_eq!(changed.rate_limit_per_minute, None);
        assert_eq!(changed.open_alert_cap, Some(50));
        let kept = settings.changed(PriorityMap::default(), None, None).unwrap();
        assert_eq!(kept, settings);
        let error =
            settings.changed(PriorityMap::default(), Some(Some(0)), Some(Some(2_000_000))).unwrap_err();
        let fields: Vec<_> = error.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["rate_limit_per_minute", "open_alert_cap"]);
    }

    #[test]
    fn maintenance_windows_must_end_after_they_start_and_in_the_future() {
        let window =
            NewMaintenanceWindow::parse(None, "2026-11-23T11:00:00Z", Some("database upgrade"), now())
                .unwrap();
        assert_eq!(window.starts_at, now());
        let cases = [
            (Some("2026-11-23T12:00:00Z"), "2026-11-23T11:00:00Z", "must be after starts_at"),
            (Some("2026-11-23T07:00:00Z"), "2026-11-23T08:00:00Z", "must be in the future"),
            (None, "2027-01-23T08:00:00Z", "must be at most 31 days after starts_at"),
            (None, "tonight", "must be an RFC 3339 time such as 2026-11-23T22:00:00Z"),
        ];
        for (start, end, problem) in cases {
            let error = NewMaintenanceWindow::parse(start, end, None, now()).unwrap_err();
            assert_eq!((error.0[0].field.as_str(), error.0[0].problem.as_str()), ("ends_at", problem));
        }
    }

    #[test]
    fn a_heartbeat_is_overdue_one_interval_after_its_last_check_in() {
        let mut heartbeat = Heartbeat {
            id: HeartbeatId("h1".into()),
            service_id: ServiceId("s".into()),
            name: "nightly backup".into(),
            interval_seconds: 3600,
            key: "k".into(),
            last_check_in_at: None,
            down_since: None,
            created_at: now(),
        };
        assert_eq!(heartbeat.deadline(), now() + SignedDuration::from_hours(1));
        assert!(!heartbeat.is_overdue(now() + SignedDuration::from_mins(59)));
        assert!(heartbeat.is_overdue(now() + SignedDuration::from_hours(1)));
        heartbeat.last_check_in_at = Some(now() + SignedDuration::from_mins(30));
        assert!(!heartbeat.is_overdue(now() + SignedDuration::from_hours(1)));
        heartbeat.down_since = Some(now());
        assert!(!heartbeat.is_overdue(now() + SignedDuration::from_hours(9)), "already alerted");
        assert_eq!(heartbeat.dedup_key(), "heartbeat:h1");
    }

    #[test]
    fn heartbeat_intervals_are_bounded() {
        assert!(NewHeartbeat::parse("backup", Some(3600)).is_ok());
        for interval in [None, Some(10), Some(MAX_HEARTBEAT_SECONDS + 1)] {
            assert_eq!(NewHeartbeat::parse("backup", interval).unwrap_err().0[0].field, "interval_seconds");
        }
    }
}
