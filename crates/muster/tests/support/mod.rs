//! What the multi-instance tests share: `muster` commands on one database, `muster serve`
//! processes, plain HTTP/1.1 requests and real-time waits.

#![allow(dead_code, reason = "each test binary uses a different part of the support module")]

use std::{
    fs::File,
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

const MUSTER: &str = env!("CARGO_BIN_EXE_muster");

pub struct Instance {
    pub child: Child,
    pub url: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn muster(dir: &std::path::Path, database: &str, args: &[&str]) -> Command {
    let mut command = Command::new(MUSTER);
    command
        .args(args)
        .current_dir(dir)
        .env("MUSTER_DATABASE_URL", database)
        .env("HOME", dir)
        .env_remove("RUST_LOG");
    command
}

pub fn start(dir: &std::path::Path, database: &str, name: &str) -> Instance {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let log = File::create(dir.join(format!("{name}.log"))).expect("a log file");
    let child = muster(dir, database, &["serve"])
        .env("MUSTER_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("muster serve starts");
    wait_until_serving(port, &format!("{name} to answer /healthz"), Duration::from_secs(30));
    Instance { child, url: format!("http://127.0.0.1:{port}") }
}

/// Waits until a server on `port` answers `GET /healthz`. A bare connect is not enough: a
/// connection to a port nobody listens on yet can succeed by connecting to itself (a CI run once
/// had its first command refused right after a bare connect had succeeded).
pub fn wait_until_serving(port: u16, what: &str, within: Duration) {
    wait_for(what, within, || answers_health(port));
}

fn answers_health(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let request = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let mut reply = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut reply).is_ok()
        && reply.starts_with("HTTP/1.1 200")
}

/// One HTTP/1.1 request with the standard library; the status and the JSON body.
pub fn http(base: &str, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("the instance answers");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    let (head, rest) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, serde_json::from_str(rest).unwrap_or(Value::Null))
}

pub fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Migrates the database and makes an admin (ops@example.com); returns the admin's API token.
pub fn bootstrap(dir: &std::path::Path, url: &str) -> String {
    assert!(muster(dir, url, &["migrate"]).status().expect("migrate runs").success());
    let created = muster(
        dir,
        url,
        &["user", "create", "--email", "ops@example.com", "--name", "Ops", "--role", "admin"],
    )
    .output()
    .expect("user create runs");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token = muster(dir, url, &["token", "create", "--user", "ops@example.com", "--name", "test"])
        .output()
        .expect("token create runs");
    String::from_utf8_lossy(&token.stdout).trim().to_owned()
}
