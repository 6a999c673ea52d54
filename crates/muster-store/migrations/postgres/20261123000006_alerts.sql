-- Alerts: every signal from monitoring, deduplicated by (service, dedup key) while open, with a log
-- of every event; per-service alert settings, maintenance windows and heartbeat monitors.

ALTER TABLE services ADD COLUMN priority_critical TEXT NOT NULL DEFAULT 'business_critical';
ALTER TABLE services ADD COLUMN priority_error TEXT NOT NULL DEFAULT 'urgent';
ALTER TABLE services ADD COLUMN priority_warning TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE services ADD COLUMN priority_info TEXT NOT NULL DEFAULT 'normal';
-- NULL means no limit.
ALTER TABLE services ADD COLUMN rate_limit_per_minute BIGINT DEFAULT 1200;
ALTER TABLE services ADD COLUMN open_alert_cap BIGINT DEFAULT 200;
-- Kept in step with the alerts table by every write that opens or resolves an alert, so the cap
-- check of a batch does not count rows.
ALTER TABLE services ADD COLUMN open_alerts BIGINT NOT NULL DEFAULT 0;

-- Grafana keys may verify an HMAC-SHA256 signature of each request.
ALTER TABLE integration_keys ADD COLUMN signing_secret TEXT;
ALTER TABLE integration_keys ADD COLUMN signing_timestamp_header TEXT;

CREATE TABLE alerts (
    id                      TEXT PRIMARY KEY,
    service_id              TEXT NOT NULL REFERENCES services (id),
    dedup_key               TEXT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
    severity                TEXT NOT NULL,
    priority                TEXT NOT NULL,
    summary                 TEXT NOT NULL,
    source                  TEXT NOT NULL,
    component               TEXT,
    alert_group             TEXT,
    class                   TEXT,
    details                 TEXT NOT NULL,
    links                   TEXT NOT NULL,
    images                  TEXT NOT NULL,
    client                  TEXT,
    client_url              TEXT,
    origin                  TEXT NOT NULL,
    suppressed              INTEGER NOT NULL,
    grouped                 BIGINT NOT NULL,
    first_seen_at           BIGINT NOT NULL,
    last_seen_at            BIGINT NOT NULL,
    occurrences             BIGINT NOT NULL,
    acknowledged_at         BIGINT,
    acknowledged_by_user_id TEXT REFERENCES users (id),
    acknowledged_by         TEXT,
    resolved_at             BIGINT,
    resolved_by_user_id     TEXT REFERENCES users (id),
    resolved_by             TEXT,
    updated_at              BIGINT NOT NULL
);
-- The deduplication rule itself: one open alert per (service, dedup key). Keyed by dedup key first
-- because a batch looks its keys up with one IN list.
CREATE UNIQUE INDEX alerts_open_key ON alerts (dedup_key, service_id) WHERE resolved_at IS NULL;
CREATE INDEX alerts_newest ON alerts (first_seen_at, id);
CREATE INDEX alerts_service_newest ON alerts (service_id, first_seen_at);

CREATE TABLE alert_log (
    id         BIGSERIAL PRIMARY KEY,
    alert_id   TEXT NOT NULL REFERENCES alerts (id),
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    by_user_id TEXT REFERENCES users (id),
    by_name    TEXT NOT NULL,
    message    TEXT NOT NULL,
    details    TEXT NOT NULL
);
CREATE INDEX alert_log_alert ON alert_log (alert_id, id);

CREATE TABLE maintenance_windows (
    id                 TEXT PRIMARY KEY,
    service_id         TEXT NOT NULL REFERENCES services (id),
    starts_at          BIGINT NOT NULL,
    ends_at            BIGINT NOT NULL,
    reason             TEXT NOT NULL,
    created_by_user_id TEXT REFERENCES users (id),
    created_by         TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX maintenance_windows_service ON maintenance_windows (service_id, ends_at);

CREATE TABLE heartbeats (
    id               TEXT PRIMARY KEY,
    service_id       TEXT NOT NULL REFERENCES services (id),
    name             TEXT NOT NULL,
    interval_seconds BIGINT NOT NULL,
    secret           TEXT NOT NULL,
    last_check_in_at BIGINT,
    down_since       BIGINT,
    created_at       BIGINT NOT NULL,
    deleted_at       BIGINT
);
CREATE UNIQUE INDEX heartbeats_secret ON heartbeats (secret);
CREATE INDEX heartbeats_service ON heartbeats (service_id);
