-- Hand-off notices: every change of who is on call, recorded once, and how far each schedule has
-- been looked at (so that the recorder is idempotent and catches up after a restart).
CREATE TABLE handoffs (
    schedule_id TEXT NOT NULL REFERENCES schedules (id),
    at          BIGINT NOT NULL,
    outgoing    TEXT NOT NULL,
    incoming    TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (schedule_id, at)
);

CREATE TABLE handoff_watermarks (
    schedule_id    TEXT PRIMARY KEY REFERENCES schedules (id),
    recorded_until BIGINT NOT NULL
);
