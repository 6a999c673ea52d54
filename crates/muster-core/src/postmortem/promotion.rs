//! Promotion, so that postmortems are read and not only written: the postmortem of the month
//! (the team votes; an admin's choice overrides the vote), a reading list, and the review
//! sessions of a reading club. This module owns the rules; the store keeps the votes.

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::{FieldError, ids::PostmortemId};

/// A calendar month, `2026-12`, in the team's zone: the unit of "postmortem of the month".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Month(String);

impl Month {
    /// `YYYY-MM`, named `field` in the error.
    pub fn parse(field: &str, text: &str) -> Result<Month, FieldError> {
        let text = text.trim();
        let refused = || FieldError::new(field, "must be a month such as 2026-12");
        let (year, month) = text.split_once('-').ok_or_else(refused)?;
        let (year, month): (i16, i8) =
            (year.parse().map_err(|_| refused())?, month.parse().map_err(|_| refused())?);
        if text.len() != 7 || Date::new(year, month, 1).is_err() {
            return Err(refused());
        }
        Ok(Month(text.to_owned()))
    }

    /// The month `at` falls in, in `zone`.
    pub fn of(at: Timestamp, zone: &TimeZone) -> Month {
        Month(at.to_zoned_datetime(zone.clone()).strftime("%Y-%m").to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The postmortem of the month: an admin's choice if there is one, otherwise the one with the
/// most votes. A tie for the most votes has no winner until someone votes again or an admin
/// chooses, so that a coin toss never decides what the team reads.
pub fn postmortem_of_the_month(
    chosen: Option<&PostmortemId>,
    votes: &[(PostmortemId, u32)],
) -> Option<PostmortemId> {
    if let Some(chosen) = chosen {
        return Some(chosen.clone());
    }
    let most = votes.iter().map(|(_, n)| *n).max().filter(|n| *n > 0)?;
    let mut leaders = votes.iter().filter(|(_, n)| *n == most);
    match (leaders.next(), leaders.next()) {
        (Some((id, _)), None) => Some(id.clone()),
        _ => None,
    }
}
