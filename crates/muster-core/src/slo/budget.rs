//! The error budget: how much of what an SLO allows to fail has failed over its window.

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
