//! Slows down guessing: after too many failed authentications from one address within a
//! minute, further failures from that address get 429 (with `Retry-After`) instead of 401
//! until the minute is over; valid tokens keep working. Per instance,
//! in memory; tokens carry 256 random bits, so this is about noise and log flooding more than
//! about the odds of a guess.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct FailedAuthLimiter {
    max_failures: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailedAuthLimiter {
    pub fn new(max_failures: u32, window: Duration) -> FailedAuthLimiter {
        FailedAuthLimiter {
            max_failures,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` while the address is over its allowance.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get(&ip) {
            Some((start, n)) if *n >= self.max_failures && start.elapsed() < self.window => {
                Err((self.window - start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, ip: IpAddr) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded memory: forget finished windows when the table grows.
        if seen.len() > 10_000 {
            let window = self.window;
            seen.retain(|_, (start, _)| start.elapsed() < window);
        }
        let entry = seen.entry(ip).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
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
            assert!(l.check(ip).is_ok());
            l.failed(ip);
        }
        assert!(l.check(ip).is_err());
        assert!(l.check(other).is_ok(), "per address");
        std::thread::sleep(Duration::from_millis(250));
        assert!(l.check(ip).is_ok());
    }
}
