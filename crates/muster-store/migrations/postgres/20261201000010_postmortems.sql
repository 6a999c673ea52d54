-- Postmortems: one per incident, its versions once published, its history, reviewers'
-- comments and its action items; and full-text search over published postmortems.

-- `document`, `reviewers`, `dismissed`, `override_by` and `reasons` are core types as JSON,
-- read and written whole by `Postmortem::apply` under the row's lock.
CREATE TABLE postmortems (
    id           TEXT PRIMARY KEY,
    incident_id  TEXT NOT NULL UNIQUE REFERENCES incidents (id),
    status       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    document     TEXT NOT NULL,
    reviewers    TEXT NOT NULL,
    dismissed    TEXT NOT NULL,
    override_by  TEXT,
    required     INTEGER NOT NULL,
    reasons      TEXT NOT NULL,
    due_at       BIGINT,
    published_at BIGINT,
    -- When Muster last reminded the authors of a required postmortem past its due date.
    reminded_at  BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX postmortems_by_status ON postmortems (status, updated_at);

-- Every published version, whole, so any two can be compared.
CREATE TABLE postmortem_versions (
    postmortem_id TEXT NOT NULL REFERENCES postmortems (id),
    version       BIGINT NOT NULL,
    document      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    by_id         TEXT NOT NULL REFERENCES users (id),
    by_name       TEXT NOT NULL,
    at            BIGINT NOT NULL,
    PRIMARY KEY (postmortem_id, version)
);

CREATE TABLE postmortem_history (
    id            TEXT PRIMARY KEY,
    postmortem_id TEXT NOT NULL REFERENCES postmortems (id),
    at            BIGINT NOT NULL,
    actor_id      TEXT REFERENCES users (id),
    actor_name    TEXT NOT NULL,
    message       TEXT NOT NULL
);
CREATE INDEX postmortem_history_by_postmortem ON postmortem_history (postmortem_id, at, id);

CREATE TABLE postmortem_comments (
    id            TEXT PRIMARY KEY,
    postmortem_id TEXT NOT NULL REFERENCES postmortems (id),
    section       TEXT NOT NULL,
    body          TEXT NOT NULL,
    author_id     TEXT NOT NULL REFERENCES users (id),
    author_name   TEXT NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX postmortem_comments_by_postmortem ON postmortem_comments (postmortem_id, at, id);

CREATE TABLE action_items (
    id             TEXT PRIMARY KEY,
    postmortem_id  TEXT NOT NULL REFERENCES postmortems (id),
    title          TEXT NOT NULL,
    owner_id       TEXT NOT NULL REFERENCES users (id),
    owner_name     TEXT NOT NULL,
    due_on         TEXT,
    priority       TEXT NOT NULL,
    status         TEXT NOT NULL,
    wont_do_reason TEXT,
    tracker_url    TEXT,
    reminded_at    BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX action_items_by_postmortem ON action_items (postmortem_id);
CREATE INDEX action_items_open_by_due ON action_items (due_on) WHERE status IN ('open', 'in_progress');

-- Published postmortems' text for full-text search, kept in step by the store when one is
-- published or corrected; searched through the expression index below.
CREATE TABLE postmortem_search (
    postmortem_id TEXT PRIMARY KEY REFERENCES postmortems (id),
    title         TEXT NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX postmortem_search_text ON postmortem_search
    USING GIN (to_tsvector('english', title || ' ' || body));
