//! Conversions between stored columns and domain values: epoch milliseconds and `Timestamp`, text
//! and enums, JSON text and the core types kept whole in a column.

use jiff::Timestamp;

use crate::StoreError;

pub(crate) fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

pub(crate) fn timestamp(millis: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(millis).map_err(|e| StoreError::Corrupt(format!("timestamp {millis}: {e}")))
}

pub(crate) fn optional_timestamp(millis: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    millis.map(timestamp).transpose()
}

pub(crate) fn parsed<T: std::str::FromStr>(column: &str, value: &str) -> Result<T, StoreError> {
    value.parse().map_err(|_| StoreError::Corrupt(format!("{column} {value:?}")))
}

/// A JSON column read back into its core type; unreadable JSON is corrupt data, named by column.
pub(crate) fn json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// A core type as JSON text for its column. The types stored this way are plain data of strings,
/// numbers and lists, which always serialize.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}
