//! Wall-clock times in a time zone turned into instants, by Muster's daylight-saving rules:
//!
//! - a wall-clock time that exists once is that instant;
//! - a time skipped by a transition (02:30 on a spring-forward night) means the first valid instant
//!   after it, which is the transition itself (03:00 new time);
//! - a time that happens twice (01:30 on a fall-back night) means its first occurrence.
//!
//! Every boundary in a schedule goes through [`instant_of`], so two rules that meet at the same
//! wall-clock time always meet at the same instant: no gap, no double cover, on any day.

use jiff::{
    Timestamp,
    civil::DateTime,
    tz::{AmbiguousOffset, TimeZone},
};

/// The instant a wall-clock time in `zone` stands for; `None` only outside jiff's range of dates.
pub fn instant_of(zone: &TimeZone, wall: DateTime) -> Option<Timestamp> {
    match zone.to_ambiguous_timestamp(wall).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(wall).ok(),
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(wall).ok(),
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the later offset, the wall time lands before the transition; the
            // transition that follows is the first instant the clock shows a valid time after it.
            let before_transition = after.to_timestamp(wall).ok()?;
            zone.following(before_transition).next().map(|transition| transition.timestamp())
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).expect("known zone")
    }

    #[test]
    fn dst_rules() {
        let new_york = zone("America/New_York");
        let cases = [
            // An ordinary time.
            (date(2026, 1, 15).at(9, 0, 0, 0), "2026-01-15T14:00:00Z"),
            // 02:30 does not exist on 2026-03-08: the hand-off happens at 03:00 EDT.
            (date(2026, 3, 8).at(2, 30, 0, 0), "2026-03-08T07:00:00Z"),
            (date(2026, 3, 8).at(2, 0, 0, 0), "2026-03-08T07:00:00Z"),
            (date(2026, 3, 8).at(3, 0, 0, 0), "2026-03-08T07:00:00Z"),
            // 01:30 happens twice on 2026-11-01: the first one, still EDT.
            (date(2026, 11, 1).at(1, 30, 0, 0), "2026-11-01T05:30:00Z"),
        ];
        for (wall, expected) in cases {
            assert_eq!(
                instant_of(&new_york, wall).map(|t| t.to_string()).as_deref(),
                Some(expected),
                "{wall}"
            );
        }
    }

    #[test]
    fn half_hour_shifts_of_lord_howe() {
        // Lord Howe Island moves its clocks by 30 minutes: 02:00 → 02:30 on 2026-10-04.
        let lord_howe = zone("Australia/Lord_Howe");
        let skipped = instant_of(&lord_howe, date(2026, 10, 4).at(2, 15, 0, 0)).expect("in range");
        let first_valid = instant_of(&lord_howe, date(2026, 10, 4).at(2, 30, 0, 0)).expect("in range");
        assert_eq!(skipped, first_valid);
    }
}
