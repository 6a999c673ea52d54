//! Conversions between stored columns and domain values: epoch milliseconds and `Timestamp`, text
//! and enums.

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
