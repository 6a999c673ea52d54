//! The error budget: how much of what an SLO allows to fail has failed over its window, now and
//! as it burned over time.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::definition::error_allowance;

/// An SLO's budget over its window, from its good and total events.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBudget {
    /// The share of events that was good, in percent (100 with no events).
    pub attained: f64,
    /// The share of the budget left: 1 untouched, 0 spent, below 0 overspent.
    pub remaining: f64,
}

impl ErrorBudget {
    /// The budget of an SLO of `objective` percent after `good` of `total` events were good.
    pub fn of(objective: f64, good: f64, total: f64) -> ErrorBudget {
        if total <= 0.0 {
            return ErrorBudget { attained: 100.0, remaining: 1.0 };
        }
        let error_ratio = (1.0 - good / total).max(0.0);
        ErrorBudget {
            attained: 100.0 * (1.0 - error_ratio),
            remaining: 1.0 - error_ratio / error_allowance(objective),
        }
    }

    /// The budget from the error ratio Prometheus recorded over the window.
    pub fn from_error_ratio(objective: f64, error_ratio: f64) -> ErrorBudget {
        ErrorBudget::of(objective, 1.0 - error_ratio, 1.0)
    }

    pub fn is_exhausted(&self) -> bool {
        self.remaining <= 0.0
    }
}

/// The budget left at one time, over the window that ends then.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetPoint {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// 1 untouched, 0 spent, below 0 overspent.
    pub remaining: f64,
}

/// Counts posted for the period ending at a time: good and total events.
pub type PostedCounts = (Timestamp, u64, u64);

/// The budget left at each of `points`, each over the `window` that ends there (a rolling window,
/// as the SLO is judged), from the counts posted for periods ending at their times.
pub fn budget_history(
    objective: f64,
    window: SignedDuration,
    counts: &[PostedCounts],
    points: &[Timestamp],
) -> Vec<BudgetPoint> {
    points
        .iter()
        .map(|at| {
            let (good, total) = counts
                .iter()
                .filter(|(posted, _, _)| *posted > *at - window && *posted <= *at)
                .fold((0u64, 0u64), |(g, t), (_, good, total)| (g + good, t + total));
            BudgetPoint {
                at: *at,
                remaining: ErrorBudget::of(objective, good as f64, total as f64).remaining,
            }
        })
        .collect()
}

/// Daily points over the `days` before `now`, oldest first, ending at `now`.
pub fn daily_points(now: Timestamp, days: u32) -> Vec<Timestamp> {
    (0..=i64::from(days)).rev().map(|back| now - SignedDuration::from_hours(24 * back)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// A 99.9 % SLO over a 7-day window: a quiet week, a bad day, then the bad day ages out.
    #[test]
    fn the_budget_burns_with_a_bad_day_and_recovers_when_it_leaves_the_window() {
        let day = |n: i64| t("2026-11-01T00:00:00Z") + SignedDuration::from_hours(24 * n);
        let mut counts: Vec<PostedCounts> = (1..=20).map(|n| (day(n), 99_990, 100_000)).collect();
        counts[9] = (day(10), 99_300, 100_000); // 700 errors on day 10
        let points = [day(7), day(10), day(16), day(17), day(21)];
        let history = budget_history(99.9, SignedDuration::from_hours(24 * 7), &counts, &points);
        let remaining: Vec<f64> = history.iter().map(|p| (p.remaining * 1000.0).round() / 1000.0).collect();
        // 10 errors a day in 100,000 is a tenth of the allowance; day 10's 700 overspend the week.
        assert_eq!(remaining, [0.9, -0.086, -0.086, 0.9, 0.9], "{history:?}");
        assert_eq!(history[1].at, day(10));
        assert_eq!(
            daily_points(day(3), 3),
            [day(0), day(1), day(2), day(3)],
            "a point a day, oldest first, ending now"
        );
    }
}
