//! What can go wrong in the store, in terms the server can turn into replies.

use muster_core::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist (or was deleted).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The acting person's part does not allow the change (core's incident rules); the text
    /// completes "your role does not allow you to …".
    #[error("not allowed to {0}")]
    Forbidden(&'static str),
    /// The write would break a uniqueness or integrity rule, such as a second service of one name.
    #[error("{field}: {problem}")]
    Conflict { field: &'static str, problem: String },
    /// The input refers to something that does not exist, such as an unknown owning team.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("the database URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The store is shutting down and takes no more writes.
    #[error("the store is closed")]
    Closed,
    /// A stored value cannot be read back, such as an out-of-range timestamp.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn conflict(field: &'static str, problem: impl Into<String>) -> Self {
        StoreError::Conflict { field, problem: problem.into() }
    }
}

/// Whether an error is a unique-constraint violation, on either backend.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}
