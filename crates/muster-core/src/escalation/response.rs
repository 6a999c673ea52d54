//! Response targets: how soon a page of each priority must be acknowledged, and whether it was.
//!
//! `business_critical` pages must be acknowledged within 5 minutes and `urgent` ones within 30 by
//! default; each service may set its own. `normal` work has no target: it does not page outside
//! the on-call person's working day, so it is answered when they are next at work.
//!
//! An acknowledgement can also time out: with `acknowledgement_timeout_minutes` set, an alert
//! still open that long after it was acknowledged goes back to triggered and pages again from the
//! first step, so an acknowledged-then-forgotten alert never goes quiet for good.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{FieldError, Invalid, alert::Priority, validate::Checker};

/// The bounds of a target, in minutes.
pub const TARGET_MINUTES: std::ops::RangeInclusive<u32> = 1..=1440;

/// A service's response targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseTargets {
    pub business_critical_minutes: u32,
    pub urgent_minutes: u32,
    /// After this long acknowledged and still open, an alert pages again; none: never.
    pub acknowledgement_timeout_minutes: Option<u32>,
}

impl Default for ResponseTargets {
    fn default() -> Self {
        ResponseTargets {
            business_critical_minutes: 5,
            urgent_minutes: 30,
            acknowledgement_timeout_minutes: None,
        }
    }
}

impl ResponseTargets {
    /// Changes the targets given, keeps the others. An acknowledgement timeout of 0 turns it off.
    pub fn parse(
        current: ResponseTargets,
        business_critical: Option<u32>,
        urgent: Option<u32>,
        acknowledgement_timeout: Option<u32>,
    ) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let bounded = |field: &str, minutes: u32| {
            if TARGET_MINUTES.contains(&minutes) {
                Ok(minutes)
            } else {
                Err(FieldError::new(field, "must be between 1 and 1440 minutes (a day)"))
            }
        };
        let critical = checker.check(bounded(
            "business_critical_minutes",
            business_critical.unwrap_or(current.business_critical_minutes),
        ));
        let urgent = checker.check(bounded("urgent_minutes", urgent.unwrap_or(current.urgent_minutes)));
        if let (Some(critical), Some(urgent)) = (critical, urgent)
            && critical > urgent
        {
            checker.check::<()>(Err(FieldError::new(
                "business_critical_minutes",
                "must not be longer than the urgent target",
            )));
        }
        let timeout = checker.check(match acknowledgement_timeout {
            None => Ok(current.acknowledgement_timeout_minutes),
            Some(0) => Ok(None),
            Some(minutes) => bounded("acknowledgement_timeout_minutes", minutes).map(Some),
        });
        checker.finish(|| {
            Some(ResponseTargets {
                business_critical_minutes: critical?,
                urgent_minutes: urgent?,
                acknowledgement_timeout_minutes: timeout?,
            })
        })
    }

    /// How long a page of `priority` has to be acknowledged; `None` for normal work.
    pub fn target(&self, priority: Priority) -> Option<SignedDuration> {
        let minutes = match priority {
            Priority::BusinessCritical => self.business_critical_minutes,
            Priority::Urgent => self.urgent_minutes,
            Priority::Normal => return None,
        };
        Some(SignedDuration::from_mins(i64::from(minutes)))
    }

    /// When a page of `priority` started at `started_at` must be acknowledged by.
    pub fn respond_by(&self, priority: Priority, started_at: Timestamp) -> Option<Timestamp> {
        self.target(priority).map(|target| started_at + target)
    }
}

/// Whether a page met its response target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResponseOutcome {
    /// Acknowledged by the target.
    Met,
    /// Acknowledged late, or not yet and the target has passed.
    Missed,
    /// Not acknowledged yet, and there is still time.
    Pending,
}

impl ResponseOutcome {
    /// Judges a page that had to be acknowledged by `respond_by`, as of `now`. Acknowledging on
    /// the deadline itself meets it.
    pub fn judge(respond_by: Timestamp, acknowledged_at: Option<Timestamp>, now: Timestamp) -> Self {
        match acknowledged_at {
            Some(at) if at <= respond_by => ResponseOutcome::Met,
            Some(_) => ResponseOutcome::Missed,
            None if now > respond_by => ResponseOutcome::Missed,
            None => ResponseOutcome::Pending,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseOutcome::Met => "met",
            ResponseOutcome::Missed => "missed",
            ResponseOutcome::Pending => "pending",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(time: &str) -> Timestamp {
        format!("2026-11-24T{time}Z").parse().unwrap()
    }

    #[test]
    fn defaults_follow_the_priorities() {
        let targets = ResponseTargets::default();
        assert_eq!(targets.respond_by(Priority::BusinessCritical, at("03:00:00")), Some(at("03:05:00")));
        assert_eq!(targets.respond_by(Priority::Urgent, at("03:00:00")), Some(at("03:30:00")));
        assert_eq!(targets.respond_by(Priority::Normal, at("03:00:00")), None);
    }

    #[test]
    fn services_change_targets_within_bounds() {
        let changed = ResponseTargets::parse(ResponseTargets::default(), Some(10), None, Some(60)).unwrap();
        let expected = ResponseTargets {
            business_critical_minutes: 10,
            urgent_minutes: 30,
            acknowledgement_timeout_minutes: Some(60),
        };
        assert_eq!(changed, expected);
        let off = ResponseTargets::parse(changed, None, None, Some(0)).unwrap();
        assert_eq!(off.acknowledgement_timeout_minutes, None, "0 turns the timeout off");
        let fields = |r: Result<ResponseTargets, Invalid>| -> Vec<String> {
            r.unwrap_err().0.into_iter().map(|e| e.field).collect()
        };
        assert_eq!(
            fields(ResponseTargets::parse(changed, Some(0), Some(2000), Some(1441))),
            ["business_critical_minutes", "urgent_minutes", "acknowledgement_timeout_minutes"]
        );
        assert_eq!(
            fields(ResponseTargets::parse(changed, Some(45), None, None)),
            ["business_critical_minutes"]
        );
    }

    #[test]
    fn a_page_meets_its_target_when_acknowledged_by_it() {
        let by = at("03:05:00");
        assert_eq!(ResponseOutcome::judge(by, Some(at("03:05:00")), at("04:00:00")), ResponseOutcome::Met);
        assert_eq!(ResponseOutcome::judge(by, Some(at("03:05:01")), at("04:00:00")), ResponseOutcome::Missed);
        assert_eq!(ResponseOutcome::judge(by, None, at("03:04:00")), ResponseOutcome::Pending);
        assert_eq!(ResponseOutcome::judge(by, None, at("03:05:01")), ResponseOutcome::Missed);
    }
}
