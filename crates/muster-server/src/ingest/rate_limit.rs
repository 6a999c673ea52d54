//! Per-service rate limits on inbound alerts: a token bucket per service that refills at the
//! service's limit per minute and holds a minute's worth. A request that finds too few tokens is
//! refused whole (429 with `Retry-After`), so a sender retries it rather than losing part of it.
//!
//! Buckets live in memory, per instance: on PostgreSQL with several instances behind a balancer
//! each enforces the limit on what it receives.

use std::{collections::HashMap, sync::Mutex};

use jiff::Timestamp;
use muster_core::ids::ServiceId;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled_at: Timestamp,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<ServiceId, Bucket>>,
}

impl RateLimiter {
    /// Takes `events` tokens from the service's bucket, or says in how many seconds to retry.
    /// A request larger than a whole minute's allowance is let through when the bucket is full,
    /// so that one big Alertmanager group is never refused forever.
    pub fn take(&self, service: &ServiceId, per_minute: u32, events: u32, now: Timestamp) -> Result<(), u64> {
        let capacity = f64::from(per_minute.max(1));
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(service.clone()).or_insert(Bucket { tokens: capacity, refilled_at: now });
        let elapsed = now.duration_since(bucket.refilled_at).as_secs_f64().max(0.0);
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.refilled_at = now;
        let wanted = f64::from(events);
        if bucket.tokens >= wanted.min(capacity) {
            bucket.tokens -= wanted;
            Ok(())
        } else {
            let missing = wanted.min(capacity) - bucket.tokens;
            // The epsilon keeps float noise (149.000001 s) from adding a whole second.
            Err((missing / per_second - 1e-6).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn a_minute_s_allowance_then_refusal_until_tokens_refill() {
        let limiter = RateLimiter::default();
        let service = ServiceId("s".into());
        for _ in 0..60 {
            assert_eq!(limiter.take(&service, 60, 1, t(0)), Ok(()));
        }
        assert_eq!(limiter.take(&service, 60, 1, t(0)), Err(1));
        assert_eq!(limiter.take(&service, 60, 5, t(0)), Err(5));
        assert_eq!(limiter.take(&service, 60, 1, t(1)), Ok(()), "one token a second");
        let other = ServiceId("other".into());
        assert_eq!(limiter.take(&other, 60, 1, t(1)), Ok(()), "buckets are per service");
    }

    #[test]
    fn a_group_bigger_than_the_limit_passes_only_with_a_full_bucket() {
        let limiter = RateLimiter::default();
        let service = ServiceId("s".into());
        assert_eq!(limiter.take(&service, 10, 25, t(0)), Ok(()));
        assert_eq!(limiter.take(&service, 10, 25, t(1)), Err(149), "15 tokens owed, then 10 at 1 every 6 s");
        assert_eq!(limiter.take(&service, 10, 25, t(400)), Ok(()));
    }
}
