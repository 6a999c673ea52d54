//! `muster serve --demo`: a realistic example organisation so that a newcomer sees a populated
//! product at once: two teams, eight people in several time zones, four services with keys.
//!
//! Seeding is idempotent in the way that matters: it runs only while the database has no teams and
//! no services, keeps users who already exist (such as an admin made with `muster user create`),
//! and leaves a database with other data alone.

use jiff::Timestamp;
use muster_core::{
    audit::Actor,
    page::Page,
    service::{IntegrationKind, NewService},
    team::NewTeam,
    user::{NewUser, Role},
};
use muster_store::{Store, StoreError};

use crate::secrets::{hash_password, new_integration_key};

/// Every demo user signs in with this password.
pub const DEMO_PASSWORD: &str = "muster-demo";
/// The demo's admin.
pub const DEMO_ADMIN: &str = "ada@muster.example";

const DEMO: Actor = Actor::System("demo");

const PEOPLE: [(&str, &str, &str, Role); 8] = [
    ("Ada Lovelace", DEMO_ADMIN, "Europe/London", Role::Admin),
    ("Grace Hopper", "grace@muster.example", "America/New_York", Role::Responder),
    ("Tomás Rivera", "tomas@muster.example", "America/Mexico_City", Role::Responder),
    ("Sam Okafor", "sam@muster.example", "Africa/Lagos", Role::Responder),
    ("Priya Raman", "priya@muster.example", "Asia/Kolkata", Role::Responder),
    ("Kenji Watanabe", "kenji@muster.example", "Asia/Tokyo", Role::Responder),
    ("Olivia Chen", "olivia@muster.example", "Australia/Sydney", Role::Responder),
    ("Morgan Blake", "morgan@muster.example", "America/Los_Angeles", Role::Stakeholder),
];

const TEAMS: [(&str, &str, &[&str]); 2] = [
    (
        "Payments SRE",
        "Runs checkout and the payment gateway; primary on call follows the sun between London and New York.",
        &[DEMO_ADMIN, "grace@muster.example", "tomas@muster.example", "sam@muster.example"],
    ),
    (
        "Platform",
        "Kubernetes clusters, the edge and the shared observability stack.",
        &["priya@muster.example", "kenji@muster.example", "olivia@muster.example"],
    ),
];

const SERVICES: [(&str, &str, &str, &[IntegrationKind]); 4] = [
    (
        "Checkout API",
        "Cart, pricing and order placement for the web shop and the apps.",
        "Payments SRE",
        &[IntegrationKind::Alertmanager, IntegrationKind::Pagerduty],
    ),
    (
        "Payment Gateway",
        "Card authorisation and capture through the acquiring banks.",
        "Payments SRE",
        &[IntegrationKind::Grafana],
    ),
    (
        "Kubernetes Platform",
        "The production clusters in eu-west and us-east.",
        "Platform",
        &[IntegrationKind::Alertmanager],
    ),
    (
        "Edge CDN",
        "TLS termination, caching and WAF in front of every public site.",
        "Platform",
        &[IntegrationKind::Opsgenie, IntegrationKind::Generic],
    ),
];

/// What seeding did.
#[derive(Debug, PartialEq, Eq)]
pub enum Seeded {
    Created,
    SkippedExistingData,
}

pub async fn seed(store: &Store, now: Timestamp) -> Result<Seeded, StoreError> {
    let has_teams = !store.list_teams(Page { limit: 1, offset: 0 }).await?.is_empty();
    let has_services = !store.list_services(Page { limit: 1, offset: 0 }).await?.is_empty();
    if has_teams || has_services {
        eprintln!("Demo data not loaded: the database already has teams or services.");
        return Ok(Seeded::SkippedExistingData);
    }
    let password_hash = hash_password(DEMO_PASSWORD.to_owned()).await;
    for (name, email, zone, role) in PEOPLE {
        let new = NewUser::parse(name, email, Some(zone), role).map_err(StoreError::Invalid)?;
        match store.create_user(&new, Some(&password_hash), &DEMO, now).await {
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    let mut team_ids = Vec::new();
    for (name, description, members) in TEAMS {
        let team = store
            .create_team(&NewTeam::parse(name, Some(description)).map_err(StoreError::Invalid)?, &DEMO, now)
            .await?;
        for email in members {
            let user = store.find_user_by_email(email).await?;
            store.add_team_member(&team.id, &user.id, &DEMO, now).await?;
        }
        team_ids.push((name, team.id));
    }
    for (name, description, team, kinds) in SERVICES {
        let team_id = team_ids.iter().find(|(n, _)| *n == team).map(|(_, id)| id.clone());
        let new = NewService::parse(name, Some(description), team_id).map_err(StoreError::Invalid)?;
        let service = store.create_service(&new, &DEMO, now).await?;
        for kind in kinds {
            store
                .create_integration_key(&service.id, *kind, kind.as_str(), &new_integration_key(), &DEMO, now)
                .await?;
        }
    }
    eprintln!(
        "Demo data loaded: 2 teams, 8 people, 4 services.\nSign in as {DEMO_ADMIN} (admin) or any other demo person, password {DEMO_PASSWORD}."
    );
    Ok(Seeded::Created)
}
