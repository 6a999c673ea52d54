//! The command line: its grammar (clap) and the dispatch of each command.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use muster_core::user::Role;
use muster_server::config::{self, Config};

use crate::{
    alert, client::ClientSettings, console, incident, oncall, page, postmortem, remote, report, slo,
};

#[derive(Debug, Parser)]
#[command(name = "muster", version, about = "Muster: on-call, incidents and postmortems in one binary.")]
pub struct Cli {
    /// The configuration file (default: ./muster.toml when it exists).
    #[arg(long, global = true, env = "MUSTER_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// The Muster server for client commands (overrides `muster login`).
    #[arg(long, global = true, env = "MUSTER_SERVER", value_name = "URL")]
    server: Option<String>,
    /// The API token for client commands (overrides `muster login`).
    #[arg(long, global = true, env = "MUSTER_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (HTTP API, web UI) on the configured database.
    Serve {
        /// Load an example organisation (teams, people, services) into an empty database.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Store a server address and API token for the client commands.
    Login {
        /// The server's address, e.g. https://muster.example.com.
        #[arg(long)]
        server: String,
        /// The API token; read from standard input when absent.
        #[arg(long)]
        token: Option<String>,
    },
    /// People. `create` works directly on the database; the others ask the server.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens, made directly on the database (no server needed).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Teams, through the server.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Services, through the server.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Who is on call, through the server.
    #[command(subcommand)]
    Oncall(OncallCommand),
    /// On-call schedules, through the server.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Alerts, through the server.
    #[command(subcommand)]
    Alert(AlertCommand),
    /// Pages: an alert's escalation and delivery log, undelivered notifications, tests.
    #[command(subcommand)]
    Page(PageCommand),
    /// Incidents, through the server. Name an incident by its number or id.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Postmortems, through the server. Name one by its id or its incident's number.
    #[command(subcommand)]
    Postmortem(PostmortemCommand),
    /// SLOs, their Prometheus rules and the deploy gate, through the server. Name a service by its id.
    #[command(subcommand)]
    Slo(SloCommand),
    /// Reports on operational load, through the server.
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Load per shift of a schedule: pages, interruptions, tickets, incidents against the budget.
    Load {
        #[arg(long)]
        schedule: String,
        #[command(flatten)]
        window: ReportWindow,
        /// Print CSV of a table: one row per shift by default.
        #[arg(long)]
        csv: bool,
        /// With --csv: shifts, people, pages_by_hour or advice.
        #[arg(long, requires = "csv")]
        table: Option<String>,
    },
    /// A service's SLOs and their error budget left (the same as `muster slo list`).
    Slo { service: String },
    /// Toil: the noisiest alerts, and MTTA, MTTR and response targets per service and priority.
    Toil {
        #[command(flatten)]
        window: ReportWindow,
        /// Print CSV of a table: the noisiest alerts by default.
        #[arg(long)]
        csv: bool,
        /// With --csv: noisiest, repeat_pages, off_hours, responses or weekly.
        #[arg(long, requires = "csv")]
        table: Option<String>,
    },
    /// A team's weekly on-call hand-off: the week's shifts, incidents, what is still open, who is next.
    Handoff {
        #[arg(long)]
        team: String,
        /// RFC 3339; 7 days before --until by default.
        #[arg(long)]
        from: Option<String>,
        /// RFC 3339; now by default.
        #[arg(long)]
        until: Option<String>,
        /// Print CSV of a table: the shifts by default.
        #[arg(long)]
        csv: bool,
        /// With --csv: shifts, incidents, open_incidents, open_alerts or noisiest.
        #[arg(long, requires = "csv")]
        table: Option<String>,
    },
    /// Rotation sizing on the seed's model: the people each design needs for a team's load.
    Sizing {
        #[arg(long)]
        team: String,
        #[command(flatten)]
        window: ReportWindow,
        /// Print CSV, one row per schedule and design.
        #[arg(long)]
        csv: bool,
    },
}

/// The window a report covers.
#[derive(Debug, clap::Args)]
struct ReportWindow {
    /// RFC 3339; 28 days before --until by default.
    #[arg(long)]
    from: Option<String>,
    /// RFC 3339; now by default.
    #[arg(long)]
    until: Option<String>,
}

impl ReportWindow {
    fn pair(&self) -> (Option<&str>, Option<&str>) {
        (self.from.as_deref(), self.until.as_deref())
    }
}

#[derive(Debug, Subcommand)]
enum SloCommand {
    /// A service's SLOs: objective in force, window and error budget left.
    List { service: String },
    /// How an SLO's error budget burned: the budget left each day over its window.
    Burn {
        service: String,
        /// The SLO's id, from `muster slo list`.
        slo: String,
        /// Print CSV, one row per day.
        #[arg(long)]
        csv: bool,
    },
    /// Print the Prometheus recording and burn-rate alerting rules of a service's SLOs.
    Rules { service: String },
    /// Ask whether a deploy may proceed; exits non-zero during a change freeze.
    Gate {
        service: String,
        /// The deploy's name, matched against exceptions granted during ops mode.
        #[arg(long)]
        deploy: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum PostmortemCommand {
    /// Start the postmortem of a resolved incident (a required one is drafted at the resolve).
    Draft { incident: String },
    /// Show a postmortem: status, requirement, people, open blameless flags, action items.
    Show { postmortem: String },
    /// Print a postmortem as Markdown or printable HTML.
    Export {
        postmortem: String,
        /// markdown or html.
        #[arg(long, default_value = "markdown")]
        format: String,
    },
    /// Submit the draft for review (needs a reviewer and no open blameless flag).
    Submit { postmortem: String },
    /// Approve a postmortem you review.
    Approve { postmortem: String },
    /// Publish once every reviewer approved (admins may override).
    Publish { postmortem: String },
}

#[derive(Debug, Subcommand)]
enum IncidentCommand {
    /// Declare an incident from alerts, or from a problem report (--expected and --actual).
    Declare {
        #[arg(long)]
        title: String,
        /// sev1 (critical), sev2 (major), sev3 (minor) or sev4 (low).
        #[arg(long, default_value = "sev2")]
        severity: String,
        /// An alert it grows from (repeat for several).
        #[arg(long = "alert")]
        alerts: Vec<String>,
        /// An affected service's id, besides the alerts' (repeat for several).
        #[arg(long = "service")]
        services: Vec<String>,
        /// Customers can see the problem.
        #[arg(long)]
        customer_facing: bool,
        /// Data could be lost, leaked or corrupted.
        #[arg(long)]
        data_impact: bool,
        /// Problem report: what should happen.
        #[arg(long)]
        expected: Option<String>,
        /// Problem report: what happens instead.
        #[arg(long)]
        actual: Option<String>,
        /// Problem report: how to make it happen.
        #[arg(long)]
        reproduce: Option<String>,
    },
    /// List incidents, most recently declared first.
    List {
        /// open, resolved or all.
        #[arg(long, default_value = "open")]
        state: String,
        /// Continue after a previous page (printed at its end).
        #[arg(long)]
        cursor: Option<String>,
        /// How many to show (1 to 200).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show an incident: command, stage, and its timeline.
    Show { incident: String },
    /// Hand off a role: offer it to someone, or accept, decline or withdraw an offer.
    Role {
        incident: String,
        /// commander, comms_lead or ops_lead.
        role: String,
        /// offer, accept, decline or withdraw.
        action: String,
        /// Whom to offer the role to (their user id); for offer only.
        #[arg(long)]
        to: Option<String>,
    },
    /// Write the current stage's output and/or move the investigation (triage, examine, diagnose,
    /// test, cure).
    Stage {
        incident: String,
        /// The current stage's output.
        #[arg(long)]
        output: Option<String>,
        /// Cure only: fully_working, mitigated_with_known_fix or mitigated_with_monitoring.
        #[arg(long)]
        outcome: Option<String>,
        /// The stage to move to: the next one, or any earlier one.
        #[arg(long)]
        to: Option<String>,
    },
    /// Add a note to the timeline.
    Note { incident: String, text: String },
    /// Post a stakeholder update.
    Update {
        incident: String,
        text: String,
        /// internal or public (also on the status page).
        #[arg(long, default_value = "internal")]
        audience: String,
    },
    /// Resolve the incident; the cure output must be written.
    Resolve { incident: String },
}

#[derive(Debug, Subcommand)]
enum PageCommand {
    /// An alert's page: its status, response target and every notification it sent.
    Show {
        /// The alert's id.
        alert: String,
    },
    /// Notifications that failed every attempt (admins).
    Undelivered,
    /// Send yourself a test message through one of your verified contact methods.
    Test {
        /// The contact method's id (`GET /api/v1/users/me/contact-methods`).
        method: String,
    },
}

#[derive(Debug, Subcommand)]
enum AlertCommand {
    /// Raise an alert on a service by hand; it deduplicates like any monitor's.
    Send {
        /// The service's id.
        #[arg(long)]
        service: String,
        #[arg(long)]
        summary: String,
        /// Repeats with the same key while the alert is open count on it (made up when absent).
        #[arg(long)]
        dedup_key: Option<String>,
        /// critical, error (default), warning or info.
        #[arg(long)]
        severity: Option<String>,
        /// What is affected, such as a host name (default: your name).
        #[arg(long)]
        source: Option<String>,
        /// Any JSON value kept with the alert.
        #[arg(long)]
        details: Option<String>,
    },
    /// List alerts, newest first.
    List {
        /// Only this service's alerts (its id).
        #[arg(long)]
        service: Option<String>,
        /// Comma-separated: triggered, acknowledged, resolved.
        #[arg(long)]
        status: Option<String>,
        /// First seen at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// First seen before this RFC 3339 time.
        #[arg(long)]
        until: Option<String>,
        /// Words in the summary, source or dedup key.
        #[arg(long = "query", short = 'q')]
        query: Option<String>,
        /// Continue after a previous page (printed at its end).
        #[arg(long)]
        cursor: Option<String>,
        /// How many to show (1 to 200).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show an alert and its log.
    Show { id: String },
    /// Acknowledge an alert: you are on it.
    Ack { id: String },
    /// Resolve an alert.
    Resolve { id: String },
}

#[derive(Debug, Subcommand)]
enum OncallCommand {
    /// Who is on call now (or at --at) on every schedule, or for one service's tiers.
    Now {
        /// A service id: show its primary, secondary and tickets tiers.
        #[arg(long)]
        service: Option<String>,
        /// An instant (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ScheduleCommand {
    List(ListArgs),
    /// A schedule's rotations, rules and overrides.
    Show {
        id: String,
    },
    /// The schedule's shifts over a window (default: the coming week).
    Shifts {
        id: String,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        until: Option<String>,
    },
    /// Add an override: `replace` (with --cover), `add` or `remove` a person for an interval.
    Override {
        id: String,
        #[arg(long, value_parser = ["replace", "add", "remove"])]
        kind: String,
        /// The user id of who is covered, added or taken off.
        #[arg(long)]
        person: String,
        /// The user id of who stands in (replace only).
        #[arg(long)]
        cover: Option<String>,
        /// RFC 3339, e.g. 2026-11-24T09:00:00Z.
        #[arg(long)]
        start: String,
        #[arg(long)]
        end: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the commented default configuration (a starting muster.toml).
    Example,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user directly on the configured database and print their password.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, responder or stakeholder.
        #[arg(long, default_value = "responder")]
        role: Role,
        /// IANA time zone such as Europe/London (default UTC).
        #[arg(long)]
        time_zone: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List people.
    List(ListArgs),
    /// Show one person by id (or `me`).
    Show { id: String },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a user directly on the configured database and print it.
    Create {
        /// The user's e-mail address.
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "laptop CLI".
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum TeamCommand {
    List(ListArgs),
    Show {
        id: String,
    },
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Add a person (by user id) to a team.
    AddMember {
        team: String,
        user: String,
    },
}

#[derive(Debug, Subcommand)]
enum ServiceCommand {
    List(ListArgs),
    /// Show a service and its integration keys.
    Show {
        id: String,
    },
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// The owning team's id.
        #[arg(long)]
        team: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// How many to show (1 to 200).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// How many to skip.
    #[arg(long, default_value_t = 0)]
    pub offset: u32,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = || ClientSettings::resolve(cli.server.clone(), cli.token.clone());
    let json = cli.json;
    match cli.command {
        Command::Alert(command) => alert_command(&settings()?, command, json).await,
        Command::Incident(command) => incident_command(&settings()?, command, json).await,
        Command::Postmortem(command) => {
            let settings = settings()?;
            match command {
                PostmortemCommand::Draft { incident } => postmortem::draft(&settings, &incident, json).await,
                PostmortemCommand::Show { postmortem: id } => postmortem::show(&settings, &id, json).await,
                PostmortemCommand::Export { postmortem: id, format } => {
                    postmortem::export(&settings, &id, &format).await
                }
                PostmortemCommand::Submit { postmortem: id } => {
                    postmortem::step(&settings, &id, "submit", json).await
                }
                PostmortemCommand::Approve { postmortem: id } => {
                    postmortem::step(&settings, &id, "approve", json).await
                }
                PostmortemCommand::Publish { postmortem: id } => {
                    postmortem::step(&settings, &id, "publish", json).await
                }
            }
        }
        Command::Report(ReportCommand::Load { schedule, window, csv, table }) => {
            let output = report::Output { csv, table: table.as_deref(), json };
            report::load(&settings()?, &schedule, window.pair(), output).await
        }
        Command::Report(ReportCommand::Slo { service }) => slo::list(&settings()?, &service, json).await,
        Command::Report(ReportCommand::Toil { window, csv, table }) => {
            let output = report::Output { csv, table: table.as_deref(), json };
            report::toil(&settings()?, window.pair(), output).await
        }
        Command::Report(ReportCommand::Handoff { team, from, until, csv, table }) => {
            let output = report::Output { csv, table: table.as_deref(), json };
            report::handoff(&settings()?, &team, (from.as_deref(), until.as_deref()), output).await
        }
        Command::Report(ReportCommand::Sizing { team, window, csv }) => {
            let output = report::Output { csv, table: None, json };
            report::sizing(&settings()?, &team, window.pair(), output).await
        }
        Command::Slo(command) => {
            let settings = settings()?;
            match command {
                SloCommand::List { service } => slo::list(&settings, &service, json).await,
                SloCommand::Rules { service } => slo::rules(&settings, &service).await,
                SloCommand::Burn { service, slo, csv } => {
                    slo::burn(&settings, &service, &slo, csv, json).await
                }
                SloCommand::Gate { service, deploy } => {
                    slo::gate(&settings, &service, deploy.as_deref(), json).await
                }
            }
        }
        Command::Page(command) => {
            let settings = settings()?;
            match command {
                PageCommand::Show { alert } => page::show(&settings, &alert, json).await,
                PageCommand::Undelivered => page::undelivered(&settings, json).await,
                PageCommand::Test { method } => page::test(&settings, &method, json).await,
            }
        }
        Command::Config(ConfigCommand::Example) => {
            print!("{}", config::EXAMPLE);
            Ok(())
        }
        Command::Serve { demo } => {
            let config = load_config(cli.config.as_deref())?;
            muster_server::telemetry::init(config.log_format);
            muster_server::serve(config, demo).await.map_err(|e| anyhow::anyhow!("{e}"))
        }
        Command::Migrate => console::migrate(&load_config(cli.config.as_deref())?).await,
        Command::User(UserCommand::Create { email, name, role, time_zone, password_stdin }) => {
            let config = load_config(cli.config.as_deref())?;
            console::create_user(&config, &email, &name, role, time_zone.as_deref(), password_stdin).await
        }
        Command::Token(TokenCommand::Create { user, name }) => {
            console::create_token(&load_config(cli.config.as_deref())?, &user, &name).await
        }
        Command::Login { server, token } => remote::login(&server, token).await,
        Command::User(UserCommand::List(args)) => remote::list_users(&settings()?, &args, json).await,
        Command::User(UserCommand::Show { id }) => remote::show_user(&settings()?, &id, json).await,
        Command::Team(TeamCommand::List(args)) => remote::list_teams(&settings()?, &args, json).await,
        Command::Team(TeamCommand::Show { id }) => remote::show_team(&settings()?, &id, json).await,
        Command::Team(TeamCommand::Create { name, description }) => {
            remote::create_team(&settings()?, &name, description, json).await
        }
        Command::Team(TeamCommand::AddMember { team, user }) => {
            remote::add_member(&settings()?, &team, &user, json).await
        }
        Command::Service(ServiceCommand::List(args)) => {
            remote::list_services(&settings()?, &args, json).await
        }
        Command::Service(ServiceCommand::Show { id }) => remote::show_service(&settings()?, &id, json).await,
        Command::Service(ServiceCommand::Create { name, description, team }) => {
            remote::create_service(&settings()?, &name, description, team, json).await
        }
        Command::Oncall(OncallCommand::Now { service, at }) => {
            oncall::now(&settings()?, service.as_deref(), at.as_deref(), json).await
        }
        Command::Schedule(ScheduleCommand::List(args)) => oncall::list(&settings()?, &args, json).await,
        Command::Schedule(ScheduleCommand::Show { id }) => oncall::show(&settings()?, &id, json).await,
        Command::Schedule(ScheduleCommand::Shifts { id, from, until }) => {
            oncall::shifts(&settings()?, &id, from.as_deref(), until.as_deref(), json).await
        }
        Command::Schedule(ScheduleCommand::Override { id, kind, person, cover, start, end }) => {
            let request = oncall::OverrideRequest { kind, person, cover, start, end };
            oncall::add_override(&settings()?, &id, request, json).await
        }
    }
}

async fn incident_command(
    settings: &ClientSettings,
    command: IncidentCommand,
    json: bool,
) -> anyhow::Result<()> {
    match command {
        IncidentCommand::Declare {
            title,
            severity,
            alerts,
            services,
            customer_facing,
            data_impact,
            expected,
            actual,
            reproduce,
        } => {
            let new = incident::NewIncident {
                title,
                severity,
                alerts,
                services,
                customer_facing,
                data_impact,
                expected,
                actual,
                reproduce,
            };
            incident::declare(settings, new, json).await
        }
        IncidentCommand::List { state, cursor, limit } => {
            incident::list(settings, &state, cursor.as_deref(), limit, json).await
        }
        IncidentCommand::Show { incident } => incident::show(settings, &incident, json).await,
        IncidentCommand::Role { incident, role, action, to } => {
            let step = match (action.as_str(), to) {
                ("offer", Some(user)) => incident::RoleStep::Offer { user },
                ("offer", None) => anyhow::bail!("offer needs --to <user id>"),
                ("accept", _) => incident::RoleStep::Accept,
                ("decline", _) => incident::RoleStep::Decline,
                ("withdraw", _) => incident::RoleStep::Withdraw,
                (other, _) => anyhow::bail!("{other:?} is not offer, accept, decline or withdraw"),
            };
            incident::role(settings, &incident, &role, step, json).await
        }
        IncidentCommand::Stage { incident, output, outcome, to } => {
            incident::stage(settings, &incident, output, outcome, to, json).await
        }
        IncidentCommand::Note { incident, text } => incident::note(settings, &incident, &text, json).await,
        IncidentCommand::Update { incident, text, audience } => {
            incident::update(settings, &incident, &audience, &text, json).await
        }
        IncidentCommand::Resolve { incident } => {
            incident::set_state(settings, &incident, "resolved", json).await
        }
    }
}

async fn alert_command(settings: &ClientSettings, command: AlertCommand, json: bool) -> anyhow::Result<()> {
    match command {
        AlertCommand::Send { service, summary, dedup_key, severity, source, details } => {
            let new = alert::NewAlert { service, summary, dedup_key, severity, source, details };
            alert::send(settings, new, json).await
        }
        AlertCommand::List { service, status, since, until, query, cursor, limit } => {
            let filters = alert::Filters { service, status, since, until, query, cursor, limit };
            alert::list(settings, &filters, json).await
        }
        AlertCommand::Show { id } => alert::show(settings, &id, json).await,
        AlertCommand::Ack { id } => alert::act(settings, &id, "acknowledge", json).await,
        AlertCommand::Resolve { id } => alert::act(settings, &id, "resolve", json).await,
    }
}

fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    Config::load(path).context("reading the configuration")
}
