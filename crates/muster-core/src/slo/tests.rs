use jiff::Timestamp;

use super::*;
use crate::{
    ids::{ServiceId, SloId, UserId},
    incident::Person,
};

fn ratio(good: &str, total: &str) -> Sli {
    Sli::Ratio { good: good.into(), total: total.into() }
}

fn new_slo(name: &str, sli: Sli, objective: f64, window_days: Option<u32>) -> NewSlo {
    NewSlo { name: name.into(), sli, objective, window_days }
}

fn checkout() -> Slo {
    let sli =
        ratio("http_requests_total{job=\"checkout\",code!~\"5..\"}", "http_requests_total{job=\"checkout\"}");
    new_slo("checkout-availability", sli, 99.9, None)
        .parse(SloId("s".into()), ServiceId("svc".into()))
        .unwrap()
}

#[test]
fn an_slo_is_checked_field_by_field() {
    let good = "http_requests_total{job=\"checkout\",code!~\"5..\"}";
    let latency = |histogram: &str, selector: &str, threshold: f64| Sli::Latency {
        histogram: histogram.into(),
        selector: selector.into(),
        threshold_seconds: threshold,
    };
    let cases: Vec<(NewSlo, Option<&str>)> = vec![
        (new_slo("checkout-availability", ratio(good, "http_requests_total"), 99.9, Some(28)), None),
        (new_slo("Checkout availability", ratio(good, "http_requests_total"), 99.9, None), Some("name")),
        (new_slo("a", ratio("sum(rate(x[5m]))", "x"), 99.9, None), Some("sli.good")),
        (new_slo("a", ratio(good, "x} or vector(1"), 99.9, None), Some("sli.total")),
        (new_slo("a", ratio(good, "x"), 100.0, None), Some("objective")),
        (new_slo("a", ratio(good, "x"), 42.0, None), Some("objective")),
        (new_slo("a", ratio(good, "x"), 99.9999, None), Some("objective")),
        (new_slo("a", ratio(good, "x"), 99.5, Some(0)), Some("window_days")),
        (new_slo("a", ratio(good, "x"), 99.5, Some(91)), Some("window_days")),
        (
            new_slo(
                "latency",
                latency("http_request_duration_seconds_bucket", "job=\"api\"", 0.3),
                99.0,
                None,
            ),
            None,
        ),
        (new_slo("latency", latency("http duration", "", 0.3), 99.0, None), Some("sli.histogram")),
        (new_slo("latency", latency("h", "job=\"a\"}[5m]", 0.3), 99.0, None), Some("sli.selector")),
        (new_slo("latency", latency("h", "", 0.0), 99.0, None), Some("sli.threshold_seconds")),
    ];
    for (new, refused) in cases {
        let shown = format!("{new:?}");
        match (new.parse(SloId("s".into()), ServiceId("svc".into())), refused) {
            (Ok(slo), None) => assert!(slo.window_days >= 1, "{shown}"),
            (Err(invalid), Some(field)) => assert_eq!(invalid.0[0].field, field, "{shown}"),
            (other, expected) => panic!("{shown}: expected a refusal on {expected:?}, got {other:?}"),
        }
    }
}

#[test]
fn burn_rates_follow_the_slo_window() {
    for alert in BURN_RATE_ALERTS {
        assert!(
            rules::ALERT_WINDOWS.contains(&alert.long_window)
                && rules::ALERT_WINDOWS.contains(&alert.short_window)
        );
    }
    let rates = |days| BURN_RATE_ALERTS.iter().map(|a| a.burn_rate(days)).collect::<Vec<_>>();
    assert_eq!(rates(30), [14.4, 6.0, 3.0, 1.0], "the workbook's figures for 30 days");
    assert_eq!(rates(28), [13.44, 5.6, 2.8, 0.9333]);
}

#[test]
fn the_rules_record_every_window_and_alert_on_both_burns() {
    let slo = checkout();
    let rules = prometheus_rules("svc", "Checkout \"web\"", &[slo]);
    for window in ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "28d"] {
        assert!(
            rules.contains(&format!("record: \"slo:sli_error:ratio_rate{window}\"")),
            "{window}:\n{rules}"
        );
    }
    assert!(rules.contains(
        "expr: \"1 - (sum(rate(http_requests_total{job=\\\"checkout\\\",code!~\\\"5..\\\"}[5m])) / sum(rate(http_requests_total{job=\\\"checkout\\\"}[5m])))\""
    ), "{rules}");
    assert!(
        rules.contains("slo:sli_error:ratio_rate1h{slo=\\\"checkout-availability\\\"} > (13.44 * 0.001"),
        "{rules}"
    );
    assert!(
        rules.contains("alert: \"SloErrorBudgetBurnFast\"")
            && rules.contains("alert: \"SloErrorBudgetBurnSlow\"")
    );
    assert!(rules.contains("muster_service: \"Checkout \\\"web\\\"\""), "names are quoted: {rules}");
    assert!(prometheus_rules("svc", "Checkout", &[]).contains("groups: []"));
}

#[test]
fn the_error_budget_is_what_is_left_of_the_allowance() {
    let cases = [
        (99.9, 1000.0, 1000.0, 1.0),
        (99.9, 999.5, 1000.0, 0.5),
        (99.9, 999.0, 1000.0, 0.0),
        (99.0, 970.0, 1000.0, -2.0),
        (99.9, 0.0, 0.0, 1.0),
    ];
    for (objective, good, total, remaining) in cases {
        let budget = ErrorBudget::of(objective, good, total);
        assert!((budget.remaining - remaining).abs() < 1e-9, "{objective} {good}/{total}: {budget:?}");
    }
    assert!(ErrorBudget::of(99.9, 999.0, 1000.0).is_exhausted());
    assert!((ErrorBudget::from_error_ratio(99.9, 0.0005).remaining - 0.5).abs() < 1e-9);
}

#[test]
fn the_deploy_gate_freezes_in_ops_mode_except_for_granted_deploys() {
    let ada = Person { id: UserId("ada".into()), name: "Ada".into() };
    let at = "2026-12-01T10:00:00Z".parse::<Timestamp>().unwrap();
    let ops = OpsMode {
        id: "o".into(),
        reason: "error budget exhausted".into(),
        entered_by: ada.clone(),
        entered_at: at,
        expected_end: None,
        reduced_objectives: vec![],
        left_at: None,
        left_by: None,
    };
    let exception = DeployException {
        deploy: "release-4.13".into(),
        reason: "the fix".into(),
        granted_by: ada.clone(),
        granted_at: at,
    };
    let grant = || vec!["Ada".to_owned()];
    assert!(deploy_gate(None, &[], None, grant()).allowed);
    let refused = deploy_gate(Some(&ops), &[], Some("release-4.14"), grant());
    assert!(!refused.allowed && refused.reason.contains("error budget exhausted"), "{refused:?}");
    assert_eq!(refused.who_can_grant, ["Ada"]);
    let granted = deploy_gate(Some(&ops), std::slice::from_ref(&exception), Some(" Release-4.13 "), grant());
    assert!(granted.allowed && granted.exception.is_some(), "{granted:?}");
    assert!(
        !deploy_gate(Some(&ops), std::slice::from_ref(&exception), None, grant()).allowed,
        "an unnamed deploy is refused"
    );
    let slo = checkout();
    let reduced = OpsMode {
        reduced_objectives: vec![ReducedObjective { slo_id: slo.id.clone(), normal: 99.9, reduced: 99.5 }],
        ..ops.clone()
    };
    assert_eq!(slos_in_force(std::slice::from_ref(&slo), Some(&reduced))[0].objective, 99.5);
    let left = OpsMode { left_at: Some(at), left_by: Some(ada), ..reduced };
    assert_eq!(slos_in_force(std::slice::from_ref(&slo), Some(&left))[0].objective, 99.9, "leaving restores");
    assert!(deploy_gate(Some(&left), &[], None, grant()).allowed, "after ops mode ends");
}
