//! Throwaway databases for tests: a SQLite file in a temporary folder, or a fresh database in a
//! PostgreSQL cluster that this test process starts for itself.
//!
//! The PostgreSQL cluster is made once per test process with `initdb` and started with `pg_ctl` on
//! a free loopback port (as the `postgres` user when running as root, because `initdb` refuses
//! root). A small watcher shell stops the cluster and deletes its folder when the test process
//! exits, since Rust tests have no global tear-down. `MUSTER_TEST_POSTGRES_URL` points the tests at
//! an existing server instead. When neither is possible the PostgreSQL tests print a loud SKIPPED
//! line, and under `CI=true` they fail instead, so CI can never pass without them.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use sqlx::{Connection, Executor};

use crate::{Store, StoreError};

/// A database that lives as long as this value (the SQLite folder) or the test process (PostgreSQL).
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    _folder: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A new SQLite database file in its own temporary folder.
    pub fn sqlite() -> Self {
        let folder = tempfile::tempdir().expect("temporary folder for SQLite");
        let url = format!("sqlite://{}", folder.path().join("muster.db").display());
        TestDatabase { url, _folder: Some(folder) }
    }

    /// A new, empty database on the test PostgreSQL server, or `None` (after a loud SKIPPED line)
    /// when there is no PostgreSQL to be had outside CI.
    pub async fn postgres(test: &str) -> Option<Self> {
        let server = match postgres_server() {
            Ok(url) => url,
            Err(reason) => {
                if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                    panic!("PostgreSQL tests cannot run under CI=true: {reason}");
                }
                eprintln!("\n*** SKIPPED PostgreSQL test {test}: {reason} ***\n");
                return None;
            }
        };
        let name = format!("muster_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
            .await
            .expect("connect to the test PostgreSQL server");
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create a test database");
        Some(TestDatabase { url: format!("{server}/{name}"), _folder: None })
    }

    /// Opens and migrates a `Store` on this database.
    pub async fn open(&self) -> Result<Store, StoreError> {
        Store::open(&self.url).await
    }
}

/// The base URL (without a database name) of the PostgreSQL server for this test process.
fn postgres_server() -> Result<String, String> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| match std::env::var("MUSTER_TEST_POSTGRES_URL") {
            Ok(url) => Ok(url.trim_end_matches('/').to_owned()),
            Err(_) => start_throwaway_cluster(),
        })
        .clone()
}

fn start_throwaway_cluster() -> Result<String, String> {
    let bin = postgres_bin_dir().ok_or("no initdb on PATH or under /usr/lib/postgresql/*/bin")?;
    let as_root = running_as_root();
    let folder = tempfile::Builder::new().prefix("muster-pg-").tempdir().map_err(|e| e.to_string())?.keep();
    let data = folder.join("data");
    if as_root {
        run(Command::new("chown").arg("postgres").arg(&folder), "chown the cluster folder")?;
    }
    let port = free_port()?;
    // Tests need no durability and run faster without fsync; benchmarks of durable writes turn it
    // on with MUSTER_TEST_POSTGRES_FSYNC=on.
    let fsync =
        if std::env::var("MUSTER_TEST_POSTGRES_FSYNC").is_ok_and(|v| v == "on") { "on" } else { "off" };
    run(
        command_as_postgres(as_root, &bin.join("initdb"))
            .args(["--auth=trust", "--username=muster", "--encoding=UTF8", "--no-sync", "-D"])
            .arg(&data),
        "initdb",
    )?;
    // The watcher runs as this user (so it may signal this process), starts the server, waits for
    // this process to exit and then stops the server and removes its folder.
    let script = r#"
        $AS_POSTGRES "$1/pg_ctl" -D "$2" -l "$2/server.log" -w \
            -o "-p $3 -k $2 -c listen_addresses=127.0.0.1 -c fsync=$6 -c max_connections=200" start >/dev/null || exit 1
        while kill -0 "$4" 2>/dev/null; do sleep 1; done
        $AS_POSTGRES "$1/pg_ctl" -D "$2" -m immediate stop >/dev/null 2>&1
        rm -rf "$5"
    "#;
    let mut watcher = Command::new("sh");
    watcher
        .env("AS_POSTGRES", if as_root { "runuser -u postgres --" } else { "" })
        .args(["-c", script, "muster-pg-watcher"])
        .arg(&bin)
        .arg(&data)
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .arg(&folder)
        .arg(fsync)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    watcher.spawn().map_err(|e| format!("start the PostgreSQL watcher: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("PostgreSQL did not start; see {}/server.log", data.display()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(format!("postgres://muster@127.0.0.1:{port}"))
}

fn postgres_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        versions.sort_by_key(|bin| {
            bin.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()).unwrap_or(0)
        });
        versions.pop()
    })
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn command_as_postgres(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {}", String::from_utf8_lossy(&output.stderr).trim()))
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}
