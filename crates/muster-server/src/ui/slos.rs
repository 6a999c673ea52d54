//! A service's reliability page: its SLOs with the error budget left, the Prometheus rules, ops
//! mode (entered by hand or on Muster's proposal, with reduced objectives), the deploy gate's
//! answer right now, and the exceptions granted during the freeze.

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use muster_core::{
    FieldError,
    authz::Permission,
    service::Service,
    slo::{GateDecision, NewSlo, Sli},
};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, SignedIn, UiResult, form_errors, form_status, non_empty, render, see_other,
};
use crate::{
    auth::Caller,
    error::ApiError,
    slos::{self, EnterOps, GrantException, OpsModeView, ReducedTo, SloView},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/{id}/reliability", get(page))
        .route("/services/{id}/slos", post(create))
        .route("/services/{id}/slos/{slo_id}/delete", post(delete))
        .route("/services/{id}/ops-mode", post(enter))
        .route("/services/{id}/ops-mode/leave", post(leave))
        .route("/services/{id}/deploy-exceptions", post(grant))
}

#[derive(askama::Template)]
#[template(path = "service_slos.html")]
struct ReliabilityPage {
    layout: Layout,
    service: Service,
    slos: Vec<SloView>,
    ops: OpsModeView,
    /// Each SLO's burn and its chart.
    burns: Vec<(slos::Burn, String)>,
    gate: GateDecision,
    can_manage: bool,
    errors: Vec<FieldError>,
}

impl ReliabilityPage {
    fn is_exhausted(&self, view: &SloView) -> bool {
        view.budget.is_some_and(|b| b.is_exhausted())
    }
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    done: Option<String>,
}

async fn reliability_page(
    state: &AppState,
    caller: &Caller,
    id: &str,
    done: Option<&str>,
    errors: Vec<FieldError>,
) -> UiResult {
    let views = slos::list(state, caller, id).await?;
    let mut burns = Vec::with_capacity(views.len());
    for view in &views {
        let burn = slos::burn_of(state, view.slo.clone()).await?;
        let chart = burn_chart(&burn);
        burns.push((burn, chart));
    }
    let view = ReliabilityPage {
        burns,
        layout: Layout::new(caller, "services", done, state.now()),
        service: state
            .store
            .get_service(&muster_core::ids::ServiceId(id.to_owned()))
            .await
            .map_err(ApiError::from)?,
        ops: slos::ops_mode_given(state, caller, id, &views).await?,
        slos: views,
        gate: slos::gate(state, caller, id, None).await?,
        can_manage: caller.user.role.allows(Permission::ManageServices),
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

/// The budget left day by day as a line, with the zero line where it is spent.
fn burn_chart(burn: &slos::Burn) -> String {
    if burn.points.len() < 2 {
        return String::new();
    }
    // The scale goes down to the lowest point, in quarters of the budget, and at least to 0.
    let lowest = (burn.points.iter().map(|p| p.remaining).fold(0.0_f64, f64::min) * 4.0).floor() / 4.0;
    let (width, height, pad, left) = (720.0, 160.0, 16.0, 44.0);
    let step = (width - left - pad) / (burn.points.len() - 1) as f64;
    let x = |index: usize| left + index as f64 * step;
    let y = |value: f64| pad + (1.0 - value) / (1.0 - lowest) * (height - 2.0 * pad);
    let line: Vec<String> =
        burn.points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.remaining))).collect();
    let name = burn.name.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Error budget left of {name}, day by day\" viewBox=\"0 0 {width} {height}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\">\
         <line x1=\"{left}\" x2=\"{right}\" y1=\"{zero:.1}\" y2=\"{zero:.1}\" stroke=\"#c0392b\" stroke-dasharray=\"4 3\"/>\
         <text x=\"0\" y=\"{top:.1}\" font-size=\"11\">100%</text><text x=\"0\" y=\"{zero_label:.1}\" font-size=\"11\">0%</text>\
         <polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"{points}\"/>",
        right = width - pad,
        zero = y(0.0),
        zero_label = y(0.0) + 4.0,
        top = y(1.0) + 4.0,
        points = line.join(" "),
    );
    for (i, point) in burn.points.iter().enumerate() {
        svg.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"><title>{}: {:.1}% left</title></circle>",
            x(i),
            y(point.remaining),
            if point.remaining <= 0.0 { "#c0392b" } else { "#1565c0" },
            point.at,
            point.remaining * 100.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

async fn page(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> UiResult {
    reliability_page(&state, &caller, &id, q.done.as_deref(), vec![]).await
}

async fn act(
    state: &AppState,
    caller: &Caller,
    id: &str,
    done: &str,
    result: Result<impl Sized, ApiError>,
) -> UiResult {
    match result {
        Ok(_) => Ok(see_other(&format!("/services/{id}/reliability"), done)),
        Err(error) => reliability_page(state, caller, id, None, form_errors(error)?).await,
    }
}

#[derive(Debug, Deserialize)]
struct SloForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    good: String,
    #[serde(default)]
    total: String,
    #[serde(default)]
    histogram: String,
    #[serde(default)]
    selector: String,
    #[serde(default)]
    threshold_seconds: String,
    #[serde(default)]
    objective: String,
    #[serde(default)]
    window_days: String,
}

fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ApiError> {
    text.trim().parse().map_err(|_| ApiError::field(field, "must be a number"))
}

fn new_slo(form: SloForm) -> Result<NewSlo, ApiError> {
    let sli = match form.kind.as_str() {
        "latency" => Sli::Latency {
            histogram: form.histogram,
            selector: form.selector,
            threshold_seconds: number("sli.threshold_seconds", &form.threshold_seconds)?,
        },
        _ => Sli::Ratio { good: form.good, total: form.total },
    };
    let window_days = non_empty(&form.window_days).map(|w| number("window_days", &w)).transpose()?;
    Ok(NewSlo { name: form.name, sli, objective: number("objective", &form.objective)?, window_days })
}

async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<SloForm>,
) -> UiResult {
    let result = match new_slo(form) {
        Ok(new) => slos::create(&state, &caller, &id, new).await,
        Err(error) => Err(error),
    };
    act(&state, &caller, &id, "slo-created", result).await
}

async fn delete(
    State(state): State<AppState>,
    Path((id, slo)): Path<(String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let result = slos::delete(&state, &caller, &id, &slo).await;
    act(&state, &caller, &id, "slo-deleted", result).await
}

/// Ops mode's form: a reason, an expected end in the reader's zone, and `reduced_<slo id>` for
/// each SLO whose objective is lowered meanwhile (empty keeps it).
async fn enter(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<Vec<(String, String)>>,
) -> UiResult {
    let one = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let mut reduced = Vec::new();
    let mut problem = None;
    for (key, value) in &form {
        if let (Some(slo_id), Some(value)) = (key.strip_prefix("reduced_"), non_empty(value)) {
            match number::<f64>("reduced_objectives", &value) {
                Ok(objective) => reduced.push(ReducedTo { slo_id: slo_id.to_owned(), objective }),
                Err(error) => problem = Some(error),
            }
        }
    }
    let expected_end = match non_empty(&one("expected_end")) {
        Some(text) => match super::schedules::local_instant("expected_end", &text, &caller.time_zone()) {
            Ok(at) => Some(at.to_string()),
            Err(invalid) => {
                problem = Some(ApiError::InvalidInput(invalid));
                None
            }
        },
        None => None,
    };
    let result = match problem {
        Some(error) => Err(error),
        None => {
            slos::enter(
                &state,
                &caller,
                &id,
                EnterOps { reason: one("reason"), expected_end, reduced_objectives: reduced },
            )
            .await
        }
    };
    act(&state, &caller, &id, "ops-mode-entered", result).await
}

async fn leave(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let result = slos::leave(&state, &caller, &id).await;
    act(&state, &caller, &id, "ops-mode-left", result).await
}

#[derive(Debug, Deserialize)]
struct ExceptionForm {
    #[serde(default)]
    deploy: String,
    #[serde(default)]
    reason: String,
}

async fn grant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<ExceptionForm>,
) -> UiResult {
    let result = slos::grant_exception(
        &state,
        &caller,
        &id,
        GrantException { deploy: form.deploy, reason: form.reason },
    )
    .await;
    act(&state, &caller, &id, "exception-granted", result).await
}
