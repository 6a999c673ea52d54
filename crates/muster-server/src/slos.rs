//! SLOs and ops mode, shared by the API, the web UI and the command line: a service's SLOs with
//! their error budget left (read from Prometheus when `prometheus_url` is set, otherwise from the
//! SLI counts posted to Muster) and how it burned day by day, the Prometheus rules, ops mode with
//! its proposal, and the deploy gate CI/CD asks before every deploy.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use muster_core::{
    authz::Permission,
    ids::{ServiceId, SloId},
    slo::{
        BudgetPoint, DeployException, ErrorBudget, GateDecision, NewSlo, OpsMode, ReducedObjective, Slo,
        budget_history, daily_points, deploy_gate, objective, prometheus_rules, slos_in_force,
    },
    user::Role,
};
use muster_store::EnterOpsMode;
use serde::{Deserialize, Serialize};

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    incidents::participant,
    state::AppState,
};

/// How long a budget query waits for Prometheus before the budget shows as unavailable.
const PROMETHEUS_TIMEOUT: Duration = Duration::from_secs(5);

/// Where an SLO's budget figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetSource {
    Prometheus,
    PostedCounts,
    /// Prometheus is configured but did not answer, or has no series for the SLO yet.
    Unavailable,
}

impl BudgetSource {
    pub fn label(self) -> &'static str {
        match self {
            BudgetSource::Prometheus => "from Prometheus",
            BudgetSource::PostedCounts => "from posted counts",
            BudgetSource::Unavailable => "Prometheus did not answer",
        }
    }
}

/// An SLO as its service shows it: the objective in force (reduced during ops mode) and the
/// normal one, and the budget left over its window.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SloView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub slo: Slo,
    pub normal_objective: f64,
    pub budget: Option<ErrorBudget>,
    pub budget_source: BudgetSource,
}

impl SloView {
    pub fn is_reduced(&self) -> bool {
        (self.slo.objective - self.normal_objective).abs() > f64::EPSILON
    }

    /// The budget left in percent, for pages.
    pub fn remaining_percent(&self) -> Option<String> {
        self.budget.map(|b| format!("{:.1}", b.remaining * 100.0))
    }
}

async fn service_id(state: &AppState, id: &str) -> ApiResult<ServiceId> {
    Ok(state.store.get_service(&ServiceId(id.to_owned())).await?.id)
}

pub async fn list(state: &AppState, caller: &Caller, service: &str) -> ApiResult<Vec<SloView>> {
    caller.require(Permission::ReadDirectory, "read SLOs")?;
    let service = service_id(state, service).await?;
    let stored = state.store.slos_of(&service).await?;
    let ops = state.store.ops_mode_of(&service).await?;
    let mut views = Vec::with_capacity(stored.len());
    for (slo, normal) in slos_in_force(&stored, ops.as_ref()).into_iter().zip(&stored) {
        let (budget, budget_source) = budget_of(state, &slo).await?;
        views.push(SloView { normal_objective: normal.objective, slo, budget, budget_source });
    }
    Ok(views)
}

async fn budget_of(state: &AppState, slo: &Slo) -> ApiResult<(Option<ErrorBudget>, BudgetSource)> {
    if let Some(url) = &state.config.prometheus_url {
        return Ok(match error_ratio_from_prometheus(state, url, slo).await {
            Some(ratio) => {
                (Some(ErrorBudget::from_error_ratio(slo.objective, ratio)), BudgetSource::Prometheus)
            }
            None => (None, BudgetSource::Unavailable),
        });
    }
    let since = state.now() - SignedDuration::from_hours(24 * i64::from(slo.window_days));
    let (good, total) = state.store.slo_counts_since(&slo.id, since).await?;
    Ok((Some(ErrorBudget::of(slo.objective, good as f64, total as f64)), BudgetSource::PostedCounts))
}

/// A time as Prometheus takes it: Unix seconds, to the millisecond (so that the range ends at now,
/// not up to a second before it).
fn prometheus_time(at: Timestamp) -> String {
    format!("{:.3}", at.as_millisecond() as f64 / 1000.0)
}

/// The recording rule of the error ratio over the SLO's own window, for this SLO.
fn window_ratio_query(slo: &Slo) -> String {
    format!(
        "slo:sli_error:ratio_rate{}d{{slo=\"{}\",muster_service_id=\"{}\"}}",
        slo.window_days, slo.name, slo.service_id
    )
}

/// The error ratio over the SLO's window that the generated rules record, from Prometheus'
/// instant-query API; `None` when it cannot be had (logged once here).
async fn error_ratio_from_prometheus(state: &AppState, url: &str, slo: &Slo) -> Option<f64> {
    let body = ask_prometheus(state, url, "query", &[("query", window_ratio_query(slo))], slo).await?;
    body["data"]["result"][0]["value"][1].as_str()?.parse::<f64>().ok().filter(|r| r.is_finite())
}

/// A Prometheus HTTP API answer (`/api/v1/{endpoint}`); `None`, logged, when it cannot be had.
async fn ask_prometheus(
    state: &AppState,
    url: &str,
    endpoint: &str,
    query: &[(&str, String)],
    slo: &Slo,
) -> Option<serde_json::Value> {
    let form = serde_urlencoded::to_string(query).ok()?;
    let address = format!("{}/api/v1/{endpoint}?{form}", url.trim_end_matches('/'));
    let answer = state.notifiers.http().get(address).timeout(PROMETHEUS_TIMEOUT).send().await;
    match answer {
        Ok(response) if response.status().is_success() => response.json().await.ok(),
        Ok(response) => {
            tracing::warn!(prometheus.status = response.status().as_u16(), prometheus.endpoint = endpoint, slo.name = %slo.name, "Prometheus refused the budget query");
            None
        }
        Err(error) => {
            tracing::warn!(error = %error, prometheus.endpoint = endpoint, slo.name = %slo.name, "Prometheus did not answer the budget query");
            None
        }
    }
}

/// How an SLO's error budget burned: the budget left each day over its window, each point over
/// the window that ends then.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Burn {
    pub slo_id: SloId,
    pub name: String,
    pub budget_source: BudgetSource,
    #[schema(value_type = Vec<Object>)]
    pub points: Vec<BudgetPoint>,
}

pub async fn burn(state: &AppState, caller: &Caller, service: &str, slo: &str) -> ApiResult<Burn> {
    caller.require(Permission::ReadDirectory, "read SLOs")?;
    let service = service_id(state, service).await?;
    let stored = state.store.slos_of(&service).await?;
    let ops = state.store.ops_mode_of(&service).await?;
    let slo = slos_in_force(&stored, ops.as_ref())
        .into_iter()
        .find(|s| s.id.as_str() == slo)
        .ok_or(ApiError::NotFound("SLO"))?;
    burn_of(state, slo).await
}

/// The burn of one SLO as it is in force.
pub async fn burn_of(state: &AppState, slo: Slo) -> ApiResult<Burn> {
    let now = state.now();
    let window = SignedDuration::from_hours(24 * i64::from(slo.window_days));
    let (points, budget_source) = match &state.config.prometheus_url {
        Some(url) => match error_ratios_from_prometheus(state, url, &slo, now).await {
            Some(ratios) => (
                ratios
                    .into_iter()
                    .map(|(at, ratio)| BudgetPoint {
                        at,
                        remaining: ErrorBudget::from_error_ratio(slo.objective, ratio).remaining,
                    })
                    .collect(),
                BudgetSource::Prometheus,
            ),
            None => (vec![], BudgetSource::Unavailable),
        },
        None => {
            let counts = state.store.slo_counts_after(&slo.id, now - window - window).await?;
            let points = budget_history(slo.objective, window, &counts, &daily_points(now, slo.window_days));
            (points, BudgetSource::PostedCounts)
        }
    };
    Ok(Burn { slo_id: slo.id, name: slo.name, budget_source, points })
}

/// The recorded error ratio over the SLO's window, a day apart over the window until `now`, from
/// Prometheus' range-query API; `None` when it cannot be had (logged once here).
async fn error_ratios_from_prometheus(
    state: &AppState,
    url: &str,
    slo: &Slo,
    now: Timestamp,
) -> Option<Vec<(Timestamp, f64)>> {
    let start = now - SignedDuration::from_hours(24 * i64::from(slo.window_days));
    let query = [
        ("query", window_ratio_query(slo)),
        ("start", prometheus_time(start)),
        ("end", prometheus_time(now)),
        ("step", "86400".to_owned()),
    ];
    let body = ask_prometheus(state, url, "query_range", &query, slo).await?;
    let values = body["data"]["result"][0]["values"].as_array()?;
    Some(
        values
            .iter()
            .filter_map(|pair| {
                let at = Timestamp::from_millisecond((pair[0].as_f64()? * 1000.0).round() as i64).ok()?;
                let ratio = pair[1].as_str()?.parse::<f64>().ok().filter(|r| r.is_finite())?;
                Some((at, ratio))
            })
            .collect(),
    )
}

pub async fn create(state: &AppState, caller: &Caller, service: &str, new: NewSlo) -> ApiResult<Slo> {
    caller.require(Permission::ManageServices, "define SLOs")?;
    let service = service_id(state, service).await?;
    let slo = new.parse(SloId(muster_store::new_id()), service)?;
    state.store.create_slo(&slo, &caller.actor(), state.now()).await?;
    Ok(slo)
}

pub async fn delete(state: &AppState, caller: &Caller, service: &str, slo: &str) -> ApiResult<()> {
    caller.require(Permission::ManageServices, "delete SLOs")?;
    let service = service_id(state, service).await?;
    Ok(state.store.delete_slo(&service, &SloId(slo.to_owned()), &caller.actor(), state.now()).await?)
}

/// The Prometheus rule file of a service's SLOs, with the objectives in force.
pub async fn rules(state: &AppState, caller: &Caller, service: &str) -> ApiResult<String> {
    caller.require(Permission::ReadDirectory, "read SLOs")?;
    let found = state.store.get_service(&ServiceId(service.to_owned())).await?;
    let stored = state.store.slos_of(&found.id).await?;
    let ops = state.store.ops_mode_of(&found.id).await?;
    Ok(prometheus_rules(found.id.as_str(), &found.name, &slos_in_force(&stored, ops.as_ref())))
}

/// SLI counts of one period, posted by whatever measures the service.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostedCounts {
    pub good: u64,
    pub total: u64,
}

pub async fn post_counts(
    state: &AppState,
    caller: &Caller,
    service: &str,
    slo: &str,
    counts: PostedCounts,
) -> ApiResult<()> {
    caller.require(Permission::ManageServices, "post SLI counts")?;
    if counts.good > counts.total {
        return Err(ApiError::field("good", "must not be more than total"));
    }
    let service = service_id(state, service).await?;
    let slo = SloId(slo.to_owned());
    if !state.store.slos_of(&service).await?.iter().any(|s| s.id == slo) {
        return Err(ApiError::NotFound("slo"));
    }
    Ok(state.store.record_slo_counts(&slo, counts.good, counts.total, state.now()).await?)
}

/// A service's ops mode: the one in force with its exceptions, why Muster proposes one when none
/// is, and the earlier ones.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpsModeView {
    pub current: Option<OpsMode>,
    pub exceptions: Vec<DeployException>,
    /// Why the service should enter ops mode, when it is not in it and should be.
    pub proposal: Option<String>,
    pub history: Vec<OpsMode>,
}

pub async fn ops_mode(state: &AppState, caller: &Caller, service: &str) -> ApiResult<OpsModeView> {
    let slos = list(state, caller, service).await?;
    ops_mode_given(state, caller, service, &slos).await
}

/// The ops-mode view from the service's SLOs as [`list`] gave them, so that a page showing both
/// reads the budgets (possibly from Prometheus) once.
pub async fn ops_mode_given(
    state: &AppState,
    caller: &Caller,
    service: &str,
    slos: &[SloView],
) -> ApiResult<OpsModeView> {
    let service = service_id(state, service).await?;
    let current = state.store.ops_mode_of(&service).await?;
    let exceptions = match &current {
        Some(ops) => state.store.deploy_exceptions(&ops.id).await?,
        None => vec![],
    };
    let spent: Vec<String> = slos
        .iter()
        .filter(|v| v.budget.is_some_and(|b| b.is_exhausted()))
        .map(|v| {
            format!("{} ({}% of its budget left)", v.slo.name, v.remaining_percent().unwrap_or_default())
        })
        .collect();
    let mut reasons = Vec::new();
    if !spent.is_empty() {
        reasons.push(format!("the error budget is exhausted: {}", spent.join(", ")));
    }
    if current.is_none() {
        reasons.extend(load_over_budget(state, caller, &service).await?);
    }
    let proposal = (current.is_none() && !reasons.is_empty()).then(|| reasons.join("; "));
    Ok(OpsModeView {
        current,
        exceptions,
        proposal,
        history: state.store.ops_mode_history(&service, 20).await?,
    })
}

/// Why the load of the rotations on call for `service` calls for ops mode, over the last 28
/// days: the seed's advice of a rotation consistently over its budget.
async fn load_over_budget(state: &AppState, caller: &Caller, service: &ServiceId) -> ApiResult<Vec<String>> {
    let mut reasons = Vec::new();
    for (_, schedule) in state.store.service_schedules(service).await? {
        let window = crate::reports::window(state, None, None)?;
        let report = crate::reports::load(state, caller, schedule.as_str(), window).await?;
        if let Some(advice) = report.advice.iter().find(|a| a.kind == "ops_mode") {
            let because = advice.because.trim_end_matches('.');
            reasons.push(format!("the load budget of {} is exhausted: {because}", report.schedule_name));
        }
    }
    Ok(reasons)
}

/// Ops mode as asked for. Reduced objectives name the SLO by id.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterOps {
    pub reason: String,
    /// When the freeze is expected to end (RFC 3339).
    pub expected_end: Option<String>,
    #[serde(default)]
    pub reduced_objectives: Vec<ReducedTo>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReducedTo {
    pub slo_id: String,
    pub objective: f64,
}

pub async fn enter(state: &AppState, caller: &Caller, service: &str, body: EnterOps) -> ApiResult<OpsMode> {
    caller.require(Permission::ManageServices, "put services into ops mode")?;
    let service = service_id(state, service).await?;
    let expected_end = body
        .expected_end
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            e.parse::<Timestamp>()
                .map_err(|_| ApiError::field("expected_end", "must be a time such as 2026-12-08T09:00:00Z"))
        })
        .transpose()?;
    if expected_end.is_some_and(|end| end <= state.now()) {
        return Err(ApiError::field("expected_end", "must be in the future"));
    }
    let slos = state.store.slos_of(&service).await?;
    let mut reduced_objectives = Vec::new();
    for reduced in body.reduced_objectives {
        let slo = slos.iter().find(|s| s.id.as_str() == reduced.slo_id).ok_or_else(|| {
            ApiError::field("reduced_objectives", format!("the service has no SLO {}", reduced.slo_id))
        })?;
        let value = objective("reduced_objectives", reduced.objective)?;
        if value > slo.objective {
            return Err(ApiError::field(
                "reduced_objectives",
                format!("{}: ops mode lowers an objective, it does not raise it", slo.name),
            ));
        }
        reduced_objectives.push(ReducedObjective {
            slo_id: slo.id.clone(),
            normal: slo.objective,
            reduced: value,
        });
    }
    let enter = EnterOpsMode { reason: body.reason, expected_end, reduced_objectives };
    Ok(state.store.enter_ops_mode(&service, enter, &participant(caller).person, state.now()).await?)
}

pub async fn leave(state: &AppState, caller: &Caller, service: &str) -> ApiResult<OpsMode> {
    caller.require(Permission::ManageServices, "take services out of ops mode")?;
    let service = service_id(state, service).await?;
    Ok(state.store.leave_ops_mode(&service, &participant(caller).person, state.now()).await?)
}

/// Who may let a deploy through the freeze: admins, and the members of the team that owns the
/// service (responders), by name.
async fn who_can_grant(
    state: &AppState,
    service: &ServiceId,
) -> ApiResult<Vec<(muster_core::ids::UserId, String)>> {
    let found = state.store.get_service(service).await?;
    let mut people: Vec<(muster_core::ids::UserId, String)> = Vec::new();
    if let Some(team) = &found.team_id {
        let members: Vec<_> =
            state.store.get_team(team).await?.members.into_iter().map(|m| m.user_id).collect();
        for user in state.store.users_by_ids(&members).await? {
            if user.is_active() && user.role != Role::Stakeholder {
                people.push((user.id, user.name));
            }
        }
        people.sort_by_key(|(_, name)| name.to_lowercase());
    }
    for admin in state.store.active_admins().await? {
        if !people.iter().any(|(id, _)| *id == admin.id) {
            people.push((admin.id, admin.name));
        }
    }
    Ok(people)
}

/// A deploy let through the freeze.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantException {
    /// The deploy's name as CI/CD will ask with it (a version, a change number).
    pub deploy: String,
    pub reason: String,
}

pub async fn grant_exception(
    state: &AppState,
    caller: &Caller,
    service: &str,
    body: GrantException,
) -> ApiResult<DeployException> {
    let service = service_id(state, service).await?;
    if !who_can_grant(state, &service).await?.iter().any(|(id, _)| *id == caller.user.id) {
        return Err(ApiError::Forbidden("grant deploy exceptions: admins and the owning team's members do"));
    }
    let person = participant(caller).person;
    Ok(state.store.grant_deploy_exception(&service, &body.deploy, &body.reason, &person, state.now()).await?)
}

/// Whether `deploy` may proceed now.
pub async fn gate(
    state: &AppState,
    caller: &Caller,
    service: &str,
    deploy: Option<&str>,
) -> ApiResult<GateDecision> {
    caller.require(Permission::ReadDirectory, "ask the deploy gate")?;
    let service = service_id(state, service).await?;
    let current = state.store.ops_mode_of(&service).await?;
    let exceptions = match &current {
        Some(ops) => state.store.deploy_exceptions(&ops.id).await?,
        None => vec![],
    };
    let names = who_can_grant(state, &service).await?.into_iter().map(|(_, name)| name).collect();
    Ok(deploy_gate(current.as_ref(), &exceptions, deploy, names))
}
