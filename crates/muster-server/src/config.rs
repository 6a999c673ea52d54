//! Configuration: built-in defaults, then `muster.toml`, then `MUSTER_*` environment variables,
//! each layer overriding the one before. Every command reads the same configuration.

use std::{fmt, net::SocketAddr, path::Path};

use serde::Deserialize;

/// The commented defaults printed by `muster config example`.
pub const EXAMPLE: &str = r#"# muster.toml: Muster's configuration. Every setting can also be given as an environment
# variable (MUSTER_ plus the name in capitals, e.g. MUSTER_DATABASE_URL), which wins over this file.

# Where Muster keeps its data: an embedded SQLite file (created when missing), or a PostgreSQL
# database for several instances, e.g. "postgres://muster:secret@db.internal/muster".
database_url = "sqlite://muster.db"

# The address the HTTP server listens on.
listen = "127.0.0.1:8080"

# The address people and monitors use to reach Muster: the base of links in notifications and of
# the ingestion URLs shown for integration keys. Defaults to http:// plus `listen`. When it starts
# with https://, session cookies are marked Secure.
# public_url = "https://muster.example.com"

# Log format: "text" for people, "json" for log collectors. Levels come from RUST_LOG (default info).
log_format = "text"

# How long a web sign-in lasts, in hours.
session_hours = 12

# The SMTP server that sends e-mail notifications, as a URL: "smtps://user:pass@mail.example:465"
# (TLS), "smtp://user:pass@mail.example:587?tls=required" (STARTTLS) or "smtp://localhost:25"
# (plain, for a relay on the same host). Without it, people cannot add e-mail contact methods.
# smtp_url = "smtp://user:secret@mail.example:587?tls=required"

# The sender of e-mail notifications.
smtp_from = "Muster <muster@localhost>"

# The least time between two page messages to one person's channel, in seconds: pages falling due
# within it wait and go out together as one message. 0: nothing waits (pages that fall due at the
# same moment still go out together).
notification_throttle_seconds = 30

# How often stakeholders expect an update on an open incident, in minutes, for SEV1, SEV2, SEV3
# and SEV4. When an update is overdue, Muster reminds the Comms Lead, and again each interval.
incident_update_minutes = [30, 60, 120, 240]

# An incident that took longer than this to resolve (in minutes) needs a postmortem, as do
# customer-facing ones, those that touched data and those that hit several services.
postmortem_lengthy_minutes = 240

# A required postmortem is due this many working days (Monday to Friday) after the resolve.
postmortem_due_working_days = 5

# Where Muster reads each SLO's error budget (the recorded error ratio over its window, from the
# rules `muster slo rules` generates). Without it, budgets come from SLI counts posted to Muster.
# prometheus_url = "http://127.0.0.1:9090"

# The load budget: how many incidents a 12-hour on-call shift can absorb (pro rata for other
# lengths). Shifts over it are flagged in the load report.
load_incidents_per_12_hours = 2
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

/// The settled configuration.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    public_url: Option<String>,
    pub log_format: LogFormat,
    pub session_hours: u32,
    pub smtp_url: Option<String>,
    pub smtp_from: String,
    pub notification_throttle_seconds: u32,
    pub incident_update_minutes: [u32; 4],
    pub postmortem_lengthy_minutes: u32,
    pub postmortem_due_working_days: u32,
    pub prometheus_url: Option<String>,
    pub load_incidents_per_12_hours: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://muster.db".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            log_format: LogFormat::Text,
            session_hours: 12,
            smtp_url: None,
            smtp_from: "Muster <muster@localhost>".to_owned(),
            notification_throttle_seconds: 30,
            incident_update_minutes: [30, 60, 120, 240],
            postmortem_lengthy_minutes: 240,
            postmortem_due_working_days: 5,
            prometheus_url: None,
            load_incidents_per_12_hours: 2,
        }
    }
}

// The database URL may hold a password, so Debug (and therefore every log line) redacts it.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.redacted_database_url())
            .field("listen", &self.listen)
            .field("public_url", &self.public_url())
            .field("log_format", &self.log_format)
            .field("session_hours", &self.session_hours)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url_password))
            .field("smtp_from", &self.smtp_from)
            .field("notification_throttle_seconds", &self.notification_throttle_seconds)
            .field("incident_update_minutes", &self.incident_update_minutes)
            .field("postmortem_lengthy_minutes", &self.postmortem_lengthy_minutes)
            .field("postmortem_due_working_days", &self.postmortem_due_working_days)
            .field("prometheus_url", &self.prometheus_url.as_deref().map(redact_url_password))
            .field("load_incidents_per_12_hours", &self.load_incidents_per_12_hours)
            .finish()
    }
}

/// Reads `30,60,120,240`.
fn parse_update_minutes(text: &str) -> Option<[u32; 4]> {
    let values: Vec<u32> = text.split(',').map(|v| v.trim().parse().ok()).collect::<Option<_>>()?;
    let values: [u32; 4] = values.try_into().ok()?;
    values.iter().all(|m| (1..=1440).contains(m)).then_some(values)
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{variable}: {message}")]
    Environment { variable: &'static str, message: String },
}

impl Config {
    /// Loads the configuration: defaults, then the file (the given path, which must exist, or
    /// `muster.toml` in the working directory if there is one), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let (path, required) = match file {
            Some(path) => (path, true),
            None => (Path::new("muster.toml"), false),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(ConfigError::Read { path: path.display().to_string(), source }),
        };
        Self::from_layers(text.as_deref().map(|t| (path.display().to_string(), t)), |name| {
            std::env::var(name).ok()
        })
    }

    /// Applies the file's text and then the environment (read through `env`) over the defaults.
    pub fn from_layers(
        file: Option<(String, &str)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some((path, text)) => toml::from_str(text)
                .map_err(|e| ConfigError::File { path, message: e.message().to_owned() })?,
            None => Config::default(),
        };
        if let Some(url) = env("MUSTER_DATABASE_URL") {
            config.database_url = url;
        }
        if let Some(listen) = env("MUSTER_LISTEN") {
            config.listen = listen.parse().map_err(|_| ConfigError::Environment {
                variable: "MUSTER_LISTEN",
                message: format!("{listen:?} is not an address such as 127.0.0.1:8080"),
            })?;
        }
        if let Some(url) = env("MUSTER_PUBLIC_URL") {
            config.public_url = Some(url);
        }
        if let Some(format) = env("MUSTER_LOG_FORMAT") {
            config.log_format = match format.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError::Environment {
                        variable: "MUSTER_LOG_FORMAT",
                        message: format!("{format:?} is neither \"text\" nor \"json\""),
                    });
                }
            };
        }
        if let Some(hours) = env("MUSTER_SESSION_HOURS") {
            config.session_hours =
                hours.parse().ok().filter(|h| (1..=24 * 30).contains(h)).ok_or(ConfigError::Environment {
                    variable: "MUSTER_SESSION_HOURS",
                    message: format!("{hours:?} is not a number of hours between 1 and 720"),
                })?;
        }
        if let Some(url) = env("MUSTER_SMTP_URL") {
            config.smtp_url = Some(url);
        }
        if let Some(from) = env("MUSTER_SMTP_FROM") {
            config.smtp_from = from;
        }
        if let Some(seconds) = env("MUSTER_NOTIFICATION_THROTTLE_SECONDS") {
            config.notification_throttle_seconds =
                seconds.parse().ok().filter(|s| *s <= 3600).ok_or(ConfigError::Environment {
                    variable: "MUSTER_NOTIFICATION_THROTTLE_SECONDS",
                    message: format!("{seconds:?} is not a number of seconds between 0 and 3600"),
                })?;
        }
        if let Some(minutes) = env("MUSTER_INCIDENT_UPDATE_MINUTES") {
            config.incident_update_minutes =
                parse_update_minutes(&minutes).ok_or(ConfigError::Environment {
                    variable: "MUSTER_INCIDENT_UPDATE_MINUTES",
                    message: format!(
                        "{minutes:?} is not four comma-separated minutes (SEV1 to SEV4), each 1 to 1440"
                    ),
                })?;
        }
        if let Some(minutes) = env("MUSTER_POSTMORTEM_LENGTHY_MINUTES") {
            config.postmortem_lengthy_minutes =
                minutes.parse().ok().filter(|m| (1..=10_080).contains(m)).ok_or(
                    ConfigError::Environment {
                        variable: "MUSTER_POSTMORTEM_LENGTHY_MINUTES",
                        message: format!("{minutes:?} is not a number of minutes between 1 and 10080"),
                    },
                )?;
        }
        if let Some(days) = env("MUSTER_POSTMORTEM_DUE_WORKING_DAYS") {
            config.postmortem_due_working_days =
                days.parse().ok().filter(|d| (1..=60).contains(d)).ok_or(ConfigError::Environment {
                    variable: "MUSTER_POSTMORTEM_DUE_WORKING_DAYS",
                    message: format!("{days:?} is not a number of working days between 1 and 60"),
                })?;
        }
        if let Some(url) = env("MUSTER_PROMETHEUS_URL") {
            config.prometheus_url = Some(url);
        }
        if let Some(count) = env("MUSTER_LOAD_INCIDENTS_PER_12_HOURS") {
            config.load_incidents_per_12_hours =
                count.parse().ok().filter(|c| (1..=24).contains(c)).ok_or(ConfigError::Environment {
                    variable: "MUSTER_LOAD_INCIDENTS_PER_12_HOURS",
                    message: format!("{count:?} is not a number of incidents between 1 and 24"),
                })?;
        }
        config.validate()?;
        Ok(config)
    }

    /// The stakeholder update cadence per incident severity.
    pub fn update_cadence(&self) -> muster_core::incident::UpdateCadence {
        muster_core::incident::UpdateCadence(
            self.incident_update_minutes.map(|m| jiff::SignedDuration::from_mins(i64::from(m))),
        )
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.incident_update_minutes.iter().any(|m| !(1..=1440).contains(m)) {
            return Err(ConfigError::Environment {
                variable: "incident_update_minutes",
                message: "each interval must be 1 to 1440 minutes".to_owned(),
            });
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Environment {
                variable: "public_url",
                message: format!("{url:?} must start with http:// or https://"),
            });
        }
        if let Some(url) = &self.prometheus_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Environment {
                variable: "prometheus_url",
                message: format!("{url:?} must start with http:// or https://"),
            });
        }
        if let Some(url) = &self.smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return Err(ConfigError::Environment {
                variable: "smtp_url",
                message: "must start with smtp:// or smtps://".to_owned(),
            });
        }
        if self.smtp_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Environment {
                variable: "smtp_from",
                message: format!(
                    "{:?} is not a sender such as \"Muster <muster@example.com>\"",
                    self.smtp_from
                ),
            });
        }
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres")) {
            return Err(ConfigError::Environment {
                variable: "database_url",
                message: "must start with sqlite: or postgres://".to_owned(),
            });
        }
        Ok(())
    }

    /// A config for tests and embedding: the given database, a given address, defaults otherwise.
    pub fn new(database_url: impl Into<String>, listen: SocketAddr) -> Self {
        Config { database_url: database_url.into(), listen, ..Config::default() }
    }

    /// The base URL people and monitors use, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    pub fn set_public_url(&mut self, url: impl Into<String>) {
        self.public_url = Some(url.into());
    }

    /// Whether cookies must be marked Secure: when people reach Muster over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url().starts_with("https://")
    }

    /// The database URL with any password replaced, fit for logs and messages.
    pub fn redacted_database_url(&self) -> String {
        redact_url_password(&self.database_url)
    }
}

fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((credentials, host)) = rest.split_once('@') else { return url.to_owned() };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let defaults = Config::from_layers(None, env_of(&[])).unwrap();
        assert_eq!(defaults.database_url, "sqlite://muster.db");
        assert_eq!(defaults.public_url(), "http://127.0.0.1:8080");

        let file = "database_url = \"sqlite://file.db\"\nlisten = \"0.0.0.0:9000\"\n";
        let from_file = Config::from_layers(Some(("muster.toml".into(), file)), env_of(&[])).unwrap();
        assert_eq!((from_file.database_url.as_str(), from_file.listen.port()), ("sqlite://file.db", 9000));

        let env =
            env_of(&[("MUSTER_DATABASE_URL", "postgres://m:pw@db/muster"), ("MUSTER_LOG_FORMAT", "json")]);
        let layered = Config::from_layers(Some(("muster.toml".into(), file)), env).unwrap();
        assert_eq!(layered.database_url, "postgres://m:pw@db/muster");
        assert_eq!((layered.listen.port(), layered.log_format), (9000, LogFormat::Json));
    }

    #[test]
    fn the_example_is_the_defaults() {
        let example = Config::from_layers(Some(("example".into(), EXAMPLE)), env_of(&[])).unwrap();
        assert_eq!(example, Config::default());
    }

    #[test]
    fn bad_settings_name_themselves() {
        let unknown = Config::from_layers(Some(("muster.toml".into(), "databse_url = \"x\"")), env_of(&[]));
        assert!(unknown.unwrap_err().to_string().contains("databse_url"));
        let listen = Config::from_layers(None, env_of(&[("MUSTER_LISTEN", "everywhere")]));
        assert!(listen.unwrap_err().to_string().starts_with("MUSTER_LISTEN"));
        let format = Config::from_layers(None, env_of(&[("MUSTER_LOG_FORMAT", "xml")]));
        assert!(format.unwrap_err().to_string().starts_with("MUSTER_LOG_FORMAT"));
        let smtp = Config::from_layers(None, env_of(&[("MUSTER_SMTP_URL", "mail.example:25")]));
        assert!(smtp.unwrap_err().to_string().starts_with("smtp_url"));
        let from = Config::from_layers(None, env_of(&[("MUSTER_SMTP_FROM", "not a sender")]));
        assert!(from.unwrap_err().to_string().starts_with("smtp_from"));
        let cadence = Config::from_layers(None, env_of(&[("MUSTER_INCIDENT_UPDATE_MINUTES", "30,60,0,240")]));
        assert!(cadence.unwrap_err().to_string().starts_with("MUSTER_INCIDENT_UPDATE_MINUTES"));
        let file = Config::from_layers(
            Some(("muster.toml".into(), "incident_update_minutes = [15, 30, 60]")),
            env_of(&[]),
        );
        assert!(file.unwrap_err().to_string().starts_with("muster.toml"), "three intervals are not four");
    }

    #[test]
    fn the_update_cadence_is_set_per_severity() {
        let config =
            Config::from_layers(None, env_of(&[("MUSTER_INCIDENT_UPDATE_MINUTES", "15, 45, 90, 600")]))
                .unwrap();
        let cadence = config.update_cadence();
        assert_eq!(
            cadence.interval(muster_core::incident::IncidentSeverity::Sev1),
            jiff::SignedDuration::from_mins(15)
        );
        assert_eq!(
            cadence.interval(muster_core::incident::IncidentSeverity::Sev4),
            jiff::SignedDuration::from_hours(10)
        );
    }

    #[test]
    fn passwords_never_reach_debug_output() {
        let config =
            Config::from_layers(None, env_of(&[("MUSTER_DATABASE_URL", "postgres://muster:hunter2@db/m")]))
                .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://muster:***@db/m"));
        let smtp =
            Config::from_layers(None, env_of(&[("MUSTER_SMTP_URL", "smtps://bot:mailpass@mail.example")]))
                .unwrap();
        assert!(!format!("{smtp:?}").contains("mailpass"));
    }

    #[test]
    fn https_public_urls_make_cookies_secure() {
        let mut config = Config::default();
        assert!(!config.secure_cookies());
        config.set_public_url("https://muster.example.com/");
        assert!(config.secure_cookies());
        assert_eq!(config.public_url(), "https://muster.example.com");
    }
}
