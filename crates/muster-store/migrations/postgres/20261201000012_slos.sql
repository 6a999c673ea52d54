-- Service level objectives, the SLI counts posted to Muster, ops mode and deploy exceptions.

-- `sli` is core's `Sli` as JSON. Objectives are kept in thousandths of a percent (99.9 % is
-- 99900), exact to the three decimals an objective may have.
CREATE TABLE slos (
    id                TEXT PRIMARY KEY,
    service_id        TEXT NOT NULL REFERENCES services (id),
    name              TEXT NOT NULL,
    sli               TEXT NOT NULL,
    objective_milli   BIGINT NOT NULL,
    window_days       BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    UNIQUE (service_id, name)
);

-- Good and total events counted over a period ending at `at`, for SLOs measured without
-- Prometheus; the budget adds up the periods within the SLO's window.
CREATE TABLE slo_counts (
    id     TEXT PRIMARY KEY,
    slo_id TEXT NOT NULL REFERENCES slos (id),
    at     BIGINT NOT NULL,
    good   BIGINT NOT NULL,
    total  BIGINT NOT NULL
);
CREATE INDEX slo_counts_by_slo ON slo_counts (slo_id, at);

-- `reduced_objectives` is core's list of `ReducedObjective` as JSON.
CREATE TABLE ops_modes (
    id                 TEXT PRIMARY KEY,
    service_id         TEXT NOT NULL REFERENCES services (id),
    reason             TEXT NOT NULL,
    entered_by_id      TEXT NOT NULL REFERENCES users (id),
    entered_by_name    TEXT NOT NULL,
    entered_at         BIGINT NOT NULL,
    expected_end       BIGINT,
    reduced_objectives TEXT NOT NULL,
    left_at            BIGINT,
    left_by_id         TEXT REFERENCES users (id),
    left_by_name       TEXT
);
-- At most one ops mode in force per service.
CREATE UNIQUE INDEX ops_modes_active ON ops_modes (service_id) WHERE left_at IS NULL;

CREATE TABLE deploy_exceptions (
    id              TEXT PRIMARY KEY,
    ops_mode_id     TEXT NOT NULL REFERENCES ops_modes (id),
    deploy          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    granted_by_id   TEXT NOT NULL REFERENCES users (id),
    granted_by_name TEXT NOT NULL,
    granted_at      BIGINT NOT NULL
);
CREATE INDEX deploy_exceptions_by_ops_mode ON deploy_exceptions (ops_mode_id, granted_at);
