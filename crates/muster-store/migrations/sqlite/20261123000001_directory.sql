-- Users, teams, services and integration keys; sign-in sessions, API tokens and the audit log.
-- Portable schema: timestamps are BIGINT epoch milliseconds UTC, ids TEXT, booleans INTEGER 0/1.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    email          TEXT NOT NULL,
    time_zone      TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'responder', 'stakeholder')),
    password_hash  TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    deactivated_at BIGINT
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE UNIQUE INDEX teams_live_name ON teams (lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE team_members (
    team_id  TEXT NOT NULL REFERENCES teams (id),
    user_id  TEXT NOT NULL REFERENCES users (id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE services (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    team_id     TEXT REFERENCES teams (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE UNIQUE INDEX services_live_name ON services (lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX services_team ON services (team_id);

CREATE TABLE integration_keys (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    kind       TEXT NOT NULL CHECK (kind IN ('pagerduty', 'alertmanager', 'grafana', 'opsgenie', 'generic')),
    name       TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX integration_keys_secret ON integration_keys (secret);
CREATE INDEX integration_keys_service ON integration_keys (service_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            BIGINT NOT NULL,
    actor_user_id TEXT REFERENCES users (id),
    actor         TEXT,
    action        TEXT NOT NULL,
    target_kind   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    summary       TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
