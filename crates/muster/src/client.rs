//! The HTTP client of the command line: where the server is, which token to present, and turning
//! the API's error replies into messages.
//!
//! `muster login` saves the server and token in the user's configuration directory
//! (`~/.config/muster/cli.toml` on Linux, readable by the user only); `--server`/`--token` and
//! `MUSTER_SERVER`/`MUSTER_TOKEN` override it for scripts.

use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClientSettings {
    pub server: String,
    pub token: String,
}

pub fn settings_path() -> anyhow::Result<PathBuf> {
    let dir = dirs::config_dir().ok_or_else(|| anyhow!("cannot find your configuration directory"))?;
    Ok(dir.join("muster").join("cli.toml"))
}

impl ClientSettings {
    /// Flags and environment first, then what `muster login` saved.
    pub fn resolve(server: Option<String>, token: Option<String>) -> anyhow::Result<Self> {
        let saved = Self::load().unwrap_or_default();
        let server = server.filter(|s| !s.is_empty()).unwrap_or(saved.server);
        let token = token.filter(|t| !t.is_empty()).unwrap_or(saved.token);
        if server.is_empty() || token.is_empty() {
            bail!("no server or token: run `muster login --server URL` first, or pass --server and --token");
        }
        Ok(ClientSettings { server: server.trim_end_matches('/').to_owned(), token })
    }

    fn load() -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(settings_path()?)?;
        Ok(toml::from_str(&text)?)
    }

    pub fn save(&self) -> anyhow::Result<PathBuf> {
        let path = settings_path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, toml::to_string(self)?)
            .with_context(|| format!("writing {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(path)
    }
}

#[derive(Debug, Deserialize)]
struct ErrorReply {
    message: String,
}

/// Sends one API request and decodes the reply, or fails with the server's own message.
pub async fn call<T: DeserializeOwned>(
    settings: &ClientSettings,
    method: Method,
    path: &str,
    body: Option<&serde_json::Value>,
) -> anyhow::Result<T> {
    let bytes = send(settings, method, path, body).await?;
    serde_json::from_slice(&bytes).context("the server's reply is not the expected JSON")
}

/// A `GET` whose reply is text (an export), not JSON.
pub async fn call_text(settings: &ClientSettings, path: &str) -> anyhow::Result<String> {
    let bytes = send(settings, Method::GET, path, None).await?;
    String::from_utf8(bytes).context("the server's reply is not UTF-8 text")
}

/// A `GET` whose non-2xx replies carry an answer too (the deploy gate's 423): the status and the
/// JSON body, whatever the status; only an unreachable server or a non-JSON body fail.
pub async fn call_answer(
    settings: &ClientSettings,
    path: &str,
) -> anyhow::Result<(StatusCode, serde_json::Value)> {
    let client =
        reqwest::Client::builder().user_agent(concat!("muster-cli/", env!("CARGO_PKG_VERSION"))).build()?;
    let response = client
        .get(format!("{}{path}", settings.server))
        .bearer_auth(&settings.token)
        .send()
        .await
        .with_context(|| format!("cannot reach {}", settings.server))?;
    let status = response.status();
    let body = response.json().await.context("the server's reply is not the expected JSON")?;
    Ok((status, body))
}

/// Sends one request and returns the body of a 2xx reply; any other reply becomes an error with
/// the server's message.
async fn send(
    settings: &ClientSettings,
    method: Method,
    path: &str,
    body: Option<&serde_json::Value>,
) -> anyhow::Result<Vec<u8>> {
    let url = format!("{}{path}", settings.server);
    let client =
        reqwest::Client::builder().user_agent(concat!("muster-cli/", env!("CARGO_PKG_VERSION"))).build()?;
    let mut request = client.request(method, &url).bearer_auth(&settings.token);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.with_context(|| format!("cannot reach {}", settings.server))?;
    let status = response.status();
    let bytes = response.bytes().await.context("reading the server's reply")?;
    if !status.is_success() {
        let message = serde_json::from_slice::<ErrorReply>(&bytes)
            .map(|e| e.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
        if status == StatusCode::UNAUTHORIZED {
            bail!("{message} (the token may be revoked: run `muster login` again)");
        }
        bail!("{message} (HTTP {})", status.as_u16());
    }
    Ok(bytes.to_vec())
}
