//! The `muster` binary as an operator uses it: bootstrap on the database, then a real `muster serve`
//! process and the client commands talking to it over HTTP.

use std::{
    io::Write,
    net::TcpListener,
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

mod support;

const MUSTER: &str = env!("CARGO_BIN_EXE_muster");

/// A folder holding the database and the client's saved login, with commands run inside it.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        Workspace { dir: tempfile::tempdir().expect("temporary folder") }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(MUSTER);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("HOME", self.dir.path())
            .env_remove("MUSTER_SERVER")
            .env_remove("MUSTER_TOKEN")
            .env_remove("MUSTER_DATABASE_URL")
            .env_remove("RUST_LOG");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("muster runs")
    }

    /// A client command against `server` with `token`.
    fn against(&self, server: &Server, token: &str, args: &[&str]) -> Output {
        let mut all = vec!["--server", server.url.as_str(), "--token", token];
        all.extend_from_slice(args);
        self.run(&all)
    }

    fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("muster runs");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
        child.wait_with_output().expect("muster finishes")
    }

    fn serve(&self) -> Server {
        self.serve_with(&["serve"])
    }

    /// `muster <args>` (a `serve` command) in the background, once it answers `/healthz`. A thread
    /// reads its standard error as it comes: a server whose lines filled the pipe (64 KiB) unread
    /// would block on its next log line and stop answering.
    fn serve_with(&self, args: &[&str]) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let mut child = self
            .command(args)
            .env("MUSTER_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("muster serve starts");
        let mut stderr = child.stderr.take().expect("standard error is piped");
        let printed = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        // A debug build takes some seconds to load the demo.
        support::wait_until_serving(port, "muster serve to answer /healthz", Duration::from_secs(120));
        Server { child, url: format!("http://127.0.0.1:{port}"), printed: Some(printed) }
    }
}

struct Server {
    child: Child,
    url: String,
    /// Everything the server prints on standard error, once it has stopped.
    printed: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    /// Stops the server and returns what it printed on standard error.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.printed.take().and_then(|printed| printed.join().ok()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn bootstrap(workspace: &Workspace) -> String {
    let created = workspace.run_with_stdin(
        &[
            "user",
            "create",
            "--email",
            "Ops@Example.com",
            "--name",
            "Ops Lead",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stdout(&created).contains("Created Ops Lead <ops@example.com> as admin"));
    let token = workspace.run(&["token", "create", "--user", "ops@example.com", "--name", "laptop"]);
    assert!(token.status.success(), "{}", stderr(&token));
    stdout(&token).trim().to_owned()
}

#[test]
fn an_operator_bootstraps_then_manages_services_from_the_command_line() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    assert!(token.starts_with("mst_"));
    assert!(workspace.dir.path().join("muster.db").is_file(), "the SQLite default is created in place");

    let server = workspace.serve();
    let with = |args: &[&str]| workspace.against(&server, &token, args);
    let team = with(&["--json", "team", "create", "--name", "Payments SRE"]);
    assert!(team.status.success(), "{}", stderr(&team));
    let team: serde_json::Value = serde_json::from_slice(&team.stdout).expect("JSON");
    let team_id = team["id"].as_str().expect("team id");
    let created = with(&["service", "create", "--name", "Checkout API", "--team", team_id]);
    assert!(stdout(&created).starts_with("Created service Checkout API"), "{}", stderr(&created));

    let table = with(&["service", "list"]);
    let lines: Vec<&str> = std::str::from_utf8(&table.stdout).expect("utf-8").lines().collect();
    assert!(lines[0].starts_with("ID") && lines[0].contains("NAME") && lines[0].contains("TEAM"));
    assert!(lines[1].contains("Checkout API") && lines[1].contains("Payments SRE"));

    let listed = with(&["--json", "service", "list"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert_eq!(listed["items"][0]["name"], "Checkout API");

    let refused = with(&["service", "create", "--name", ""]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("name: must not be empty"), "{}", stderr(&refused));
}

#[test]
fn login_remembers_the_server_and_bad_tokens_fail_loudly() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    let server = workspace.serve();

    let bad = workspace.run(&["login", "--server", &server.url, "--token", "mst_wrong"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("unauthenticated") || stderr(&bad).contains("Bearer"), "{}", stderr(&bad));

    let login = workspace.run_with_stdin(&["login", "--server", &server.url], &format!("{token}\n"));
    assert!(login.status.success(), "{}", stderr(&login));
    assert!(stdout(&login).contains("as Ops Lead <ops@example.com>"));
    let saved = workspace.dir.path().join("config/muster/cli.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&saved).expect("saved login").permissions().mode();
        assert_eq!(mode & 0o077, 0, "the saved token is private to its owner");
    }
    let users = workspace.run(&["user", "list"]);
    assert!(stdout(&users).contains("ops@example.com"), "{}", stderr(&users));
}

#[test]
fn bootstrap_refuses_bad_input_and_a_first_serve_says_how_to_begin() {
    let workspace = Workspace::new();
    let bad = workspace.run(&["user", "create", "--email", "not-an-email", "--name", "X", "--role", "admin"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("email"), "{}", stderr(&bad));
    let role =
        workspace.run(&["user", "create", "--email", "a@example.com", "--name", "X", "--role", "owner"]);
    assert!(!role.status.success());

    let generated =
        workspace.run(&["user", "create", "--email", "a@example.com", "--name", "A", "--role", "admin"]);
    assert!(stdout(&generated).contains("Password: "), "a password is generated when none is given");
    let twice =
        workspace.run(&["user", "create", "--email", "A@example.com", "--name", "A", "--role", "admin"]);
    assert!(stderr(&twice).contains("already exists"), "{}", stderr(&twice));

    let fresh = Workspace::new();
    let printed = fresh.serve().stop();
    assert!(printed.contains("muster user create"), "{printed}");
}

#[test]
fn the_demo_loads_quietly_and_says_how_to_sign_in() {
    let workspace = Workspace::new();
    let server = workspace.serve_with(&["serve", "--demo"]);
    let (status, body) = http(&server.url, "GET", "/api/v1/alerts?limit=5", None, "").expect("alerts");
    assert_eq!(status, 401, "the demo's data is not public: {body}");
    let printed = server.stop();
    let (loading, serving) = printed.split_once("Muster is serving").expect("a serving line");
    assert!(loading.contains("Demo data loaded:"), "{printed}");
    assert!(loading.contains("password muster-demo"), "the sign-in is printed: {printed}");
    // The history is replayed through the escalation engine; its hundreds of pages are not
    // printed as if they were happening now.
    assert!(!loading.contains("page escalated"), "{loading}");
    assert!(loading.lines().count() < 15, "{loading}");
    assert!(!serving.contains("ERROR"), "{serving}");
}

#[test]
fn the_example_configuration_is_printed_and_settings_layer() {
    let workspace = Workspace::new();
    let example = workspace.run(&["config", "example"]);
    assert!(stdout(&example).contains("database_url = \"sqlite://muster.db\""));
    std::fs::write(workspace.dir.path().join("muster.toml"), "database_url = \"sqlite://from-file.db\"\n")
        .expect("write config");
    let migrated = workspace.run(&["migrate"]);
    assert!(stdout(&migrated).contains("sqlite://from-file.db"), "{}", stderr(&migrated));
    let overridden = workspace
        .command(&["migrate"])
        .env("MUSTER_DATABASE_URL", "sqlite://from-env.db")
        .output()
        .expect("runs");
    assert!(stdout(&overridden).contains("sqlite://from-env.db"));
    assert!(Path::new(&workspace.dir.path().join("from-env.db")).is_file());
    let broken = workspace.command(&["migrate"]).env("MUSTER_LISTEN", "nowhere").output().expect("runs");
    assert!(!broken.status.success());
    assert!(stderr(&broken).contains("MUSTER_LISTEN"), "{}", stderr(&broken));
}

#[test]
fn oncall_and_schedules_from_the_command_line() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    let server = workspace.serve();
    let with = |args: &[&str]| workspace.against(&server, &token, args);
    let me: serde_json::Value =
        serde_json::from_slice(&with(&["--json", "user", "show", "me"]).stdout).expect("JSON");
    let my_id = me["id"].as_str().expect("id").to_owned();

    // A weekly rotation that began last year, so someone is on call whatever today is.
    let body = format!(
        r#"{{"template": "weekly", "name": "Ops primary", "time_zone": "Europe/London", "start": "2025-01-06", "participants": ["{my_id}"]}}"#
    );
    let posted = post_json(&server.url, &token, "/api/v1/schedules/from-template", &body);
    let schedule_id = posted[0]["id"].as_str().expect("schedule id").to_owned();
    let listed = with(&["schedule", "list"]);
    assert!(stdout(&listed).contains("Ops primary") && stdout(&listed).contains("Europe/London"));

    let now = with(&["oncall", "now"]);
    let text = stdout(&now);
    assert!(
        text.contains("SCHEDULE") && text.contains("Ops primary") && text.contains("Ops Lead"),
        "{text}{}",
        stderr(&now)
    );

    let shifts = with(&[
        "schedule",
        "shifts",
        &schedule_id,
        "--from",
        "2026-11-23T00:00:00+00:00",
        "--until",
        "2026-11-30T00:00:00Z",
    ]);
    assert!(stdout(&shifts).contains("2026-11-23T00:00:00Z"), "{}{}", stdout(&shifts), stderr(&shifts));

    let bad = with(&[
        "schedule",
        "override",
        &schedule_id,
        "--kind",
        "remove",
        "--person",
        &my_id,
        "--start",
        "2026-11-24T10:00:00Z",
        "--end",
        "2026-11-24T09:00:00Z",
    ]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("end: must be after start"), "{}", stderr(&bad));
    let shown = with(&["schedule", "show", &schedule_id]);
    assert!(stdout(&shown).contains("On call now: Ops Lead"), "{}", stdout(&shown));
}

/// One HTTP/1.1 request with the standard library only, so the tests need no HTTP client crate of
/// their own. Returns the status and the body.
fn http(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address)?;
    let authorization = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{authorization}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    let (head, rest) = reply
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no reply"))?;
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, rest.to_owned()))
}

/// A new generic integration key of the service, as the path monitors post its events to.
fn generic_ingest_path(server: &Server, token: &str, service_id: &str) -> String {
    let keys = format!("/api/v1/services/{service_id}/keys");
    let key = post_json(&server.url, token, &keys, r#"{"kind": "generic"}"#);
    format!("/api/v1/ingest/generic/{}", key["key"].as_str().expect("key"))
}

/// POSTs JSON and expects 201 Created.
fn post_json(base: &str, token: &str, path: &str, body: &str) -> serde_json::Value {
    let (status, reply) = http(base, "POST", path, Some(token), body).expect("the server answers");
    assert_eq!(status, 201, "{reply}");
    serde_json::from_str(&reply).expect("JSON body")
}

#[test]
fn every_alert_that_got_a_2xx_survives_a_sigkill() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    let server = workspace.serve();
    let service = post_json(&server.url, &token, "/api/v1/services", r#"{"name": "Crash test"}"#);
    let service_id = service["id"].as_str().expect("service id").to_owned();
    let settings = format!("/api/v1/services/{service_id}/alert-settings");
    let unlimited = r#"{"rate_limit_per_minute": null, "open_alert_cap": null}"#;
    assert_eq!(http(&server.url, "PATCH", &settings, Some(&token), unlimited).expect("patch").0, 200);
    let ingest = generic_ingest_path(&server, &token, &service_id);

    let senders: Vec<_> = (0..4)
        .map(|sender| {
            let (url, ingest) = (server.url.clone(), ingest.clone());
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for i in 0.. {
                    let dedup_key = format!("crash-{sender}-{i}");
                    let body = format!(r#"{{"summary": "alert {dedup_key}", "dedup_key": "{dedup_key}"}}"#);
                    match http(&url, "POST", &ingest, None, &body) {
                        Ok((202, _)) => acknowledged.push(dedup_key),
                        Ok((status, reply)) => panic!("unexpected {status}: {reply}"),
                        Err(_) => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    drop(server);
    let acknowledged: Vec<String> = senders.into_iter().flat_map(|s| s.join().expect("sender")).collect();
    assert!(acknowledged.len() > 50, "the senders got going: {}", acknowledged.len());

    let restarted = workspace.serve();
    let mut stored = std::collections::HashSet::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/alerts?service={service_id}&limit=200&cursor={cursor}");
        let (status, body) = http(&restarted.url, "GET", &path, Some(&token), "").expect("list");
        assert_eq!(status, 200, "{body}");
        let page: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        for alert in page["alerts"].as_array().expect("alerts") {
            stored.insert(alert["dedup_key"].as_str().expect("dedup key").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let lost: Vec<&String> = acknowledged.iter().filter(|k| !stored.contains(*k)).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged alerts lost: {lost:?}", lost.len(), acknowledged.len());
}

#[test]
fn the_log_has_a_line_per_person_s_request_and_per_refused_event_but_none_per_accepted_event() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    let server = workspace.serve();
    let service = post_json(&server.url, &token, "/api/v1/services", r#"{"name": "Logged"}"#);
    let service_id = service["id"].as_str().expect("service id");
    let ingest = generic_ingest_path(&server, &token, service_id);
    for i in 0..20 {
        let event = format!(r#"{{"summary": "Disk full {i}", "dedup_key": "disk-{i}"}}"#);
        assert_eq!(http(&server.url, "POST", &ingest, None, &event).expect("ingest").0, 202);
    }
    assert_eq!(http(&server.url, "GET", "/healthz", None, "").expect("probe").0, 200);
    let refused = http(&server.url, "POST", "/api/v1/ingest/generic/not-a-key", None, r#"{"summary": "x"}"#);
    assert_eq!(refused.expect("refused ingest").0, 404);

    let log = server.stop();
    let answered = |route: &str, status: u16| {
        log.lines()
            .filter(|line| line.contains("request answered"))
            .filter(|line| line.contains(&format!("http.route={route}}}")))
            .filter(|line| line.contains(&format!("http.status={status} ")))
            .count()
    };
    assert_eq!(answered("/api/v1/services", 201), 1, "{log}");
    assert_eq!(answered("/api/v1/ingest/generic/{key}", 404), 1, "{log}");
    assert_eq!(answered("/api/v1/ingest/generic/{key}", 202), 0, "{log}");
    assert_eq!(answered("/healthz", 200), 0, "{log}");
    assert!(!log.contains('\u{1b}'), "no colour codes when standard error is not a terminal: {log}");
}

#[test]
fn alerts_are_sent_listed_shown_acknowledged_and_resolved_from_the_command_line() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    let server = workspace.serve();
    let with = |args: &[&str]| workspace.against(&server, &token, args);
    let service = post_json(&server.url, &token, "/api/v1/services", r#"{"name": "Checkout"}"#);
    let service_id = service["id"].as_str().expect("service id");
    let send = |summary: &str| {
        with(&[
            "alert",
            "send",
            "--service",
            service_id,
            "--summary",
            summary,
            "--dedup-key",
            "5xx",
            "--severity",
            "critical",
        ])
    };
    let sent = send("Checkout returns 500s");
    assert!(stdout(&sent).contains("(opened), dedup key 5xx"), "{}{}", stdout(&sent), stderr(&sent));
    let again = send("Checkout returns 500s");
    assert!(stdout(&again).contains("(repeated)"), "{}", stdout(&again));

    let listed = with(&["--json", "alert", "list", "--service", service_id, "--status", "triggered"]);
    let page: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    let id = page["alerts"][0]["id"].as_str().expect("an alert").to_owned();
    assert_eq!(page["alerts"][0]["occurrences"], 2);
    let table = with(&["alert", "list", "-q", "500s"]);
    assert!(
        stdout(&table).contains("STATUS") && stdout(&table).contains("business_critical"),
        "{}",
        stdout(&table)
    );

    let acked = with(&["alert", "ack", &id]);
    assert!(stdout(&acked).contains("is acknowledged"), "{}{}", stdout(&acked), stderr(&acked));
    let resolved = with(&["alert", "resolve", &id]);
    assert!(stdout(&resolved).contains("is resolved"));
    let twice = with(&["alert", "resolve", &id]);
    assert!(!twice.status.success());
    assert!(stderr(&twice).contains("already resolved"), "{}", stderr(&twice));
    let shown = with(&["alert", "show", &id]);
    let text = stdout(&shown);
    assert!(
        text.contains("Seen 2 times") && text.contains("acknowledged") && text.contains("Ops Lead"),
        "{text}"
    );

    let bad = with(&["alert", "send", "--service", service_id, "--summary", "x", "--severity", "high"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("severity"), "{}", stderr(&bad));
}

#[test]
fn a_served_alert_pages_through_its_policy_and_the_page_is_shown_from_the_command_line() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    let server = workspace.serve();
    let with = |args: &[&str]| workspace.against(&server, &token, args);
    let (_, me) = http(&server.url, "GET", "/api/v1/users/me", Some(&token), "").expect("the server answers");
    let me: serde_json::Value = serde_json::from_str(&me).expect("JSON");
    let policy = format!(
        r#"{{"name": "Ops", "steps": [{{"escalate_after_minutes": 5, "targets": [{{"kind": "user", "id": "{}"}}]}}]}}"#,
        me["id"].as_str().expect("my id")
    );
    let policy = post_json(&server.url, &token, "/api/v1/escalation-policies", &policy);
    let service = post_json(&server.url, &token, "/api/v1/services", r#"{"name": "Billing"}"#);
    let service_id = service["id"].as_str().expect("service id");
    let body = format!(r#"{{"escalation_policy_id": "{}"}}"#, policy["id"].as_str().expect("policy id"));
    let (status, reply) =
        http(&server.url, "PUT", &format!("/api/v1/services/{service_id}/escalation"), Some(&token), &body)
            .expect("the server answers");
    assert_eq!(status, 200, "{reply}");
    let sent = with(&[
        "--json",
        "alert",
        "send",
        "--service",
        service_id,
        "--summary",
        "Invoices stuck",
        "--severity",
        "critical",
    ]);
    let sent: serde_json::Value = serde_json::from_slice(&sent.stdout).expect("JSON");
    let alert = sent["alert_id"].as_str().expect("alert id").to_owned();

    // The engine inside `muster serve` notifies the first step at once, with no polling cycle.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut log = String::new();
    while Instant::now() < deadline {
        log = stdout(&with(&["alert", "show", &alert]));
        if log.contains("Step 1 (round 1)") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        log.contains("Step 1 (round 1) notified nobody; no verified contact method and rule: Ops Lead"),
        "{log}"
    );
    let shown = with(&["page", "show", &alert]);
    let text = stdout(&shown);
    assert!(
        text.contains("exhausted · policy version 1") && text.contains("acknowledge by"),
        "{text}{}",
        stderr(&shown)
    );
    let undelivered = with(&["page", "undelivered"]);
    assert!(stdout(&undelivered).contains("LAST ERROR"), "{}", stderr(&undelivered));
    let missing = with(&["page", "show", "no-such-alert"]);
    assert!(!missing.status.success() && stderr(&missing).contains("not found"), "{}", stderr(&missing));
}

#[test]
fn an_incident_is_declared_handed_off_and_investigated_from_the_command_line() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    let server = workspace.serve();
    let run_as = |token: &str, args: &[&str]| workspace.against(&server, token, args);
    let with = |args: &[&str]| run_as(&token, args);
    let created = workspace.run_with_stdin(
        &[
            "user",
            "create",
            "--email",
            "bo@example.com",
            "--name",
            "Bo Diddley",
            "--role",
            "responder",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let bo_token = stdout(&workspace.run(&["token", "create", "--user", "bo@example.com", "--name", "cli"]))
        .trim()
        .to_owned();
    let (_, bo) =
        http(&server.url, "GET", "/api/v1/users/me", Some(&bo_token), "").expect("the server answers");
    let bo: serde_json::Value = serde_json::from_str(&bo).expect("JSON");
    let bo_id = bo["id"].as_str().expect("Bo's id").to_owned();

    let declared = with(&[
        "incident",
        "declare",
        "--title",
        "Search is slow",
        "--severity",
        "sev3",
        "--expected",
        "results in 200 ms",
        "--actual",
        "results in 8 s",
    ]);
    assert!(
        stdout(&declared).contains("Declared incident 1: Search is slow (SEV3)"),
        "{}",
        stderr(&declared)
    );
    let offered = with(&["incident", "role", "1", "commander", "offer", "--to", &bo_id]);
    assert!(stdout(&offered).contains("holds commander until it is accepted"), "{}", stderr(&offered));
    let accepted = run_as(&bo_token, &["incident", "role", "1", "commander", "accept"]);
    assert!(stdout(&accepted).contains("commander is held by Bo Diddley"), "{}", stderr(&accepted));
    let with = |args: &[&str]| run_as(&bo_token, args);

    let stuck = with(&["incident", "stage", "1", "--to", "examine"]);
    assert!(!stuck.status.success());
    assert!(stderr(&stuck).contains("write the Triage output before moving on"), "{}", stderr(&stuck));
    let moved = with(&[
        "incident",
        "stage",
        "1",
        "--output",
        "Added two search nodes; p99 is 900 ms",
        "--to",
        "examine",
    ]);
    assert!(stdout(&moved).contains("Incident 1 is in examine."), "{}", stderr(&moved));
    let early = with(&["incident", "resolve", "1"]);
    assert!(!early.status.success() && stderr(&early).contains("cure output"), "{}", stderr(&early));
    let update =
        with(&["incident", "update", "1", "Search is slow; we are adding capacity", "--audience", "public"]);
    assert!(stdout(&update).contains("Posted a public update"), "{}", stderr(&update));
    let noted = with(&["incident", "note", "1", "Index rebuild started at 09:40"]);
    assert!(noted.status.success(), "{}", stderr(&noted));
    let listed = stdout(&with(&["incident", "list"]));
    assert!(
        listed.contains("SEV3") && listed.contains("examine") && listed.contains("Bo Diddley"),
        "{listed}"
    );
    let shown = stdout(&with(&["incident", "show", "1"]));
    assert!(shown.contains("Index rebuild started at 09:40"), "{shown}");
    assert!(shown.contains("offered Incident Commander to Bo Diddley"), "{shown}");
}

#[test]
fn a_resolved_incident_s_postmortem_is_shown_exported_and_submitted_from_the_command_line() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    let server = workspace.serve();
    let with = |args: &[&str]| workspace.against(&server, &token, args);
    let declared = with(&[
        "incident",
        "declare",
        "--title",
        "Search is slow",
        "--customer-facing",
        "--expected",
        "200 ms",
        "--actual",
        "8 s",
    ]);
    assert!(declared.status.success(), "{}", stderr(&declared));
    for (output, to) in [
        ("Added two search nodes", Some("examine")),
        ("The index rebuild starved the nodes", Some("diagnose")),
    ] {
        let mut args = vec!["incident", "stage", "1", "--output", output];
        if let Some(to) = to {
            args.extend(["--to", to]);
        }
        assert!(with(&args).status.success());
    }
    let (_, reply) = http(
        &server.url,
        "POST",
        "/api/v1/incidents/1/hypotheses",
        Some(&token),
        r#"{"statement": "Rebuild at peak"}"#,
    )
    .expect("the server answers");
    assert!(reply.contains("Rebuild at peak"), "{reply}");
    assert!(with(&["incident", "stage", "1", "--to", "test"]).status.success());
    assert!(
        with(&["incident", "stage", "1", "--output", "The rebuild log matches", "--to", "cure"])
            .status
            .success()
    );
    let cured = with(&[
        "incident",
        "stage",
        "1",
        "--output",
        "Rebuilds moved to 03:00",
        "--outcome",
        "fully_working",
    ]);
    assert!(cured.status.success(), "{}", stderr(&cured));
    let resolved = with(&["incident", "resolve", "1"]);
    assert!(stdout(&resolved).contains("Incident 1 is resolved."), "{}", stderr(&resolved));

    let shown = stdout(&with(&["postmortem", "show", "1"]));
    assert!(shown.contains("Postmortem: Search is slow · draft · version 1"), "{shown}");
    assert!(shown.contains("Required (customer facing)"), "{shown}");
    let exported = with(&["postmortem", "export", "1"]);
    let markdown = stdout(&exported);
    assert!(
        markdown.starts_with("# Postmortem: Search is slow") && markdown.contains("### Where we got lucky"),
        "{markdown}"
    );
    assert!(markdown.contains("Rebuilds moved to 03:00"), "the resolution comes from the cure output");
    let html = stdout(&with(&["postmortem", "export", "1", "--format", "html"]));
    assert!(html.contains("<h2>Resolution</h2>"), "{html}");
    let submitted = with(&["postmortem", "submit", "1"]);
    assert!(
        !submitted.status.success() && stderr(&submitted).contains("name at least one reviewer"),
        "{}",
        stderr(&submitted)
    );
    let drafted = with(&["postmortem", "draft", "1"]);
    assert!(
        stdout(&drafted).contains("Postmortem of incident 1: Postmortem: Search is slow (draft)"),
        "{}",
        stderr(&drafted)
    );
}

#[test]
fn slo_rules_and_the_deploy_gate_from_the_command_line() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    let server = workspace.serve();
    let with = |args: &[&str]| workspace.against(&server, &token, args);
    let service = post_json(&server.url, &token, "/api/v1/services", r#"{"name": "Search"}"#);
    let service = service["id"].as_str().expect("a service id").to_owned();
    let slo = r#"{"name": "search-availability", "objective": 99.5, "sli": {"kind": "ratio", "good": "search_ok_total", "total": "search_total"}}"#;
    let slo = post_json(&server.url, &token, &format!("/api/v1/services/{service}/slos"), slo);
    let slo = slo["id"].as_str().expect("an SLO id").to_owned();
    let listed = stdout(&with(&["slo", "list", &service]));
    assert!(
        listed.contains("search-availability") && listed.contains("99.5%") && listed.contains("28 days"),
        "{listed}"
    );
    assert_eq!(stdout(&with(&["report", "slo", &service])), listed, "the report is the same table");
    let burn = stdout(&with(&["slo", "burn", &service, &slo]));
    assert!(
        burn.contains("BUDGET LEFT") && burn.contains("100.0%") && burn.contains("posted_counts"),
        "{burn}"
    );
    let csv = stdout(&with(&["slo", "burn", &service, &slo, "--csv"]));
    assert!(csv.starts_with("at,remaining\n") && csv.lines().count() == 30, "{csv}");
    let rules = stdout(&with(&["slo", "rules", &service]));
    assert!(
        rules.contains("alert: \"SloErrorBudgetBurnFast\"") && rules.contains("search_ok_total[5m]"),
        "{rules}"
    );

    let open = with(&["slo", "gate", &service, "--deploy", "v7"]);
    assert!(open.status.success() && stdout(&open).contains("Deploy may proceed"), "{}", stderr(&open));
    post_json(
        &server.url,
        &token,
        &format!("/api/v1/services/{service}/ops-mode"),
        r#"{"reason": "too many pages"}"#,
    );
    let frozen = with(&["slo", "gate", &service, "--deploy", "v7"]);
    assert!(!frozen.status.success(), "a freeze fails the CI step");
    assert!(
        stderr(&frozen).contains("change freeze") && stderr(&frozen).contains("Ops Lead"),
        "{}",
        stderr(&frozen)
    );
    post_json(
        &server.url,
        &token,
        &format!("/api/v1/services/{service}/deploy-exceptions"),
        r#"{"deploy": "v7", "reason": "the fix"}"#,
    );
    assert!(with(&["slo", "gate", &service, "--deploy", "v7"]).status.success(), "the granted deploy goes");
}

#[test]
fn the_load_report_is_printed_as_a_table_and_as_csv() {
    let workspace = Workspace::new();
    let token = bootstrap(&workspace);
    let server = workspace.serve();
    let with = |args: &[&str]| workspace.against(&server, &token, args);
    let (_, me) = http(&server.url, "GET", "/api/v1/users/me", Some(&token), "").expect("the server answers");
    let me: serde_json::Value = serde_json::from_str(&me).expect("JSON");
    let (_, team) = http(&server.url, "POST", "/api/v1/teams", Some(&token), r#"{"name": "Search SRE"}"#)
        .expect("the server answers");
    let team: serde_json::Value = serde_json::from_str(&team).expect("JSON");
    let team = team["id"].as_str().expect("a team").to_owned();
    let body = format!(
        r#"{{"template": "daily", "name": "Search", "time_zone": "UTC", "start": "2026-11-01", "participants": ["{}"], "team_id": "{team}"}}"#,
        me["id"].as_str().expect("my id")
    );
    let (status, created) =
        http(&server.url, "POST", "/api/v1/schedules/from-template", Some(&token), &body).expect("answers");
    assert_eq!(status, 201, "{created}");
    let created: serde_json::Value = serde_json::from_str(&created).expect("JSON");
    let schedule = created[0]["id"].as_str().expect("a schedule").to_owned();
    let table = with(&["report", "load", "--schedule", &schedule]);
    let shown = stdout(&table);
    assert!(table.status.success(), "{}", stderr(&table));
    assert!(
        shown.contains("INCIDENTS / BUDGET") && shown.contains("Ops Lead") && shown.contains("0 over budget"),
        "{shown}"
    );
    let csv = stdout(&with(&["report", "load", "--schedule", &schedule, "--csv"]));
    assert!(csv.starts_with("person,start,end,pages") && csv.contains("Ops Lead,"), "{csv}");
    let people = stdout(&with(&["report", "load", "--schedule", &schedule, "--csv", "--table", "people"]));
    assert!(people.starts_with("person,shifts,on_call_hours") && people.contains("\nOps Lead,"), "{people}");
    let sizing = with(&["report", "sizing", "--team", &team]);
    let shown = stdout(&sizing);
    assert!(
        sizing.status.success()
            && shown.contains("Search: 1 people")
            && shown.contains("Recommended: Primary, 3 more"),
        "{shown}{}",
        stderr(&sizing)
    );
    let handoff = with(&["report", "handoff", "--team", &team]);
    assert!(
        handoff.status.success()
            && stdout(&handoff).contains("Search SRE")
            && stdout(&handoff).contains("On call next: Ops Lead"),
        "{}{}",
        stdout(&handoff),
        stderr(&handoff)
    );
    let toil = with(&["report", "toil"]);
    assert!(
        toil.status.success() && stdout(&toil).contains("NOTHING DONE") && stdout(&toil).contains("MTTA MIN"),
        "{}",
        stderr(&toil)
    );
    let refused = with(&["report", "load", "--schedule", &schedule, "--from", "yesterday"]);
    assert!(!refused.status.success() && stderr(&refused).contains("from"), "{}", stderr(&refused));
}
