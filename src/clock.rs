//! The service reads time only through `Clock`, so tests (and `sweep --at`) can set it.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, DurationRound, NaiveDateTime, TimeDelta, Utc};

#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    /// A clock that stands still until moved; for tests and operations.
    Manual(Arc<RwLock<DateTime<Utc>>>),
}

impl Clock {
    pub fn manual(at: DateTime<Utc>) -> Clock {
        Clock::Manual(Arc::new(RwLock::new(truncate(at))))
    }

    /// Now, truncated to microseconds: the precision both databases keep, so that a value
    /// read back equals the value written.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => truncate(Utc::now()),
            Clock::Manual(t) => *t.read().unwrap_or_else(|e| e.into_inner()),
        }
    }

    pub fn now_naive(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }

    /// Moves a manual clock; a no-op on the system clock.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Clock::Manual(t) = self {
            *t.write().unwrap_or_else(|e| e.into_inner()) = truncate(at);
        }
    }

    pub fn advance(&self, by: TimeDelta) {
        self.set(self.now() + by);
    }
}

fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// Database instants are naive UTC; the API speaks `DateTime<Utc>`.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}
