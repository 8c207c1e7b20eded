//! Counting requests per key within a window, per instance and in memory: failed
//! authentications per client address (past the allowance they get 429 instead of 401, while
//! valid tokens keep working), and sign-in link requests per email address and per client
//! address. Tokens and links carry 256 random bits, so this is about noise, mail flooding and
//! log flooding more than about the odds of a guess.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Limiter<K> {
    max: u32,
    window: Duration,
    seen: Mutex<HashMap<K, (Instant, u32)>>,
}

/// Failed authentications per client address.
pub type FailedAuthLimiter = Limiter<IpAddr>;

impl<K: Hash + Eq> Limiter<K> {
    pub fn new(max: u32, window: Duration) -> Limiter<K> {
        Limiter {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` while the key is over its allowance.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get(key) {
            Some((start, n)) if *n >= self.max && start.elapsed() < self.window => {
                Err((self.window - start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts one event for the key.
    pub fn count(&self, key: K) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded memory: forget finished windows when the table grows.
        if seen.len() > 10_000 {
            let window = self.window;
            seen.retain(|_, (start, _)| start.elapsed() < window);
        }
        let entry = seen.entry(key).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }

    /// Checks and counts in one step: `Err(seconds to wait)` when over the allowance (and then
    /// nothing is counted).
    pub fn take(&self, key: K) -> Result<(), u64> {
        self.check(&key)?;
        self.count(key);
        Ok(())
    }
}

/// How often sign-in links may be asked for: per address (so nobody's mailbox is flooded) and
/// per client address (so nobody walks a list of addresses).
pub struct SignInLimits {
    pub per_email: Limiter<String>,
    pub per_client: Limiter<IpAddr>,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            per_email: Limiter::new(5, Duration::from_secs(15 * 60)),
            per_client: Limiter::new(30, Duration::from_secs(15 * 60)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_allowance_and_forgets_after_the_window() {
        let l = FailedAuthLimiter::new(3, Duration::from_millis(200));
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(&ip).is_ok());
            l.count(ip);
        }
        assert!(l.check(&ip).is_err());
        assert!(l.check(&other).is_ok(), "per address");
        std::thread::sleep(Duration::from_millis(250));
        assert!(l.check(&ip).is_ok());
    }

    #[test]
    fn take_refuses_past_the_allowance_without_counting_the_refusal() {
        let l: Limiter<String> = Limiter::new(2, Duration::from_secs(60));
        assert!(l.take("a@x.org".into()).is_ok());
        assert!(l.take("a@x.org".into()).is_ok());
        assert!(l.take("a@x.org".into()).is_err());
        assert!(l.take("b@x.org".into()).is_ok(), "per key");
    }
}
