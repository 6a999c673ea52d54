//! SLOs over the API: their rules pass `promtool` and a fast burn fires the page; ops mode
//! freezes deploys at the gate until it ends or an exception is granted by name.

use jiff::SignedDuration;
use muster_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{NowForTests, Person, TestApp, find_program, skip_or_fail};

/// The Checkout service, owned by a team whose only member is `member`, with an availability SLO.
async fn checkout_with_slo(app: &TestApp, member: &Person) -> (String, String) {
    let team = app.create_team(&app.admin_token, "Payments").await["id"].as_str().unwrap_or("").to_owned();
    app.api(
        Method::PUT,
        &format!("/api/v1/teams/{team}/members/{}", member.id),
        Some(&app.admin_token),
        None,
    )
    .await;
    let service = app.create_service(&app.admin_token, "Checkout", Some(&team)).await["id"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let slo = json!({"name": "checkout-availability", "objective": 99.9, "window_days": 28, "sli": {"kind": "ratio",
        "good": "http_requests_total{job=\"checkout\",code!~\"5..\"}", "total": "http_requests_total{job=\"checkout\"}"}});
    let created = app.post(&format!("/api/v1/services/{service}/slos"), &member.token, slo).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    (service, created.body["id"].as_str().unwrap_or("").to_owned())
}

async fn gate(app: &TestApp, service: &str, deploy: &str, token: &str) -> (StatusCode, Value) {
    let reply = app.get(&format!("/api/v1/services/{service}/deploy-gate?deploy={deploy}"), token).await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn the_deploy_gate_is_locked_in_ops_mode_and_opens_for_an_exception_or_when_it_ends() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let bo = app.person("Bo", Role::Responder).await;
    let ci = app.person("CI pipeline", Role::Stakeholder).await;
    let (service, slo) = checkout_with_slo(&app, &ada).await;
    let (status, body) = gate(&app, &service, "release-4.13", &ci.token).await;
    assert_eq!((status, body["allowed"].clone()), (StatusCode::OK, json!(true)));

    let too_high = json!({"reason": "x", "reduced_objectives": [{"slo_id": slo, "objective": 99.99}]});
    let refused = app.post(&format!("/api/v1/services/{service}/ops-mode"), &ada.token, too_high).await;
    assert_eq!(refused.fields(), ["reduced_objectives"], "ops mode lowers objectives");
    let enter = json!({"reason": "error budget exhausted after the pricing deploys", "expected_end": "2026-12-30T09:00:00Z",
        "reduced_objectives": [{"slo_id": slo, "objective": 99.5}]});
    let entered = app.post(&format!("/api/v1/services/{service}/ops-mode"), &ada.token, enter.clone()).await;
    assert_eq!(entered.status, StatusCode::CREATED, "{entered:?}");
    let again = app.post(&format!("/api/v1/services/{service}/ops-mode"), &bo.token, enter).await;
    assert_eq!((again.status, again.fields()), (StatusCode::CONFLICT, vec!["ops_mode"]));

    let (status, body) = gate(&app, &service, "release-4.13", &ci.token).await;
    assert_eq!((status, body["allowed"].clone()), (StatusCode::LOCKED, json!(false)), "{body}");
    assert!(
        body["reason"].as_str().unwrap_or("").contains("error budget exhausted after the pricing deploys"),
        "{body}"
    );
    assert_eq!(body["who_can_grant"], json!(["Ada", "Admin"]), "the owning team's members and the admins");
    let slos = app.get(&format!("/api/v1/services/{service}/slos"), &ci.token).await.body;
    assert_eq!(
        (slos[0]["objective"].clone(), slos[0]["normal_objective"].clone()),
        (json!(99.5), json!(99.9))
    );
    let rules =
        app.api(Method::GET, &format!("/api/v1/services/{service}/slo-rules"), Some(&ci.token), None).await;
    assert!(rules.body.as_str().unwrap_or("").contains("0.005"), "the rules follow the reduced objective");

    let exception = json!({"deploy": "release-4.13", "reason": "the fix for the slow price rules"});
    let outsider = app
        .post(&format!("/api/v1/services/{service}/deploy-exceptions"), &bo.token, exception.clone())
        .await;
    assert_eq!(outsider.status, StatusCode::FORBIDDEN, "Bo is not in the owning team");
    let granted =
        app.post(&format!("/api/v1/services/{service}/deploy-exceptions"), &ada.token, exception).await;
    assert_eq!(granted.status, StatusCode::CREATED, "{granted:?}");
    let (status, body) = gate(&app, &service, "release-4.13", &ci.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["exception"]["granted_by"]["name"], "Ada");
    assert_eq!(
        gate(&app, &service, "release-4.14", &ci.token).await.0,
        StatusCode::LOCKED,
        "only the named deploy"
    );
    let audit = app.get("/api/v1/audit", &app.admin_token).await.body.to_string();
    assert!(audit.contains("granted the deploy release-4.13 an exception"), "the exception is logged");

    let left = app
        .api(Method::DELETE, &format!("/api/v1/services/{service}/ops-mode"), Some(&ada.token), None)
        .await;
    assert_eq!(left.status, StatusCode::OK, "{left:?}");
    assert_eq!(
        gate(&app, &service, "release-4.14", &ci.token).await.0,
        StatusCode::OK,
        "the freeze ends with ops mode"
    );
    let slos = app.get(&format!("/api/v1/services/{service}/slos"), &ci.token).await.body;
    assert_eq!(slos[0]["objective"], 99.9, "leaving restores the objective");
    let anonymous =
        app.api(Method::GET, &format!("/api/v1/services/{service}/deploy-gate"), None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn posted_sli_counts_spend_the_budget_and_propose_ops_mode() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let (service, slo) = checkout_with_slo(&app, &ada).await;
    let counts = format!("/api/v1/services/{service}/slos/{slo}/counts");
    let bad = app.post(&counts, &ada.token, json!({"good": 11, "total": 10})).await;
    assert_eq!(bad.fields(), ["good"]);
    app.post(&counts, &ada.token, json!({"good": 9995, "total": 10000})).await;
    let slos = app.get(&format!("/api/v1/services/{service}/slos"), &ada.token).await.body;
    assert_eq!(slos[0]["budget_source"], "posted_counts");
    let remaining = slos[0]["budget"]["remaining"].as_f64().unwrap_or(0.0);
    assert!((remaining - 0.5).abs() < 1e-9, "half the budget is left: {slos}");
    assert_eq!(
        app.get(&format!("/api/v1/services/{service}/ops-mode"), &ada.token).await.body["proposal"],
        Value::Null
    );
    app.post(&counts, &ada.token, json!({"good": 9980, "total": 10000})).await;
    let ops = app.get(&format!("/api/v1/services/{service}/ops-mode"), &ada.token).await.body;
    assert!(ops["proposal"].as_str().unwrap_or("").contains("checkout-availability"), "{ops}");
}

/// The burn over the SLO's window, a point a day: untouched before the first counts, then what
/// each day's window holds, and the chart on the reliability page.
#[tokio::test]
async fn the_error_budget_burn_is_charted_day_by_day_from_posted_counts() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let (service, slo) = checkout_with_slo(&app, &ada).await;
    let counts = format!("/api/v1/services/{service}/slos/{slo}/counts");
    // Day 0: a quarter of the budget; day 1: another half.
    app.post(&counts, &ada.token, json!({"good": 99_975, "total": 100_000})).await;
    app.advance(SignedDuration::from_hours(24));
    app.post(&counts, &ada.token, json!({"good": 99_925, "total": 100_000})).await;
    app.advance(SignedDuration::from_hours(24));
    let burn = app.get(&format!("/api/v1/services/{service}/slos/{slo}/burn"), &ada.token).await.body;
    assert_eq!(burn["budget_source"], "posted_counts");
    let left: Vec<f64> = burn["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| (p["remaining"].as_f64().unwrap_or(9.0) * 1000.0).round() / 1000.0)
        .collect();
    assert_eq!(left.len(), 29, "a point a day over the 28-day window, ending now");
    assert_eq!(left[..26], [1.0; 26], "no events before the first counts");
    assert_eq!(left[26..], [0.75, 0.5, 0.5], "{burn}");
    assert_eq!(burn["points"][28]["at"], "2026-11-25T09:00:00Z");
    let csv =
        app.get_csv(&format!("/api/v1/services/{service}/slos/{slo}/burn?format=csv"), &ada.token).await;
    assert!(
        csv.starts_with("at,remaining\n") && csv.trim_end().ends_with("2026-11-25T09:00:00Z,0.5000"),
        "{csv}"
    );
    let missing = app.get(&format!("/api/v1/services/{service}/slos/nope/burn"), &ada.token).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let page = app.sign_in(&ada.email).await.get(&format!("/services/{service}/reliability")).await;
    assert!(
        page.text.contains("checkout-availability: error budget burn")
            && page.text.contains("50.0% left</title>"),
        "{}",
        page.text
    );
}

/// The `promtool` binary of the Debian `prometheus` package, or a skip (a failure under CI).
fn promtool() -> Option<std::path::PathBuf> {
    let found = find_program("promtool", &["/usr/bin/promtool"]);
    if found.is_none() {
        skip_or_fail("SLO rules with promtool", "install the prometheus package for promtool");
    }
    found
}

/// A promtool test: 28 days at 99.9 %; `bad` of every 1,000 requests fail each minute.
fn burn_test(bad: u32, expected: &str) -> String {
    let good = 1000 - bad;
    format!(
        r#"rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'http_requests_total{{job="checkout",code="200"}}'
        values: '0+{good}x120'
      - series: 'http_requests_total{{job="checkout",code="500"}}'
        values: '0+{bad}x120'
    alert_rule_test:
      - eval_time: 30m
        alertname: SloErrorBudgetBurnFast
        exp_alerts: {expected}
"#
    )
}

#[tokio::test]
async fn generated_rules_pass_promtool_and_a_fast_burn_pages() {
    let Some(promtool) = promtool() else { return };
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let (service, _) = checkout_with_slo(&app, &ada).await;
    let latency = json!({"name": "checkout-latency", "objective": 99.0, "sli": {"kind": "latency",
        "histogram": "http_request_duration_seconds", "selector": "job=\"checkout\"", "threshold_seconds": 0.3}});
    let created = app.post(&format!("/api/v1/services/{service}/slos"), &ada.token, latency).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let rules =
        app.api(Method::GET, &format!("/api/v1/services/{service}/slo-rules"), Some(&ada.token), None).await;
    let rules = rules.body.as_str().expect("YAML").to_owned();
    let folder = tempfile::tempdir().expect("a folder");
    std::fs::write(folder.path().join("rules.yml"), &rules).expect("write the rules");
    let run = |args: &[&str]| {
        std::process::Command::new(&promtool)
            .args(args)
            .current_dir(folder.path())
            .output()
            .expect("promtool runs")
    };
    let checked = run(&["check", "rules", "rules.yml"]);
    assert!(
        checked.status.success(),
        "{}{}\n{rules}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    let page = format!(
        r#"
          - exp_labels: {{alertname: SloErrorBudgetBurnFast, severity: critical, response: page, slo: checkout-availability, muster_service: Checkout, muster_service_id: "{service}"}}
            exp_annotations:
              summary: "Checkout: checkout-availability is burning its error budget fast"
              description: "The SLO checkout-availability of Checkout (99.9% over 28 days) is spending its error budget at a rate that would exhaust it before the window ends.""#
    );
    for (name, bad, expected) in [("burning", 100, page.as_str()), ("healthy", 0, "[]")] {
        std::fs::write(folder.path().join(format!("{name}.yml")), burn_test(bad, expected))
            .expect("write the test");
        let tested = run(&["test", "rules", &format!("{name}.yml")]);
        assert!(
            tested.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&tested.stdout),
            String::from_utf8_lossy(&tested.stderr)
        );
    }
    // The same check fails when the alert does not fire, so the burning case proves the page.
    std::fs::write(folder.path().join("wrong.yml"), burn_test(0, &page)).expect("write the test");
    assert!(!run(&["test", "rules", "wrong.yml"]).status.success(), "a healthy service does not page");
}

#[tokio::test]
async fn the_reliability_page_adds_slos_and_runs_ops_mode_without_javascript() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let (service, slo) = checkout_with_slo(&app, &ada).await;
    let page = format!("/services/{service}/reliability");
    let browser = app.sign_in(&ada.email).await;
    let shown = browser.get(&page).await.text;
    assert!(shown.contains("checkout-availability") && shown.contains("Deploys may proceed"), "{shown}");

    let latency = [
        ("name", "checkout-latency"),
        ("kind", "latency"),
        ("histogram", "http_request_duration_seconds"),
        ("selector", "job=\"checkout\""),
        ("threshold_seconds", "0.3"),
        ("objective", "99"),
    ];
    let added = browser.submit(&page, &format!("/services/{service}/slos"), &latency).await;
    assert_eq!(
        added.location.as_deref(),
        Some(format!("{page}?done=slo-created").as_str()),
        "{}",
        added.text
    );
    let bad = browser
        .submit(
            &page,
            &format!("/services/{service}/slos"),
            &[("name", "x"), ("good", "a"), ("total", "b"), ("objective", "100")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("must be a percentage above 50 and below 100"), "{}", bad.text);

    let reduced = format!("reduced_{slo}");
    let late = [("reason", "budget spent"), ("expected_end", "2020-01-01T09:00")];
    let refused = browser.submit(&page, &format!("/services/{service}/ops-mode"), &late).await;
    assert!(refused.text.contains("must be in the future"), "{}", refused.text);
    let enter =
        [("reason", "budget spent"), ("expected_end", "2026-12-24T09:00"), (reduced.as_str(), "99.5")];
    let entered = browser.submit(&page, &format!("/services/{service}/ops-mode"), &enter).await;
    assert_eq!(
        entered.location.as_deref(),
        Some(format!("{page}?done=ops-mode-entered").as_str()),
        "{}",
        entered.text
    );
    let frozen = browser.get(&page).await.text;
    assert!(
        frozen.contains("locked")
            && frozen.contains("normally 99.9%")
            && frozen.contains("2026-12-24 09:00 GMT"),
        "{frozen}"
    );
    browser
        .submit(
            &page,
            &format!("/services/{service}/deploy-exceptions"),
            &[("deploy", "v9"), ("reason", "the fix")],
        )
        .await;
    assert_eq!(gate(&app, &service, "v9", &ada.token).await.0, StatusCode::OK);
    let left = browser.submit(&page, &format!("/services/{service}/ops-mode/leave"), &[]).await;
    assert_eq!(left.location.as_deref(), Some(format!("{page}?done=ops-mode-left").as_str()));
    assert!(browser.get(&page).await.text.contains("Deploys may proceed"));
}

/// A `/metrics` endpoint whose checkout counters grow by 1,000 requests a scrape, 1 % failing.
async fn checkout_metrics() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("address").to_string();
    tokio::spawn(async move {
        // Each scrape sees 1,000 more requests, exactly 10 of them failed: the ratio never drifts
        // with the scrape timing.
        let mut scrapes = 0u64;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).await;
            scrapes += 1;
            let (total, bad) = (scrapes * 1000, scrapes * 10);
            let body = format!(
                "# TYPE http_requests_total counter\nhttp_requests_total{{job=\"checkout\",code=\"200\"}} {}\nhttp_requests_total{{job=\"checkout\",code=\"500\"}} {bad}\n",
                total - bad
            );
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    address
}

/// A Prometheus server that ends with the test.
struct Prometheus(std::process::Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_error_budget_is_read_from_a_real_prometheus_evaluating_the_generated_rules() {
    let Some(binary) = find_program("prometheus", &["/usr/bin/prometheus"]) else {
        skip_or_fail("SLO budgets from Prometheus", "install the prometheus package");
        return;
    };
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let prometheus_url = format!("http://127.0.0.1:{port}");
    let url = prometheus_url.clone();
    let app = TestApp::spawn_with(muster_store::testing::TestDatabase::sqlite(), |config| {
        config.prometheus_url = Some(url);
    })
    .await;
    let ada = app.person("Ada", Role::Responder).await;
    let (service, slo) = checkout_with_slo(&app, &ada).await;
    let slos_path = format!("/api/v1/services/{service}/slos");
    let before = app.get(&slos_path, &ada.token).await.body;
    assert_eq!(
        (before[0]["budget_source"].clone(), before[0]["budget"].clone()),
        (json!("unavailable"), Value::Null)
    );

    let folder = tempfile::tempdir().expect("a folder");
    let rules =
        app.api(Method::GET, &format!("/api/v1/services/{service}/slo-rules"), Some(&ada.token), None).await;
    std::fs::write(folder.path().join("rules.yml"), rules.body.as_str().expect("YAML"))
        .expect("write the rules");
    let target = checkout_metrics().await;
    let config = format!(
        "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [rules.yml]\nscrape_configs:\n  - job_name: scraper\n    honor_labels: true\n    static_configs: [{{targets: ['{target}']}}]\n"
    );
    std::fs::write(folder.path().join("prometheus.yml"), config).expect("write the configuration");
    let data = folder.path().join("data");
    let _prometheus = Prometheus(
        std::process::Command::new(binary)
            .current_dir(folder.path())
            .arg("--config.file=prometheus.yml")
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("prometheus starts"),
    );
    // Prometheus runs on the wall clock: wait for it to scrape twice and evaluate the rules.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let slos = loop {
        let slos = app.get(&slos_path, &ada.token).await.body;
        if slos[0]["budget_source"] == "prometheus" {
            break slos;
        }
        assert!(std::time::Instant::now() < deadline, "Prometheus never recorded the error ratio: {slos}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    let remaining = slos[0]["budget"]["remaining"].as_f64().expect("a budget");
    // 1 % failing against an allowance of 0.1 %: the budget is spent ten times over.
    assert!((-9.5..=-8.5).contains(&remaining), "{slos}");
    let proposal = app.get(&format!("/api/v1/services/{service}/ops-mode"), &ada.token).await.body;
    assert!(proposal["proposal"].as_str().unwrap_or("").contains("error budget is exhausted"), "{proposal}");
    // The burn is a range query ending now, and Prometheus' now is the wall clock's.
    app.advance(jiff::Timestamp::now().duration_since(app.clock.now_for_tests()));
    let burn = app.get(&format!("/api/v1/services/{service}/slos/{slo}/burn"), &ada.token).await.body;
    assert_eq!(burn["budget_source"], "prometheus", "{burn}");
    let last = burn["points"].as_array().and_then(|p| p.last()).expect("today's point");
    assert!((-9.5..=-8.5).contains(&last["remaining"].as_f64().unwrap_or(0.0)), "{burn}");
}
