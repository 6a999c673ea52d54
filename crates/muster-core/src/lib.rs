//! Muster's domain: the types, validation rules and policies shared by every other crate.
//!
//! Everything here is a pure function of its inputs. There is no I/O, no clock and no database or
//! HTTP type: callers pass `now` in, and the store and server turn these types into rows and JSON.

pub mod alert;
pub mod audit;
pub mod authz;
pub mod clock;
pub mod escalation;
pub mod ical;
pub mod ids;
pub mod incident;
pub mod load;
pub mod notify;
pub mod page;
pub mod postmortem;
pub mod schedule;
pub mod service;
pub mod slo;
pub mod team;
pub mod token;
pub mod user;
pub mod validate;

pub use validate::{FieldError, Invalid};
