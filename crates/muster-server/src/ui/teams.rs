//! Team pages: the list with a create form, and a team with its members.

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use muster_core::{
    FieldError,
    authz::Permission,
    ids::{TeamId, UserId},
    page::Page,
    team::Team,
    user::User,
};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, PageQuery, Pager, SignedIn, UiResult, form_errors, form_status, render,
    see_other,
};
use crate::{
    auth::Caller,
    directory::{self, CreateTeam, UpdateTeam},
    error::ApiError,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list).post(create))
        .route("/teams/{id}", get(show).post(update))
        .route("/teams/{id}/delete", post(delete))
        .route("/teams/{id}/members", post(add_member))
        .route("/teams/{id}/members/{user}/remove", post(remove_member))
}

#[derive(Debug, Default, Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(askama::Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    layout: Layout,
    teams: Vec<Team>,
    can_manage: bool,
    draft: TeamForm,
    errors: Vec<FieldError>,
    pager: Pager,
    self_url: String,
}

#[derive(askama::Template)]
#[template(path = "team.html")]
struct TeamPage {
    layout: Layout,
    team: Team,
    candidates: Vec<User>,
    can_manage: bool,
    draft: TeamForm,
    /// Follow-ups of postmortems that the team's members let slip past their due day.
    overdue_items: Vec<muster_core::postmortem::ActionItem>,
    errors: Vec<FieldError>,
}

async fn list_page(
    state: &AppState,
    caller: &Caller,
    query: PageQuery,
    draft: TeamForm,
    errors: Vec<FieldError>,
) -> UiResult {
    let page = Page::parse(None, query.offset).map_err(ApiError::from)?;
    let teams = state.store.list_teams(page).await.map_err(ApiError::from)?;
    let status = form_status(&errors);
    let view = TeamsPage {
        layout: Layout::new(caller, "teams", query.done.as_deref(), state.now()),
        pager: Pager::new(page, teams.len()),
        self_url: format!("/teams?offset={}", page.offset),
        teams,
        can_manage: caller.user.role.allows(Permission::ManageTeams),
        draft,
        errors,
    };
    render(status, &view)
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(query): Query<PageQuery>,
) -> UiResult {
    list_page(&state, &caller, query, TeamForm::default(), vec![]).await
}

async fn create(State(state): State<AppState>, CsrfForm { caller, form }: CsrfForm<TeamForm>) -> UiResult {
    let input = CreateTeam { name: form.name.clone(), description: Some(form.description.clone()) };
    match directory::create_team(&state, &caller, input).await {
        Ok(team) => Ok(see_other(&format!("/teams/{}", team.id), "team-created")),
        Err(error) => list_page(&state, &caller, PageQuery::default(), form, form_errors(error)?).await,
    }
}

async fn team_page(
    state: &AppState,
    caller: &Caller,
    id: &TeamId,
    done: Option<&str>,
    draft: Option<TeamForm>,
    errors: Vec<FieldError>,
) -> UiResult {
    let team = state.store.get_team(id).await.map_err(ApiError::from)?;
    let everyone =
        state.store.list_users(Page { limit: Page::MAX_LIMIT, offset: 0 }).await.map_err(ApiError::from)?;
    let candidates = everyone
        .into_iter()
        .filter(|u| u.is_active() && !team.members.iter().any(|m| m.user_id == u.id))
        .collect();
    let members: Vec<_> = team.members.iter().map(|m| m.user_id.clone()).collect();
    let overdue_items = crate::postmortems::overdue_action_items(state, caller, &members).await?;
    let status = form_status(&errors);
    let view = TeamPage {
        overdue_items,
        layout: Layout::new(caller, "teams", done, state.now()),
        candidates,
        can_manage: caller.user.role.allows(Permission::ManageTeams),
        draft: draft
            .unwrap_or_else(|| TeamForm { name: team.name.clone(), description: team.description.clone() }),
        team,
        errors,
    };
    render(status, &view)
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> UiResult {
    team_page(&state, &caller, &TeamId(id), query.done.as_deref(), None, vec![]).await
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<TeamForm>,
) -> UiResult {
    let id = TeamId(id);
    let input = UpdateTeam { name: Some(form.name.clone()), description: Some(form.description.clone()) };
    match directory::update_team(&state, &caller, &id, input).await {
        Ok(_) => Ok(see_other(&format!("/teams/{id}"), "team-updated")),
        Err(error) => team_page(&state, &caller, &id, None, Some(form), form_errors(error)?).await,
    }
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = TeamId(id);
    match directory::delete_team(&state, &caller, &id).await {
        Ok(()) => Ok(see_other("/teams", "team-deleted")),
        Err(error) => team_page(&state, &caller, &id, None, None, form_errors(error)?).await,
    }
}

#[derive(Debug, Deserialize)]
struct MemberForm {
    user_id: String,
}

async fn add_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<MemberForm>,
) -> UiResult {
    let id = TeamId(id);
    match directory::change_membership(&state, &caller, &id, &UserId(form.user_id), true).await {
        Ok(_) => Ok(see_other(&format!("/teams/{id}"), "member-added")),
        Err(error) => team_page(&state, &caller, &id, None, None, form_errors(error)?).await,
    }
}

async fn remove_member(
    State(state): State<AppState>,
    Path((id, user)): Path<(String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = TeamId(id);
    directory::change_membership(&state, &caller, &id, &UserId(user), false).await?;
    Ok(see_other(&format!("/teams/{id}"), "member-removed"))
}
