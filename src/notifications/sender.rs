//! Delivering the outbox. The sender never holds a transaction while it talks SMTP:
//!
//! 1. claim: in a short transaction, take due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
//!    several instances share the work) and stamp them with a lease (`lease_until`, a random
//!    `lease_token`) and one more attempt; commit;
//! 2. send, with no transaction open;
//! 3. record: in a second short transaction, mark the rows sent, or schedule the retry, or fail
//!    them, but only if they still carry our lease token.
//!
//! A sender that dies between 2 and 3 leaves the rows leased; when the lease expires another
//! sender sends them again with the same `Message-ID` (at-least-once, and detectable by the
//! receiver). Transient failures (connection refused, 4xx) retry with exponential backoff and
//! jitter up to `max_attempts`; a permanent failure (5xx for the recipient) fails the row at
//! once and puts the address on the suppression list.

use std::sync::Arc;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use rand::Rng;

use super::compose::prepare;
pub use super::compose::Job;
use super::mailer::{self, MailConfig, SendError, Transport};
use super::outbox::{MailKind, NotificationRow, NotificationStatus};
use super::templates::Templates;
use crate::clock::Clock;
use crate::db::{Db, DbConnection};
use crate::error::Error;
use crate::schema::{notifications, suppressed_addresses};
use crate::values::NotificationId;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub suppressed: usize,
}

/// Takes up to `limit` due jobs and leases them. Runs in the caller's transaction.
pub fn claim(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    lease: TimeDelta,
) -> Result<Vec<Job>, Error> {
    let due = notifications::table
        .filter(notifications::status.eq(NotificationStatus::Pending))
        .filter(notifications::next_attempt_at.le(now))
        .filter(
            notifications::lease_until
                .is_null()
                .or(notifications::lease_until.lt(now)),
        )
        .order((
            notifications::next_attempt_at.asc(),
            notifications::id.asc(),
        ))
        .limit(limit)
        .select((
            notifications::id,
            notifications::digest,
            notifications::recipient_organization_id,
            notifications::recipient_email,
        ));
    let rows: Vec<(String, bool, String, String)> = match conn {
        DbConnection::Pg(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(lite) => due.load(lite)?,
    };
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut digests_seen: Vec<(String, String)> = Vec::new();
    for (id, digest, org, email) in rows {
        if !digest {
            groups.push(vec![id]);
            continue;
        }
        if digests_seen.contains(&(org.clone(), email.clone())) {
            continue;
        }
        // A digest takes every due digest row of its address, so a day's digest is one mail.
        let all = notifications::table
            .filter(notifications::status.eq(NotificationStatus::Pending))
            .filter(notifications::digest.eq(true))
            .filter(notifications::recipient_organization_id.eq(&org))
            .filter(notifications::recipient_email.eq(&email))
            .filter(notifications::next_attempt_at.le(now))
            .filter(
                notifications::lease_until
                    .is_null()
                    .or(notifications::lease_until.lt(now)),
            )
            .order(notifications::id.asc())
            .select(notifications::id);
        let ids: Vec<String> = match conn {
            DbConnection::Pg(pg) => all.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(lite) => all.load(lite)?,
        };
        digests_seen.push((org, email));
        if !ids.is_empty() {
            groups.push(ids);
        }
    }
    let mut jobs = Vec::with_capacity(groups.len());
    for ids in groups {
        let token = uuid::Uuid::new_v4().to_string();
        diesel::update(notifications::table.filter(notifications::id.eq_any(&ids)))
            .set((
                notifications::lease_until.eq(now + lease),
                notifications::lease_token.eq(&token),
                notifications::attempts.eq(notifications::attempts + 1),
            ))
            .execute(conn)?;
        let rows: Vec<NotificationRow> = notifications::table
            .filter(notifications::id.eq_any(&ids))
            .order(notifications::id.asc())
            .select(NotificationRow::as_select())
            .load(conn)?;
        jobs.push(Job { rows, token });
    }
    Ok(jobs)
}

/// What happened to a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Failed(SendError),
    Suppressed,
}

/// The delay before attempt `attempts + 1`: exponential, capped, with jitter (50-100%) so that
/// many retries after an outage do not arrive together.
pub fn backoff(config: &MailConfig, attempts: i32) -> TimeDelta {
    let base = config.backoff.as_millis() as f64;
    let exp = base * 2f64.powi((attempts - 1).clamp(0, 30));
    let capped = exp.min(config.backoff_max.as_millis() as f64);
    let jittered = capped * rand::thread_rng().gen_range(0.5..=1.0);
    TimeDelta::milliseconds(jittered as i64)
}

/// Records a job's outcome, only for rows that still carry this job's lease.
pub fn record(
    conn: &mut DbConnection,
    job: &Job,
    outcome: &Outcome,
    now: NaiveDateTime,
    config: &MailConfig,
) -> Result<SendReport, Error> {
    let mut report = SendReport::default();
    let mine = |id: NotificationId| {
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::lease_token.eq(job.token.clone()))
    };
    for row in &job.rows {
        let n = match outcome {
            Outcome::Sent => {
                report.sent += 1;
                diesel::update(mine(row.id))
                    .set((
                        notifications::status.eq(NotificationStatus::Sent),
                        notifications::sent_at.eq(Some(now)),
                        notifications::lease_until.eq(None::<NaiveDateTime>),
                        notifications::last_error.eq(None::<String>),
                    ))
                    .execute(conn)?
            }
            Outcome::Suppressed => {
                report.suppressed += 1;
                diesel::update(mine(row.id))
                    .set((
                        notifications::status.eq(NotificationStatus::Suppressed),
                        notifications::lease_until.eq(None::<NaiveDateTime>),
                        notifications::last_error
                            .eq(Some("the address is on the suppression list")),
                    ))
                    .execute(conn)?
            }
            Outcome::Failed(SendError::Permanent(e)) => {
                report.failed += 1;
                tracing::warn!(notification = %row.id, to = %row.recipient_email, reason = %e,
                    "mail refused for good; the address goes on the suppression list");
                let address = row.recipient_email.to_ascii_lowercase();
                let listed: i64 = suppressed_addresses::table
                    .filter(suppressed_addresses::email.eq(&address))
                    .count()
                    .get_result(conn)?;
                if listed == 0 {
                    diesel::insert_into(suppressed_addresses::table)
                        .values((
                            suppressed_addresses::email.eq(&address),
                            suppressed_addresses::reason.eq(e),
                            suppressed_addresses::notification_id.eq(Some(&row.id)),
                            suppressed_addresses::created_at.eq(now),
                        ))
                        .execute(conn)?;
                }
                diesel::update(mine(row.id))
                    .set((
                        notifications::status.eq(NotificationStatus::Failed),
                        notifications::lease_until.eq(None::<NaiveDateTime>),
                        notifications::last_error.eq(Some(e.clone())),
                    ))
                    .execute(conn)?
            }
            Outcome::Failed(SendError::Transient(e)) => {
                if row.attempts >= config.max_attempts {
                    report.failed += 1;
                    tracing::warn!(notification = %row.id, to = %row.recipient_email, attempts = row.attempts,
                        reason = %e, "mail not delivered; giving up after the last attempt");
                    diesel::update(mine(row.id))
                        .set((
                            notifications::status.eq(NotificationStatus::Failed),
                            notifications::lease_until.eq(None::<NaiveDateTime>),
                            notifications::last_error
                                .eq(Some(format!("after {} attempts: {e}", row.attempts))),
                        ))
                        .execute(conn)?
                } else {
                    report.retried += 1;
                    tracing::warn!(notification = %row.id, to = %row.recipient_email, attempts = row.attempts,
                        reason = %e, "mail not delivered; will retry");
                    diesel::update(mine(row.id))
                        .set((
                            notifications::next_attempt_at.eq(now + backoff(config, row.attempts)),
                            notifications::lease_until.eq(None::<NaiveDateTime>),
                            notifications::last_error.eq(Some(e.clone())),
                        ))
                        .execute(conn)?
                }
            }
        };
        if n == 0 {
            tracing::warn!(notification = %row.id, "lease lost before the result was recorded; another sender has the row");
        }
        // A sign-in link is a credential: once its mail is out, or will never go out, the
        // outbox keeps no copy of it.
        if row.kind == MailKind::SignIn {
            diesel::update(
                mine(row.id).filter(notifications::status.ne(NotificationStatus::Pending)),
            )
            .set(notifications::payload.eq("{}"))
            .execute(conn)?;
        }
    }
    Ok(report)
}

/// A sender: the loop inside `serve`, and the unit the tests drive.
pub struct Sender {
    pub db: Db,
    pub config: MailConfig,
    pub transport: Arc<Transport>,
    pub templates: Arc<Templates>,
    pub clock: Clock,
}

impl Sender {
    pub fn new(db: Db, config: MailConfig, clock: Clock) -> Result<Sender, String> {
        Ok(Sender {
            transport: Arc::new(Transport::new(&config)?),
            templates: Arc::new(Templates::load()?),
            db,
            config,
            clock,
        })
    }

    fn lease(&self) -> TimeDelta {
        TimeDelta::from_std(self.config.lease).unwrap_or(TimeDelta::minutes(2))
    }

    /// Claims and leases due jobs (its own short transaction).
    pub async fn claim(&self, limit: i64) -> Result<Vec<Job>, Error> {
        let now = self.clock.now_naive();
        let lease = self.lease();
        self.db.write(move |c| claim(c, now, limit, lease)).await
    }

    /// Renders and sends one job, with no transaction open.
    pub async fn send(&self, job: &Job) -> Result<Outcome, Error> {
        let templates = self.templates.clone();
        let config = self.config.clone();
        let j = job.clone();
        let prepared = self
            .db
            .read(move |c| prepare(c, &j, &templates, &config))
            .await?;
        if prepared.suppressed {
            return Ok(Outcome::Suppressed);
        }
        let message = mailer::build(
            &self.config,
            &prepared.to,
            &prepared.message_id,
            prepared.thread.as_deref(),
            &prepared.rendered,
        )
        .map_err(Error::internal);
        let message = match message {
            Ok(m) => m,
            // An address the mail library refuses can never be delivered.
            Err(e) => return Ok(Outcome::Failed(SendError::Permanent(e.to_string()))),
        };
        let transport = self.transport.clone();
        let name = prepared.message_id.clone();
        tokio::task::spawn_blocking(move || match transport.send(&message, &name) {
            Ok(()) => Outcome::Sent,
            Err(e) => Outcome::Failed(e),
        })
        .await
        .map_err(|e| Error::internal(format!("send task: {e}")))
    }

    pub async fn record(&self, job: Job, outcome: Outcome) -> Result<SendReport, Error> {
        let now = self.clock.now_naive();
        let config = self.config.clone();
        self.db
            .write(move |c| record(c, &job, &outcome, now, &config))
            .await
    }

    /// Sends everything due now, then returns.
    pub async fn run_once(&self) -> Result<SendReport, Error> {
        let mut total = SendReport::default();
        loop {
            let jobs = self.claim(50).await?;
            if jobs.is_empty() {
                return Ok(total);
            }
            for job in jobs {
                let outcome = match self.send(&job).await {
                    Ok(o) => o,
                    Err(e) => {
                        tracing::error!(error = %e, "could not prepare a mail; retrying later");
                        Outcome::Failed(SendError::Transient(e.to_string()))
                    }
                };
                let r = self.record(job, outcome).await?;
                total.sent += r.sent;
                total.retried += r.retried;
                total.failed += r.failed;
                total.suppressed += r.suppressed;
            }
        }
    }

    /// The loop inside `serve`.
    pub fn spawn(self, every: std::time::Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match self.run_once().await {
                    Ok(r) if r != SendReport::default() => tracing::info!(
                        sent = r.sent,
                        retried = r.retried,
                        failed = r.failed,
                        suppressed = r.suppressed,
                        "mail"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "mail sender: retrying at the next tick"),
                }
            }
        });
    }
}
