//! A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) delivering to Muster, once
//! through `webhook_configs` and once through `pagerduty_configs` with `url` pointed at Muster:
//! firing alerts arrive deduplicated, and resolving them in Alertmanager resolves them in Muster.
//! Skipped with a loud line when the binary is missing, except under `CI=true`.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, find_program, skip_or_fail};

/// An Alertmanager process with its own config and storage; killed on drop.
struct Alertmanager {
    process: Child,
    url: String,
    _folder: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Alertmanager {
    async fn start(config: &str) -> Option<Alertmanager> {
        let binary = find_program("prometheus-alertmanager", &["/usr/bin/alertmanager"])
            .or_else(|| find_program("alertmanager", &[]));
        let Some(binary) = binary else {
            skip_or_fail("the Alertmanager test", "install prometheus-alertmanager");
            return None;
        };
        let folder = tempfile::tempdir().expect("a folder for Alertmanager");
        let config_file = folder.path().join("alertmanager.yml");
        std::fs::write(&config_file, config).expect("write the config");
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let process = Command::new(binary)
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!("--storage.path={}", folder.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Alertmanager starts");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{url}/-/ready")).await.map(|r| r.status()).ok() != Some(StatusCode::OK) {
            assert!(Instant::now() < deadline, "Alertmanager did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(Alertmanager { process, url, _folder: folder })
    }

    /// Posts alerts to Alertmanager's API, as Prometheus does.
    async fn fire(&self, alerts: Value) {
        let response =
            reqwest::Client::new().post(format!("{}/api/v2/alerts", self.url)).json(&alerts).send().await;
        assert_eq!(response.expect("Alertmanager answers").status(), StatusCode::OK);
    }
}

fn alert(name: &str, instance: &str, route: &str, ends_at: Option<&str>) -> Value {
    let mut alert = json!({
        "labels": {"alertname": name, "instance": instance, "severity": "critical", "via": route},
        "annotations": {"summary": format!("{name} on {instance}")},
        "generatorURL": "http://prometheus.example/graph"
    });
    if let Some(ends_at) = ends_at {
        alert["endsAt"] = json!(ends_at);
    }
    alert
}

#[tokio::test]
async fn a_real_alertmanager_delivers_firing_and_resolved_alerts_through_webhook_pagerduty_and_opsgenie_configs()
 {
    let app = TestApp::spawn().await;
    let webhook = app.monitored_service("Databases", "alertmanager").await;
    let pagerduty = app.monitored_service("Storage", "pagerduty").await;
    let opsgenie = app.monitored_service("Network", "opsgenie").await;
    let config = format!(
        r#"
route:
  receiver: muster-webhook
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['via="pagerduty"']
      receiver: muster-pagerduty
    - matchers: ['via="opsgenie"']
      receiver: muster-opsgenie
receivers:
  - name: muster-webhook
    webhook_configs:
      - url: '{address}/api/v1/ingest/alertmanager/{webhook_key}'
        send_resolved: true
  - name: muster-pagerduty
    pagerduty_configs:
      - routing_key: '{pagerduty_key}'
        url: '{address}/v2/enqueue'
        send_resolved: true
  - name: muster-opsgenie
    opsgenie_configs:
      - api_key: '{opsgenie_key}'
        api_url: '{address}/'
        send_resolved: true
"#,
        address = app.address,
        webhook_key = webhook.key,
        pagerduty_key = pagerduty.key,
        opsgenie_key = opsgenie.key,
    );
    let Some(alertmanager) = Alertmanager::start(&config).await else { return };

    alertmanager
        .fire(json!([
            alert("DiskFull", "db-1", "webhook", None),
            alert("DiskFull", "db-2", "webhook", None),
            alert("VolumeDegraded", "san-1", "pagerduty", None),
            alert("LinkDown", "sw-1", "opsgenie", None)
        ]))
        .await;
    let firing = app.wait_for_alerts(&webhook.service_id, "two firing alerts", |a| a.len() == 2).await;
    assert!(firing.iter().all(|a| a["status"] == "triggered" && a["origin"] == "alertmanager"));
    let summaries: Vec<&str> = firing.iter().map(|a| a["summary"].as_str().unwrap()).collect();
    assert!(
        summaries.contains(&"DiskFull on db-1") && summaries.contains(&"DiskFull on db-2"),
        "{summaries:?}"
    );
    let paged = app.wait_for_alerts(&pagerduty.service_id, "the PagerDuty event", |a| a.len() == 1).await;
    assert_eq!(
        (paged[0]["origin"].as_str(), paged[0]["client"].as_str()),
        (Some("pagerduty"), Some("Alertmanager"))
    );
    let genie = app.wait_for_alerts(&opsgenie.service_id, "the Opsgenie alert", |a| a.len() == 1).await;
    assert_eq!(
        (genie[0]["origin"].as_str(), genie[0]["status"].as_str()),
        (Some("opsgenie"), Some("triggered"))
    );

    // A new alert in the same group makes Alertmanager re-send the whole group; nothing doubles.
    alertmanager.fire(json!([alert("DiskFull", "db-3", "webhook", None)])).await;
    let three = app.wait_for_alerts(&webhook.service_id, "the third alert", |a| a.len() >= 3).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        app.alerts_of(&webhook.service_id).await.len(),
        3,
        "re-sent groups are deduplicated: {three:#?}"
    );

    let past = (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1)).to_string();
    alertmanager
        .fire(json!([
            alert("DiskFull", "db-1", "webhook", Some(&past)),
            alert("DiskFull", "db-2", "webhook", Some(&past)),
            alert("DiskFull", "db-3", "webhook", Some(&past)),
            alert("VolumeDegraded", "san-1", "pagerduty", Some(&past)),
            alert("LinkDown", "sw-1", "opsgenie", Some(&past))
        ]))
        .await;
    let resolved = app
        .wait_for_alerts(&webhook.service_id, "all webhook alerts resolved", |a| {
            !a.is_empty() && a.iter().all(|a| a["status"] == "resolved")
        })
        .await;
    assert_eq!(resolved.len(), 3, "resolving opens nothing new");
    let paged = app
        .wait_for_alerts(&pagerduty.service_id, "the PagerDuty alert resolved", |a| {
            !a.is_empty() && a.iter().all(|a| a["status"] == "resolved")
        })
        .await;
    assert_eq!(paged.len(), 1);
    let closed = app
        .wait_for_alerts(&opsgenie.service_id, "the Opsgenie alert closed", |a| {
            !a.is_empty() && a.iter().all(|a| a["status"] == "resolved")
        })
        .await;
    assert_eq!(closed.len(), 1);
}
