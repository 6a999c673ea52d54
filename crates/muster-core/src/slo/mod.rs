//! Service level objectives and ops mode. An SLO is a service's promise (an SLI, an objective
//! such as 99.9 %, a window such as 28 days); Muster turns it into Prometheus recording and
//! multi-window multi-burn-rate alerting rules, and measures the error budget left. Ops mode is
//! what a service enters when its budget (or its team's load budget) is spent: reduced objectives
//! and a change freeze, enforced by the deploy gate CI/CD asks before every deploy.

mod budget;
mod definition;
mod ops_mode;
mod rules;

#[cfg(test)]
mod tests;

pub use budget::{BudgetPoint, ErrorBudget, PostedCounts, budget_history, daily_points};
pub use definition::objective;
pub use definition::{NewSlo, Sli, Slo};
pub use ops_mode::{DeployException, GateDecision, OpsMode, ReducedObjective, deploy_gate, slos_in_force};
pub use rules::{BURN_RATE_ALERTS, BurnRateAlert, prometheus_rules};
