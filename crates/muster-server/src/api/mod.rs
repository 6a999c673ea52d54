//! The REST API under `/api/v1`, and its OpenAPI document.
//!
//! Handlers parse input at the edge into core types, check the caller's permission, call the store,
//! publish a change event, and answer JSON. Errors are always [`ApiError`](crate::error::ApiError).

mod alerts;
mod audit;
mod escalation;
mod incidents;
mod paging;
mod postmortems;
mod reading_club;
mod reports;
mod schedules;
mod services;
mod slos;
mod teams;
mod tokens;
mod users;

pub use services::IntegrationKeyView;

use axum::{Json, Router, routing::get};
use muster_core::{authz::Permission, page::Page};
use serde::{Deserialize, Serialize};
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::{auth::Caller, error::ApiResult, events, state::AppState};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(OPENAPI_PATH, get(openapi))
        .route("/api/v1/events", get(events::stream))
        .merge(users::router())
        .merge(teams::router())
        .merge(services::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(schedules::router())
        .merge(alerts::router())
        .merge(escalation::router())
        .merge(paging::router())
        .merge(incidents::router())
        .merge(postmortems::router())
        .merge(reading_club::router())
        .merge(slos::router())
        .merge(reports::router())
}

/// The OpenAPI document, for signed-in callers (the docs page sends the session cookie).
async fn openapi(caller: Caller) -> ApiResult<Json<utoipa::openapi::OpenApi>> {
    caller.require(Permission::ReadDirectory, "read the API documentation")?;
    Ok(Json(ApiDoc::openapi()))
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Muster API", description = "Incident management: users, teams, services, on-call schedules, alerts, escalation policies and incidents. \
        Authenticate with an API token as `Authorization: Bearer <token>` (create one with \
        `muster token create` or on the Settings page)."),
    paths(
        users::list, users::create, users::me, users::get_one, users::update, users::deactivate,
        teams::list, teams::create, teams::get_one, teams::update, teams::delete, teams::add_member, teams::remove_member,
        services::list, services::create, services::get_one, services::update, services::delete,
        services::list_keys, services::create_key, services::revoke_key,
        tokens::list, tokens::create, tokens::revoke,
        audit::list,
        schedules::list, schedules::create, schedules::from_template, schedules::get_one, schedules::delete,
        schedules::schedule_on_call, schedules::everyone_on_call, schedules::service_on_call,
        schedules::set_service_schedule, schedules::set_team, schedules::schedule_shifts, schedules::schedule_handoffs, schedules::person_shifts,
        schedules::add_override, schedules::take_pager, schedules::remove_override,
        schedules::list_cover, schedules::ask_for_cover, schedules::accept_cover, schedules::withdraw_cover, schedules::set_participants,
        crate::calendar::create_feed, crate::calendar::revoke_feed,
        alerts::list, alerts::raise, alerts::get_one, alerts::acknowledge, alerts::resolve, alerts::add_note,
        alerts::settings, alerts::change_settings, alerts::maintenance, alerts::start_maintenance, alerts::end_maintenance,
        alerts::heartbeats, alerts::create_heartbeat, alerts::delete_heartbeat, alerts::set_signing,
        escalation::list, escalation::create, escalation::get_one, escalation::replace, escalation::delete,
        escalation::service_escalation, escalation::set_service_escalation,
        paging::contact_methods, paging::add_contact_method, paging::remove_contact_method, paging::verify, paging::resend,
        paging::send_test, paging::rules, paging::add_rule, paging::remove_rule, paging::my_notifications,
        paging::alert_page, paging::dead_letters,
        incidents::list, incidents::declare, incidents::severities, incidents::get_one, incidents::set_state,
        incidents::set_severity, incidents::set_impact, incidents::offer_role, incidents::accept_role,
        incidents::decline_role, incidents::withdraw_offer, incidents::add_investigator, incidents::remove_investigator,
        incidents::move_stage, incidents::write_output, incidents::check_tactic, incidents::propose_hypothesis,
        incidents::judge_hypothesis, incidents::document, incidents::edit_document, incidents::revisions, incidents::diff,
        incidents::timeline, incidents::pin, incidents::add_note, incidents::link_alert, incidents::updates,
        incidents::post_update, incidents::status, incidents::assessment, incidents::playbooks,
        incidents::create_playbook, incidents::delete_playbook, incidents::criteria, incidents::set_criteria,
        incidents::subscriptions, incidents::subscribe, incidents::unsubscribe,
        postmortems::list, postmortems::search, postmortems::get_one, postmortems::start, postmortems::edit,
        postmortems::set_reviewers, postmortems::dismiss, postmortems::submit, postmortems::approve,
        postmortems::request_changes, postmortems::publish, postmortems::correct, postmortems::comment,
        postmortems::add_action_item, postmortems::action_items, postmortems::set_action_status, postmortems::export,
        postmortems::diff, reading_club::of_the_month, reading_club::vote, reading_club::choose,
        reading_club::reading_list, reading_club::add_to_reading_list, reading_club::remove_from_reading_list,
        reading_club::sessions, reading_club::record_session, slos::list, slos::create, slos::remove,
        slos::post_counts, slos::burn, slos::rules, slos::ops_mode, slos::enter, slos::leave, slos::grant_exception, slos::gate,
        reports::load, reports::toil, reports::sizing, reports::handoff, reports::mark_ticket_work, reports::vote_on_page,
        events::stream,
    ),
    components(schemas(crate::error::ErrorBody, events::ChangeEvent)),
    modifiers(&BearerAuth),
    tags(
        (name = "users", description = "People, their roles and time zones"),
        (name = "teams", description = "Teams and their members"),
        (name = "services", description = "Monitored services and their integration keys"),
        (name = "tokens", description = "Your API tokens"),
        (name = "audit", description = "Who changed what, when"),
        (name = "schedules", description = "On-call schedules: rotations, rules and overrides"),
        (name = "on call", description = "Who is on call, and their shifts"),
        (name = "alerts", description = "Alerts from monitoring, and each service's alert settings, maintenance windows and heartbeats. Monitors send alerts to the ingestion routes (see the README), not here"),
        (name = "escalation", description = "Escalation policies, and the policy and response targets each service pages with"),
        (name = "notifications", description = "Your contact methods and notification rules, and notifications on their way"),
        (name = "incidents", description = "Incidents: declaration, command roles with accepted hand-offs, the investigation, the document, the timeline and stakeholder updates"),
        (name = "postmortems", description = "Postmortems: drafts from incidents, the blameless check, review and publish, action items, export and search"),
        (name = "slos", description = "SLOs, their Prometheus rules and error budgets, ops mode and the deploy gate"),
        (name = "reports", description = "Operational load per shift and per person, toil, rotation sizing, weekly hand-offs, and ticket work"),
        (name = "reading club", description = "Promotion of published postmortems: the postmortem of the month, the reading list and review sessions"),
        (name = "events", description = "Live change events over server-sent events"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `?limit=&offset=` on every list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// How many items to return, 1 to 200 (default 50).
    limit: Option<u32>,
    /// How many items to skip (default 0).
    offset: Option<u32>,
}

impl ListQuery {
    fn page(&self) -> ApiResult<Page> {
        Ok(Page::parse(self.limit, self.offset)?)
    }
}

/// One page of a list; `next_offset` is set when there may be more.
#[derive(Debug, Serialize, ToSchema)]
pub struct Listing<T> {
    items: Vec<T>,
    next_offset: Option<u32>,
}

impl<T> Listing<T> {
    fn new(items: Vec<T>, page: Page) -> Self {
        let next_offset = page.next_offset(items.len());
        Listing { items, next_offset }
    }
}
