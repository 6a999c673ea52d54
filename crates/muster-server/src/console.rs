//! Operations the binary runs straight on the configured database, with no server and no signed-in
//! user: creating the first admin and their API token. They are audited as the console.

use jiff::Timestamp;
use muster_core::{
    audit::Actor,
    user::{NewUser, Role, User, check_password},
};
use muster_store::Store;

use crate::{
    error::ApiError,
    secrets::{hash_password, new_api_token, random_hex, token_hash},
};

/// Printed by `muster serve` while the database has no users.
pub const NO_USERS_HINT: &str = "\
Muster has no users yet. Create the first admin and sign in with the password it prints:

    muster user create --email you@example.com --name \"Your Name\" --role admin

(or start with example data: muster serve --demo)";

const CONSOLE: Actor = Actor::System("console");

/// A user created at the console, and the password generated for them when none was given.
#[derive(Debug)]
pub struct CreatedUser {
    pub user: User,
    pub generated_password: Option<String>,
}

pub async fn create_user(
    store: &Store,
    email: &str,
    name: &str,
    role: Role,
    time_zone: Option<&str>,
    password: Option<String>,
    now: Timestamp,
) -> Result<CreatedUser, ApiError> {
    let new = NewUser::parse(name, email, time_zone, role)?;
    let (password, generated) = match password {
        Some(password) => (password, false),
        None => (random_hex(12), true),
    };
    check_password("password", &password)?;
    let hash = hash_password(password.clone()).await;
    let user = store.create_user(&new, Some(&hash), &CONSOLE, now).await?;
    Ok(CreatedUser { user, generated_password: generated.then_some(password) })
}

/// Creates an API token for the user with this e-mail address and returns its secret.
pub async fn create_token(
    store: &Store,
    email: &str,
    name: &str,
    now: Timestamp,
) -> Result<String, ApiError> {
    let name = muster_core::token::parse_token_name(name)?;
    let email = muster_core::user::parse_email("user", email)?;
    let user = store
        .find_user_by_email(&email)
        .await
        .map_err(|_| ApiError::field("user", "no user has this e-mail address"))?;
    let secret = new_api_token();
    store.create_api_token(&user.id, &name, &token_hash(&secret), &CONSOLE, now).await?;
    Ok(secret)
}
