//! What an SLO says: its name, its SLI (good events over total events, or requests under a
//! latency threshold), its objective and its window; and the checks on each, so that what is
//! accepted always makes valid PromQL.

use serde::{Deserialize, Serialize};

use crate::{
    FieldError, Invalid,
    ids::{ServiceId, SloId},
    validate::Checker,
};

/// The service level indicator, read from Prometheus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Sli {
    /// Good and total events as counter selectors, such as
    /// `http_requests_total{job="checkout",code!~"5.."}` and `http_requests_total{job="checkout"}`.
    Ratio { good: String, total: String },
    /// Requests answered within `threshold_seconds`, from a histogram (`histogram` is its name
    /// without `_bucket`, `selector` its label matchers without braces, such as `job="checkout"`).
    /// The threshold must be one of the histogram's bucket bounds.
    Latency { histogram: String, selector: String, threshold_seconds: f64 },
}

/// One SLO of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Slo {
    pub id: SloId,
    pub service_id: ServiceId,
    /// A slug (`checkout-availability`), used as the `slo` label of the generated rules.
    pub name: String,
    pub sli: Sli,
    /// The objective in percent, such as 99.9.
    pub objective: f64,
    pub window_days: u32,
}

impl Slo {
    /// The fraction of events allowed to be bad: 0.001 for 99.9 %.
    pub fn error_allowance(&self) -> f64 {
        error_allowance(self.objective)
    }
}

/// Exact to the objective's three decimals, so that 99.9 % allows 0.001 and not 0.000999….
pub(super) fn error_allowance(objective: f64) -> f64 {
    ((100.0 - objective) * 1000.0).round() / 100_000.0
}

/// An SLO as sent, before it is checked.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSlo {
    pub name: String,
    pub sli: Sli,
    /// Percent, above 50 and below 100, such as 99.9.
    pub objective: f64,
    /// 1 to 90 days; 28 when absent.
    pub window_days: Option<u32>,
}

pub const MAX_QUERY_CHARS: usize = 1000;
pub const MAX_NAME_CHARS: usize = 63;
pub const DEFAULT_WINDOW_DAYS: u32 = 28;

impl NewSlo {
    /// The checked SLO of `service`, or every problem with it.
    pub fn parse(self, id: SloId, service: ServiceId) -> Result<Slo, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check(slug("name", &self.name));
        let sli = checker.check(check_sli(self.sli));
        let objective = checker.check(objective("objective", self.objective));
        let window_days =
            checker.check(window("window_days", self.window_days.unwrap_or(DEFAULT_WINDOW_DAYS)));
        checker.finish(|| {
            Some(Slo {
                id,
                service_id: service,
                name: name?,
                sli: sli?,
                objective: objective?,
                window_days: window_days?,
            })
        })
    }
}

/// An objective in percent: above 50, below 100, with at most three decimals (99.999).
pub fn objective(field: &str, value: f64) -> Result<f64, FieldError> {
    if !(value.is_finite() && value > 50.0 && value < 100.0) {
        return Err(FieldError::new(field, "must be a percentage above 50 and below 100, such as 99.9"));
    }
    if ((value * 1000.0).round() - value * 1000.0).abs() > 1e-6 {
        return Err(FieldError::new(field, "must have at most three decimals, such as 99.995"));
    }
    Ok(value)
}

fn window(field: &str, days: u32) -> Result<u32, FieldError> {
    if (1..=90).contains(&days) { Ok(days) } else { Err(FieldError::new(field, "must be 1 to 90 days")) }
}

fn slug(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.len() <= MAX_NAME_CHARS
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(
            field,
            format!(
                "must be 1 to {MAX_NAME_CHARS} lower-case letters, digits and dashes, starting with a letter, such as checkout-availability"
            ),
        ))
    }
}

fn is_metric_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Label matchers as written inside braces: no braces, brackets or new lines of their own, so
/// that the selector cannot turn into another expression.
fn is_matchers(text: &str) -> bool {
    !text.chars().any(|c| matches!(c, '{' | '}' | '[' | ']' | '(' | ')' | '\n' | '\r'))
        && text.matches('"').count().is_multiple_of(2)
}

/// A counter selector: a metric name with optional label matchers, `name{label="value"}`.
fn selector(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    let refused =
        || FieldError::new(field, "must be a counter selector such as http_requests_total{job=\"checkout\"}");
    if value.is_empty() || value.chars().count() > MAX_QUERY_CHARS {
        return Err(refused());
    }
    let (name, rest) = value.split_at(value.find('{').unwrap_or(value.len()));
    let matchers_ok = rest.is_empty()
        || (rest.starts_with('{') && rest.ends_with('}') && is_matchers(&rest[1..rest.len() - 1]));
    if is_metric_name(name) && matchers_ok { Ok(value.to_owned()) } else { Err(refused()) }
}

fn check_sli(sli: Sli) -> Result<Sli, FieldError> {
    Ok(match sli {
        Sli::Ratio { good, total } => {
            Sli::Ratio { good: selector("sli.good", &good)?, total: selector("sli.total", &total)? }
        }
        Sli::Latency { histogram, selector, threshold_seconds } => {
            let histogram = histogram.trim().trim_end_matches("_bucket").to_owned();
            if !is_metric_name(&histogram) {
                return Err(FieldError::new(
                    "sli.histogram",
                    "must be a histogram's metric name, such as http_request_duration_seconds",
                ));
            }
            let selector = selector.trim().to_owned();
            if selector.chars().count() > MAX_QUERY_CHARS || !is_matchers(&selector) {
                return Err(FieldError::new(
                    "sli.selector",
                    "must be label matchers without braces, such as job=\"checkout\"",
                ));
            }
            if !(threshold_seconds.is_finite() && threshold_seconds > 0.0) {
                return Err(FieldError::new(
                    "sli.threshold_seconds",
                    "must be a positive number of seconds, one of the histogram's bucket bounds",
                ));
            }
            Sli::Latency { histogram, selector, threshold_seconds }
        }
    })
}
