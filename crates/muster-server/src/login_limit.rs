//! Sign-in rate limiting: failed attempts are counted per e-mail address and per client address
//! over a sliding window; past the limit, attempts are refused with a time to wait, before the
//! password is even checked.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use jiff::{SignedDuration, Timestamp};

pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Failures allowed per e-mail address in the window: stops guessing one account's password.
pub const MAX_FAILURES_PER_EMAIL: usize = 5;
/// Failures allowed per client address in the window: stops spraying many accounts.
pub const MAX_FAILURES_PER_CLIENT: usize = 30;

#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

impl LoginLimiter {
    /// `Err(seconds to wait)` when either key has used up its failures.
    pub fn check(&self, email: &str, client: &str, now: Timestamp) -> Result<(), u64> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = 0;
        for (key, limit) in
            [(email_key(email), MAX_FAILURES_PER_EMAIL), (client_key(client), MAX_FAILURES_PER_CLIENT)]
        {
            if let Some(times) = failures.get_mut(&key) {
                forget_older_than(times, now);
                if times.len() >= limit
                    && let Some(oldest) = times.front()
                {
                    let until = *oldest + WINDOW;
                    wait = wait.max(until.duration_since(now).as_secs().max(1) as u64);
                }
            }
        }
        if wait > 0 { Err(wait) } else { Ok(()) }
    }

    pub fn record_failure(&self, email: &str, client: &str, now: Timestamp) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in [email_key(email), client_key(client)] {
            let times = failures.entry(key).or_default();
            forget_older_than(times, now);
            times.push_back(now);
        }
        // Keeps memory bounded under a spray of distinct keys.
        failures.retain(|_, times| times.back().is_some_and(|last| now.duration_since(*last) < WINDOW));
    }

    /// A successful sign-in forgives the account's failures (not the client's).
    pub fn record_success(&self, email: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(&email_key(email));
    }
}

fn email_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

fn client_key(client: &str) -> String {
    format!("client:{client}")
}

fn forget_older_than(times: &mut VecDeque<Timestamp>, now: Timestamp) {
    while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(mins: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH + SignedDuration::from_mins(mins)
    }

    #[test]
    fn an_account_is_locked_after_five_failures_until_the_window_passes() {
        let limiter = LoginLimiter::default();
        for minute in 0..5 {
            assert_eq!(limiter.check("Ada@example.com", "10.0.0.1", t(minute)), Ok(()));
            limiter.record_failure("Ada@example.com", "10.0.0.1", t(minute));
        }
        assert_eq!(
            limiter.check("ada@example.com", "10.0.0.2", t(5)),
            Err(10 * 60),
            "case and client do not matter"
        );
        assert_eq!(limiter.check("bob@example.com", "10.0.0.1", t(5)), Ok(()), "other accounts are fine");
        assert_eq!(
            limiter.check("ada@example.com", "10.0.0.1", t(15)),
            Ok(()),
            "the oldest failure has expired"
        );
    }

    #[test]
    fn success_forgives_the_account() {
        let limiter = LoginLimiter::default();
        for _ in 0..5 {
            limiter.record_failure("ada@example.com", "c", t(0));
        }
        limiter.record_success("ada@example.com");
        assert_eq!(limiter.check("ada@example.com", "c", t(0)), Ok(()));
    }

    #[test]
    fn a_client_spraying_accounts_is_stopped() {
        let limiter = LoginLimiter::default();
        for n in 0..MAX_FAILURES_PER_CLIENT {
            limiter.record_failure(&format!("user{n}@example.com"), "10.9.9.9", t(0));
        }
        assert!(limiter.check("fresh@example.com", "10.9.9.9", t(1)).is_err());
    }
}
