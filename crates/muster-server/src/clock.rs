//! The real clock, for production. Tests use `muster_core::clock::ManualClock`.

use jiff::Timestamp;
use muster_core::clock::Clock;

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
