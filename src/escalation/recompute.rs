//! `ketenzorg recompute-deadlines`: applies the policy in force to open cases that were given
//! their deadlines under another one. Each change is an event on the case. A deadline that
//! moves into the future no longer counts as missed (the level it raised is taken back), and
//! reminders and escalations still waiting in the outbox for the old deadlines are cancelled,
//! so no case stays escalated or keeps notifying under a policy that no longer applies to it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::cases::deadlines::{reschedule, running, slot, KINDS};
use crate::cases::events::{Actor, EventKind};
use crate::cases::policy::Policy;
use crate::cases::store::{lock_case, record};
use crate::cases::{CaseState, Step};
use crate::clock::utc;
use crate::db::{write_tx, DbConnection};
use crate::error::Error;
use crate::notifications::outbox::NotificationStatus;
use crate::schema::{cases, notifications};
use crate::values::CaseId;

/// Returns the number of cases changed.
pub fn run(conn: &mut DbConnection, policy: &Policy, now: NaiveDateTime) -> Result<usize, Error> {
    let version = policy.version();
    let mut after = String::new();
    let mut changed = 0;
    loop {
        let ids: Vec<CaseId> = cases::table
            .filter(cases::id.gt(&after))
            .filter(cases::policy_version.ne(&version))
            .filter(cases::state.ne(CaseState::Closed.as_str()))
            .order(cases::id.asc())
            .limit(200)
            .select(cases::id)
            .load(conn)?;
        let Some(last) = ids.last() else {
            return Ok(changed);
        };
        after = last.to_string();
        changed += write_tx(conn, |c| {
            let mut n = 0;
            for id in &ids {
                apply(c, *id, policy, &version, now)?;
                n += 1;
            }
            Ok(n)
        })?;
    }
}

fn apply(
    conn: &mut DbConnection,
    id: CaseId,
    policy: &Policy,
    version: &str,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let mut row = lock_case(conn, id)?;
    // Chosen before the lock: a case closed since then keeps its history as it is (its
    // deadlines no longer run; an event after the close would be an impossible step).
    if row.state == CaseState::Closed {
        return Ok(());
    }
    let durations = policy.for_severity(row.severity);
    let level_before = row.escalation_level;
    let mut changes = Vec::new();
    let base = row.opened_at + chrono::TimeDelta::seconds(row.paused_seconds);
    for kind in KINDS {
        let runs = running(&row, kind);
        let s = slot(&mut row, kind);
        if s.met {
            continue;
        }
        let from_policy = base
            + match kind {
                crate::cases::DeadlineKind::Acknowledge => durations.acknowledge,
                crate::cases::DeadlineKind::Plan => durations.plan,
                crate::cases::DeadlineKind::Remediation => durations.remediation,
            };
        // An extension granted by a person stands if it is later than the policy's deadline.
        let new_due = s.extended_to.map_or(from_policy, |e| e.max(from_policy));
        let old_due = *s.due;
        if new_due == old_due {
            continue;
        }
        *s.due = new_due;
        if s.escalated_for.is_some() {
            if new_due > now || !runs {
                *s.escalated_for = None;
            } else {
                // Still missed under the new policy: it stays counted, for the new instant.
                *s.escalated_for = Some(new_due);
            }
        }
        changes.push(json!({"deadline": kind, "from": utc(old_due), "to": utc(new_due)}));
    }
    let old_version = std::mem::replace(&mut row.policy_version, version.to_string());
    reschedule(&mut row, policy.reminder_before);
    // Reminders and escalations not yet delivered speak of deadlines that no longer hold.
    diesel::update(
        notifications::table
            .filter(notifications::case_id.eq(&row.id))
            .filter(notifications::status.eq(NotificationStatus::Pending))
            .filter(notifications::kind.eq_any([EventKind::Reminder, EventKind::Escalated])),
    )
    .set((
        notifications::status.eq(NotificationStatus::Cancelled),
        notifications::last_error.eq(format!("superseded by deadline policy {version}")),
    ))
    .execute(conn)?;
    let payload = json!({
        "from_policy": old_version, "to_policy": version, "changes": changes,
        "escalation_level": {"before": level_before, "after": row.escalation_level},
    });
    row.apply(&Step::other(EventKind::DeadlinesRecomputed, now))
        .map_err(Error::internal)?;
    record(
        conn,
        &mut row,
        EventKind::DeadlinesRecomputed,
        &Actor::default(),
        payload,
        now,
        None,
    )?;
    Ok(())
}
