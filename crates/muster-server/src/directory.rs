//! The directory's operations (users, teams, services, keys, tokens), shared by the API and the
//! web UI so both enforce the same permissions and validation: check the caller's role, parse the
//! input into core types, write through the store, publish the change event.

use muster_core::{
    authz::Permission,
    ids::{ApiTokenId, IntegrationKeyId, ServiceId, TeamId, UserId},
    service::{IntegrationKey, IntegrationKind, NewService, Service, ServiceChanges, parse_key_name},
    team::{NewTeam, Team, TeamChanges},
    token::{ApiToken, parse_token_name},
    user::{NewUser, Role, User, UserChanges, check_password},
};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    events::Topic,
    secrets::{hash_password, new_api_token, new_integration_key, token_hash, verify_password},
    state::AppState,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub name: String,
    pub email: String,
    /// IANA time zone such as `Europe/London`; `UTC` when absent.
    pub time_zone: Option<String>,
    pub role: Role,
    /// At least 10 characters. Without one, the user can only use API tokens until a password is set.
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    /// Only admins change roles.
    pub role: Option<Role>,
    /// A new password. Admins may set anyone else's; people changing their own also send `current_password`.
    pub password: Option<String>,
    pub current_password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeam {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateService {
    pub name: String,
    pub description: Option<String>,
    /// The owning team.
    pub team_id: Option<TeamId>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateService {
    pub name: Option<String>,
    pub description: Option<String>,
    /// A team id to change the owner, `null` to remove it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub team_id: Option<Option<TeamId>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    pub kind: IntegrationKind,
    /// What the key is for, such as `prod alertmanager`; the kind's name when absent.
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, such as `laptop CLI`.
    pub name: String,
}

/// Deserializes a field that may be absent (leave as is), `null` (clear) or a value (set).
pub fn double_option<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

pub async fn create_user(state: &AppState, caller: &Caller, input: CreateUser) -> ApiResult<User> {
    caller.require(Permission::ManageUsers, "create users")?;
    let new = NewUser::parse(&input.name, &input.email, input.time_zone.as_deref(), input.role)?;
    let password_hash = match input.password.filter(|p| !p.is_empty()) {
        Some(password) => {
            check_password("password", &password)?;
            Some(hash_password(password).await)
        }
        None => None,
    };
    let user = state.store.create_user(&new, password_hash.as_deref(), &caller.actor(), state.now()).await?;
    state.events.publish(Topic::User, user.id.as_str(), "created");
    Ok(user)
}

pub async fn update_user(
    state: &AppState,
    caller: &Caller,
    id: &UserId,
    input: UpdateUser,
) -> ApiResult<User> {
    let is_self = &caller.user.id == id;
    if !is_self || input.role.is_some() {
        caller.require(Permission::ManageUsers, "change other users or roles")?;
    }
    let changes = UserChanges::parse(input.name.as_deref(), input.time_zone.as_deref(), input.role)?;
    let new_password = match input.password {
        Some(password) => {
            check_password("password", &password)?;
            if is_self {
                confirm_current_password(state, caller, input.current_password).await?;
            }
            Some(hash_password(password).await)
        }
        None => None,
    };
    // A password-only change is audited once, as a password change.
    let user = if changes == UserChanges::default() {
        state.store.get_user(id).await?
    } else {
        state.store.update_user(id, &changes, &caller.actor(), state.now()).await?
    };
    if let Some(hash) = new_password {
        state.store.set_password(id, &hash, &caller.actor(), state.now()).await?;
    }
    state.events.publish(Topic::User, user.id.as_str(), "updated");
    Ok(user)
}

/// People changing their own password prove they know the current one.
async fn confirm_current_password(
    state: &AppState,
    caller: &Caller,
    current: Option<String>,
) -> ApiResult<()> {
    let current = current
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::field("current_password", "is required to change your password"))?;
    let stored = state.store.credentials(&caller.user.email).await?.and_then(|c| c.password_hash);
    let matches = match stored {
        Some(hash) => verify_password(current, hash).await,
        None => false,
    };
    if matches { Ok(()) } else { Err(ApiError::field("current_password", "is not your current password")) }
}

pub async fn deactivate_user(state: &AppState, caller: &Caller, id: &UserId) -> ApiResult<User> {
    caller.require(Permission::ManageUsers, "deactivate users")?;
    let user = state.store.deactivate_user(id, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::User, user.id.as_str(), "deleted");
    Ok(user)
}

pub async fn create_team(state: &AppState, caller: &Caller, input: CreateTeam) -> ApiResult<Team> {
    caller.require(Permission::ManageTeams, "create teams")?;
    let new = NewTeam::parse(&input.name, input.description.as_deref())?;
    let team = state.store.create_team(&new, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Team, team.id.as_str(), "created");
    Ok(team)
}

pub async fn update_team(
    state: &AppState,
    caller: &Caller,
    id: &TeamId,
    input: UpdateTeam,
) -> ApiResult<Team> {
    caller.require(Permission::ManageTeams, "change teams")?;
    let changes = TeamChanges::parse(input.name.as_deref(), input.description.as_deref())?;
    let team = state.store.update_team(id, &changes, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Team, team.id.as_str(), "updated");
    Ok(team)
}

pub async fn delete_team(state: &AppState, caller: &Caller, id: &TeamId) -> ApiResult<()> {
    caller.require(Permission::ManageTeams, "delete teams")?;
    state.store.delete_team(id, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Team, id.as_str(), "deleted");
    Ok(())
}

/// Adds (`join = true`) or removes a member.
pub async fn change_membership(
    state: &AppState,
    caller: &Caller,
    team: &TeamId,
    user: &UserId,
    join: bool,
) -> ApiResult<Team> {
    caller.require(Permission::ManageTeams, "change team members")?;
    let (actor, now) = (caller.actor(), state.now());
    let team = if join {
        state.store.add_team_member(team, user, &actor, now).await?
    } else {
        state.store.remove_team_member(team, user, &actor, now).await?
    };
    state.events.publish(Topic::Team, team.id.as_str(), "updated");
    Ok(team)
}

pub async fn create_service(state: &AppState, caller: &Caller, input: CreateService) -> ApiResult<Service> {
    caller.require(Permission::ManageServices, "create services")?;
    let new = NewService::parse(&input.name, input.description.as_deref(), input.team_id)?;
    let service = state.store.create_service(&new, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Service, service.id.as_str(), "created");
    Ok(service)
}

pub async fn update_service(
    state: &AppState,
    caller: &Caller,
    id: &ServiceId,
    input: UpdateService,
) -> ApiResult<Service> {
    caller.require(Permission::ManageServices, "change services")?;
    let changes = ServiceChanges::parse(input.name.as_deref(), input.description.as_deref(), input.team_id)?;
    let service = state.store.update_service(id, &changes, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Service, service.id.as_str(), "updated");
    Ok(service)
}

pub async fn delete_service(state: &AppState, caller: &Caller, id: &ServiceId) -> ApiResult<()> {
    caller.require(Permission::ManageServices, "delete services")?;
    state.store.delete_service(id, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Service, id.as_str(), "deleted");
    Ok(())
}

pub async fn create_key(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    input: CreateKey,
) -> ApiResult<IntegrationKey> {
    caller.require(Permission::ManageServices, "add integration keys")?;
    let name = parse_key_name(input.name.as_deref(), input.kind)?;
    let secret = new_integration_key();
    let key = state
        .store
        .create_integration_key(service, input.kind, &name, &secret, &caller.actor(), state.now())
        .await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(key)
}

pub async fn revoke_key(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    key: &IntegrationKeyId,
) -> ApiResult<IntegrationKey> {
    caller.require(Permission::ManageServices, "revoke integration keys")?;
    let key = state.store.revoke_integration_key(service, key, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(key)
}

/// Creates one of the caller's own tokens; returns it with its secret, which is never shown again.
pub async fn create_token(
    state: &AppState,
    caller: &Caller,
    input: CreateToken,
) -> ApiResult<(ApiToken, String)> {
    let name = parse_token_name(&input.name)?;
    let secret = new_api_token();
    let token = state
        .store
        .create_api_token(&caller.user.id, &name, &token_hash(&secret), &caller.actor(), state.now())
        .await?;
    Ok((token, secret))
}

pub async fn revoke_token(state: &AppState, caller: &Caller, id: &ApiTokenId) -> ApiResult<ApiToken> {
    Ok(state.store.revoke_api_token(&caller.user.id, id, &caller.actor(), state.now()).await?)
}
