-- "Was this page useful?": one answer per person per alert, changed by answering again. The toil
-- report counts them per alert key, so a page nobody finds useful is the first to tune.
CREATE TABLE page_votes (
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    user_id  TEXT NOT NULL REFERENCES users (id),
    useful   INTEGER NOT NULL,
    at       BIGINT NOT NULL,
    PRIMARY KEY (alert_id, user_id)
);
