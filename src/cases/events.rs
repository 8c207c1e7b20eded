//! The append-only, hash-chained history of a case. Each event stores the hash of its
//! predecessor and its own hash over its content, so that editing or deleting an old event
//! breaks the chain (`verify`), and the database refuses updates and deletes outright
//! (triggers in the migrations).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::core::{self, CaseCore, Step};
pub use super::kinds::EventKind;
use super::CaseRow;
use crate::clock::utc;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{case_events, cases, users};
use crate::values::{CaseId, EventId, OrganizationId, TokenId, UserId};

/// The predecessor of a case's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who caused an event: an organization, through one of its tokens or one of its people, or
/// the service itself (all three none).
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor {
    pub organization_id: Option<OrganizationId>,
    pub token_id: Option<TokenId>,
    pub user_id: Option<UserId>,
}

impl From<&crate::auth::Caller> for Actor {
    fn from(c: &crate::auth::Caller) -> Actor {
        Actor {
            organization_id: Some(c.organization_id),
            token_id: c.token_id,
            user_id: c.user.map(|u| u.id),
        }
    }
}

/// One entry in a case's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub id: EventId,
    pub case_id: CaseId,
    /// 1, 2, 3… without gaps.
    pub seq: i32,
    /// `opened`, `acknowledged`, `plan_submitted`, `plan_accepted`, `plan_rejected`,
    /// `remediation_reported`, `verified`, `disputed`, `closed`, `reopened`, `comment`,
    /// `extension_requested`, `extension_granted`, `extension_refused`, `reminder`,
    /// `escalated`, `deadlines_recomputed`, `file_attached`.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub actor_organization_id: Option<OrganizationId>,
    pub actor_token_id: Option<TokenId>,
    /// The person who acted, when a signed-in person did (not an API token).
    pub actor_user_id: Option<UserId>,
    /// That person's name as it is now.
    pub actor_name: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
    /// Something was withheld from you (another buyer's actor and words, other buyers'
    /// contract ids; see the case visibility rules): the hash covers the whole event.
    pub redacted: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_events)]
pub struct EventRow {
    pub id: EventId,
    pub case_id: CaseId,
    pub seq: i32,
    pub kind: EventKind,
    pub at: NaiveDateTime,
    pub actor_organization_id: Option<OrganizationId>,
    pub actor_token_id: Option<TokenId>,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
    pub dedup_key: Option<String>,
    pub actor_user_id: Option<UserId>,
}

impl EventRow {
    pub fn view(self) -> Result<Event, Error> {
        Ok(Event {
            id: self.id,
            case_id: self.case_id,
            seq: self.seq,
            kind: self.kind.as_str().to_string(),
            at: utc(self.at),
            actor_organization_id: self.actor_organization_id,
            actor_token_id: self.actor_token_id,
            actor_user_id: self.actor_user_id,
            actor_name: None,
            payload: serde_json::from_str(&self.payload)?,
            prev_hash: self.prev_hash,
            hash: self.hash,
            redacted: false,
        })
    }

    /// SHA-256 over the predecessor's hash and every field but the hash itself, each on its
    /// own line, with the instant in a fixed format so both backends hash alike. The acting
    /// person, added later, is one more line only when there is one, so that every event
    /// written before people existed keeps its hash.
    pub fn compute_hash(&self) -> String {
        // Ids as stored: the UUID's hyphenated lower-case text.
        let or_dash = |id: Option<String>| id.unwrap_or_else(|| "-".to_string());
        let mut h = Sha256::new();
        for part in [
            self.prev_hash.as_str(),
            &self.id.to_string(),
            &self.case_id.to_string(),
            &self.seq.to_string(),
            self.kind.as_str(),
            &self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            &or_dash(self.actor_organization_id.map(|o| o.to_string())),
            &or_dash(self.actor_token_id.map(|t| t.to_string())),
            self.payload.as_str(),
            self.dedup_key.as_deref().unwrap_or("-"),
        ] {
            h.update(part.as_bytes());
            h.update(b"\n");
        }
        if let Some(user) = self.actor_user_id {
            h.update(b"user:");
            h.update(user.to_string().as_bytes());
            h.update(b"\n");
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The next event of `case`'s chain, advancing the case's recorded head (`event_count`,
/// `last_event_hash`) to it. Nothing is written: the caller inserts the event, after the case
/// row for a new case (so that row goes in once, complete) and while holding the row for an
/// existing one (see `store::lock_case`), so that no other event can take the same place.
pub fn next(
    case: &mut CaseRow,
    kind: EventKind,
    actor: &Actor,
    payload: serde_json::Value,
    at: NaiveDateTime,
    dedup_key: Option<String>,
) -> Result<EventRow, Error> {
    let mut row = EventRow {
        id: EventId::new(),
        case_id: case.id,
        seq: case.event_count + 1,
        kind,
        at,
        actor_organization_id: actor.organization_id,
        actor_token_id: actor.token_id,
        actor_user_id: actor.user_id,
        payload: serde_json::to_string(&payload)?,
        prev_hash: case.last_event_hash.clone(),
        hash: String::new(),
        dedup_key,
    };
    row.hash = row.compute_hash();
    case.event_count = row.seq;
    case.last_event_hash = row.hash.clone();
    Ok(row)
}

/// Puts each acting person's current name on `events` (one query for the lot).
pub fn name_actors(conn: &mut DbConnection, events: &mut [Event]) -> Result<(), Error> {
    let ids: Vec<String> = events
        .iter()
        .filter_map(|e| e.actor_user_id.map(|u| u.to_string()))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let names: std::collections::HashMap<String, String> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    for e in events {
        e.actor_name = e
            .actor_user_id
            .and_then(|u| names.get(&u.to_string()).cloned());
    }
    Ok(())
}

/// The outcome of checking every chain.
#[derive(Debug, Default)]
pub struct AuditReport {
    pub cases: u64,
    pub events: u64,
    /// The first broken event, described for a person.
    pub broken: Option<String>,
}

/// Walks every case's chain in order: each event's hash must match its content, each
/// `prev_hash` its predecessor, `seq` must run 1, 2, 3… and the case's recorded head must be
/// the last event (so deleting the newest event is caught too). Stops at the first break.
pub fn verify(conn: &mut DbConnection) -> Result<AuditReport, Error> {
    let mut report = AuditReport::default();
    let mut after = String::new();
    loop {
        let batch: Vec<(String, i32, String, String, Option<String>)> = cases::table
            .filter(cases::id.gt(&after))
            .order(cases::id.asc())
            .limit(500)
            .select((
                cases::id,
                cases::event_count,
                cases::last_event_hash,
                cases::state,
                cases::resume_state,
            ))
            .load(conn)?;
        let Some(last) = batch.last() else { break };
        after = last.0.clone();
        for (case_id, count, head, state, resume) in batch {
            report.cases += 1;
            if let Some(broken) = verify_chain(
                conn,
                &case_id,
                count,
                &head,
                &state,
                resume.as_deref(),
                &mut report,
            )? {
                report.broken = Some(broken);
                return Ok(report);
            }
        }
    }
    Ok(report)
}

/// Checks one case's chain (see `verify`): `None` when it holds, else the first break.
fn verify_chain(
    conn: &mut DbConnection,
    case_id: &str,
    count: i32,
    head: &str,
    state: &str,
    resume: Option<&str>,
    report: &mut AuditReport,
) -> Result<Option<String>, Error> {
    let events: Vec<EventRow> = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order(case_events::seq.asc())
        .select(EventRow::as_select())
        .load(conn)?;
    let mut prev = GENESIS.to_string();
    let mut standing: Option<CaseCore> = None;
    for (i, e) in events.iter().enumerate() {
        report.events += 1;
        let payload: serde_json::Value =
            serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null);
        let problem = if e.seq != i as i32 + 1 {
            Some(format!(
                "expected seq {}, found {} (an event is missing)",
                i + 1,
                e.seq
            ))
        } else if e.prev_hash != prev {
            Some("prev_hash does not match the previous event".to_string())
        } else if e.compute_hash() != e.hash {
            Some("content does not match its hash (the event was altered)".to_string())
        } else {
            // The chain is intact; the step must also be one the state machine allows
            // from where the case stood (a history can be well chained and impossible).
            match Step::from_event(e.kind, e.at, &payload)
                .and_then(|step| core::apply(standing, &step))
            {
                Ok(s) => {
                    standing = Some(s);
                    None
                }
                Err(why) => Some(format!("not a legal step: {why}")),
            }
        };
        if let Some(p) = problem {
            return Ok(Some(format!(
                "case {case_id}, event {} (seq {}): {p}",
                e.id, e.seq
            )));
        }
        prev = e.hash.clone();
    }
    if events.len() as i32 != count || prev != head {
        return Ok(Some(format!(
            "case {case_id}: the case records {count} events ending in {head}, the history has {} ending in {prev} (events were removed)",
            events.len()
        )));
    }
    let recorded = (state, resume);
    let replayed = standing.map(|s| (s.state.as_str(), s.resume.map(|r| r.as_str())));
    if replayed != Some(recorded) {
        return Ok(Some(format!(
            "case {case_id}: the case row says {recorded:?} (state, resume state), its history replays to {replayed:?}"
        )));
    }
    Ok(None)
}

/// `verify` for one case (the case page's audit view): the same checks on its chain alone.
pub fn verify_case(conn: &mut DbConnection, id: CaseId) -> Result<AuditReport, Error> {
    let (case_id, count, head, state, resume): (String, i32, String, String, Option<String>) =
        cases::table
            .filter(cases::id.eq(id.to_string()))
            .select((
                cases::id,
                cases::event_count,
                cases::last_event_hash,
                cases::state,
                cases::resume_state,
            ))
            .first(conn)?;
    let mut report = AuditReport {
        cases: 1,
        ..AuditReport::default()
    };
    report.broken = verify_chain(
        conn,
        &case_id,
        count,
        &head,
        &state,
        resume.as_deref(),
        &mut report,
    )?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(user: Option<&str>) -> EventRow {
        EventRow {
            id: "0190d3a0-0000-7000-8000-000000000001".parse().unwrap(),
            case_id: "0190d3a0-0000-7000-8000-000000000002".parse().unwrap(),
            seq: 1,
            kind: EventKind::Opened,
            at: chrono::NaiveDate::from_ymd_opt(2026, 6, 1)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap(),
            actor_organization_id: Some("0190d3a0-0000-7000-8000-000000000003".parse().unwrap()),
            actor_token_id: None,
            payload: r#"{"late_routing":false}"#.into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
            dedup_key: None,
            actor_user_id: user.map(|u| u.parse().unwrap()),
        }
    }

    /// Events written before people existed keep their hash: the value below was computed
    /// independently (Python's hashlib over the same lines) with the formula as it was.
    #[test]
    fn an_event_without_a_person_hashes_as_before_and_the_person_is_covered() {
        assert_eq!(
            event(None).compute_hash(),
            "7e69d89f4770af7a6d2fafd1731c16234f2a84143771da422226e12968787041"
        );
        let a = event(Some("0190d3a0-0000-7000-8000-00000000000a")).compute_hash();
        let b = event(Some("0190d3a0-0000-7000-8000-00000000000b")).compute_hash();
        assert_ne!(a, event(None).compute_hash());
        assert_ne!(a, b);
    }

    /// The hash is over the ids' stored text (hyphenated lower case), as when the row held
    /// strings: chains written before the ids were typed still verify.
    #[test]
    fn ids_are_hashed_as_their_stored_text() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
            .and_then(|d| d.and_hms_micro_opt(9, 0, 0, 123_456))
            .unwrap();
        let text = [
            "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c",
            "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d",
            "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5e",
        ];
        let mut row = EventRow {
            id: text[0].parse().unwrap(),
            case_id: text[1].parse().unwrap(),
            seq: 3,
            kind: EventKind::Comment,
            at,
            actor_organization_id: Some(text[2].parse().unwrap()),
            actor_token_id: Some(text[3].parse().unwrap()),
            payload: r#"{"text":"hi"}"#.to_string(),
            prev_hash: GENESIS.to_string(),
            hash: String::new(),
            dedup_key: None,
            actor_user_id: None,
        };
        let expected = |lines: &[&str]| -> String {
            let mut h = Sha256::new();
            for l in lines {
                h.update(l.as_bytes());
                h.update(b"\n");
            }
            h.finalize().iter().map(|b| format!("{b:02x}")).collect()
        };
        let when = "2026-03-02T09:00:00.123456Z";
        assert_eq!(
            row.compute_hash(),
            expected(&[
                GENESIS,
                text[0],
                text[1],
                "3",
                "comment",
                when,
                text[2],
                text[3],
                r#"{"text":"hi"}"#,
                "-"
            ])
        );
        row.actor_organization_id = None;
        row.actor_token_id = None;
        assert_eq!(
            row.compute_hash(),
            expected(&[
                GENESIS,
                text[0],
                text[1],
                "3",
                "comment",
                when,
                "-",
                "-",
                r#"{"text":"hi"}"#,
                "-"
            ])
        );
    }
}
