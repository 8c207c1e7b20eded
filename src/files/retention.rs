//! How long files are kept, and the check that what is stored is what was recorded.
//!
//! Retention: a file goes once every attachment of it is past retention. A case's attachment
//! is past retention when the case has been closed for longer than the retention period
//! (seven years by default, the LkSG period) and is not under legal hold; a finding's
//! attachment when every case of the finding is (a finding that opened no case keeps its
//! files). `ketenzorg purge` lists them (dry run) or removes them with `--commit`: the rows
//! first, in one transaction that also writes a `file_purges` row per file, then the objects
//! (an object left behind by a failure is garbage without a row, never a row without its
//! object).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::store::{FileStore, Sha256Hex};
use crate::cases::CaseState;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{attachments, case_events, cases, file_purges, files};

/// A file past retention.
#[derive(Debug, Clone, PartialEq)]
pub struct Expired {
    pub sha256: String,
    pub size: i64,
    pub attachments: usize,
}

/// The files past retention at `now`.
pub fn expired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    years: u32,
) -> Result<Vec<Expired>, Error> {
    let cutoff = now
        .checked_sub_months(chrono::Months::new(12 * years))
        .ok_or_else(|| Error::internal("a retention period before the calendar"))?;
    let case_rows: Vec<(String, String, CaseState, Option<NaiveDateTime>, bool)> = cases::table
        .select((
            cases::id,
            cases::finding_id,
            cases::state,
            cases::closed_at,
            cases::legal_hold,
        ))
        .load(conn)?;
    let mut case_done: HashMap<String, bool> = HashMap::new();
    let mut finding_done: HashMap<String, bool> = HashMap::new();
    for (id, finding, state, closed_at, hold) in case_rows {
        let done = state == CaseState::Closed && closed_at.is_some_and(|c| c < cutoff) && !hold;
        case_done.insert(id, done);
        let f = finding_done.entry(finding).or_insert(true);
        *f = *f && done;
    }
    let rows: Vec<(String, Option<String>, Option<String>, i64)> = attachments::table
        .inner_join(files::table)
        .select((
            attachments::sha256,
            attachments::case_id,
            attachments::finding_id,
            files::size,
        ))
        .load(conn)?;
    let mut by_file: HashMap<String, (i64, usize, bool)> = HashMap::new();
    for (sha, case, finding, size) in rows {
        let done = match (case, finding) {
            (Some(c), _) => case_done.get(&c).copied().unwrap_or(false),
            (None, Some(f)) => finding_done.get(&f).copied().unwrap_or(false),
            (None, None) => false,
        };
        let entry = by_file.entry(sha).or_insert((size, 0, true));
        entry.1 += 1;
        entry.2 = entry.2 && done;
    }
    let mut out: Vec<Expired> = by_file
        .into_iter()
        .filter(|(_, (_, _, done))| *done)
        .map(|(sha256, (size, attachments, _))| Expired {
            sha256,
            size,
            attachments,
        })
        .collect();
    out.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    Ok(out)
}

/// Removes the rows of the files past retention and records each removal, in the caller's
/// transaction. The objects are removed by the caller after the commit.
pub fn forget(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    years: u32,
) -> Result<Vec<Expired>, Error> {
    let gone = expired(conn, now, years)?;
    for f in &gone {
        diesel::delete(attachments::table.filter(attachments::sha256.eq(&f.sha256)))
            .execute(conn)?;
        diesel::delete(files::table.filter(files::sha256.eq(&f.sha256))).execute(conn)?;
        diesel::insert_into(file_purges::table)
            .values((
                file_purges::sha256.eq(&f.sha256),
                file_purges::size.eq(f.size),
                file_purges::attachments.eq(f.attachments as i32),
                file_purges::purged_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(gone)
}

/// Sets or lifts the legal hold of a case; false when there is no such case.
pub fn set_legal_hold(
    conn: &mut DbConnection,
    case: crate::values::CaseId,
    hold: bool,
) -> Result<bool, Error> {
    Ok(diesel::update(cases::table.filter(cases::id.eq(case)))
        .set(cases::legal_hold.eq(hold))
        .execute(conn)?
        == 1)
}

/// What `verify-audit --files` found.
#[derive(Debug, Default)]
pub struct FilesReport {
    pub files: usize,
    pub problems: Vec<String>,
}

/// The rows of the check: every file's hash, and every case attachment's hash as its event
/// recorded it.
pub fn recorded(conn: &mut DbConnection) -> Result<(Vec<String>, Vec<String>), Error> {
    let shas: Vec<String> = files::table
        .select(files::sha256)
        .order(files::sha256.asc())
        .load(conn)?;
    let pairs: Vec<(String, String, String)> = attachments::table
        .inner_join(case_events::table.on(attachments::event_id.eq(case_events::id.nullable())))
        .select((attachments::id, attachments::sha256, case_events::payload))
        .load(conn)?;
    let mut problems = Vec::new();
    for (id, sha, payload) in pairs {
        let recorded = serde_json::from_str::<serde_json::Value>(&payload)
            .ok()
            .and_then(|p| p["sha256"].as_str().map(str::to_string));
        if recorded.as_deref() != Some(sha.as_str()) {
            problems.push(format!(
                "attachment {id}: its row says {sha}, its case event {}",
                recorded.unwrap_or_else(|| "nothing".into())
            ));
        }
    }
    let orphans: HashSet<String> = attachments::table
        .filter(attachments::case_id.is_not_null())
        .filter(attachments::event_id.is_null())
        .select(attachments::id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    for id in orphans {
        problems.push(format!("attachment {id}: a case file without its event"));
    }
    Ok((shas, problems))
}

/// Checks that every stored object is there and still has the hash it is stored under.
pub async fn verify(
    store: &FileStore,
    shas: Vec<String>,
    mut problems: Vec<String>,
) -> FilesReport {
    let files = shas.len();
    for sha in shas {
        let Some(key) = Sha256Hex::parse(&sha) else {
            problems.push(format!("file {sha:?}: not a SHA-256"));
            continue;
        };
        match store.hash_of(&key).await {
            Ok(Some(actual)) if actual == key => {}
            Ok(Some(actual)) => problems.push(format!(
                "file {sha}: the stored content has the SHA-256 {actual}: it was changed"
            )),
            Ok(None) => problems.push(format!("file {sha}: missing from the store")),
            Err(e) => problems.push(format!("file {sha}: cannot be read: {e}")),
        }
    }
    FilesReport { files, problems }
}
