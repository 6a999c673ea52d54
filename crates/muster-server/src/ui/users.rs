//! People pages (the directory, and admin editing) and the audit log.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
};
use muster_core::{
    FieldError,
    audit::AuditEntry,
    authz::Permission,
    ids::UserId,
    page::Page,
    user::{DEFAULT_TIME_ZONE, Role, User},
};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, PageQuery, Pager, SignedIn, UiResult, form_errors, form_status, non_empty,
    render, see_other,
};
use crate::{
    auth::Caller,
    directory::{self, CreateUser, UpdateUser},
    error::ApiError,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}", get(show).post(update))
        .route("/users/{id}/deactivate", post(deactivate))
        .route("/audit", get(audit))
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

impl Default for UserForm {
    fn default() -> Self {
        UserForm {
            name: String::new(),
            email: String::new(),
            time_zone: DEFAULT_TIME_ZONE.to_owned(),
            role: Role::Responder.as_str().to_owned(),
            password: String::new(),
        }
    }
}

impl UserForm {
    fn of(user: &User) -> Self {
        UserForm {
            name: user.name.clone(),
            email: user.email.clone(),
            time_zone: user.time_zone.clone(),
            role: user.role.as_str().to_owned(),
            password: String::new(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<User>,
    roles: [Role; 3],
    can_manage: bool,
    draft: UserForm,
    errors: Vec<FieldError>,
    pager: Pager,
    self_url: String,
}

/// One coming shift, for a person's page: schedule, from and until in the reader's zone.
struct UpcomingShift {
    schedule_id: String,
    schedule: String,
    from: String,
    to: String,
}

#[derive(askama::Template)]
#[template(path = "user.html")]
struct UserPage {
    layout: Layout,
    user: User,
    upcoming: Vec<UpcomingShift>,
    roles: [Role; 3],
    can_manage: bool,
    draft: UserForm,
    errors: Vec<FieldError>,
}

#[derive(askama::Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    entries: Vec<AuditEntry>,
    pager: Pager,
}

async fn list_page(
    state: &AppState,
    caller: &Caller,
    query: PageQuery,
    draft: UserForm,
    errors: Vec<FieldError>,
) -> UiResult {
    let page = Page::parse(None, query.offset).map_err(ApiError::from)?;
    let users = state.store.list_users(page).await.map_err(ApiError::from)?;
    let status = form_status(&errors);
    let view = UsersPage {
        layout: Layout::new(caller, "users", query.done.as_deref(), state.now()),
        pager: Pager::new(page, users.len()),
        self_url: format!("/users?offset={}", page.offset),
        users,
        roles: Role::ALL,
        can_manage: caller.user.role.allows(Permission::ManageUsers),
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
    list_page(&state, &caller, query, UserForm::default(), vec![]).await
}

async fn create(State(state): State<AppState>, CsrfForm { caller, form }: CsrfForm<UserForm>) -> UiResult {
    let role = form.role.parse::<Role>();
    let created = match role {
        Ok(role) => {
            let input = CreateUser {
                name: form.name.clone(),
                email: form.email.clone(),
                time_zone: non_empty(&form.time_zone),
                role,
                password: non_empty(&form.password),
            };
            directory::create_user(&state, &caller, input).await
        }
        Err(error) => Err(ApiError::from(error)),
    };
    match created {
        Ok(user) => Ok(see_other(&format!("/users/{}", user.id), "user-created")),
        Err(error) => {
            let errors = form_errors(error)?;
            let draft = UserForm { password: String::new(), ..form };
            list_page(&state, &caller, PageQuery::default(), draft, errors).await
        }
    }
}

async fn user_page(
    state: &AppState,
    caller: &Caller,
    id: &UserId,
    done: Option<&str>,
    draft: Option<UserForm>,
    errors: Vec<FieldError>,
) -> UiResult {
    let user = state.store.get_user(id).await.map_err(ApiError::from)?;
    let status = form_status(&errors);
    let layout = Layout::new(caller, "users", done, state.now());
    let now = state.now();
    let schedules = state.store.all_schedules().await.map_err(ApiError::from)?;
    let two_weeks = now + jiff::SignedDuration::from_hours(24 * 14);
    let upcoming = crate::schedules::shifts_of(&schedules, id, now, two_weeks)
        .iter()
        .map(|(schedule, shift)| UpcomingShift {
            schedule_id: schedule.id.to_string(),
            schedule: schedule.name.clone(),
            from: layout.time(shift.start),
            to: layout.time(shift.end),
        })
        .collect();
    let view = UserPage {
        layout,
        upcoming,
        roles: Role::ALL,
        can_manage: caller.user.role.allows(Permission::ManageUsers),
        draft: draft.unwrap_or_else(|| UserForm::of(&user)),
        user,
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
    user_page(&state, &caller, &UserId(id), query.done.as_deref(), None, vec![]).await
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<UserForm>,
) -> UiResult {
    let id = UserId(id);
    let updated = match form.role.parse::<Role>() {
        Ok(role) => {
            let input = UpdateUser {
                name: Some(form.name.clone()),
                time_zone: Some(form.time_zone.clone()),
                role: Some(role),
                password: non_empty(&form.password),
                current_password: None,
            };
            directory::update_user(&state, &caller, &id, input).await
        }
        Err(error) => Err(ApiError::from(error)),
    };
    match updated {
        Ok(_) => Ok(see_other(&format!("/users/{id}"), "user-updated")),
        Err(error) => {
            let errors = form_errors(error)?;
            user_page(&state, &caller, &id, None, Some(UserForm { password: String::new(), ..form }), errors)
                .await
        }
    }
}

async fn deactivate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = UserId(id);
    match directory::deactivate_user(&state, &caller, &id).await {
        Ok(_) => Ok(see_other(&format!("/users/{id}"), "user-deactivated")),
        Err(error) => user_page(&state, &caller, &id, None, None, form_errors(error)?).await,
    }
}

async fn audit(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(query): Query<PageQuery>,
) -> UiResult {
    caller.require(Permission::ReadAuditLog, "read the audit log")?;
    let page = Page::parse(None, query.offset).map_err(ApiError::from)?;
    let entries = state.store.list_audit_log(page).await.map_err(ApiError::from)?;
    let view = AuditPage {
        layout: Layout::new(&caller, "audit", query.done.as_deref(), state.now()),
        pager: Pager::new(page, entries.len()),
        entries,
    };
    render(StatusCode::OK, &view)
}
