//! Commands that work directly on the configured database, with no server running.

use std::io::Read;

use anyhow::{Context, bail};
use muster_core::clock::Clock;
use muster_core::user::Role;
use muster_server::{clock::SystemClock, config::Config, console};
use muster_store::Store;

async fn open(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database_url)
        .await
        .with_context(|| format!("opening the database {}", config.redacted_database_url()))
}

pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let store = open(config).await?;
    println!("Database {} is up to date.", config.redacted_database_url());
    store.close().await;
    Ok(())
}

pub async fn create_user(
    config: &Config,
    email: &str,
    name: &str,
    role: Role,
    time_zone: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let password = if password_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("reading the password from standard input")?;
        let password = text.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            bail!("password: standard input was empty");
        }
        Some(password)
    } else {
        None
    };
    let store = open(config).await?;
    let created = console::create_user(&store, email, name, role, time_zone, password, SystemClock.now())
        .await
        .map_err(|e| anyhow::anyhow!(e.body().message))?;
    store.close().await;
    println!("Created {} <{}> as {}.", created.user.name, created.user.email, created.user.role);
    if let Some(password) = created.generated_password {
        println!("Password: {password}\n(shown once; change it on the Settings page after signing in)");
    }
    Ok(())
}

pub async fn create_token(config: &Config, email: &str, name: &str) -> anyhow::Result<()> {
    let store = open(config).await?;
    let secret = console::create_token(&store, email, name, SystemClock.now())
        .await
        .map_err(|e| anyhow::anyhow!(e.body().message))?;
    store.close().await;
    println!("{secret}");
    eprintln!("(shown once; Muster keeps only a hash. Use it with `muster login --server URL --token …`.)");
    Ok(())
}
