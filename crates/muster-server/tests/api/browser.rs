//! The web UI in a real headless Chromium, driven over WebDriver by chromedriver.
//!
//! Skipped with a loud line when chromedriver or Chromium is missing, except under `CI=true`,
//! where that is a failure.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, find_program, skip_or_fail};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session in it; both end on drop.
struct WebDriver {
    base: String,
    session: String,
    http: reqwest::Client,
    process: Child,
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl WebDriver {
    async fn start(test: &str) -> Option<Self> {
        crate::helpers::use_ring_for_tls();
        let driver =
            find_program("chromedriver", &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
        let browser = find_program(
            "chromium",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"],
        );
        let (Some(driver), Some(browser)) = (driver, browser) else {
            skip_or_fail(&format!("browser test {test}"), "install chromium and chromium-driver");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let process = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser.to_string_lossy(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.keep().display())]
            }
        }}});
        let mut driver = WebDriver { base, session: String::new(), http, process };
        let created = driver.command(reqwest::Method::POST, "/session", capabilities).await;
        driver.session = created["sessionId"].as_str().expect("a WebDriver session").to_owned();
        Some(driver)
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        self.try_command(method, path, body).await.unwrap_or_else(|error| panic!("WebDriver error: {error}"))
    }

    async fn try_command(&self, method: reqwest::Method, path: &str, body: Value) -> Result<Value, Value> {
        let url = if path == "/session" {
            format!("{}/session", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let mut request = self.http.request(method, url);
        if !body.is_null() {
            request = request.json(&body);
        }
        let reply: Value = request.send().await.expect("chromedriver answers").json().await.expect("JSON");
        if reply["value"]["error"].is_null() { Ok(reply["value"].clone()) } else { Err(reply) }
    }

    async fn go(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({ "url": url })).await;
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .command(reqwest::Method::POST, "/element", json!({ "using": "css selector", "value": css }))
            .await;
        found[ELEMENT].as_str().expect("an element").to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.command(reqwest::Method::POST, &format!("/element/{id}/value"), json!({ "text": text })).await;
    }

    async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.command(reqwest::Method::POST, &format!("/element/{id}/click"), json!({})).await;
    }

    /// The element's text, or `None` while it is missing or being replaced (htmx swaps).
    async fn text_of(&self, css: &str) -> Option<String> {
        let found = self
            .try_command(reqwest::Method::POST, "/element", json!({ "using": "css selector", "value": css }))
            .await
            .ok()?;
        let id = found[ELEMENT].as_str()?.to_owned();
        let text =
            self.try_command(reqwest::Method::GET, &format!("/element/{id}/text"), Value::Null).await.ok()?;
        text.as_str().map(str::to_owned)
    }

    /// Waits (in real time: a browser is outside the manual clock) until `css` shows `text`.
    async fn wait_for_text(&self, css: &str, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.text_of(css).await.is_some_and(|shown| shown.contains(text)) {
                return;
            }
            if Instant::now() > deadline {
                self.screenshot("timeout").await;
                panic!("{css} never showed {text:?}; it shows {:?}", self.text_of(css).await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot when MUSTER_SCREENSHOTS names a folder, to look at what the test saw.
    async fn screenshot(&self, name: &str) {
        if let Ok(folder) = std::env::var("MUSTER_SCREENSHOTS") {
            let png = self.command(reqwest::Method::GET, "/screenshot", Value::Null).await;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(png.as_str().unwrap_or(""))
                .expect("base64 PNG");
            std::fs::write(Path::new(&folder).join(format!("{name}.png")), bytes)
                .expect("write the screenshot");
        }
    }

    async fn quit(&self) {
        self.command(reqwest::Method::DELETE, "", Value::Null).await;
    }
}

#[tokio::test]
async fn a_responder_signs_in_creates_a_service_and_sees_it_listed_and_updated_live() {
    let Some(browser) = WebDriver::start("a_responder_signs_in_creates_a_service_and_sees_it_listed").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    app.person("Grace Hopper", muster_core::user::Role::Responder).await;

    browser.go(&format!("{}/services", app.address)).await;
    browser.type_into("input[name=email]", "grace.hopper@example.com").await;
    browser.type_into("input[name=password]", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("h1", "Services").await;

    browser.type_into("form[action='/services'] input[name=name]", "Checkout API").await;
    browser
        .type_into("form[action='/services'] textarea[name=description]", "Cart and order placement")
        .await;
    browser.click("form[action='/services'] button[type=submit]").await;
    browser.wait_for_text("h1", "Checkout API").await;
    browser.wait_for_text(".notice", "Service created").await;
    browser.click("form[action$='/keys'] button[type=submit]").await;
    browser.wait_for_text(".notice", "Integration key added").await;
    browser.wait_for_text("table", "/api/v1/ingest/alertmanager/").await;
    browser.screenshot("service").await;

    browser.click("header nav a[href='/services']").await;
    browser.wait_for_text("#service-list", "Checkout API").await;
    browser.screenshot("services").await;

    // Someone else adds a service; the open list shows it without a reload.
    app.create_service(&app.admin_token, "Payment Gateway", None).await;
    browser.wait_for_text("#service-list", "Payment Gateway").await;

    // The on-call pages: a schedule made from a template shows its week and who is on call now.
    let grace = app.get("/api/v1/users/me", &app.admin_token).await;
    let body = serde_json::json!({"template": "daily", "name": "Checkout primary", "time_zone": "America/New_York",
        "start": "2026-11-16", "participants": [grace.body["id"]]});
    let created = app.post("/api/v1/schedules/from-template", &app.admin_token, body).await;
    browser.click("header nav a[href='/schedules']").await;
    browser.wait_for_text("#oncall-list", "Checkout primary").await;
    browser.go(&format!("{}/schedules/{}", app.address, created.body[0]["id"].as_str().unwrap_or(""))).await;
    browser.wait_for_text(".calendar", "Admin").await;
    browser.screenshot("schedule").await;
    browser.quit().await;
}

#[tokio::test]
async fn an_alert_from_a_monitor_appears_live_and_is_acknowledged_with_one_click() {
    let Some(browser) = WebDriver::start("an_alert_from_a_monitor_appears_live").await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.person("Grace Hopper", muster_core::user::Role::Responder).await;
    let pd = app.monitored_service("Checkout", "pagerduty").await;

    browser.go(&format!("{}/alerts", app.address)).await;
    browser.type_into("input[name=email]", "grace.hopper@example.com").await;
    browser.type_into("input[name=password]", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("#alert-list", "No alerts match").await;

    // A monitor pages while the list is open: it shows up without a reload.
    let event = json!({"routing_key": pd.key, "event_action": "trigger", "dedup_key": "latency",
        "payload": {"summary": "Checkout p99 latency over 2 s", "source": "lb-1", "severity": "critical"}});
    assert_eq!(app.send_json("/v2/enqueue", &[], event).await.status, reqwest::StatusCode::ACCEPTED);
    browser.wait_for_text("#alert-list", "Checkout p99 latency over 2 s").await;
    browser.wait_for_text("#alert-list", "triggered").await;
    browser.screenshot("alerts").await;

    browser.click("#alert-list a[href^='/alerts/']").await;
    browser.wait_for_text("h1", "Checkout p99 latency over 2 s").await;
    browser.click("form[action$='/acknowledge'] button").await;
    browser.wait_for_text(".notice", "Alert acknowledged").await;
    browser.wait_for_text("#alert", "Acknowledged 2026-11-23 09:00 GMT by Grace Hopper").await;
    browser.screenshot("alert").await;
    browser.quit().await;
}

impl WebDriver {
    async fn sign_in(&self, app: &TestApp, email: &str, path: &str) {
        self.go(&format!("{}{path}", app.address)).await;
        self.type_into("input[name=email]", email).await;
        self.type_into("input[name=password]", PASSWORD).await;
        self.click("button[type=submit]").await;
    }

    /// Writes the current stage's output and waits until the page shows it saved.
    async fn write_output(&self, output: &str) {
        self.type_into("form[action$='/stage/output'] textarea[name=output]", output).await;
        self.click("form[action$='/stage/output'] button[type=submit]").await;
        self.wait_for_text("#output-text", output).await;
    }

    async fn move_on(&self, to: &str) {
        self.click("#move-next").await;
        self.wait_for_text("#current-stage", to).await;
    }
}

#[tokio::test]
async fn two_people_run_an_incident_and_each_sees_the_others_changes_live() {
    let Some(ada_browser) = WebDriver::start("two_people_run_an_incident (Ada)").await else {
        return;
    };
    let Some(bo_browser) = WebDriver::start("two_people_run_an_incident (Bo)").await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.person("Ada Lovelace", muster_core::user::Role::Responder).await;
    let bo = app.person("Bo Diddley", muster_core::user::Role::Responder).await;
    let monitor = app.monitored_service("Checkout", "generic").await;
    let alert = app.trigger(&monitor, "Checkout 5xx at 12%").await;

    // Ada declares from the alert.
    ada_browser.sign_in(&app, "ada.lovelace@example.com", &format!("/alerts/{alert}")).await;
    ada_browser.wait_for_text("#assessment", "Declare incident").await;
    ada_browser.click("#declare-incident").await;
    ada_browser.wait_for_text("h1", "Declare an incident").await;
    ada_browser.type_into("input[name=title]", "Checkout failing for card payments").await;
    ada_browser.click("input[name=customer_facing]").await;
    ada_browser.click("form[action='/incidents'] button[type=submit]").await;
    ada_browser.wait_for_text("h1", "Incident 1: Checkout failing").await;
    ada_browser.wait_for_text("#holder-commander", "Ada Lovelace").await;

    // Bo opens the room; Ada offers him command, which he sees without reloading.
    bo_browser.sign_in(&app, "bo.diddley@example.com", "/incidents/1").await;
    bo_browser.wait_for_text("#holder-commander", "Ada Lovelace").await;
    ada_browser.click(&format!("#offer-form select[name=user_id] option[value='{}']", bo.id)).await;
    ada_browser.click("#offer-form button[type=submit]").await;
    bo_browser.wait_for_text("#holder-commander", "Offered to Bo Diddley by Ada Lovelace").await;
    bo_browser.wait_for_text("#holder-commander", "Ada Lovelace stays in command until accepted").await;
    bo_browser.screenshot("incident-offer").await;
    bo_browser.click("form[action$='/roles/commander/accept'] button").await;
    bo_browser.wait_for_text(".notice", "You hold the role now").await;
    ada_browser.wait_for_text("#holder-commander", "Bo Diddley").await;

    // Bo, now in command, appoints Ada as Ops Lead; she accepts.
    bo_browser.click("#offer-form select[name=role] option[value='ops_lead']").await;
    bo_browser.click("#offer-form button[type=submit]").await;
    ada_browser.wait_for_text("#holder-ops_lead", "Offered to Ada Lovelace by Bo Diddley").await;
    ada_browser.click("form[action$='/roles/ops_lead/accept'] button").await;
    bo_browser.wait_for_text("#holder-ops_lead", "Ada Lovelace").await;

    // Ada runs the investigation through to cure; Bo's page follows each stage.
    ada_browser.write_output("Failed over to the second region; errors under 1%").await;
    ada_browser.move_on("Examine").await;
    bo_browser.wait_for_text("#current-stage", "Examine").await;
    ada_browser.write_output("Connection pool exhausted since the 10:02 deploy").await;
    ada_browser.move_on("Diagnose").await;
    ada_browser
        .type_into("form[action$='/hypotheses'] input[name=statement]", "The deploy halved the pool size")
        .await;
    ada_browser.click("form[action$='/hypotheses'] button[type=submit]").await;
    bo_browser.wait_for_text("#hypothesis-1", "The deploy halved the pool size").await;
    ada_browser.move_on("Test").await;
    ada_browser
        .type_into("form[action$='/verdict'] input[name=evidence]", "config diff shows 50 to 25")
        .await;
    ada_browser.click("form[action$='/verdict'] button[value=confirmed]").await;
    bo_browser.wait_for_text("#hypothesis-1", "confirmed").await;
    ada_browser.write_output("Confident: the pool change matches the start time exactly").await;
    ada_browser.move_on("Cure").await;
    ada_browser.click("input[name=outcome][value=fully_working]").await;
    ada_browser.write_output("Pool restored to 50; a config check now runs in CI").await;
    bo_browser.wait_for_text("#current-stage", "Cure").await;
    bo_browser.wait_for_text("#output-text", "Pool restored to 50").await;
    bo_browser
        .wait_for_text("#timeline", "Ada Lovelace accepted Ops Lead: \"I confirm I am now the OL\"")
        .await;
    bo_browser.screenshot("incident-room").await;

    // Bo resolves; Ada's page shows it.
    bo_browser.click("form[action$='/state'] input[value=resolved] + button").await;
    ada_browser.wait_for_text("#incident-state", "resolved").await;
    ada_browser.screenshot("incident-resolved").await;
    ada_browser.quit().await;
    bo_browser.quit().await;
}

impl WebDriver {
    /// Replaces the text of an input or text area.
    async fn retype(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.command(reqwest::Method::POST, &format!("/element/{id}/clear"), json!({})).await;
        self.command(reqwest::Method::POST, &format!("/element/{id}/value"), json!({ "text": text })).await;
    }
}

#[tokio::test]
async fn a_postmortem_is_drafted_on_resolve_checked_for_blame_reviewed_published_and_found() {
    let Some(ada_browser) = WebDriver::start("postmortem (Ada)").await else {
        return;
    };
    let Some(cy_browser) = WebDriver::start("postmortem (Cy)").await else {
        return;
    };
    let app = TestApp::spawn().await;
    let ada = app.person("Ada Lovelace", muster_core::user::Role::Responder).await;
    let cy = app.person("Cy Young", muster_core::user::Role::Responder).await;
    app.incident_ready_to_resolve(&ada).await;

    // Ada resolves the customer-facing incident; its required postmortem is drafted at once.
    ada_browser.sign_in(&app, "ada.lovelace@example.com", "/incidents/1").await;
    // Signing in loads the room afterwards; its buttons exist only once it has.
    ada_browser.wait_for_text("h1", "Incident 1: Checkout failing").await;
    ada_browser.click("form[action$='/state'] input[value=resolved] + button").await;
    ada_browser.wait_for_text("#postmortem", "Required because it was customer-facing").await;
    ada_browser.click("#postmortem a[href^='/postmortems/']").await;
    ada_browser.wait_for_text("h1", "Postmortem: Checkout failing").await;
    ada_browser.wait_for_text("#postmortem-status", "draft").await;
    // Prefilled from the investigation, and shown in the live preview.
    ada_browser.wait_for_text("#preview", "The 10:02 deploy halved the connection pool").await;
    ada_browser.wait_for_text("#preview", "Pool size set to 25 by the deploy").await;

    // A blaming sentence is flagged as it is typed, and again once saved.
    ada_browser.type_into("#field-went_wrong", "Ada Lovelace forgot to run the config check.").await;
    ada_browser.wait_for_text("#preview-flags", "Ada Lovelace forgot to run the config check.").await;
    ada_browser.screenshot("postmortem-editor").await;
    ada_browser.click("#editor button[type=submit]").await;
    ada_browser.wait_for_text(".notice", "Draft saved").await;
    ada_browser.wait_for_text("#flags", "Ada Lovelace forgot to run the config check.").await;
    ada_browser.click(&format!("#reviewers option[value='{}']", cy.id)).await;
    ada_browser.click("#reviewers button[type=submit]").await;
    ada_browser.wait_for_text(".notice", "Reviewers saved").await;
    ada_browser.click("form[action$='/submit'] button").await;
    ada_browser.wait_for_text(".errors[role=alert]", "read as blaming").await;

    // The authors fix it and submit.
    ada_browser.retype("#field-went_wrong", "The deploy ran without the config check.").await;
    ada_browser.click("#editor button[type=submit]").await;
    ada_browser.wait_for_text(".notice", "Draft saved").await;
    ada_browser.wait_for_text("#flags", "No sentence reads as blaming").await;
    ada_browser.click("form[action$='/submit'] button").await;
    ada_browser.wait_for_text("#postmortem-status", "in_review").await;
    ada_browser.wait_for_text("#workflow", "Waiting for the approval of Cy Young").await;

    // The reviewer comments on a section and approves.
    let page = ada_browser.command(reqwest::Method::GET, "/url", Value::Null).await;
    let page = page.as_str().expect("the page's address").to_owned();
    let path = page.trim_start_matches(&app.address).to_owned();
    cy_browser.sign_in(&app, "cy.young@example.com", &path).await;
    cy_browser.wait_for_text("#postmortem-status", "in_review").await;
    cy_browser.click("#section-root_cause + * + details summary, #document details summary").await;
    cy_browser.type_into("#document form[action$='/comments'] textarea", "Link the config diff here").await;
    cy_browser.click("#document form[action$='/comments'] button").await;
    cy_browser.wait_for_text("#document", "Link the config diff here").await;
    cy_browser.click("form[action$='/approve'] button").await;
    cy_browser.wait_for_text(".notice", "Approved").await;

    // Ada's page shows the approval without a reload, and the comment; she publishes, the page
    // is read-only and search finds it.
    ada_browser.wait_for_text("#workflow", "Every reviewer approved").await;
    ada_browser.wait_for_text("#history", "Cy Young approved the postmortem").await;
    ada_browser.click("form[action$='/publish'] button").await;
    ada_browser.wait_for_text("#postmortem-status", "published").await;
    ada_browser.wait_for_text("#workflow", "Published and read-only").await;
    ada_browser.wait_for_text("#document", "The deploy ran without the config check.").await;
    assert!(ada_browser.text_of("#editor").await.is_none(), "no editor on a published postmortem");
    ada_browser.screenshot("postmortem-published").await;
    cy_browser.go(&format!("{}/postmortems?q=connection+pool", app.address)).await;
    cy_browser.wait_for_text("#search-results", "Postmortem: Checkout failing").await;
    ada_browser.quit().await;
    cy_browser.quit().await;
}
