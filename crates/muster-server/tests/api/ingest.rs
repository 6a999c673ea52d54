//! Every inbound format over real HTTP: good events, each kind of bad input, idempotent re-sends,
//! rate limits and what the alerts become.

use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Monitor, TestApp};

fn pd_trigger(key: &str, dedup_key: Option<&str>) -> Value {
    let mut event = json!({
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "Disk 95% full on db-1", "source": "db-1", "severity": "critical",
                    "custom_details": {"free_gb": 3}},
        "links": [{"href": "https://runbooks.example/disk", "text": "Runbook"}],
        "client": "Prometheus"
    });
    if let Some(dedup_key) = dedup_key {
        event["dedup_key"] = json!(dedup_key);
    }
    event
}

/// Sends the same bad inputs every format must refuse, and checks nothing was stored.
async fn refuses_bad_input(
    app: &TestApp,
    monitor: &Monitor,
    path: &str,
    headers: &[(&str, &str)],
    good: Value,
    missing_field: (&str, &str),
) {
    let too_big = json!({"padding": "x".repeat(600 * 1024)}).to_string();
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, String, StatusCode);
    let cases: Vec<Case> = vec![
        ("oversized", headers.to_vec(), too_big, StatusCode::PAYLOAD_TOO_LARGE),
        ("not json", headers.to_vec(), "{\"routing_key\": ".to_owned(), StatusCode::BAD_REQUEST),
        (
            "wrong content type",
            [headers, &[("content-type", "text/plain")]].concat(),
            good.to_string(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (what, headers, body, status) in cases {
        let reply = app.send(path, &headers, body).await;
        assert_eq!(reply.status, status, "{what}: {reply:?}");
    }
    let mut missing = good.clone();
    if let Some(field) = missing.pointer_mut(missing_field.0) {
        *field = Value::Null;
    }
    let reply = app.send_json(path, headers, missing).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert!(reply.body.to_string().contains(missing_field.1), "names {}: {reply:?}", missing_field.1);
    assert!(app.alerts_of(&monitor.service_id).await.is_empty(), "nothing refused was stored");
}

#[tokio::test]
async fn pagerduty_v2_events_open_deduplicate_and_resolve_with_pagerduty_replies() {
    let app = TestApp::spawn().await;
    let pd = app.monitored_service("Payments", "pagerduty").await;

    let reply = app.send_json("/v2/enqueue", &[], pd_trigger(&pd.key, Some("disk/db-1"))).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    assert_eq!(
        reply.body,
        json!({"status": "success", "message": "Event processed", "dedup_key": "disk/db-1"})
    );
    let again = app.send_json("/v2/enqueue", &[], pd_trigger(&pd.key, Some("disk/db-1"))).await;
    assert_eq!(again.status, StatusCode::ACCEPTED);

    let alerts = app.alerts_of(&pd.service_id).await;
    assert_eq!(alerts.len(), 1, "a re-sent trigger is a repeat");
    let alert = &alerts[0];
    assert_eq!((alert["occurrences"].as_u64(), alert["status"].as_str()), (Some(2), Some("triggered")));
    assert_eq!(
        (alert["severity"].as_str(), alert["priority"].as_str()),
        (Some("critical"), Some("business_critical"))
    );
    assert_eq!(alert["details"]["free_gb"], 3);
    assert_eq!(alert["links"][0]["text"], "Runbook");

    let generated = app.send_json("/v2/enqueue", &[], pd_trigger(&pd.key, None)).await;
    let generated_key = generated.body["dedup_key"].as_str().expect("a dedup key is made up").to_owned();
    assert!(!generated_key.is_empty());

    for action in ["acknowledge", "resolve"] {
        let event = json!({"routing_key": pd.key, "event_action": action, "dedup_key": "disk/db-1"});
        assert_eq!(app.send_json("/v2/enqueue", &[], event).await.status, StatusCode::ACCEPTED);
    }
    let reply = app.get(&format!("/api/v1/alerts/{}", alert["id"].as_str().unwrap()), &app.admin_token).await;
    assert_eq!(reply.body["status"], "resolved");
    let kinds: Vec<&str> =
        reply.body["log"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["triggered", "repeated", "acknowledged", "resolved"]);
    assert!(reply.body["resolved_by"]["name"].as_str().unwrap().contains("pagerduty key"));

    let reopened = app.send_json("/v2/enqueue", &[], pd_trigger(&pd.key, Some("disk/db-1"))).await;
    assert_eq!(reopened.status, StatusCode::ACCEPTED);
    assert_eq!(app.alerts_of(&pd.service_id).await.len(), 3, "after resolve the key opens a new alert");
}

#[tokio::test]
async fn pagerduty_refuses_bad_events_in_its_own_shape() {
    let app = TestApp::spawn().await;
    let pd = app.monitored_service("Payments", "pagerduty").await;
    let unknown = app.send_json("/v2/enqueue", &[], pd_trigger("not-a-key", None)).await;
    assert_eq!(
        unknown.status,
        StatusCode::BAD_REQUEST,
        "PagerDuty reports a bad routing key as an invalid event"
    );
    assert_eq!(unknown.body["status"], "invalid event");
    assert_eq!(unknown.body["message"], "Event object is invalid");
    assert!(unknown.body["errors"][0].as_str().unwrap().starts_with("routing_key:"), "{unknown:?}");

    let generic = app.monitored_service("Batch", "generic").await;
    let wrong_kind = app.send_json("/v2/enqueue", &[], pd_trigger(&generic.key, None)).await;
    assert_eq!(wrong_kind.status, StatusCode::BAD_REQUEST);
    assert!(wrong_kind.body["errors"][0].as_str().unwrap().contains("generic key"), "{wrong_kind:?}");

    let no_summary = app
        .send_json("/v2/enqueue", &[], {
            let mut e = pd_trigger(&pd.key, None);
            e["payload"]["summary"] = Value::Null;
            e
        })
        .await;
    assert_eq!(no_summary.body["errors"], json!(["payload.summary: is missing"]));
    refuses_bad_input(
        &app,
        &pd,
        "/v2/enqueue",
        &[],
        pd_trigger(&pd.key, None),
        ("/payload/severity", "payload.severity"),
    )
    .await;
    let too_big = app.send("/v2/enqueue", &[], json!({"x": "y".repeat(600 * 1024)}).to_string()).await;
    assert_eq!(too_big.body["status"], "invalid event");
}

#[tokio::test]
async fn pagerduty_v1_legacy_events_are_accepted() {
    let app = TestApp::spawn().await;
    let pd = app.monitored_service("Legacy", "pagerduty").await;
    let event = json!({"service_key": pd.key, "event_type": "trigger", "incident_key": "srv01/HTTP",
        "description": "FAILURE for production/HTTP on machine srv01", "client": "Nagios"});
    let reply = app.send_json("/generic/2010-04-15/create_event.json", &[], event).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(
        reply.body,
        json!({"status": "success", "message": "Event processed", "incident_key": "srv01/HTTP"})
    );
    let resolve = json!({"service_key": pd.key, "event_type": "resolve", "incident_key": "srv01/HTTP"});
    assert_eq!(
        app.send_json("/generic/2010-04-15/create_event.json", &[], resolve).await.status,
        StatusCode::OK
    );
    let alerts = app.alerts_of(&pd.service_id).await;
    assert_eq!((alerts.len(), alerts[0]["status"].as_str()), (1, Some("resolved")));
    let bad = app
        .send_json(
            "/generic/2010-04-15/create_event.json",
            &[],
            json!({"service_key": pd.key, "event_type": "trigger"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["errors"], json!(["description: is missing"]));
}

pub fn alertmanager_group(alerts: Value) -> Value {
    json!({"version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "truncatedAlerts": 0, "status": "firing",
        "receiver": "muster", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093", "alerts": alerts})
}

pub fn am_alert(fingerprint: &str, status: &str) -> Value {
    json!({"status": status, "labels": {"alertname": "DiskFull", "instance": format!("db-{fingerprint}"), "severity": "warning"},
        "annotations": {"summary": format!("Disk full on db-{fingerprint}")},
        "startsAt": "2026-11-23T08:55:00Z",
        "endsAt": if status == "resolved" { "2026-11-23T09:05:00Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": "http://prometheus.example/graph", "fingerprint": fingerprint})
}

#[tokio::test]
async fn alertmanager_groups_stay_idempotent_when_re_sent() {
    let app = TestApp::spawn().await;
    let am = app.monitored_service("Databases", "alertmanager").await;
    let path = format!("/api/v1/ingest/alertmanager/{}", am.key);
    let group = alertmanager_group(json!([am_alert("a1", "firing"), am_alert("b2", "firing")]));
    for _ in 0..3 {
        let reply = app.send_json(&path, &[], group.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }
    let alerts = app.alerts_of(&am.service_id).await;
    assert_eq!(alerts.len(), 2, "one alert per fingerprint however often the group comes");
    assert!(alerts.iter().all(|a| a["status"] == "triggered" && a["priority"] == "normal"));

    let half_resolved = alertmanager_group(json!([am_alert("a1", "resolved"), am_alert("b2", "firing")]));
    for _ in 0..2 {
        let reply = app.send_json(&path, &[], half_resolved.clone()).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let alerts = app.alerts_of(&am.service_id).await;
    assert_eq!(alerts.len(), 2, "re-sending a resolved alert opens nothing");
    let status_of = |fp: &str| alerts.iter().find(|a| a["dedup_key"] == fp).unwrap()["status"].clone();
    assert_eq!((status_of("a1"), status_of("b2")), (json!("resolved"), json!("triggered")));

    let by_header = app
        .send_json(
            "/api/v1/ingest/alertmanager",
            &[("authorization", &format!("Bearer {}", am.key))],
            group.clone(),
        )
        .await;
    assert_eq!(by_header.status, StatusCode::OK, "the key also works as a bearer token");
    assert_eq!(
        app.send_json("/api/v1/ingest/alertmanager", &[], group.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.send_json("/api/v1/ingest/alertmanager", &[("authorization", "Bearer nope")], group.clone())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let unknown = app.send_json("/api/v1/ingest/alertmanager/nope", &[], group.clone()).await;
    assert_eq!((unknown.status, unknown.error()), (StatusCode::NOT_FOUND, "not_found"));

    let fresh = app.monitored_service("Fresh", "alertmanager").await;
    let fresh_path = format!("/api/v1/ingest/alertmanager/{}", fresh.key);
    let no_fingerprint = alertmanager_group(json!([am_alert("x", "firing")]));
    refuses_bad_input(
        &app,
        &fresh,
        &fresh_path,
        &[],
        no_fingerprint,
        ("/alerts/0/fingerprint", "alerts[0].fingerprint"),
    )
    .await;
}

fn sign(secret: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn grafana_webhooks_verify_signatures_when_the_key_requires_them() {
    let app = TestApp::spawn().await;
    let gf = app.monitored_service("Frontend", "grafana").await;
    let path = format!("/api/v1/ingest/grafana/{}", gf.key);
    let mut body = alertmanager_group(json!([am_alert("g1", "firing")]));
    body["version"] = json!("1");
    body["title"] = json!("[FIRING:1] DiskFull");
    let text = body.to_string();
    assert_eq!(
        app.send(&path, &[], text.clone()).await.status,
        StatusCode::OK,
        "unsigned is fine until required"
    );

    let secret = "a-long-shared-secret";
    let signing = format!("/api/v1/services/{}/keys/{}/signing", gf.service_id, gf.key_id);
    let reply = app
        .api(reqwest::Method::PUT, &signing, Some(&app.admin_token), Some(json!({"secret": secret})))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    for header in ["X-Grafana-Alerting-Signature", "X-Grafana-Alert-Signature"] {
        let reply = app.send(&path, &[(header, &sign(secret, &text))], text.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{header}: {reply:?}");
    }
    let unsigned = app.send(&path, &[], text.clone()).await;
    assert_eq!((unsigned.status, unsigned.error()), (StatusCode::UNAUTHORIZED, "bad_signature"));
    let forged = app
        .send(&path, &[("X-Grafana-Alerting-Signature", &sign("wrong-secret-xxxxxxx", &text))], text.clone())
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

    let with_time = json!({"secret": secret, "timestamp_header": "X-Grafana-Alerting-Signature-Timestamp"});
    app.api(reqwest::Method::PUT, &signing, Some(&app.admin_token), Some(with_time)).await;
    let now = app.clock.now_for_tests().as_second().to_string();
    let signed = sign(secret, &format!("{now}:{text}"));
    let reply = app
        .send(
            &path,
            &[("X-Grafana-Alerting-Signature", &signed), ("X-Grafana-Alerting-Signature-Timestamp", &now)],
            text.clone(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let body_only = app
        .send(
            &path,
            &[
                ("X-Grafana-Alerting-Signature", &sign(secret, &text)),
                ("X-Grafana-Alerting-Signature-Timestamp", &now),
            ],
            text.clone(),
        )
        .await;
    assert_eq!(body_only.status, StatusCode::UNAUTHORIZED, "the time is part of what is signed");

    let alerts = app.alerts_of(&gf.service_id).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["occurrences"], 4);
    assert_eq!(alerts[0]["client"], "Grafana");

    let other = app.monitored_service("Other", "grafana").await;
    let other_path = format!("/api/v1/ingest/grafana/{}", other.key);
    refuses_bad_input(&app, &other, &other_path, &[], body.clone(), ("/alerts/0/status", "alerts[0].status"))
        .await;
}

use crate::helpers::NowForTests;

#[tokio::test]
async fn opsgenie_creates_acknowledges_and_closes_by_alias() {
    let app = TestApp::spawn().await;
    let og = app.monitored_service("API", "opsgenie").await;
    let auth = format!("GenieKey {}", og.key);
    let headers = [("authorization", auth.as_str())];
    let create = json!({"message": "API latency over 2s", "alias": "api-latency", "priority": "P1",
        "description": "p99 2.4s", "tags": ["api"], "details": {"region": "eu"}, "entity": "gateway"});
    let reply = app.send_json("/v2/alerts", &headers, create.clone()).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    assert_eq!(reply.body["result"], "Request will be processed");
    assert!(reply.body["requestId"].is_string() && reply.body["took"].is_number());
    app.send_json("/v2/alerts", &headers, create.clone()).await;
    let alerts = app.alerts_of(&og.service_id).await;
    assert_eq!((alerts.len(), alerts[0]["occurrences"].as_u64()), (1, Some(2)));
    assert_eq!(alerts[0]["priority"], "business_critical", "P1 is critical");

    let ack = app
        .send_json(
            "/v2/alerts/api-latency/acknowledge?identifierType=alias",
            &headers,
            json!({"user": "ops", "note": "looking"}),
        )
        .await;
    assert_eq!(ack.status, StatusCode::ACCEPTED, "{ack:?}");
    let id = alerts[0]["id"].as_str().unwrap();
    let close = app.send(&format!("/v2/alerts/{id}/close"), &headers, "").await;
    assert_eq!(close.status, StatusCode::ACCEPTED, "by Muster id, the default identifier type: {close:?}");
    assert_eq!(app.alerts_of(&og.service_id).await[0]["status"], "resolved");

    let unknown = app.send_json("/v2/alerts", &[("authorization", "GenieKey nope")], create.clone()).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.body["message"].as_str().unwrap().starts_with("Could not authenticate"));
    assert_eq!(app.send_json("/v2/alerts", &[], create.clone()).await.status, StatusCode::UNAUTHORIZED);
    let tiny = app.send("/v2/alerts/x/close?identifierType=tiny", &headers, "").await;
    assert_eq!(tiny.status, StatusCode::BAD_REQUEST);

    let fresh = app.monitored_service("Fresh", "opsgenie").await;
    let fresh_auth = format!("GenieKey {}", fresh.key);
    refuses_bad_input(
        &app,
        &fresh,
        "/v2/alerts",
        &[("authorization", &fresh_auth)],
        create,
        ("/message", "message"),
    )
    .await;
}

#[tokio::test]
async fn the_generic_format_reports_what_happened() {
    let app = TestApp::spawn().await;
    let generic = app.monitored_service("Backups", "generic").await;
    let path = format!("/api/v1/ingest/generic/{}", generic.key);
    let event =
        json!({"summary": "Nightly backup failed", "dedup_key": "backup/nightly", "severity": "error"});
    let reply = app.send_json(&path, &[], event.clone()).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    assert_eq!(
        (reply.body["outcome"].as_str(), reply.body["dedup_key"].as_str()),
        (Some("opened"), Some("backup/nightly"))
    );
    let again = app.send_json(&path, &[], event.clone()).await;
    assert_eq!(again.body["outcome"], "repeated");
    assert_eq!(again.body["alert_id"], reply.body["alert_id"]);
    let resolve =
        app.send_json(&path, &[], json!({"action": "resolve", "dedup_key": "backup/nightly"})).await;
    assert_eq!(resolve.body["outcome"], "resolved");
    let typo = app.send_json(&path, &[], json!({"sumary": "x"})).await;
    assert_eq!(typo.status, StatusCode::BAD_REQUEST);
    assert_eq!(typo.fields(), ["sumary", "summary"]);
    let unknown = app.send_json("/api/v1/ingest/generic/nope", &[], event.clone()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let fresh = app.monitored_service("Fresh", "generic").await;
    let fresh_path = format!("/api/v1/ingest/generic/{}", fresh.key);
    refuses_bad_input(&app, &fresh, &fresh_path, &[], event, ("/summary", "summary")).await;
}

#[tokio::test]
async fn a_revoked_key_is_refused_from_then_on() {
    let app = TestApp::spawn().await;
    let pd = app.monitored_service("Payments", "pagerduty").await;
    let reply = app
        .api(
            reqwest::Method::DELETE,
            &format!("/api/v1/services/{}/keys/{}", pd.service_id, pd.key_id),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert!(reply.status.is_success(), "{reply:?}");
    assert_eq!(
        app.send_json("/v2/enqueue", &[], pd_trigger(&pd.key, None)).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_service_s_rate_limit_answers_429_with_retry_after() {
    let app = TestApp::spawn().await;
    let pd = app.monitored_service("Noisy", "pagerduty").await;
    let settings = format!("/api/v1/services/{}/alert-settings", pd.service_id);
    let reply = app.patch(&settings, &app.admin_token, json!({"rate_limit_per_minute": 3})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    for i in 0..3 {
        let reply = app.send_json("/v2/enqueue", &[], pd_trigger(&pd.key, Some(&format!("k{i}")))).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED);
    }
    let limited = app.send_json("/v2/enqueue", &[], pd_trigger(&pd.key, Some("k3"))).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["retry_after_header"], "20", "one event every 20 s at 3 a minute");
    app.advance(jiff::SignedDuration::from_secs(20));
    assert_eq!(
        app.send_json("/v2/enqueue", &[], pd_trigger(&pd.key, Some("k3"))).await.status,
        StatusCode::ACCEPTED
    );
    let metrics = reqwest::get(format!("{}/metrics", app.address)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("muster_alerts_rate_limited_total{format=\"pagerduty\"} 1"), "{metrics}");
    assert!(metrics.contains("muster_alerts_received_total{format=\"pagerduty\"} 4"));
    assert!(metrics.contains("muster_alerts_rejected_total{format=\"pagerduty\",reason=\"rate_limited\"} 1"));
}
