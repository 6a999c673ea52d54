-- Escalation policies: ordered steps of targets with waits, repeated; attached to services. The
-- rules are one JSON document (core `EscalationRules`) because a page freezes the whole of them at
-- once and nothing queries inside them; `version` goes up with every change, so a page records
-- which version it froze.
CREATE TABLE escalation_policies (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    rules       TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE UNIQUE INDEX escalation_policies_live_name ON escalation_policies (lower(name)) WHERE deleted_at IS NULL;

-- A service pages through its policy, and judges its pages against its response targets.
ALTER TABLE services ADD COLUMN escalation_policy_id TEXT REFERENCES escalation_policies (id);
ALTER TABLE services ADD COLUMN business_critical_minutes BIGINT NOT NULL DEFAULT 5;
ALTER TABLE services ADD COLUMN urgent_minutes BIGINT NOT NULL DEFAULT 30;
CREATE INDEX services_escalation_policy ON services (escalation_policy_id);
