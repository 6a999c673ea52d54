-- Requests for cover: a person on call asks someone to take an interval; accepting creates the
-- override in the same transaction.
CREATE TABLE cover_requests (
    id           TEXT PRIMARY KEY,
    schedule_id  TEXT NOT NULL REFERENCES schedules (id),
    requester_id TEXT NOT NULL REFERENCES users (id),
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT NOT NULL,
    note         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'withdrawn')),
    resolved_by  TEXT REFERENCES users (id),
    override_id  TEXT REFERENCES schedule_overrides (id),
    created_at   BIGINT NOT NULL,
    resolved_at  BIGINT
);
CREATE INDEX cover_requests_schedule ON cover_requests (schedule_id, status);
