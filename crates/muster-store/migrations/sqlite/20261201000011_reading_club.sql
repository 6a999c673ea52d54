-- Promotion of postmortems: the team's votes for the postmortem of the month, an admin's
-- choice that overrides them, a reading list, and the review sessions of a reading club.

-- One vote per person per month; voting again moves the vote.
CREATE TABLE postmortem_votes (
    month         TEXT NOT NULL,
    voter_id      TEXT NOT NULL REFERENCES users (id),
    postmortem_id TEXT NOT NULL REFERENCES postmortems (id),
    at            BIGINT NOT NULL,
    PRIMARY KEY (month, voter_id)
);

CREATE TABLE postmortem_month_choices (
    month          TEXT PRIMARY KEY,
    postmortem_id  TEXT NOT NULL REFERENCES postmortems (id),
    chosen_by_id   TEXT NOT NULL REFERENCES users (id),
    chosen_by_name TEXT NOT NULL,
    at             BIGINT NOT NULL
);

CREATE TABLE reading_list (
    postmortem_id TEXT PRIMARY KEY REFERENCES postmortems (id),
    note          TEXT NOT NULL,
    added_by_id   TEXT NOT NULL REFERENCES users (id),
    added_by_name TEXT NOT NULL,
    at            BIGINT NOT NULL
);

CREATE TABLE review_sessions (
    id               TEXT PRIMARY KEY,
    held_on          TEXT NOT NULL,
    title            TEXT NOT NULL,
    notes            TEXT NOT NULL,
    recorded_by_id   TEXT NOT NULL REFERENCES users (id),
    recorded_by_name TEXT NOT NULL,
    at               BIGINT NOT NULL
);
CREATE INDEX review_sessions_by_day ON review_sessions (held_on, id);

CREATE TABLE review_session_postmortems (
    session_id    TEXT NOT NULL REFERENCES review_sessions (id),
    postmortem_id TEXT NOT NULL REFERENCES postmortems (id),
    PRIMARY KEY (session_id, postmortem_id)
);

CREATE TABLE review_session_attendees (
    session_id TEXT NOT NULL REFERENCES review_sessions (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
