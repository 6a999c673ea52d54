-- Secret calendar feed addresses, one live per person; only a hash of each token is kept.
CREATE TABLE calendar_feeds (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id);
