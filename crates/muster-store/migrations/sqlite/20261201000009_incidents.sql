-- Incidents: the aggregate (core `Incident`), its links to services and alerts, its document
-- revisions, its timeline, stakeholder updates and who subscribes to them; and the services'
-- standard-response playbooks and declaration criteria.

-- The aggregate's nested parts (`command`, `investigation`, `hypotheses`, `problem_report`) are
-- core types as JSON: they are always read and written whole, under the row's lock, by
-- `Incident::apply`. Everything a list filters or sorts on is a column of its own.
CREATE TABLE incidents (
    id                TEXT PRIMARY KEY,
    number            BIGINT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    severity          TEXT NOT NULL,
    state             TEXT NOT NULL,
    customer_facing   INTEGER NOT NULL,
    data_impact       INTEGER NOT NULL,
    problem_report    TEXT,
    command           TEXT NOT NULL,
    investigation     TEXT NOT NULL,
    hypotheses        TEXT NOT NULL,
    document_revision BIGINT NOT NULL,
    declared_by       TEXT NOT NULL REFERENCES users (id),
    declared_by_name  TEXT NOT NULL,
    declared_at       BIGINT NOT NULL,
    started_at        BIGINT NOT NULL,
    acknowledged_at   BIGINT NOT NULL,
    mitigated_at      BIGINT,
    resolved_at       BIGINT,
    next_update_due   BIGINT,
    reminded_at       BIGINT,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX incidents_by_declared ON incidents (declared_at, id);
CREATE INDEX incidents_update_due ON incidents (next_update_due) WHERE next_update_due IS NOT NULL;

-- Numbers people say ("incident 42") come from a counter row, whose update serializes
-- concurrent declarations on PostgreSQL.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('incident', 0);

CREATE TABLE incident_services (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    service_id  TEXT NOT NULL REFERENCES services (id),
    PRIMARY KEY (incident_id, service_id)
);
CREATE INDEX incident_services_by_service ON incident_services (service_id);

CREATE TABLE incident_alerts (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    alert_id    TEXT NOT NULL REFERENCES alerts (id),
    linked_at   BIGINT NOT NULL,
    PRIMARY KEY (incident_id, alert_id)
);
CREATE INDEX incident_alerts_by_alert ON incident_alerts (alert_id);

-- Every revision of the document is kept whole (`sections` is core `DocumentSections` as JSON).
CREATE TABLE incident_documents (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    revision    BIGINT NOT NULL,
    sections    TEXT NOT NULL,
    author_id   TEXT NOT NULL REFERENCES users (id),
    author_name TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (incident_id, revision)
);

-- `actor_id` is NULL for entries Muster wrote itself (reminders).
CREATE TABLE incident_timeline (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    actor_id    TEXT REFERENCES users (id),
    actor_name  TEXT,
    message     TEXT NOT NULL,
    details     TEXT NOT NULL,
    pinned      INTEGER NOT NULL
);
CREATE INDEX incident_timeline_by_incident ON incident_timeline (incident_id, at, id);

CREATE TABLE stakeholder_updates (
    id             TEXT PRIMARY KEY,
    incident_id    TEXT NOT NULL REFERENCES incidents (id),
    audience       TEXT NOT NULL,
    state          TEXT NOT NULL,
    body           TEXT NOT NULL,
    posted_by      TEXT NOT NULL REFERENCES users (id),
    posted_by_name TEXT NOT NULL,
    posted_at      BIGINT NOT NULL
);
CREATE INDEX stakeholder_updates_by_incident ON stakeholder_updates (incident_id, posted_at);

-- A subscription follows either a service (every incident touching it) or one incident, and
-- reaches its person through one of their verified contact methods.
CREATE TABLE incident_subscriptions (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id),
    contact_method_id TEXT NOT NULL REFERENCES contact_methods (id),
    service_id        TEXT REFERENCES services (id),
    incident_id       TEXT REFERENCES incidents (id),
    audience          TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    CHECK ((service_id IS NULL) <> (incident_id IS NULL))
);
CREATE INDEX incident_subscriptions_by_service ON incident_subscriptions (service_id);
CREATE INDEX incident_subscriptions_by_incident ON incident_subscriptions (incident_id);
CREATE INDEX incident_subscriptions_by_user ON incident_subscriptions (user_id);

CREATE TABLE playbooks (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    name       TEXT NOT NULL,
    matches    TEXT NOT NULL,
    steps      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX playbooks_by_service ON playbooks (service_id);

ALTER TABLE services ADD COLUMN declaration_investigation_minutes BIGINT NOT NULL DEFAULT 30;
ALTER TABLE services ADD COLUMN declaration_services_affected BIGINT NOT NULL DEFAULT 2;
