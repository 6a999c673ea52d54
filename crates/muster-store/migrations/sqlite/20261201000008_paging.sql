-- Paging: pages (one alert's escalation in flight), the ways people are reached, and the outbox.

-- A page freezes the policy it started with (`rules` is core `EscalationRules` as JSON, with the
-- policy's version) and its response target. The engine keeps only how many step notifications it
-- has sent and when the next falls due; `next_due_at` is NULL once escalation has stopped, so the
-- partial index holds exactly the pages the engine may have to wake for.
CREATE TABLE pages (
    id              TEXT PRIMARY KEY,
    alert_id        TEXT NOT NULL REFERENCES alerts (id),
    service_id      TEXT NOT NULL REFERENCES services (id),
    policy_id       TEXT NOT NULL REFERENCES escalation_policies (id),
    policy_version  BIGINT NOT NULL,
    rules           TEXT NOT NULL,
    priority        TEXT NOT NULL,
    status          TEXT NOT NULL,
    started_at      BIGINT NOT NULL,
    escalation_started_at BIGINT NOT NULL,
    acknowledgement_timeout_minutes BIGINT,
    respond_by      BIGINT,
    steps_notified  BIGINT NOT NULL,
    next_due_at     BIGINT,
    acknowledged_at BIGINT,
    resolved_at     BIGINT
);
CREATE UNIQUE INDEX pages_alert ON pages (alert_id);
-- After this long acknowledged and still open, an alert pages again; NULL: never.
ALTER TABLE services ADD COLUMN acknowledgement_timeout_minutes BIGINT;
CREATE INDEX pages_due ON pages (next_due_at) WHERE next_due_at IS NOT NULL;

-- How a person can be reached. A method is used only once verified: the hash of the code sent
-- through it is kept until the person types the code back. Webhooks may be signed with their own
-- secret, which must be kept in the clear to sign with (like integration keys).
CREATE TABLE contact_methods (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id),
    kind                TEXT NOT NULL,
    label               TEXT NOT NULL,
    address             TEXT NOT NULL,
    signing_secret      TEXT,
    verification_hash   TEXT,
    verification_expires_at BIGINT,
    verification_attempts BIGINT NOT NULL DEFAULT 0,
    verified_at         BIGINT,
    created_at          BIGINT NOT NULL,
    deleted_at          BIGINT
);
CREATE INDEX contact_methods_user ON contact_methods (user_id) WHERE deleted_at IS NULL;

-- "Notify through this method this long after a page reaches me."
CREATE TABLE notification_rules (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id),
    contact_method_id TEXT NOT NULL REFERENCES contact_methods (id),
    delay_minutes     BIGINT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX notification_rules_user ON notification_rules (user_id);

-- The outbox: every notification, written in the transaction of the change that caused it and
-- delivered afterwards, at least once. A delivery claims its row by moving `next_attempt_at` past
-- the claim's end, so a worker that dies mid-delivery only delays the retry. `id` is the
-- idempotency key of every attempt. `responded_at` marks the signed links of a page notification
-- used, which makes them single-use.
CREATE TABLE notifications (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id),
    contact_method_id TEXT NOT NULL REFERENCES contact_methods (id),
    kind              TEXT NOT NULL,
    address           TEXT NOT NULL,
    signing_secret    TEXT,
    purpose           TEXT NOT NULL,
    page_id           TEXT REFERENCES pages (id),
    alert_id          TEXT REFERENCES alerts (id),
    step_index        BIGINT,
    notice            TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempts          BIGINT NOT NULL,
    deliver_at        BIGINT NOT NULL,
    next_attempt_at   BIGINT NOT NULL,
    last_error        TEXT,
    delivered_at      BIGINT,
    responded_at      BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX notifications_pending ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_page ON notifications (page_id);
-- The last page message delivered to a destination, for per-destination throttling.
CREATE INDEX notifications_destination ON notifications (contact_method_id, delivered_at) WHERE purpose = 'page';
CREATE INDEX notifications_dead ON notifications (created_at) WHERE status = 'dead_letter';

-- The key that signs the acknowledge and resolve links in notifications; made on first use.
CREATE TABLE signing_keys (
    name       TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The engine lease: which instance runs the escalation engine. The holder renews `expires_at`
-- about every second; `token` goes up with every change of holder and fences the engine's writes,
-- so a leader that stalled past its lease cannot write after a standby took over.
CREATE TABLE engine_lease (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    token      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
