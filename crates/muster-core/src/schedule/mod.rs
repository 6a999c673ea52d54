//! On-call schedules: rotations say who is next, rules say when a rotation (or a person) covers,
//! overrides change the answer for an interval, and [`Layers`] gives the final result.
//!
//! # Time rules
//!
//! All arithmetic happens on wall-clock times in the relevant zone (a rotation's own zone for its
//! hand-offs, the schedule's zone for its rules) and is only then turned into instants:
//!
//! - **A shift keeps its wall-clock hand-off time** across a daylight-saving change; the shift that
//!   spans the change is longer or shorter by the change (23 or 25 hours for a daily rotation).
//! - **A hand-off at a time that does not exist that day** happens at the first valid instant
//!   after it (the transition itself).
//! - **A hand-off at a time that happens twice** uses its first occurrence.
//! - **Intervals are half-open**: `06:00–18:00` covers 06:00 up to but not including 18:00, and an
//!   end before the start crosses midnight (`18:00–06:00`).
//! - **No instant is uncovered or covered twice** by rules that meet on the clock
//!   (`06:00–18:00` and `18:00–06:00`), because both sides of a meeting point become the same
//!   instant. Overlap happens only when the rules themselves overlap.
//!
//! The precedence of rules and overrides is written down in [`layers`].

pub mod layers;
#[cfg(test)]
mod properties;
pub mod record;
pub mod rotation;
pub mod rule;
pub mod templates;
pub mod wall;

pub use layers::{HandOff, Layers, OnCall, Override, OverrideKind, Shift, Source};
pub use record::{CoverRequest, CoverStatus, Schedule, ScheduleNaming};
pub use rotation::{Rotation, RotationShift, ShiftLength};
pub use rule::{Coverage, Rule, Weekdays, Window};
