//! The store conformance suite: every case runs on SQLite and on PostgreSQL, so both backends keep
//! exactly the same behaviour.

// The cases are plain functions called by the generated tests, so clippy cannot tell they are tests.
#![allow(clippy::unwrap_used)]

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use muster_core::incident::{
    Change, Declaration, DocumentSections, IncidentState, ProblemReport, Role as IncidentRole,
    StakeholderAudience, TimelineKind, UpdateCadence,
};
use muster_core::{
    alert::{
        ActedBy, AlertStatus, LogKind, Outcome, Priority, Severity, Signal, SignalAction,
        query::{AlertFilter, Cursor},
        settings::{AlertSettings, NewHeartbeat, NewMaintenanceWindow},
    },
    audit::Actor,
    escalation::{EscalationTarget, NewEscalationPolicy, ResponseTargets, StepInput, TargetInput},
    ids::{AlertId, CoverRequestId, EscalationPolicyId, OverrideId, ScheduleId, ServiceId, TeamId, UserId},
    page::Page,
    schedule::{
        CoverStatus, Layers, OverrideKind, ScheduleNaming,
        templates::{self, SunTeam, Tier},
    },
    service::{IntegrationKind, NewService, ServiceChanges},
    team::{NewTeam, TeamChanges},
    user::{NewUser, Role, UserChanges},
};
use muster_core::{
    escalation::PageStatus,
    notify::{NewContactMethod, NewNotificationRule, Notice, NotificationStatus, Purpose},
};
use muster_store::{
    AlertAction, Delivery, Escalated, IncidentFilter, NewSchedule, Store, StoreError, VerificationCode,
};

/// Runs each listed case once on a fresh SQLite file and once on a fresh PostgreSQL database.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let db = muster_store::testing::TestDatabase::sqlite();
                    super::$case(&db.open().await.expect("open SQLite")).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(db) = muster_store::testing::TestDatabase::postgres(stringify!($case)).await else {
                        return;
                    };
                    super::$case(&db.open().await.expect("open PostgreSQL")).await;
                }
            )*
        }
    };
}

conformance!(
    migrations_leave_the_database_ready,
    users_round_trip_with_lower_cased_unique_emails,
    user_updates_change_only_what_is_given,
    the_last_admin_cannot_be_demoted_or_deactivated,
    deactivation_ends_sessions_tokens_and_memberships,
    teams_keep_their_members,
    team_names_are_unique_ignoring_case_until_deleted,
    a_team_that_owns_services_cannot_be_deleted,
    services_have_an_optional_owning_team,
    a_failed_write_leaves_nothing_behind,
    integration_keys_are_revoked_with_their_service,
    sessions_expire_and_end,
    api_tokens_authenticate_until_revoked,
    pages_window_long_lists,
    every_write_is_audited,
    schedules_are_stored_whole_and_answer_the_same,
    schedules_name_people_who_exist,
    overrides_are_checked_against_the_stored_schedule,
    reordering_a_rotation_keeps_past_shifts,
    services_get_a_schedule_per_tier,
    templates_write_all_their_schedules_or_none,
    a_new_calendar_address_replaces_the_old_one,
    an_accepted_cover_request_becomes_an_override,
    handoffs_are_recorded_once_up_to_a_watermark,
    signals_deduplicate_while_open_and_reopen_after_resolve,
    concurrent_deliveries_are_all_committed_in_batches,
    a_delivery_that_cannot_be_written_fails_alone,
    people_acknowledge_resolve_and_note_alerts,
    alert_lists_filter_and_page_by_cursor,
    maintenance_suppresses_and_the_cap_groups_a_storm,
    heartbeats_check_in_and_go_down_once,
    inbound_keys_are_found_until_revoked,
    escalation_policies_check_their_targets_and_count_versions,
    services_page_through_a_policy_that_cannot_be_deleted_under_them,
    alerts_of_a_paging_service_start_pages_that_follow_them,
    each_step_of_a_page_is_recorded_once,
    the_engine_lease_has_one_holder_and_fences_its_writes,
    contact_methods_are_verified_by_the_code_sent_to_them,
    the_outbox_delivers_at_least_once_and_keeps_dead_letters,
    a_signed_link_acts_once,
    incidents_are_declared_numbered_and_linked,
    incident_changes_commit_whole_or_not_at_all,
    a_stale_document_revision_is_refused,
    postmortems_are_drafted_once_and_published_versions_are_searched,
    action_items_move_to_done_or_wont_do_with_a_reason,
    the_reading_club_votes_lists_and_records_sessions_of_published_postmortems,
    slos_are_counted_and_ops_mode_is_entered_once_with_its_exceptions,
);

fn t0() -> Timestamp {
    "2026-11-23T10:00:00Z".parse().expect("valid timestamp")
}

const CONSOLE: Actor = Actor::System("test");

async fn user(store: &Store, name: &str, role: Role) -> UserId {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let new = NewUser::parse(name, &email, Some("Europe/London"), role).expect("valid user");
    store.create_user(&new, Some("$argon2id$fake"), &CONSOLE, t0()).await.expect("create user").id
}

async fn team(store: &Store, name: &str) -> TeamId {
    store
        .create_team(&NewTeam::parse(name, None).expect("valid team"), &CONSOLE, t0())
        .await
        .expect("create team")
        .id
}

fn is_conflict(result: &Result<impl std::fmt::Debug, StoreError>, on: &str) -> bool {
    matches!(result, Err(StoreError::Conflict { field, .. }) if *field == on)
}

async fn migrations_leave_the_database_ready(store: &Store) {
    assert_eq!(store.pending_migrations().await.expect("count"), 0);
    store.migrate().await.expect("migrating twice is harmless");
    store.ping().await.expect("ping");
}

async fn users_round_trip_with_lower_cased_unique_emails(store: &Store) {
    let new =
        NewUser::parse(" Ada Lovelace ", "Ada@Example.com", Some("Europe/London"), Role::Admin).unwrap();
    let ada = store.create_user(&new, Some("hash"), &CONSOLE, t0()).await.unwrap();
    assert_eq!(
        (ada.name.as_str(), ada.email.as_str(), ada.role),
        ("Ada Lovelace", "ada@example.com", Role::Admin)
    );
    assert_eq!(ada.created_at, t0());
    assert_eq!(store.get_user(&ada.id).await.unwrap(), ada);

    let credentials = store.credentials("ada@example.com").await.unwrap().expect("found by email");
    assert_eq!(credentials.password_hash.as_deref(), Some("hash"));
    assert!(store.credentials("nobody@example.com").await.unwrap().is_none());

    let again = NewUser::parse("Another Ada", "ADA@example.com", None, Role::Responder).unwrap();
    assert!(is_conflict(&store.create_user(&again, None, &CONSOLE, t0()).await, "email"));
    assert!(matches!(store.get_user(&UserId("missing".into())).await, Err(StoreError::NotFound("user"))));
}

async fn user_updates_change_only_what_is_given(store: &Store) {
    let id = user(store, "Grace", Role::Responder).await;
    let later = t0() + SignedDuration::from_mins(5);
    let changes = UserChanges::parse(None, Some("America/New_York"), None).unwrap();
    let grace = store.update_user(&id, &changes, &CONSOLE, later).await.unwrap();
    assert_eq!((grace.name.as_str(), grace.time_zone.as_str()), ("Grace", "America/New_York"));
    assert_eq!((grace.created_at, grace.updated_at), (t0(), later));
}

async fn the_last_admin_cannot_be_demoted_or_deactivated(store: &Store) {
    let admin = user(store, "Root", Role::Admin).await;
    let demote = UserChanges { role: Some(Role::Responder), ..Default::default() };
    assert!(is_conflict(&store.update_user(&admin, &demote, &CONSOLE, t0()).await, "role"));
    assert!(is_conflict(&store.deactivate_user(&admin, &CONSOLE, t0()).await, "role"));

    user(store, "Second Admin", Role::Admin).await;
    let demoted = store.update_user(&admin, &demote, &CONSOLE, t0()).await.unwrap();
    assert_eq!(demoted.role, Role::Responder);
}

async fn deactivation_ends_sessions_tokens_and_memberships(store: &Store) {
    user(store, "Admin", Role::Admin).await;
    let leaver = user(store, "Leaver", Role::Responder).await;
    let ops = team(store, "Ops").await;
    store.add_team_member(&ops, &leaver, &CONSOLE, t0()).await.unwrap();
    store
        .create_session("session-hash", &leaver, "csrf", t0(), t0() + SignedDuration::from_hours(1))
        .await
        .unwrap();
    store.create_api_token(&leaver, "cli", "token-hash", &CONSOLE, t0()).await.unwrap();

    let gone = store.deactivate_user(&leaver, &CONSOLE, t0()).await.unwrap();
    assert_eq!(gone.deactivated_at, Some(t0()));
    assert!(store.session("session-hash", t0()).await.unwrap().is_none());
    assert!(store.api_token_user("token-hash", t0()).await.unwrap().is_none());
    assert!(store.get_team(&ops).await.unwrap().members.is_empty());
    assert_eq!(store.get_user(&leaver).await.unwrap().name, "Leaver", "history still resolves the user");
    let rejoin = store.add_team_member(&ops, &leaver, &CONSOLE, t0()).await;
    assert!(matches!(rejoin, Err(StoreError::Invalid(invalid)) if invalid.0[0].field == "user_id"));
}

async fn teams_keep_their_members(store: &Store) {
    let ops = team(store, "Ops").await;
    let (bea, al) = (user(store, "Bea", Role::Responder).await, user(store, "Al", Role::Responder).await);
    store.add_team_member(&ops, &bea, &CONSOLE, t0()).await.unwrap();
    store.add_team_member(&ops, &al, &CONSOLE, t0()).await.unwrap();
    let twice = store.add_team_member(&ops, &al, &CONSOLE, t0()).await.unwrap();
    let names: Vec<_> = twice.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Al", "Bea"], "members are listed by name, once each");

    team(store, "Empty").await;
    let listed = store.list_teams(Page::first()).await.unwrap();
    let summary: Vec<_> = listed.iter().map(|t| (t.name.as_str(), t.members.len())).collect();
    assert_eq!(summary, [("Empty", 0), ("Ops", 2)]);

    let after = store.remove_team_member(&ops, &bea, &CONSOLE, t0()).await.unwrap();
    assert_eq!(after.members.len(), 1);
    assert!(matches!(
        store.remove_team_member(&ops, &bea, &CONSOLE, t0()).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn team_names_are_unique_ignoring_case_until_deleted(store: &Store) {
    let ops = team(store, "Ops").await;
    let clash = store.create_team(&NewTeam::parse("OPS", None).unwrap(), &CONSOLE, t0()).await;
    assert!(is_conflict(&clash, "name"));
    let other = team(store, "Platform").await;
    let rename = TeamChanges { name: Some("ops".into()), description: None };
    assert!(is_conflict(&store.update_team(&other, &rename, &CONSOLE, t0()).await, "name"));

    store.delete_team(&ops, &CONSOLE, t0()).await.unwrap();
    assert!(matches!(store.get_team(&ops).await, Err(StoreError::NotFound("team"))));
    team(store, "Ops").await;
}

async fn a_team_that_owns_services_cannot_be_deleted(store: &Store) {
    let ops = team(store, "Ops").await;
    let new = NewService::parse("Payments", None, Some(ops.clone())).unwrap();
    let payments = store.create_service(&new, &CONSOLE, t0()).await.unwrap();
    assert!(is_conflict(&store.delete_team(&ops, &CONSOLE, t0()).await, "team"));
    store.delete_service(&payments.id, &CONSOLE, t0()).await.unwrap();
    store.delete_team(&ops, &CONSOLE, t0()).await.unwrap();
}

async fn services_have_an_optional_owning_team(store: &Store) {
    let ops = team(store, "Ops").await;
    let new = NewService::parse("Checkout", Some("Takes the money"), Some(ops.clone())).unwrap();
    let checkout = store.create_service(&new, &CONSOLE, t0()).await.unwrap();
    assert_eq!((checkout.team_id.as_ref(), checkout.team_name.as_deref()), (Some(&ops), Some("Ops")));

    let orphan = ServiceChanges { team_id: Some(None), ..Default::default() };
    let updated = store.update_service(&checkout.id, &orphan, &CONSOLE, t0()).await.unwrap();
    assert_eq!(updated.team_id, None);
    let renamed = ServiceChanges { name: Some("Checkout API".into()), ..Default::default() };
    let updated = store.update_service(&checkout.id, &renamed, &CONSOLE, t0()).await.unwrap();
    assert_eq!((updated.name.as_str(), updated.description.as_str()), ("Checkout API", "Takes the money"));

    let clash = NewService::parse("checkout api", None, None).unwrap();
    assert!(is_conflict(&store.create_service(&clash, &CONSOLE, t0()).await, "name"));
    store.delete_service(&checkout.id, &CONSOLE, t0()).await.unwrap();
    assert!(matches!(store.get_service(&checkout.id).await, Err(StoreError::NotFound("service"))));
    store.create_service(&clash, &CONSOLE, t0()).await.expect("a deleted service's name is free again");
}

async fn a_failed_write_leaves_nothing_behind(store: &Store) {
    let audited_before = store.list_audit_log(Page::first()).await.unwrap().len();
    let new = NewService::parse("Ghost", None, Some(TeamId("no-such-team".into()))).unwrap();
    let refused = store.create_service(&new, &CONSOLE, t0()).await;
    assert!(matches!(refused, Err(StoreError::Invalid(invalid)) if invalid.0[0].field == "team_id"));
    assert!(store.list_services(Page::first()).await.unwrap().is_empty());
    assert_eq!(store.list_audit_log(Page::first()).await.unwrap().len(), audited_before);
}

async fn integration_keys_are_revoked_with_their_service(store: &Store) {
    let service = store
        .create_service(&NewService::parse("Search", None, None).unwrap(), &CONSOLE, t0())
        .await
        .unwrap();
    let am = store
        .create_integration_key(
            &service.id,
            IntegrationKind::Alertmanager,
            "prod",
            "secret-1",
            &CONSOLE,
            t0(),
        )
        .await
        .unwrap();
    let later = t0() + SignedDuration::from_secs(1);
    let grafana = store
        .create_integration_key(&service.id, IntegrationKind::Grafana, "grafana", "secret-2", &CONSOLE, later)
        .await
        .unwrap();
    assert_eq!((am.kind, am.key.as_str(), am.revoked_at), (IntegrationKind::Alertmanager, "secret-1", None));
    let keys = store.list_integration_keys(&service.id).await.unwrap();
    assert_eq!(keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(), ["grafana", "prod"], "newest first");

    let revoked = store.revoke_integration_key(&service.id, &grafana.id, &CONSOLE, later).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(later));
    store.delete_service(&service.id, &CONSOLE, later).await.unwrap();
    assert!(matches!(store.list_integration_keys(&service.id).await, Err(StoreError::NotFound("service"))));
}

async fn sessions_expire_and_end(store: &Store) {
    let ada = user(store, "Ada", Role::Admin).await;
    let expires = t0() + SignedDuration::from_hours(12);
    store.create_session("hash-1", &ada, "csrf-1", t0(), expires).await.unwrap();
    let session = store.session("hash-1", t0()).await.unwrap().expect("live session");
    assert_eq!((session.user.id, session.csrf_token.as_str()), (ada.clone(), "csrf-1"));
    assert!(store.session("hash-1", expires).await.unwrap().is_none(), "expiry is exclusive");
    assert!(store.session("other", t0()).await.unwrap().is_none());
    store.delete_session("hash-1", &ada, t0()).await.unwrap();
    assert!(store.session("hash-1", t0()).await.unwrap().is_none());
}

async fn api_tokens_authenticate_until_revoked(store: &Store) {
    let ada = user(store, "Ada", Role::Admin).await;
    let token = store.create_api_token(&ada, "laptop", "token-hash", &CONSOLE, t0()).await.unwrap();
    assert_eq!(token.last_used_at, None);
    assert_eq!(store.api_token_user("token-hash", t0()).await.unwrap().map(|u| u.id), Some(ada.clone()));
    let listed = store.list_api_tokens(&ada).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(t0()), "use is noted");

    store.revoke_api_token(&ada, &token.id, &CONSOLE, t0()).await.unwrap();
    assert!(store.api_token_user("token-hash", t0()).await.unwrap().is_none());
    let someone_else = user(store, "Eve", Role::Responder).await;
    let foreign = store.revoke_api_token(&someone_else, &token.id, &CONSOLE, t0()).await;
    assert!(matches!(foreign, Err(StoreError::NotFound(_))), "tokens are revoked only by their owner's id");
}

async fn pages_window_long_lists(store: &Store) {
    for name in ["Delta", "alpha", "Charlie", "bravo", "Echo"] {
        store.create_service(&NewService::parse(name, None, None).unwrap(), &CONSOLE, t0()).await.unwrap();
    }
    let names = |page: Page| async move {
        store.list_services(page).await.unwrap().into_iter().map(|s| s.name).collect::<Vec<_>>()
    };
    assert_eq!(names(Page { limit: 2, offset: 0 }).await, ["alpha", "bravo"]);
    assert_eq!(names(Page { limit: 2, offset: 2 }).await, ["Charlie", "Delta"]);
    assert_eq!(names(Page { limit: 2, offset: 4 }).await, ["Echo"]);
}

async fn every_write_is_audited(store: &Store) {
    let ada = user(store, "Ada", Role::Admin).await;
    let as_ada = Actor::User(ada.clone());
    let ops = store.create_team(&NewTeam::parse("Ops", None).unwrap(), &as_ada, t0()).await.unwrap();
    store.add_team_member(&ops.id, &ada, &as_ada, t0()).await.unwrap();
    let service =
        store.create_service(&NewService::parse("API", None, None).unwrap(), &as_ada, t0()).await.unwrap();
    store
        .create_integration_key(&service.id, IntegrationKind::Generic, "g", "SECRET-4f2a", &as_ada, t0())
        .await
        .unwrap();

    let log = store.list_audit_log(Page::first()).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| (e.action.as_str(), e.actor.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("service.key.create", "Ada"),
            ("service.create", "Ada"),
            ("team.member.add", "Ada"),
            ("team.create", "Ada"),
            ("user.create", "test"),
        ]
    );
    assert_eq!(log[0].summary, "added generic integration key \"g\" to service API");
    assert!(log.iter().all(|e| !e.summary.contains("SECRET-4f2a")), "secrets never reach the audit log");
}

async fn follow_the_sun(store: &Store, name: &str) -> (ScheduleId, Layers, [UserId; 4]) {
    let people = [
        user(store, "Lou", Role::Responder).await,
        user(store, "Liz", Role::Responder).await,
        user(store, "Pat", Role::Responder).await,
        user(store, "Pia", Role::Responder).await,
    ];
    let day = SunTeam { time_zone: "Europe/London", people: people[..2].to_vec() };
    let night = SunTeam { time_zone: "America/Los_Angeles", people: people[2..].to_vec() };
    let layers =
        templates::follow_the_sun("Europe/London", date(2026, 11, 16), day, night).expect("valid template");
    let naming = ScheduleNaming::parse(name, Some("split primary")).expect("valid name");
    let schedule =
        store.create_schedule(&naming, None, &layers, &CONSOLE, t0()).await.expect("create schedule");
    (schedule.id, layers, people)
}

async fn schedules_are_stored_whole_and_answer_the_same(store: &Store) {
    let (id, layers, _) = follow_the_sun(store, "Payments primary").await;
    let stored = store.get_schedule(&id).await.unwrap();
    assert_eq!((stored.name.as_str(), stored.time_zone_name()), ("Payments primary", "Europe/London"));
    assert_eq!(stored.layers.rotations.len(), 2);
    assert_eq!(stored.layers.rules.len(), 2);
    let names: Vec<_> = stored.layers.rotations.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["day team", "night team"], "rotations keep their order");
    let from = t0();
    let until = t0() + SignedDuration::from_hours(24 * 21);
    let people = |shifts: Vec<muster_core::schedule::Shift>| {
        shifts.into_iter().map(|s| (s.person, s.start, s.end)).collect::<Vec<_>>()
    };
    assert_eq!(
        people(stored.layers.shifts(from, until)),
        people(layers.shifts(from, until)),
        "same answers after a round trip"
    );
    assert_eq!(store.list_schedules(Page::first()).await.unwrap().len(), 1);
    assert_eq!(store.all_schedules().await.unwrap()[0].id, id);

    let naming = ScheduleNaming::parse("PAYMENTS PRIMARY", None).unwrap();
    assert!(is_conflict(&store.create_schedule(&naming, None, &layers, &CONSOLE, t0()).await, "name"));
    store.delete_schedule(&id, &CONSOLE, t0()).await.unwrap();
    assert!(matches!(store.get_schedule(&id).await, Err(StoreError::NotFound("schedule"))));
}

async fn schedules_name_people_who_exist(store: &Store) {
    let stranger = vec![UserId("nobody".into())];
    let layers = templates::weekly("UTC", date(2026, 11, 23), stranger).unwrap();
    let naming = ScheduleNaming::parse("Ghosts", None).unwrap();
    let refused = store.create_schedule(&naming, None, &layers, &CONSOLE, t0()).await;
    assert!(matches!(refused, Err(StoreError::Invalid(invalid)) if invalid.0[0].field == "participants"));
    let someone = vec![user(store, "Real", Role::Responder).await];
    let layers = templates::weekly("UTC", date(2026, 11, 23), someone).unwrap();
    let unknown_team =
        store.create_schedule(&naming, Some(&TeamId("no-team".into())), &layers, &CONSOLE, t0()).await;
    assert!(matches!(unknown_team, Err(StoreError::Invalid(invalid)) if invalid.0[0].field == "team_id"));
    assert!(store.all_schedules().await.unwrap().is_empty(), "nothing partial was written");
}

async fn overrides_are_checked_against_the_stored_schedule(store: &Store) {
    let (id, _, [lou, _, _, _]) = follow_the_sun(store, "Split").await;
    let cover = user(store, "Cover", Role::Responder).await;
    // Lou holds the day shift (06:00–18:00 London) in the first week, from Monday 2026-11-16 09:00.
    let start: Timestamp = "2026-11-18T10:00:00Z".parse().unwrap();
    let end: Timestamp = "2026-11-18T12:00:00Z".parse().unwrap();
    let replace = OverrideKind::Replace { absent: lou.clone(), cover: cover.clone() };
    let added = store.add_override(&id, replace.clone(), start, end, &CONSOLE, t0()).await.unwrap();
    let stored = store.get_schedule(&id).await.unwrap();
    let at = start + SignedDuration::from_hours(1);
    assert_eq!(stored.layers.on_call_at(at)[0].person, cover);

    let overlapping = store
        .add_override(&id, replace.clone(), start + SignedDuration::from_hours(1), end, &CONSOLE, t0())
        .await;
    assert!(matches!(overlapping, Err(StoreError::Invalid(invalid)) if invalid.0[0].field == "start"));
    let backwards = store
        .add_override(&id, OverrideKind::Add { person: cover.clone() }, end, start, &CONSOLE, t0())
        .await;
    assert!(matches!(backwards, Err(StoreError::Invalid(invalid)) if invalid.0[0].field == "end"));
    let night = store
        .add_override(
            &id,
            OverrideKind::Remove { person: lou.clone() },
            "2026-11-18T20:00:00Z".parse().unwrap(),
            "2026-11-18T22:00:00Z".parse().unwrap(),
            &CONSOLE,
            t0(),
        )
        .await;
    assert!(matches!(night, Err(StoreError::Invalid(_))), "Lou is not on call at night");

    store.remove_override(&id, &added.id, &CONSOLE, t0()).await.unwrap();
    assert_eq!(store.get_schedule(&id).await.unwrap().layers.on_call_at(at)[0].person, lou);
    let again = store.remove_override(&id, &OverrideId(added.id.0.clone()), &CONSOLE, t0()).await;
    assert!(matches!(again, Err(StoreError::NotFound("override"))));
}

async fn reordering_a_rotation_keeps_past_shifts(store: &Store) {
    let (id, _, [lou, liz, _, _]) = follow_the_sun(store, "Reordered").await;
    let stored = store.get_schedule(&id).await.unwrap();
    let day = stored.layers.rotations[0].clone();
    let now: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
    let current = day.shift_at(now).unwrap();
    assert_eq!(current.person, liz, "second week: Liz");
    let after = store
        .set_rotation_participants(&id, &day.id, vec![liz.clone(), lou.clone()], &CONSOLE, now)
        .await
        .unwrap();
    let rotation = &after.layers.rotations[0];
    assert_eq!(rotation.shift_at(now).unwrap().person, liz, "the shift under way is untouched");
    assert_eq!(rotation.person_for(current.index - 1), Some(&lou), "the past is untouched");
    assert_eq!(
        rotation.person_for(current.index + 1),
        Some(&liz),
        "the new order starts with the next shift"
    );
    assert_eq!(rotation.person_for(current.index + 2), Some(&lou));
}

async fn services_get_a_schedule_per_tier(store: &Store) {
    let (id, _, _) = follow_the_sun(store, "Primary").await;
    let service = store
        .create_service(&NewService::parse("Checkout", None, None).unwrap(), &CONSOLE, t0())
        .await
        .unwrap();
    store.set_service_schedule(&service.id, Tier::Primary, Some(&id), &CONSOLE, t0()).await.unwrap();
    assert_eq!(store.service_schedules(&service.id).await.unwrap(), [(Tier::Primary, id.clone())]);
    let unknown = store
        .set_service_schedule(&service.id, Tier::Secondary, Some(&ScheduleId("x".into())), &CONSOLE, t0())
        .await;
    assert!(matches!(unknown, Err(StoreError::Invalid(invalid)) if invalid.0[0].field == "schedule_id"));
    let no_service =
        store.set_service_schedule(&ServiceId("x".into()), Tier::Primary, Some(&id), &CONSOLE, t0()).await;
    assert!(matches!(no_service, Err(StoreError::NotFound("service"))));
    store.delete_schedule(&id, &CONSOLE, t0()).await.unwrap();
    assert!(
        store.service_schedules(&service.id).await.unwrap().is_empty(),
        "deleting a schedule detaches it"
    );
}

async fn templates_write_all_their_schedules_or_none(store: &Store) {
    let service = store
        .create_service(&NewService::parse("Checkout", None, None).unwrap(), &CONSOLE, t0())
        .await
        .unwrap();
    let (a, b) = (user(store, "Ann", Role::Responder).await, user(store, "Ben", Role::Responder).await);
    let tiers = templates::tiers(
        "Europe/London",
        date(2026, 11, 23),
        vec![a.clone()],
        vec![b.clone()],
        vec![UserId("ghost".into())],
    )
    .unwrap();
    let names: Vec<ScheduleNaming> = tiers
        .iter()
        .map(|(tier, _)| ScheduleNaming::parse(&format!("Checkout {}", tier.as_str()), None).unwrap())
        .collect();
    let new: Vec<NewSchedule> = tiers
        .iter()
        .zip(&names)
        .map(|((tier, layers), naming)| NewSchedule {
            naming: naming.clone(),
            team_id: None,
            layers: layers.clone(),
            serves: Some((service.id.clone(), *tier)),
        })
        .collect();
    let refused = store.create_schedules(new, &CONSOLE, t0()).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "the tickets tier names an unknown person");
    assert!(store.all_schedules().await.unwrap().is_empty());
    assert!(store.service_schedules(&service.id).await.unwrap().is_empty());

    let tiers =
        templates::tiers("Europe/London", date(2026, 11, 23), vec![a.clone()], vec![b.clone()], vec![a])
            .unwrap();
    let new: Vec<NewSchedule> = tiers
        .iter()
        .zip(&names)
        .map(|((tier, layers), naming)| NewSchedule {
            naming: naming.clone(),
            team_id: None,
            layers: layers.clone(),
            serves: Some((service.id.clone(), *tier)),
        })
        .collect();
    let created = store.create_schedules(new, &CONSOLE, t0()).await.unwrap();
    let served: Vec<_> =
        store.service_schedules(&service.id).await.unwrap().into_iter().map(|(tier, _)| tier).collect();
    assert_eq!((created.len(), served), (3, vec![Tier::Primary, Tier::Secondary, Tier::Tickets]));
}

async fn a_new_calendar_address_replaces_the_old_one(store: &Store) {
    let ada = user(store, "Ada", Role::Responder).await;
    assert!(!store.has_calendar_feed(&ada).await.unwrap());
    store.replace_calendar_feed(&ada, "first", &CONSOLE, t0()).await.unwrap();
    assert_eq!(store.calendar_feed_user("first").await.unwrap().map(|u| u.id), Some(ada.clone()));
    store.replace_calendar_feed(&ada, "second", &CONSOLE, t0()).await.unwrap();
    assert!(store.calendar_feed_user("first").await.unwrap().is_none(), "the old address stops working");
    assert!(store.calendar_feed_user("second").await.unwrap().is_some());
    assert!(store.revoke_calendar_feed(&ada, &CONSOLE, t0()).await.unwrap());
    assert!(store.calendar_feed_user("second").await.unwrap().is_none());
    assert!(
        !store.revoke_calendar_feed(&ada, &CONSOLE, t0()).await.unwrap(),
        "revoking twice changes nothing"
    );
}

async fn an_accepted_cover_request_becomes_an_override(store: &Store) {
    let (id, _, [lou, liz, _, _]) = follow_the_sun(store, "Cover").await;
    // Lou holds the day shift again in the third week, from Monday 2026-11-30 09:00.
    let (start, end): (Timestamp, Timestamp) =
        ("2026-12-02T10:00:00Z".parse().unwrap(), "2026-12-02T14:00:00Z".parse().unwrap());
    let past = store
        .create_cover_request(
            &id,
            &lou,
            ("2026-11-18T10:00:00Z".parse().unwrap(), "2026-11-18T14:00:00Z".parse().unwrap()),
            "",
            t0(),
        )
        .await;
    assert!(
        matches!(past, Err(StoreError::Invalid(invalid)) if invalid.0[0].field == "end"),
        "no cover for the past"
    );
    let request = store.create_cover_request(&id, &lou, (start, end), "dentist", t0()).await.unwrap();
    assert_eq!((request.status, request.note.as_str()), (CoverStatus::Open, "dentist"));
    let not_on_call = store.create_cover_request(&id, &liz, (start, end), "", t0()).await;
    assert!(matches!(not_on_call, Err(StoreError::Invalid(invalid)) if invalid.0[0].field == "start"));
    let own = store.accept_cover_request(&id, &request.id, &lou, t0()).await;
    assert!(matches!(own, Err(StoreError::Invalid(_))), "nobody covers their own request");

    let accepted = store.accept_cover_request(&id, &request.id, &liz, t0()).await.unwrap();
    assert_eq!((accepted.status, accepted.resolved_by.as_ref()), (CoverStatus::Accepted, Some(&liz)));
    let schedule = store.get_schedule(&id).await.unwrap();
    assert_eq!(schedule.layers.on_call_at(start + SignedDuration::from_hours(1))[0].person, liz);
    assert_eq!(schedule.layers.overrides[0].id, accepted.override_id.clone().unwrap());
    let twice = store.accept_cover_request(&id, &request.id, &liz, t0()).await;
    assert!(is_conflict(&twice, "status"), "a request is accepted once");

    let later = store
        .create_cover_request(
            &id,
            &lou,
            ("2026-12-03T10:00:00Z".parse().unwrap(), "2026-12-03T11:00:00Z".parse().unwrap()),
            "",
            t0(),
        )
        .await
        .unwrap();
    let withdrawn =
        store.withdraw_cover_request(&id, &later.id, &Actor::User(lou.clone()), t0()).await.unwrap();
    assert_eq!(withdrawn.status, CoverStatus::Withdrawn);
    assert!(is_conflict(&store.accept_cover_request(&id, &later.id, &liz, t0()).await, "status"));
    assert_eq!(store.cover_requests(&id, t0()).await.unwrap().len(), 2);
    let unknown = store.accept_cover_request(&id, &CoverRequestId("x".into()), &liz, t0()).await;
    assert!(matches!(unknown, Err(StoreError::NotFound("cover request"))));
}

async fn handoffs_are_recorded_once_up_to_a_watermark(store: &Store) {
    let (id, layers, [lou, _, pat, _]) = follow_the_sun(store, "Handoffs").await;
    assert_eq!(store.handoff_watermark(&id).await.unwrap(), None);
    let from: Timestamp = "2026-11-17T00:00:00Z".parse().unwrap();
    let until = from + SignedDuration::from_hours(24);
    let found = layers.handoffs(from, until);
    assert_eq!(found.len(), 2, "06:00 and 18:00 London");
    store.record_handoffs(&id, &found, until, until).await.unwrap();
    store.record_handoffs(&id, &found, until, until).await.unwrap();
    assert_eq!(store.handoff_watermark(&id).await.unwrap(), Some(until));
    let recorded = store.recent_handoffs(&id, 10).await.unwrap();
    assert_eq!(recorded.len(), 2, "recording twice changes nothing");
    assert_eq!(
        (recorded[0].outgoing.clone(), recorded[0].incoming.clone()),
        (vec![lou], vec![pat]),
        "latest first: 18:00"
    );
}

async fn alerting_service(store: &Store, name: &str) -> ServiceId {
    store.create_service(&NewService::parse(name, None, None).unwrap(), &CONSOLE, t0()).await.unwrap().id
}

fn delivery(service: &ServiceId, action: SignalAction, key: &str, at: Timestamp) -> Delivery {
    let mut signal = Signal::new(action, Some(key.to_owned()));
    signal.summary = format!("{key} is failing");
    signal.source = "db-1".into();
    signal.severity = Severity::Critical;
    signal.details = serde_json::json!({"free_gb": 3});
    Delivery {
        service_id: service.clone(),
        signal,
        by: ActedBy::monitor("pagerduty key \"prod\""),
        origin: "pagerduty".into(),
        received_at: at,
    }
}

async fn open_count(store: &Store, service: &ServiceId) -> usize {
    let filter = AlertFilter {
        service: Some(service.clone()),
        statuses: vec![AlertStatus::Triggered, AlertStatus::Acknowledged],
        ..Default::default()
    };
    store.list_alerts(&filter, None, 200).await.unwrap().len()
}

async fn signals_deduplicate_while_open_and_reopen_after_resolve(store: &Store) {
    let service = alerting_service(store, "Payments").await;
    let later = |s| t0() + SignedDuration::from_secs(s);
    let outcomes = store
        .ingest(vec![
            delivery(&service, SignalAction::Trigger, "disk", t0()),
            delivery(&service, SignalAction::Trigger, "disk", later(1)),
        ])
        .await
        .unwrap();
    let Outcome::Opened(first) = &outcomes[0] else { panic!("{outcomes:?}") };
    assert_eq!(outcomes[1], Outcome::Repeated(first.clone()));
    let outcomes =
        store.ingest(vec![delivery(&service, SignalAction::Trigger, "disk", later(2))]).await.unwrap();
    assert_eq!(outcomes, [Outcome::Repeated(first.clone())], "a later batch finds the stored open alert");
    let alert = store.get_alert(first).await.unwrap();
    assert_eq!((alert.occurrences, alert.first_seen_at, alert.last_seen_at), (3, t0(), later(2)));
    assert_eq!(alert.priority, Priority::BusinessCritical);
    assert_eq!(alert.details["free_gb"], 3);

    store.ingest(vec![delivery(&service, SignalAction::Resolve, "disk", later(3))]).await.unwrap();
    let outcomes =
        store.ingest(vec![delivery(&service, SignalAction::Trigger, "disk", later(4))]).await.unwrap();
    let Outcome::Opened(second) = &outcomes[0] else { panic!("{outcomes:?}") };
    assert_ne!(first, second);
    assert_eq!(store.get_alert(first).await.unwrap().status, AlertStatus::Resolved);
    let kinds: Vec<LogKind> = store.alert_log(first).await.unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [LogKind::Triggered, LogKind::Repeated, LogKind::Repeated, LogKind::Resolved]);
    assert_eq!(open_count(store, &service).await, 1);
    let ignored =
        store.ingest(vec![delivery(&service, SignalAction::Acknowledge, "never", later(5))]).await.unwrap();
    assert_eq!(ignored, [Outcome::Ignored]);
}

async fn concurrent_deliveries_are_all_committed_in_batches(store: &Store) {
    let service = alerting_service(store, "Search").await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            let service = service.clone();
            tokio::spawn(async move {
                store
                    .ingest(vec![
                        delivery(&service, SignalAction::Trigger, &format!("host-{i}"), t0()),
                        delivery(&service, SignalAction::Trigger, "hot", t0()),
                    ])
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().len(), 2);
    }
    assert_eq!(open_count(store, &service).await, 41);
    let hot = AlertFilter { text: Some("hot".into()), ..Default::default() };
    let found = store.list_alerts(&hot, None, 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].occurrences, 40);
}

/// A batch that fails is rolled back and its requests are tried one by one, so only the bad one
/// fails; the writer's connection is left out of any transaction for the writes that follow.
async fn a_delivery_that_cannot_be_written_fails_alone(store: &Store) {
    let service = alerting_service(store, "Search").await;
    let ghost = ServiceId("no-such-service".into());
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let store = store.clone();
            let target = if i % 4 == 0 { ghost.clone() } else { service.clone() };
            tokio::spawn(async move {
                store.ingest(vec![delivery(&target, SignalAction::Trigger, &format!("host-{i}"), t0())]).await
            })
        })
        .collect();
    let mut failed = 0;
    for task in tasks {
        failed += usize::from(task.await.unwrap().is_err());
    }
    assert_eq!(failed, 6, "the deliveries to a service that does not exist, and only those");
    assert_eq!(open_count(store, &service).await, 18);
    assert!(
        store
            .list_alerts(&AlertFilter::default(), None, 200)
            .await
            .unwrap()
            .iter()
            .all(|a| a.service_id == service)
    );

    let after = store.ingest(vec![delivery(&service, SignalAction::Trigger, "after", t0())]).await.unwrap();
    let by = ActedBy::monitor("test");
    let resolved =
        store.act_on_alert(after[0].alert_id().unwrap(), AlertAction::Resolve, &by, t0()).await.unwrap();
    assert_eq!(resolved.status, AlertStatus::Resolved);
    assert_eq!(open_count(store, &service).await, 18);
}

async fn people_acknowledge_resolve_and_note_alerts(store: &Store) {
    let service = alerting_service(store, "Checkout").await;
    let ada = user(store, "Ada", Role::Responder).await;
    let outcomes = store.ingest(vec![delivery(&service, SignalAction::Trigger, "5xx", t0())]).await.unwrap();
    let id = outcomes[0].alert_id().unwrap().clone();
    let by = ActedBy::user(ada.clone(), "Ada");
    let acked = store.act_on_alert(&id, AlertAction::Acknowledge, &by, t0()).await.unwrap();
    assert_eq!(
        (acked.status, acked.acknowledged_by.as_ref().map(|b| b.name.as_str())),
        (AlertStatus::Acknowledged, Some("Ada"))
    );
    store.act_on_alert(&id, AlertAction::Acknowledge, &by, t0()).await.expect("acknowledging twice is fine");
    store.add_alert_note(&id, &by, "rolled back the deploy", t0()).await.unwrap();
    let resolved = store.act_on_alert(&id, AlertAction::Resolve, &by, t0()).await.unwrap();
    assert_eq!(resolved.resolved_by.unwrap().user_id, Some(ada));
    assert!(is_conflict(&store.act_on_alert(&id, AlertAction::Resolve, &by, t0()).await, "status"));
    assert!(matches!(
        store.act_on_alert(&AlertId("nope".into()), AlertAction::Resolve, &by, t0()).await,
        Err(StoreError::NotFound("alert"))
    ));
    let log = store.alert_log(&id).await.unwrap();
    let kinds: Vec<LogKind> = log.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [LogKind::Triggered, LogKind::Acknowledged, LogKind::Note, LogKind::Resolved]);
    assert_eq!(log[2].message, "rolled back the deploy");
    assert_eq!(open_count(store, &service).await, 0);
    let reopened = store.ingest(vec![delivery(&service, SignalAction::Trigger, "5xx", t0())]).await.unwrap();
    assert!(matches!(reopened[0], Outcome::Opened(_)), "the counter and the unique key agree");
}

async fn alert_lists_filter_and_page_by_cursor(store: &Store) {
    let payments = alerting_service(store, "Payments").await;
    let search = alerting_service(store, "Search").await;
    for i in 0..5 {
        let at = t0() + SignedDuration::from_mins(i);
        store
            .ingest(vec![delivery(&payments, SignalAction::Trigger, &format!("pay_{i}"), at)])
            .await
            .unwrap();
        store
            .ingest(vec![delivery(&search, SignalAction::Trigger, &format!("search-{i}"), at)])
            .await
            .unwrap();
    }
    store.ingest(vec![delivery(&payments, SignalAction::Resolve, "pay_0", t0())]).await.unwrap();
    let all = AlertFilter::default();
    let first = store.list_alerts(&all, None, 4).await.unwrap();
    assert_eq!(first.len(), 4);
    assert!(first.windows(2).all(|w| w[0].first_seen_at >= w[1].first_seen_at), "newest first");
    let cursor = Cursor { first_seen_at: first[3].first_seen_at, id: first[3].id.clone() };
    let rest = store.list_alerts(&all, Some(&cursor), 100).await.unwrap();
    assert_eq!(rest.len(), 6);
    assert!(rest.iter().all(|a| !first.iter().any(|f| f.id == a.id)), "no alert twice");
    let resolved_payments = AlertFilter {
        service: Some(payments.clone()),
        statuses: vec![AlertStatus::Resolved],
        ..Default::default()
    };
    let found = store.list_alerts(&resolved_payments, None, 100).await.unwrap();
    assert_eq!(found.iter().map(|a| a.dedup_key.as_str()).collect::<Vec<_>>(), ["pay_0"]);
    let window = AlertFilter {
        since: Some(t0() + SignedDuration::from_mins(3)),
        until: Some(t0() + SignedDuration::from_mins(4)),
        ..Default::default()
    };
    assert_eq!(store.list_alerts(&window, None, 100).await.unwrap().len(), 2);
    let underscore = AlertFilter { text: Some("PAY_".into()), ..Default::default() };
    assert_eq!(
        store.list_alerts(&underscore, None, 100).await.unwrap().len(),
        5,
        "_ matches itself, case ignored"
    );
}

async fn maintenance_suppresses_and_the_cap_groups_a_storm(store: &Store) {
    let service = alerting_service(store, "Batch").await;
    let settings = store.alert_settings(&service).await.unwrap();
    assert_eq!(settings, AlertSettings::default());
    let capped = settings.changed(settings.priorities, Some(None), Some(Some(2))).unwrap();
    store.set_alert_settings(&service, &capped, &CONSOLE, t0()).await.unwrap();
    assert_eq!(store.alert_settings(&service).await.unwrap(), capped);

    let window = NewMaintenanceWindow::parse(None, "2026-11-23T11:00:00Z", Some("upgrade"), t0()).unwrap();
    let by = ActedBy::monitor("console");
    let created = store.create_maintenance_window(&service, &window, &by, t0()).await.unwrap();
    assert_eq!(store.maintenance_windows(&service, t0()).await.unwrap(), std::slice::from_ref(&created));
    let outcomes = store.ingest(vec![delivery(&service, SignalAction::Trigger, "a", t0())]).await.unwrap();
    assert!(store.get_alert(outcomes[0].alert_id().unwrap()).await.unwrap().suppressed);
    store
        .end_maintenance_window(&service, &created.id, &CONSOLE, t0() + SignedDuration::from_mins(1))
        .await
        .unwrap();
    let after = t0() + SignedDuration::from_mins(2);
    assert!(store.maintenance_windows(&service, after).await.unwrap().is_empty());

    let outcomes = store
        .ingest((0..5).map(|i| delivery(&service, SignalAction::Trigger, &format!("k{i}"), after)).collect())
        .await
        .unwrap();
    assert!(!store.get_alert(outcomes[0].alert_id().unwrap()).await.unwrap().suppressed);
    let Outcome::Grouped { storm } = &outcomes[1] else { panic!("{outcomes:?}") };
    assert!(outcomes[2..].iter().all(|o| o == &Outcome::Grouped { storm: storm.clone() }));
    let more = store.ingest(vec![delivery(&service, SignalAction::Trigger, "k9", after)]).await.unwrap();
    assert_eq!(more, [Outcome::Grouped { storm: storm.clone() }], "a later batch finds the open storm alert");
    let storm_alert = store.get_alert(storm).await.unwrap();
    assert_eq!(storm_alert.grouped, 5);
    assert_eq!(open_count(store, &service).await, 3, "two alerts and the storm alert");
}

async fn heartbeats_check_in_and_go_down_once(store: &Store) {
    let service = alerting_service(store, "Backups").await;
    let new = NewHeartbeat::parse("nightly", Some(3600)).unwrap();
    let heartbeat = store.create_heartbeat(&service, &new, "HB-SECRET", &CONSOLE, t0()).await.unwrap();
    assert_eq!(store.find_heartbeat("HB-SECRET").await.unwrap(), Some(heartbeat.clone()));
    assert_eq!(store.heartbeats_of(&service).await.unwrap().len(), 1);
    let late = t0() + SignedDuration::from_mins(61);
    assert!(store.mark_heartbeat_down(&heartbeat, late).await.unwrap());
    assert!(!store.mark_heartbeat_down(&heartbeat, late).await.unwrap(), "down once");
    assert!(store.check_in_heartbeat(&heartbeat.id, late).await.unwrap(), "it was down");
    assert!(!store.check_in_heartbeat(&heartbeat.id, late).await.unwrap());
    let stored = store.all_heartbeats().await.unwrap();
    assert_eq!((stored[0].last_check_in_at, stored[0].down_since), (Some(late), None));
    assert!(!store.mark_heartbeat_down(&stored[0], late).await.unwrap(), "a fresh check-in is not overdue");
    store.delete_heartbeat(&service, &heartbeat.id, &CONSOLE, late).await.unwrap();
    assert_eq!(store.find_heartbeat("HB-SECRET").await.unwrap(), None);
}

async fn inbound_keys_are_found_until_revoked(store: &Store) {
    let service = alerting_service(store, "Edge").await;
    let key = store
        .create_integration_key(&service, IntegrationKind::Grafana, "grafana", "GF-KEY", &CONSOLE, t0())
        .await
        .unwrap();
    let found = store.find_inbound_key("GF-KEY").await.unwrap().unwrap();
    assert_eq!(
        (found.service_id.clone(), found.kind, found.signing_secret),
        (service.clone(), IntegrationKind::Grafana, None)
    );
    assert_eq!(found.rate_limit_per_minute, Some(1200));
    store.set_key_signing(&service, &key.id, Some("hmac"), Some("X-Ts"), &CONSOLE, t0()).await.unwrap();
    let found = store.find_inbound_key("GF-KEY").await.unwrap().unwrap();
    assert_eq!(
        (found.signing_secret.as_deref(), found.signing_timestamp_header.as_deref()),
        (Some("hmac"), Some("X-Ts"))
    );
    assert_eq!(store.find_inbound_key("nope").await.unwrap(), None);
    store.revoke_integration_key(&service, &key.id, &CONSOLE, t0()).await.unwrap();
    assert_eq!(store.find_inbound_key("GF-KEY").await.unwrap(), None);
}

fn step(minutes: u32, targets: &[(&str, &str)]) -> StepInput {
    let targets = targets
        .iter()
        .map(|(kind, value)| match *kind {
            "tier" => TargetInput { kind: "tier".into(), id: None, tier: Some((*value).into()) },
            kind => TargetInput { kind: kind.into(), id: Some((*value).into()), tier: None },
        })
        .collect();
    StepInput { escalate_after_minutes: Some(minutes), targets }
}

fn invalid_fields<T: std::fmt::Debug>(result: Result<T, StoreError>) -> Vec<String> {
    match result {
        Err(StoreError::Invalid(invalid)) => invalid.0.into_iter().map(|e| e.field).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

async fn escalation_policies_check_their_targets_and_count_versions(store: &Store) {
    let ada = user(store, "Ada", Role::Responder).await;
    let leaver = user(store, "Leaver", Role::Responder).await;
    let sres = team(store, "SRE").await;
    let new = NewEscalationPolicy::parse(
        "Payments",
        Some("Primary first, then Ada and the SRE team"),
        &[step(5, &[("tier", "primary")]), step(10, &[("user", ada.as_str()), ("team", sres.as_str())])],
        Some(1),
    )
    .unwrap();
    let policy = store.create_escalation_policy(&new, &CONSOLE, t0()).await.unwrap();
    assert_eq!(policy.version, 1);
    assert_eq!(policy.rules, new.rules);
    assert_eq!(store.get_escalation_policy(&policy.id).await.unwrap(), policy);
    assert_eq!(store.list_escalation_policies(Page::first()).await.unwrap(), std::slice::from_ref(&policy));

    let clash =
        NewEscalationPolicy::parse("PAYMENTS", None, &[step(5, &[("tier", "primary")])], None).unwrap();
    assert!(is_conflict(&store.create_escalation_policy(&clash, &CONSOLE, t0()).await, "name"));

    store.deactivate_user(&leaver, &CONSOLE, t0()).await.unwrap();
    let unknown = NewEscalationPolicy::parse(
        "Search",
        None,
        &[
            step(5, &[("user", "nobody"), ("tier", "secondary")]),
            step(5, &[("team", "no-team"), ("schedule", "no-schedule"), ("user", leaver.as_str())]),
        ],
        None,
    )
    .unwrap();
    assert_eq!(
        invalid_fields(store.create_escalation_policy(&unknown, &CONSOLE, t0()).await),
        [
            "steps[0].targets[0].id",
            "steps[1].targets[0].id",
            "steps[1].targets[1].id",
            "steps[1].targets[2].id",
        ]
    );

    let later = t0() + SignedDuration::from_mins(1);
    let changed =
        NewEscalationPolicy::parse("Payments", None, &[step(15, &[("user", ada.as_str())])], None).unwrap();
    let replaced = store.replace_escalation_policy(&policy.id, &changed, &CONSOLE, later).await.unwrap();
    assert_eq!(replaced.version, 2, "every change moves the version on");
    assert_eq!(replaced.rules.steps[0].targets, [EscalationTarget::User { user_id: ada.clone() }]);
    assert_eq!(replaced.updated_at, later);
    assert!(matches!(
        store.get_escalation_policy(&EscalationPolicyId("nope".into())).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn services_page_through_a_policy_that_cannot_be_deleted_under_them(store: &Store) {
    let service = alerting_service(store, "Checkout").await;
    let before = store.service_escalation(&service).await.unwrap();
    assert_eq!(before.policy_id, None, "a new service pages no one until it has a policy");
    assert_eq!(before.response_targets, ResponseTargets::default());

    let new = NewEscalationPolicy::parse("Checkout", None, &[step(5, &[("tier", "primary")])], None).unwrap();
    let policy = store.create_escalation_policy(&new, &CONSOLE, t0()).await.unwrap();
    let targets = ResponseTargets {
        business_critical_minutes: 3,
        urgent_minutes: 20,
        acknowledgement_timeout_minutes: Some(45),
    };
    store.set_service_escalation(&service, Some(&policy.id), targets, &CONSOLE, t0()).await.unwrap();
    let after = store.service_escalation(&service).await.unwrap();
    assert_eq!(after.policy_id.as_ref(), Some(&policy.id));
    assert_eq!(after.policy_name.as_deref(), Some("Checkout"));
    assert_eq!(after.response_targets, targets);

    assert!(is_conflict(
        &store.delete_escalation_policy(&policy.id, &CONSOLE, t0()).await,
        "escalation_policy"
    ));
    let unknown = EscalationPolicyId("nope".into());
    assert_eq!(
        invalid_fields(store.set_service_escalation(&service, Some(&unknown), targets, &CONSOLE, t0()).await),
        ["escalation_policy_id"]
    );
    store.set_service_escalation(&service, None, targets, &CONSOLE, t0()).await.unwrap();
    store.delete_escalation_policy(&policy.id, &CONSOLE, t0()).await.unwrap();
    assert!(matches!(store.get_escalation_policy(&policy.id).await, Err(StoreError::NotFound(_))));
    assert!(store.list_escalation_policies(Page::first()).await.unwrap().is_empty());
}

/// A service paging Ada through a one-step policy, and Ada's verified ntfy method with a rule.
async fn paging_service(store: &Store, name: &str) -> (ServiceId, UserId, EscalationPolicyId) {
    let service = alerting_service(store, name).await;
    let ada = user(store, &format!("Ada {name}"), Role::Responder).await;
    let policy = NewEscalationPolicy::parse(name, None, &[step(5, &[("user", ada.as_str())])], None).unwrap();
    let policy = store.create_escalation_policy(&policy, &CONSOLE, t0()).await.unwrap();
    store
        .set_service_escalation(&service, Some(&policy.id), ResponseTargets::default(), &CONSOLE, t0())
        .await
        .unwrap();
    (service, ada, policy.id)
}

async fn alerts_of_a_paging_service_start_pages_that_follow_them(store: &Store) {
    let (service, _, policy) = paging_service(store, "Checkout").await;
    let quiet = alerting_service(store, "Quiet").await;
    let outcomes = store
        .ingest(vec![
            delivery(&service, SignalAction::Trigger, "5xx", t0()),
            delivery(&quiet, SignalAction::Trigger, "5xx", t0()),
        ])
        .await
        .unwrap();
    let paged = outcomes[0].alert_id().unwrap();
    let page = store.page_of_alert(paged).await.unwrap().expect("a page started with the alert");
    assert_eq!(
        (page.policy_id.clone(), page.policy_version, page.status),
        (policy.clone(), 1, PageStatus::Escalating)
    );
    assert_eq!(page.respond_by, Some(t0() + SignedDuration::from_mins(5)), "business critical: five minutes");
    assert_eq!(page.next_due_at, Some(t0()));
    assert_eq!(
        store.page_of_alert(outcomes[1].alert_id().unwrap()).await.unwrap(),
        None,
        "no policy, no page"
    );
    assert_eq!(store.due_pages(t0(), 10).await.unwrap(), std::slice::from_ref(&page));
    assert_eq!(store.next_page_deadline().await.unwrap(), Some(t0()));

    let repeat = store.ingest(vec![delivery(&service, SignalAction::Trigger, "5xx", t0())]).await.unwrap();
    assert_eq!(repeat[0], Outcome::Repeated(paged.clone()));
    let ack_at = t0() + SignedDuration::from_mins(2);
    store.ingest(vec![delivery(&service, SignalAction::Acknowledge, "5xx", ack_at)]).await.unwrap();
    let acked = page_of(store, &page).await;
    assert_eq!(
        (acked.status, acked.acknowledged_at, acked.next_due_at),
        (PageStatus::Acknowledged, Some(ack_at), None)
    );
    assert!(store.due_pages(t0() + SignedDuration::from_hours(1), 10).await.unwrap().is_empty());

    let by = ActedBy::monitor("test");
    store
        .act_on_alert(paged, AlertAction::Resolve, &by, ack_at + SignedDuration::from_mins(1))
        .await
        .unwrap();
    let resolved = page_of(store, &page).await;
    assert_eq!((resolved.status, resolved.acknowledged_at), (PageStatus::Resolved, Some(ack_at)));

    let window = NewMaintenanceWindow::parse(None, "2026-11-23T11:00:00Z", Some("deploy"), t0()).unwrap();
    store.create_maintenance_window(&service, &window, &ActedBy::monitor("console"), t0()).await.unwrap();
    let suppressed =
        store.ingest(vec![delivery(&service, SignalAction::Trigger, "cpu", t0())]).await.unwrap();
    assert_eq!(
        store.page_of_alert(suppressed[0].alert_id().unwrap()).await.unwrap(),
        None,
        "maintenance pages no one"
    );
}

async fn each_step_of_a_page_is_recorded_once(store: &Store) {
    let (service, ada, _) = paging_service(store, "Search").await;
    let outcomes =
        store.ingest(vec![delivery(&service, SignalAction::Trigger, "latency", t0())]).await.unwrap();
    let alert = outcomes[0].alert_id().unwrap();
    let mut page = store.page_of_alert(alert).await.unwrap().unwrap();
    let method = verified_method(store, &ada).await;
    let before = page.steps_notified;
    let due = page.take_due(t0());
    assert_eq!(due.len(), 1);
    let mut notification = muster_store::queued(&method, Purpose::Page, notice("latency"), t0(), t0());
    notification.page_id = Some(page.id.clone());
    notification.alert_id = Some(alert.clone());
    let log = muster_core::alert::AlertLogEntry {
        at: t0(),
        kind: LogKind::Paged,
        by: ActedBy::monitor("Muster"),
        message: "Step 1 notified Ada".into(),
        details: serde_json::Value::Null,
    };
    let escalated = Escalated {
        page: page.clone(),
        status_before: PageStatus::Escalating,
        steps_before: before,
        unacknowledged: None,
        notifications: vec![notification],
        log: vec![log],
    };
    assert!(recorded(store, &escalated, None).await);
    assert!(!recorded(store, &escalated, None).await, "a step is recorded once");
    assert_eq!(store.notifications_of_page(&page.id).await.unwrap().len(), 1);
    let kinds: Vec<LogKind> = store.alert_log(alert).await.unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [LogKind::Triggered, LogKind::Paged]);
    assert_eq!(page_of(store, &page).await.status, PageStatus::Exhausted, "a one-step policy is done");

    let fresh = store.ingest(vec![delivery(&service, SignalAction::Trigger, "errors", t0())]).await.unwrap();
    let fresh = fresh[0].alert_id().unwrap();
    let mut second = store.page_of_alert(fresh).await.unwrap().unwrap();
    let steps_before = second.steps_notified;
    second.take_due(t0());
    store.act_on_alert(fresh, AlertAction::Acknowledge, &ActedBy::monitor("test"), t0()).await.unwrap();
    let late = Escalated {
        page: second,
        status_before: PageStatus::Escalating,
        steps_before,
        unacknowledged: None,
        notifications: Vec::new(),
        log: Vec::new(),
    };
    assert!(!recorded(store, &late, None).await, "an acknowledged page is not escalated");
    page = page_of(store, &page).await;
    assert_eq!(page.steps_notified, 1);
}

async fn the_engine_lease_has_one_holder_and_fences_its_writes(store: &Store) {
    let ttl = SignedDuration::from_secs(3);
    let first = store.acquire_engine_lease("a", t0(), ttl).await.unwrap().expect("a free lease is taken");
    assert_eq!(
        store.acquire_engine_lease("b", t0() + SignedDuration::from_secs(2), ttl).await.unwrap(),
        None
    );
    let renewed = store.acquire_engine_lease("a", t0() + SignedDuration::from_secs(2), ttl).await.unwrap();
    assert_eq!(renewed.as_ref(), Some(&first), "renewing keeps the token");
    let later = t0() + SignedDuration::from_secs(5);
    let second =
        store.acquire_engine_lease("b", later, ttl).await.unwrap().expect("an expired lease is taken over");
    assert!(second.token > first.token, "a new holder gets a new token");
    assert_eq!(
        store.acquire_engine_lease("a", later, ttl).await.unwrap(),
        None,
        "the old holder is fenced out"
    );

    let (service, _, _) = paging_service(store, "Fenced").await;
    let outcomes = store.ingest(vec![delivery(&service, SignalAction::Trigger, "disk", t0())]).await.unwrap();
    let mut page = store.page_of_alert(outcomes[0].alert_id().unwrap()).await.unwrap().unwrap();
    let steps_before = page.steps_notified;
    page.take_due(t0());
    let escalated = Escalated {
        page,
        status_before: PageStatus::Escalating,
        steps_before,
        unacknowledged: None,
        notifications: Vec::new(),
        log: Vec::new(),
    };
    assert!(!recorded(store, &escalated, Some(&first)).await, "a stale token writes nothing");
    assert!(recorded(store, &escalated, Some(&second)).await);

    store.release_engine_lease(&second.holder).await.unwrap();
    assert!(
        store.acquire_engine_lease("a", later, ttl).await.unwrap().is_some(),
        "a released lease is free at once"
    );
}

fn notice(title: &str) -> Notice {
    Notice { title: title.into(), text: String::new(), url: None, respond: true }
}

fn code(hash: &str) -> VerificationCode {
    VerificationCode { hash: hash.into(), expires_at: t0() + SignedDuration::from_mins(30) }
}

/// Ada's ntfy method, verified, with a rule to use it at once.
async fn verified_method(store: &Store, user: &UserId) -> muster_core::notify::ContactMethod {
    let new = NewContactMethod::parse("ntfy", None, "https://ntfy.example/ada", false).unwrap();
    let method = store
        .create_contact_method(user, &new, None, &code("h1"), notice("code"), &CONSOLE, t0())
        .await
        .unwrap();
    let method = store.verify_contact_method(user, &method.id, "h1", &CONSOLE, t0()).await.unwrap();
    let rule = NewNotificationRule::parse(method.id.as_str(), Some(0)).unwrap();
    store.add_notification_rule(user, &rule, &CONSOLE, t0()).await.unwrap();
    method
}

async fn contact_methods_are_verified_by_the_code_sent_to_them(store: &Store) {
    let ada = user(store, "Ada", Role::Responder).await;
    let grace = user(store, "Grace", Role::Responder).await;
    let new = NewContactMethod::parse("email", Some("Work"), "ada@example.com", false).unwrap();
    let method = store
        .create_contact_method(&ada, &new, None, &code("right"), notice("Your code"), &CONSOLE, t0())
        .await
        .unwrap();
    assert!(!method.is_verified());
    let queued = store.notifications_of_user(&ada, 10).await.unwrap();
    assert_eq!(
        queued.iter().map(|n| n.purpose).collect::<Vec<_>>(),
        [Purpose::Verification],
        "the code is queued with it"
    );

    let rule = NewNotificationRule::parse(method.id.as_str(), Some(2)).unwrap();
    store.add_notification_rule(&ada, &rule, &CONSOLE, t0()).await.unwrap();
    assert!(
        store.reachable(std::slice::from_ref(&ada)).await.unwrap()[0].rules.is_empty(),
        "unverified methods are not used"
    );

    let wrong = store.verify_contact_method(&ada, &method.id, "wrong", &CONSOLE, t0()).await;
    assert_eq!(invalid_fields(wrong), ["code"]);
    let not_mine = store.verify_contact_method(&grace, &method.id, "right", &CONSOLE, t0()).await;
    assert!(matches!(not_mine, Err(StoreError::NotFound(_))), "only the owner verifies");
    let too_late = t0() + SignedDuration::from_hours(1);
    assert_eq!(
        invalid_fields(store.verify_contact_method(&ada, &method.id, "right", &CONSOLE, too_late).await),
        ["code"]
    );
    let verified = store.verify_contact_method(&ada, &method.id, "right", &CONSOLE, t0()).await.unwrap();
    assert!(verified.is_verified());
    let reachable = store.reachable(&[ada.clone(), grace.clone()]).await.unwrap();
    assert_eq!(
        reachable[0].rules.iter().map(|(m, d)| (m.id.clone(), *d)).collect::<Vec<_>>(),
        [(method.id.clone(), 2)]
    );
    assert_eq!(reachable[0].time_zone, "Europe/London");
    assert!(reachable[1].rules.is_empty(), "Grace has no rules");

    let foreign = NewNotificationRule::parse(method.id.as_str(), None).unwrap();
    assert_eq!(
        invalid_fields(store.add_notification_rule(&grace, &foreign, &CONSOLE, t0()).await),
        ["contact_method_id"]
    );
    store.delete_contact_method(&ada, &method.id, &CONSOLE, t0()).await.unwrap();
    assert!(store.notification_rules_of(&ada).await.unwrap().is_empty(), "its rules go with it");
    assert!(store.contact_methods_of(&ada).await.unwrap().is_empty());
}

async fn the_outbox_delivers_at_least_once_and_keeps_dead_letters(store: &Store) {
    let ada = user(store, "Ada", Role::Responder).await;
    let new = NewContactMethod::parse("webhook", None, "https://hooks.example/ada", true).unwrap();
    let method = store
        .create_contact_method(&ada, &new, Some("s3cret"), &code("c"), notice("code"), &CONSOLE, t0())
        .await
        .unwrap();
    let later = t0() + SignedDuration::from_mins(10);
    store
        .queue_notification(&muster_store::queued(&method, Purpose::Test, notice("test"), later, t0()))
        .await
        .unwrap();
    assert_eq!(store.next_notification_due().await.unwrap(), Some(t0()));

    let claim_ends = t0() + SignedDuration::from_secs(60);
    let claimed = store.claim_notifications(t0(), claim_ends, 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "only what is due");
    assert_eq!(claimed[0].signing_secret.as_deref(), Some("s3cret"), "signed webhooks carry their secret");
    assert_eq!(claimed[0].notification.attempts, 1);
    assert!(
        store.claim_notifications(t0(), claim_ends, 10).await.unwrap().is_empty(),
        "a claimed row is not claimed twice"
    );
    let again =
        store.claim_notifications(claim_ends, claim_ends + SignedDuration::from_secs(60), 10).await.unwrap();
    assert_eq!(again.len(), 1, "a claim that ended unanswered is claimed again");
    assert_eq!(again[0].notification.id, claimed[0].notification.id, "with the same idempotency key");
    store.notifications_delivered(&[again[0].notification.id.clone()], claim_ends).await.unwrap();

    let test = store.claim_notifications(later, later + SignedDuration::from_secs(60), 10).await.unwrap();
    assert_eq!(test.len(), 1);
    let id = test[0].notification.id.clone();
    let retry_at = later + SignedDuration::from_secs(10);
    store
        .notifications_failed(std::slice::from_ref(&id), "503 Service Unavailable", Some(retry_at))
        .await
        .unwrap();
    assert!(store.claim_notifications(later, later, 10).await.unwrap().is_empty());
    let retried =
        store.claim_notifications(retry_at, retry_at + SignedDuration::from_secs(60), 10).await.unwrap();
    assert_eq!(
        (retried[0].notification.attempts, retried[0].notification.last_error.as_deref()),
        (2, Some("503 Service Unavailable"))
    );
    store.notifications_failed(std::slice::from_ref(&id), "503 again", None).await.unwrap();
    let dead = store.dead_letters(10).await.unwrap();
    assert_eq!((dead.len(), dead[0].status), (1, NotificationStatus::DeadLetter));
    assert_eq!(store.next_notification_due().await.unwrap(), None);
    let statuses: Vec<NotificationStatus> =
        store.notifications_of_user(&ada, 10).await.unwrap().iter().map(|n| n.status).collect();
    assert_eq!(statuses, [NotificationStatus::DeadLetter, NotificationStatus::Delivered]);
}

async fn a_signed_link_acts_once(store: &Store) {
    let (service, ada, _) = paging_service(store, "Links").await;
    let method = verified_method(store, &ada).await;
    let outcomes = store.ingest(vec![delivery(&service, SignalAction::Trigger, "disk", t0())]).await.unwrap();
    let alert = outcomes[0].alert_id().unwrap();
    let mut page = store.page_of_alert(alert).await.unwrap().unwrap();
    let steps_before = page.steps_notified;
    page.take_due(t0());
    let mut notification = muster_store::queued(&method, Purpose::Page, notice("disk"), t0(), t0());
    notification.page_id = Some(page.id.clone());
    notification.alert_id = Some(alert.clone());
    let id = notification.id.clone();
    let escalated = Escalated {
        page: page.clone(),
        status_before: PageStatus::Escalating,
        steps_before,
        unacknowledged: None,
        notifications: vec![notification],
        log: Vec::new(),
    };
    assert!(recorded(store, &escalated, None).await);

    let by = ActedBy::user(ada.clone(), "Ada");
    let acked = store.respond_by_link(&id, AlertAction::Acknowledge, &by, t0()).await.unwrap();
    assert_eq!(acked.status, AlertStatus::Acknowledged);
    assert_eq!(page_of(store, &page).await.status, PageStatus::Acknowledged, "the page stops with it");
    assert!(
        is_conflict(&store.respond_by_link(&id, AlertAction::Resolve, &by, t0()).await, "link"),
        "single use"
    );
    assert_eq!(store.get_alert(alert).await.unwrap().status, AlertStatus::Acknowledged);
}

/// Whether the store recorded one page's escalation.
async fn recorded(store: &Store, escalated: &Escalated, fence: Option<&muster_store::Fence>) -> bool {
    store.record_escalations(std::slice::from_ref(escalated), fence).await.unwrap()[0]
}

/// A page as stored now.
async fn page_of(store: &Store, page: &muster_core::escalation::Page) -> muster_core::escalation::Page {
    store.page_of_alert(&page.alert_id).await.unwrap().expect("the page is stored")
}

async fn declared(
    store: &Store,
    title: &str,
    alerts: Vec<AlertId>,
    declarer: &UserId,
) -> muster_core::incident::Incident {
    let report =
        alerts.is_empty().then(|| ProblemReport::parse("checkout works", "checkout 502s", "").unwrap());
    let declaration = Declaration::parse(title, "sev2", vec![], (true, false), alerts, report).unwrap();
    let who = store.participant(declarer).await.unwrap();
    store.declare_incident(declaration, &who, &UpdateCadence::default(), t0()).await.unwrap()
}

async fn incidents_are_declared_numbered_and_linked(store: &Store) {
    let service = alerting_service(store, "Checkout").await;
    let ada = user(store, "Ada", Role::Responder).await;
    let outcomes = store.ingest(vec![delivery(&service, SignalAction::Trigger, "5xx", t0())]).await.unwrap();
    let alert = outcomes[0].alert_id().unwrap().clone();
    let first = declared(store, "Checkout 5xx", vec![alert.clone()], &ada).await;
    assert_eq!(first.number, 1);
    assert_eq!(first.services, std::slice::from_ref(&service), "the alert's service is affected");
    assert_eq!(first.command.commander.name, "Ada");
    let second = declared(store, "Slow search", vec![], &ada).await;
    assert_eq!(second.number, 2);
    assert_eq!(second.problem_report.as_ref().unwrap().actual, "checkout 502s");

    let read = store.get_incident(&first.id).await.unwrap();
    assert_eq!(read, first, "the aggregate reads back as declared");
    assert_eq!(store.incident_by_number(2).await.unwrap().id, second.id);
    assert_eq!(store.incidents_for_alert(&alert).await.unwrap()[0].id, first.id);
    let document = store.document_revision(&first.id, None).await.unwrap();
    assert_eq!(document.revision, 1);
    assert!(document.sections.links.contains(&format!("/alerts/{alert}")));
    let timeline = store.incident_timeline(&first.id).await.unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].kind, TimelineKind::Declared);

    let by_service = IncidentFilter { open: None, service: Some(service.clone()) };
    let listed = store.list_incidents(&by_service, None, 10).await.unwrap();
    assert_eq!(listed.iter().map(|i| i.number).collect::<Vec<_>>(), [1]);
    let all = store.list_incidents(&IncidentFilter::default(), None, 1).await.unwrap();
    let cursor = muster_store::IncidentCursor { declared_at: all[0].declared_at, id: all[0].id.clone() };
    let rest = store.list_incidents(&IncidentFilter::default(), Some(&cursor), 10).await.unwrap();
    assert_eq!((all.len(), rest.len()), (1, 1));
    assert_ne!(all[0].id, rest[0].id);
    let unknown =
        Declaration::parse("x", "sev3", vec![], (false, false), vec![AlertId("nope".into())], None).unwrap();
    let who = store.participant(&ada).await.unwrap();
    let refused = store.declare_incident(unknown, &who, &UpdateCadence::default(), t0()).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))));
    assert_eq!(store.list_incidents(&IncidentFilter::default(), None, 10).await.unwrap().len(), 2);
}

async fn incident_changes_commit_whole_or_not_at_all(store: &Store) {
    let ada = user(store, "Ada", Role::Responder).await;
    let bo = user(store, "Bo", Role::Responder).await;
    let sam = user(store, "Sam", Role::Stakeholder).await;
    let incident = declared(store, "Checkout 5xx", vec![], &ada).await;
    let (ada_p, bo_p, sam_p) = (
        store.participant(&ada).await.unwrap(),
        store.participant(&bo).await.unwrap(),
        store.participant(&sam).await.unwrap(),
    );
    let cadence = UpdateCadence::default();
    let at = |m| t0() + SignedDuration::from_mins(m);
    let offer = Change::OfferRole { role: IncidentRole::Commander, to: bo_p.clone() };
    store.change_incident(&incident.id, &ada_p, offer, &cadence, at(1)).await.unwrap();
    let refused = store
        .change_incident(&incident.id, &sam_p, Change::AddNote { text: "hi".into() }, &cadence, at(2))
        .await;
    assert!(matches!(refused, Err(StoreError::Forbidden(_))));
    let (accepted, entries) = store
        .change_incident(
            &incident.id,
            &bo_p,
            Change::AcceptOffer { role: IncidentRole::Commander },
            &cadence,
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(accepted.command.commander.name, "Bo");
    assert_eq!(store.get_incident(&incident.id).await.unwrap().command.commander.name, "Bo");

    let resolve = Change::SetState { state: IncidentState::Resolved };
    assert!(is_conflict(
        &store.change_incident(&incident.id, &bo_p, resolve, &cadence, at(4)).await,
        "state"
    ));
    let timeline = store.incident_timeline(&incident.id).await.unwrap();
    assert_eq!(timeline.len(), 3, "declared, offered, accepted; the refusals left nothing");

    let pinned = store.pin_timeline_entry(&incident.id, &entries[0].id, true, &ada_p, &cadence, at(5)).await;
    assert!(matches!(pinned, Err(StoreError::Forbidden(_))), "Ada no longer has a part");
    let pinned =
        store.pin_timeline_entry(&incident.id, &entries[0].id, true, &bo_p, &cadence, at(5)).await.unwrap();
    assert!(pinned.pinned);

    let (after, update) = store
        .post_stakeholder_update(
            &incident.id,
            &bo_p,
            StakeholderAudience::Internal,
            " Pool exhausted ",
            &cadence,
            at(10),
        )
        .await
        .unwrap();
    assert_eq!(update.body, "Pool exhausted");
    assert_eq!(after.next_update_due, Some(at(70)));
    store
        .post_stakeholder_update(
            &incident.id,
            &bo_p,
            StakeholderAudience::Public,
            "We are fixing checkout",
            &cadence,
            at(11),
        )
        .await
        .unwrap();
    let refused = store
        .post_stakeholder_update(&incident.id, &bo_p, StakeholderAudience::Public, "  ", &cadence, at(12))
        .await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))));
    let public: Vec<String> =
        store.stakeholder_updates(&incident.id, true).await.unwrap().into_iter().map(|u| u.body).collect();
    assert_eq!(public, ["We are fixing checkout"]);
    assert_eq!(
        store.stakeholder_updates(&incident.id, false).await.unwrap().len(),
        2,
        "the refused one left nothing"
    );
}

async fn a_stale_document_revision_is_refused(store: &Store) {
    let ada = user(store, "Ada", Role::Responder).await;
    let incident = declared(store, "Checkout 5xx", vec![], &ada).await;
    let who = store.participant(&ada).await.unwrap();
    let cadence = UpdateCadence::default();
    let current = store.document_revision(&incident.id, None).await.unwrap();
    let edit = |status: &str| DocumentSections { current_status: status.into(), ..current.sections.clone() };
    // Two people save on revision 1 at once: exactly one of them wins.
    let (first, second) = tokio::join!(
        store.edit_incident_document(&incident.id, &who, 1, edit("Identified: pool"), &cadence, t0()),
        store.edit_incident_document(&incident.id, &who, 1, edit("Monitoring"), &cadence, t0()),
    );
    let wins = [first.is_ok(), second.is_ok()];
    assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{first:?} {second:?}");
    let loser = if wins[0] { second } else { first };
    assert!(
        matches!(&loser, Err(StoreError::Conflict { field: "base_revision", problem }) if problem.contains("Ada saved revision 2"))
    );
    let revisions = store.document_revisions(&incident.id).await.unwrap();
    assert_eq!(revisions.iter().map(|r| r.revision).collect::<Vec<_>>(), [2, 1]);
    assert!(is_conflict(
        &store
            .edit_incident_document(&incident.id, &who, 2, revisions[0].sections.clone(), &cadence, t0())
            .await,
        "sections"
    ));
    let timeline = store.incident_timeline(&incident.id).await.unwrap();
    assert_eq!(timeline.last().unwrap().message, "Ada edited the document (revision 2): Current status");
}

fn postmortem_document(
    commander: &muster_core::incident::Person,
    text: &str,
) -> muster_core::postmortem::PostmortemDocument {
    muster_core::postmortem::PostmortemDocument {
        title: "Postmortem: Checkout 5xx".into(),
        date: "2026-11-23".into(),
        authors: vec![commander.clone()],
        reviewers: vec![],
        commander: commander.clone(),
        executive_summary: text.into(),
        problem_summary: String::new(),
        impact: String::new(),
        timeline: vec![],
        root_cause: "The connection pool was halved by a config change.".into(),
        trigger: String::new(),
        resolution: String::new(),
        went_well: vec![],
        went_wrong: vec![],
        got_lucky: vec![],
    }
}

async fn postmortems_are_drafted_once_and_published_versions_are_searched(store: &Store) {
    use muster_core::postmortem::{PostmortemChange, PostmortemStatus, Requirement, RequirementReason};
    let ada = user(store, "Ada", Role::Responder).await;
    let cy = user(store, "Cy", Role::Responder).await;
    let incident = declared(store, "Checkout 5xx", vec![], &ada).await;
    let (ada_p, cy_p) = (store.participant(&ada).await.unwrap(), store.participant(&cy).await.unwrap());
    let requirement = Requirement {
        required: true,
        reasons: vec![RequirementReason::CustomerFacing],
        due_at: Some(t0() + SignedDuration::from_hours(24 * 7)),
    };
    let document = postmortem_document(&ada_p.person, "Checkout failed for forty minutes.");
    let first = store.create_postmortem(&incident.id, document.clone(), &requirement, t0()).await.unwrap();
    let again = store.create_postmortem(&incident.id, document, &requirement, t0()).await.unwrap();
    assert_eq!(first.postmortem.id, again.postmortem.id, "one postmortem per incident");
    assert_eq!(again.requirement, requirement);
    let id = first.postmortem.id.clone();
    assert!(store.search_postmortems("forty", 10).await.unwrap().is_empty(), "drafts are not searched");

    let pm_id = &id;
    let change = |who: &muster_core::incident::Participant, change| {
        let who = who.clone();
        async move { store.change_postmortem(pm_id, &who, change, &[], t0()).await }
    };
    change(&ada_p, PostmortemChange::SetReviewers { reviewers: vec![cy_p.clone()] }).await.unwrap();
    change(&ada_p, PostmortemChange::Submit).await.unwrap();
    let early = change(&ada_p, PostmortemChange::Publish).await;
    assert!(is_conflict(&early, "approvals"));
    change(&cy_p, PostmortemChange::Approve).await.unwrap();
    let published = change(&ada_p, PostmortemChange::Publish).await.unwrap();
    assert_eq!(published.postmortem.status, PostmortemStatus::Published);
    let hits = store.search_postmortems("connection pool", 10).await.unwrap();
    assert_eq!(hits.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(), ["Postmortem: Checkout 5xx"]);
    let other = declared(store, "Checkout latency", vec![], &ada).await;
    let similar = store.similar_postmortems("Checkout latency after the deploy", &other.id, 5).await.unwrap();
    assert_eq!(similar.iter().map(|h| h.incident_number).collect::<Vec<_>>(), [incident.number]);
    assert!(store.similar_postmortems("Checkout", &incident.id, 5).await.unwrap().is_empty(), "not itself");
    assert!(
        store.similar_postmortems("the and with", &other.id, 5).await.unwrap().is_empty(),
        "common words say nothing"
    );
    let syntax = store.search_postmortems("\"pool\" OR * NEAR(", 10).await;
    assert!(syntax.is_ok(), "the reader's words are never search syntax: {syntax:?}");

    let edit =
        change(&ada_p, PostmortemChange::Edit { document: Box::new(published.postmortem.document.clone()) })
            .await;
    assert!(is_conflict(&edit, "status"), "published is read-only");
    let corrected = postmortem_document(&ada_p.person, "Checkout failed for fifty minutes, not forty.");
    change(&ada_p, PostmortemChange::Correct { document: Box::new(corrected), reason: "Duration".into() })
        .await
        .unwrap();
    let versions = store.postmortem_versions(&id).await.unwrap();
    assert_eq!(versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [1, 2]);
    assert!(versions[0].1.executive_summary.contains("forty minutes."), "every version is kept whole");
    assert_eq!(
        store.search_postmortems("fifty", 10).await.unwrap().len(),
        1,
        "search follows the correction"
    );
    let history = store.postmortem_history(&id).await.unwrap();
    assert_eq!(history.len(), 6, "{history:?}");
    assert!(history[0].message.contains("required because it was customer-facing"));
    assert_eq!(
        store.postmortem_of_incident(&incident.id).await.unwrap().map(|p| p.postmortem.version),
        Some(2)
    );
}

async fn action_items_move_to_done_or_wont_do_with_a_reason(store: &Store) {
    use muster_core::postmortem::{ActionPriority, ActionStatus, Requirement};
    let ada = user(store, "Ada", Role::Responder).await;
    let incident = declared(store, "Checkout 5xx", vec![], &ada).await;
    let ada_p = store.participant(&ada).await.unwrap();
    let requirement = Requirement { required: false, reasons: vec![], due_at: None };
    let pm = store
        .create_postmortem(&incident.id, postmortem_document(&ada_p.person, "x"), &requirement, t0())
        .await
        .unwrap();
    let new = |title: &str| muster_store::NewActionItem {
        title: title.into(),
        owner: ada.clone(),
        due_on: Some(date(2026, 12, 4)),
        priority: ActionPriority::High,
        tracker_url: None,
    };
    let check =
        store.add_action_item(&pm.postmortem.id, new("Check pool size in CI"), &CONSOLE, t0()).await.unwrap();
    let alert = store
        .add_action_item(&pm.postmortem.id, new("Alert on pool saturation"), &CONSOLE, t0())
        .await
        .unwrap();
    assert!(matches!(
        store.add_action_item(&pm.postmortem.id, new("  "), &CONSOLE, t0()).await,
        Err(StoreError::Invalid(_))
    ));
    let refused = store.set_action_status(&alert.id, ActionStatus::WontDo, None, &CONSOLE, t0()).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))));
    store
        .set_action_status(&alert.id, ActionStatus::WontDo, Some("Covered by the CI check"), &CONSOLE, t0())
        .await
        .unwrap();
    store.set_action_status(&check.id, ActionStatus::InProgress, None, &CONSOLE, t0()).await.unwrap();
    let open = store.action_items(None, true).await.unwrap();
    assert_eq!(open.iter().map(|a| a.title.as_str()).collect::<Vec<_>>(), ["Check pool size in CI"]);
    let all = store.action_items(Some(&pm.postmortem.id), false).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].wont_do_reason.as_deref(), Some("Covered by the CI check"));
    assert_eq!(all[0].due_on, Some(date(2026, 12, 4)));
}

/// A published postmortem of a new incident, reviewed by `reviewer`.
async fn published_postmortem(
    store: &Store,
    title: &str,
    author: &muster_core::incident::Participant,
    reviewer: &muster_core::incident::Participant,
) -> muster_core::ids::PostmortemId {
    use muster_core::postmortem::{PostmortemChange, Requirement};
    let incident = declared(store, title, vec![], &author.person.id).await;
    let document = muster_core::postmortem::PostmortemDocument {
        title: format!("Postmortem: {title}"),
        ..postmortem_document(&author.person, "What happened.")
    };
    let requirement = Requirement { required: false, reasons: vec![], due_at: None };
    let id = store.create_postmortem(&incident.id, document, &requirement, t0()).await.unwrap().postmortem.id;
    let steps = [
        (author, PostmortemChange::SetReviewers { reviewers: vec![reviewer.clone()] }),
        (author, PostmortemChange::Submit),
        (reviewer, PostmortemChange::Approve),
        (author, PostmortemChange::Publish),
    ];
    for (who, change) in steps {
        store.change_postmortem(&id, who, change, &[], t0()).await.unwrap();
    }
    id
}

async fn the_reading_club_votes_lists_and_records_sessions_of_published_postmortems(store: &Store) {
    use muster_core::postmortem::Month;
    let (ada, bo, cy) = (
        user(store, "Ada", Role::Responder).await,
        user(store, "Bo", Role::Responder).await,
        user(store, "Cy", Role::Admin).await,
    );
    let (ada_p, bo_p, cy_p) = (
        store.participant(&ada).await.unwrap(),
        store.participant(&bo).await.unwrap(),
        store.participant(&cy).await.unwrap(),
    );
    let checkout = published_postmortem(store, "Checkout 5xx", &ada_p, &bo_p).await;
    let search = published_postmortem(store, "Search slow", &bo_p, &ada_p).await;
    let draft_incident = declared(store, "Login loop", vec![], &ada).await;
    let requirement = muster_core::postmortem::Requirement { required: false, reasons: vec![], due_at: None };
    let draft = store
        .create_postmortem(&draft_incident.id, postmortem_document(&ada_p.person, "x"), &requirement, t0())
        .await
        .unwrap()
        .postmortem
        .id;
    let december = Month::parse("month", "2026-12").unwrap();

    let refused = store.vote_for_postmortem(&december, &ada, &draft, t0()).await;
    assert!(is_conflict(&refused, "postmortem_id"), "drafts are not voted for: {refused:?}");
    store.vote_for_postmortem(&december, &ada, &search, t0()).await.unwrap();
    store.vote_for_postmortem(&december, &bo, &checkout, t0()).await.unwrap();
    let tied = store.month_vote(&december, &ada).await.unwrap();
    assert_eq!(tied.winner, None, "a tie has no winner");
    assert_eq!(tied.my_vote.as_ref(), Some(&search));
    store.vote_for_postmortem(&december, &ada, &checkout, t0()).await.unwrap();
    store.vote_for_postmortem(&december, &cy, &checkout, t0()).await.unwrap();
    let vote = store.month_vote(&december, &ada).await.unwrap();
    let standings: Vec<(&str, u32)> =
        vote.standings.iter().map(|s| (s.postmortem.title.as_str(), s.votes)).collect();
    assert_eq!(standings, [("Postmortem: Checkout 5xx", 3)], "voting again moves the vote");
    assert_eq!(vote.winner.as_ref().map(|w| &w.postmortem_id), Some(&checkout));
    store.choose_postmortem_of_the_month(&december, &search, &cy_p.person, t0()).await.unwrap();
    let chosen = store.month_vote(&december, &bo).await.unwrap();
    assert_eq!(chosen.winner.as_ref().map(|w| &w.postmortem_id), Some(&search), "the admin's choice wins");
    assert_eq!(chosen.chosen_by.as_ref().map(|p| p.name.as_str()), Some("Cy"));
    let november = store.month_vote(&Month::parse("month", "2026-11").unwrap(), &bo).await.unwrap();
    assert!(november.standings.is_empty() && november.winner.is_none(), "months are counted apart");

    store
        .add_to_reading_list(&checkout, "Read this before your first shift", &cy_p.person, t0())
        .await
        .unwrap();
    store.add_to_reading_list(&search, "", &ada_p.person, t0() + SignedDuration::from_mins(1)).await.unwrap();
    store.add_to_reading_list(&checkout, "A classic", &ada_p.person, t0()).await.unwrap();
    let listed = store.reading_list().await.unwrap();
    let notes: Vec<(&str, &str)> =
        listed.iter().map(|e| (e.postmortem.title.as_str(), e.note.as_str())).collect();
    assert_eq!(notes, [("Postmortem: Checkout 5xx", "A classic"), ("Postmortem: Search slow", "")]);
    assert!(is_conflict(&store.add_to_reading_list(&draft, "", &ada_p.person, t0()).await, "postmortem_id"));
    store.remove_from_reading_list(&search).await.unwrap();
    assert_eq!(store.reading_list().await.unwrap().len(), 1);

    let session = muster_store::NewReviewSession {
        held_on: date(2026, 12, 3),
        title: "December reading club".into(),
        notes: "Pool sizes should be checked in CI.".into(),
        postmortems: vec![checkout.clone(), search.clone(), checkout.clone()],
        attendees: vec![ada.clone(), bo.clone()],
    };
    let empty = muster_store::NewReviewSession { attendees: vec![], ..session.clone() };
    let refused = store.record_review_session(empty, &cy_p.person, t0()).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "a session has attendees: {refused:?}");
    let with_draft = muster_store::NewReviewSession { postmortems: vec![draft.clone()], ..session.clone() };
    assert!(is_conflict(&store.record_review_session(with_draft, &cy_p.person, t0()).await, "postmortem_id"));
    assert!(store.review_sessions(10).await.unwrap().is_empty(), "a refused session leaves nothing behind");
    store.record_review_session(session, &cy_p.person, t0()).await.unwrap();
    let sessions = store.review_sessions(10).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].postmortems.len(), 2, "each postmortem once");
    let attendees: Vec<&str> = sessions[0].attendees.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(attendees, ["Ada", "Bo"]);
}

async fn slos_are_counted_and_ops_mode_is_entered_once_with_its_exceptions(store: &Store) {
    use muster_core::{
        ids::SloId,
        slo::{NewSlo, ReducedObjective, Sli},
    };
    let service = store
        .create_service(&NewService::parse("Checkout", None, None).unwrap(), &CONSOLE, t0())
        .await
        .unwrap();
    let ada = user(store, "Ada", Role::Responder).await;
    let ada = store.participant(&ada).await.unwrap().person;
    let new = |name: &str| NewSlo {
        name: name.into(),
        sli: Sli::Ratio { good: "ok_total".into(), total: "all_total".into() },
        objective: 99.95,
        window_days: None,
    };
    let slo = new("availability").parse(SloId("slo-1".into()), service.id.clone()).unwrap();
    store.create_slo(&slo, &CONSOLE, t0()).await.unwrap();
    let twin = new("availability").parse(SloId("slo-2".into()), service.id.clone()).unwrap();
    assert!(is_conflict(&store.create_slo(&twin, &CONSOLE, t0()).await, "name"));
    assert_eq!(
        store.slos_of(&service.id).await.unwrap(),
        std::slice::from_ref(&slo),
        "the objective comes back exact"
    );

    store.record_slo_counts(&slo.id, 990, 1000, t0()).await.unwrap();
    store.record_slo_counts(&slo.id, 500, 500, t0() + SignedDuration::from_hours(1)).await.unwrap();
    assert_eq!(store.slo_counts_since(&slo.id, t0()).await.unwrap(), (1490, 1500));
    assert_eq!(
        store.slo_counts_since(&slo.id, t0() + SignedDuration::from_mins(1)).await.unwrap(),
        (500, 500)
    );

    assert!(is_conflict(
        &store.grant_deploy_exception(&service.id, "v2", "fix", &ada, t0()).await,
        "ops_mode"
    ));
    let enter = muster_store::EnterOpsMode {
        reason: "error budget exhausted".into(),
        expected_end: Some(t0() + SignedDuration::from_hours(48)),
        reduced_objectives: vec![ReducedObjective { slo_id: slo.id.clone(), normal: 99.95, reduced: 99.5 }],
    };
    let ops = store.enter_ops_mode(&service.id, enter.clone(), &ada, t0()).await.unwrap();
    assert!(
        is_conflict(&store.enter_ops_mode(&service.id, enter, &ada, t0()).await, "ops_mode"),
        "once at a time"
    );
    assert_eq!(store.ops_mode_of(&service.id).await.unwrap().as_ref(), Some(&ops));
    store.grant_deploy_exception(&service.id, "release-4.13", "the fix itself", &ada, t0()).await.unwrap();
    let granted = store.deploy_exceptions(&ops.id).await.unwrap();
    assert_eq!(granted.iter().map(|e| e.deploy.as_str()).collect::<Vec<_>>(), ["release-4.13"]);
    let left = store.leave_ops_mode(&service.id, &ada, t0() + SignedDuration::from_hours(2)).await.unwrap();
    assert_eq!(left.left_by.as_ref().map(|p| p.name.as_str()), Some("Ada"));
    assert!(store.ops_mode_of(&service.id).await.unwrap().is_none());
    assert!(is_conflict(&store.leave_ops_mode(&service.id, &ada, t0()).await, "ops_mode"));
    assert_eq!(store.ops_mode_history(&service.id, 10).await.unwrap().len(), 1);
    store.delete_slo(&service.id, &slo.id, &CONSOLE, t0()).await.unwrap();
    assert!(store.slos_of(&service.id).await.unwrap().is_empty());
}
