//! Who may attach, list and download evidence files, and what an attachment records.
//!
//! * A finding's files: the monitor that filed it (and the operator) uploads them, and may
//!   mark one confidential. The parties of the finding's cases (contractor, buyers) read its
//!   files that are not confidential; a confidential one does not exist for them (404).
//! * A case's files: any party to the case uploads them, and reads them as it reads the
//!   case (404 outside it), with `cases::visibility`'s rule for a case shared by several
//!   buyers: a file another buyer attached is that buyer's own business, like its comments.
//!   Attaching one is a `file_attached` case event that records the hash, size, media type,
//!   name and label, so the hash chain covers them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use super::reach::{finding_reach, reader_of, FindingReach};
use super::store::Sha256Hex;
pub use super::Owner;
use super::{AttachedFile, AttachmentRow, FileRow};
use crate::auth::Caller;
use crate::cases::access::{self, party_of, visible_row};
use crate::cases::events::{Actor, EventKind};
use crate::cases::store::{lock_case, record};
use crate::cases::CaseRow;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{attachments, files, findings};
use crate::values::{AttachmentId, CaseId, FindingId, Name};

/// A file received, checked and stored, ready to be attached.
#[derive(Debug, Clone)]
pub struct Received {
    pub sha256: Sha256Hex,
    pub size: u64,
    pub media_type: &'static str,
    pub filename: String,
}

/// What the uploader says about the file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub label: Option<Name>,
    pub confidential: bool,
}

/// Whether the caller may attach a file to `owner`; checked before the upload is read and
/// stored, and again in the transaction that attaches it.
pub fn may_attach(
    conn: &mut DbConnection,
    caller: &Caller,
    owner: Owner,
    options: &Options,
) -> Result<(), Error> {
    match owner {
        Owner::Finding(id) => match finding_reach(conn, caller, id)? {
            FindingReach::Whole => Ok(()),
            FindingReach::NotConfidential => Err(Error::Forbidden(
                "only the monitor that filed a finding adds files to it".into(),
            )),
        },
        Owner::Case(id) => {
            let row = visible_row(conn, caller, id)?;
            // The parties add files, as they comment; the operator is none of them.
            access::may_comment(party_of(caller, &row))
                .map_err(|_| Error::Forbidden("only parties to a case add files to it".into()))?;
            if options.confidential {
                return Err(Error::field(
                    "confidential",
                    "only a monitor's files on a finding may be confidential; a case's files are read by every party to it",
                ));
            }
            Ok(())
        }
    }
}

/// Attaches a stored file to `owner`, in the caller's transaction: the file's row (once per
/// hash), the attachment, and for a case its event and notifications.
///
/// `stored` tells whether the object is in the store. It is asked under the hash's lock
/// (`lock_hash`), after which no failed upload of the same content can delete it: an object
/// deleted by one between this upload's write and this transaction is a `Retry`, and the
/// upload writes it again.
#[allow(clippy::too_many_arguments)]
pub fn attach(
    conn: &mut DbConnection,
    caller: &Caller,
    owner: Owner,
    file: &Received,
    options: &Options,
    max_total: u64,
    now: NaiveDateTime,
    stored: &dyn Fn(&Sha256Hex) -> Result<bool, Error>,
) -> Result<AttachedFile, Error> {
    may_attach(conn, caller, owner, options)?;
    lock_hash(conn, &file.sha256)?;
    if !stored(&file.sha256)? {
        return Err(Error::Retry);
    }
    // The owner's row is taken first (on PostgreSQL a row lock until commit), so that two
    // uploads at once cannot both fit under the total.
    let mut case = match owner {
        Owner::Case(id) => Some(lock_case(conn, id)?),
        Owner::Finding(id) => {
            diesel::update(findings::table.filter(findings::id.eq(id.to_string())))
                .set(findings::updated_at.eq(findings::updated_at))
                .execute(conn)?;
            None
        }
    };
    let sizes: Vec<i64> = owned(owner)
        .inner_join(files::table)
        .select(files::size)
        .load(conn)?;
    let total = sizes.iter().map(|s| *s as u64).sum::<u64>() + file.size;
    if total > max_total {
        return Err(Error::TooLarge(format!(
            "the files of this {} would come to {total} bytes, over the limit of {max_total}",
            match owner {
                Owner::Finding(_) => "finding",
                Owner::Case(_) => "case",
            }
        )));
    }
    let known: Option<FileRow> = files::table
        .filter(files::sha256.eq(file.sha256.as_str()))
        .select(FileRow::as_select())
        .first(conn)
        .optional()?;
    let stored = match known {
        Some(row) => row,
        None => {
            let row = FileRow {
                sha256: file.sha256.to_string(),
                size: file.size as i64,
                media_type: file.media_type.to_string(),
                created_at: now,
            };
            diesel::insert_into(files::table)
                .values(&row)
                .execute(conn)
                .map_err(|e| match Error::from(e) {
                    // The same content stored by a concurrent upload: the retry finds its row.
                    Error::Conflict { .. } => Error::Retry,
                    other => other,
                })?;
            row
        }
    };
    let id = AttachmentId::new();
    let label = options.label.as_ref().map(|l| l.as_str().to_string());
    let event_id = match &mut case {
        Some(row) => {
            let payload = json!({
                "attachment_id": id,
                "sha256": stored.sha256,
                "size": stored.size,
                "media_type": stored.media_type,
                "filename": file.filename,
                "label": label,
            });
            let event = record(
                conn,
                row,
                EventKind::FileAttached,
                &Actor::from(caller),
                payload,
                now,
                None,
            )?;
            Some(event.id.to_string())
        }
        None => None,
    };
    let row = AttachmentRow {
        id: id.to_string(),
        sha256: stored.sha256.clone(),
        finding_id: match owner {
            Owner::Finding(f) => Some(f.to_string()),
            Owner::Case(_) => None,
        },
        case_id: match owner {
            Owner::Case(c) => Some(c.to_string()),
            Owner::Finding(_) => None,
        },
        filename: file.filename.clone(),
        label,
        confidential: options.confidential,
        organization_id: caller.organization_id.to_string(),
        user_id: caller.user.map(|u| u.id.to_string()),
        event_id,
        created_at: now,
    };
    diesel::insert_into(attachments::table)
        .values(&row)
        .execute(conn)?;
    tracing::info!(attachment_id = %id, sha256 = %stored.sha256, size = stored.size, "file attached");
    row.view(&stored)
}

type OwnedQuery = attachments::BoxedQuery<'static, crate::db::DbBackend>;

fn owned(owner: Owner) -> OwnedQuery {
    match owner {
        Owner::Finding(id) => attachments::table
            .filter(attachments::finding_id.eq(id.to_string()))
            .into_boxed(),
        Owner::Case(id) => attachments::table
            .filter(attachments::case_id.eq(id.to_string()))
            .into_boxed(),
    }
}

/// The files of `owner` the caller may read, oldest first.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    owner: Owner,
) -> Result<Vec<AttachedFile>, Error> {
    let reader = reader_of(conn, caller, owner)?;
    let rows: Vec<(AttachmentRow, FileRow)> = owned(owner)
        .inner_join(files::table)
        .order(attachments::id.asc())
        .select((AttachmentRow::as_select(), FileRow::as_select()))
        .load(conn)?;
    rows.iter()
        .filter(|(a, _)| reader.reads(a))
        .map(|(a, f)| a.view(f))
        .collect()
}

/// An attachment and its file, if the caller may read it (404 otherwise).
pub fn find(
    conn: &mut DbConnection,
    caller: &Caller,
    id: AttachmentId,
) -> Result<(AttachmentRow, FileRow), Error> {
    let found: Option<(AttachmentRow, FileRow)> = attachments::table
        .inner_join(files::table)
        .filter(attachments::id.eq(id.to_string()))
        .select((AttachmentRow::as_select(), FileRow::as_select()))
        .first(conn)
        .optional()?;
    let (a, f) = found.ok_or(Error::NotFound("file"))?;
    let owner = match (&a.finding_id, &a.case_id) {
        (Some(finding), _) => Owner::Finding(FindingId::from_db(finding)?),
        (None, Some(case)) => Owner::Case(CaseId::from_db(case)?),
        (None, None) => return Err(Error::internal("an attachment without an owner")),
    };
    let reader = reader_of(conn, caller, owner).map_err(|e| match e {
        Error::NotFound(_) => Error::NotFound("file"),
        other => other,
    })?;
    if !reader.reads(&a) {
        return Err(Error::NotFound("file"));
    }
    Ok((a, f))
}

/// Files of `case` named as the evidence of a transition: each must be attached to this case
/// (422 naming `files[i]` otherwise). What the event records of each.
pub fn evidence(
    conn: &mut DbConnection,
    case: &CaseRow,
    ids: &[AttachmentId],
) -> Result<Vec<Value>, Error> {
    if ids.len() > 50 {
        return Err(Error::field("files", "at most 50 files"));
    }
    let wanted: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let rows: Vec<(AttachmentRow, FileRow)> = attachments::table
        .inner_join(files::table)
        .filter(attachments::case_id.eq(case.id.to_string()))
        .filter(attachments::id.eq_any(&wanted))
        .select((AttachmentRow::as_select(), FileRow::as_select()))
        .load(conn)?;
    wanted
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let (a, f) = rows.iter().find(|(a, _)| &a.id == id).ok_or_else(|| {
                Error::field(
                    format!("files[{i}]"),
                    "no file with this id is attached to this case; upload it to POST /cases/{id}/files first",
                )
            })?;
            Ok(json!({
                "id": a.id,
                "sha256": f.sha256,
                "size": f.size,
                "media_type": f.media_type,
                "filename": a.filename,
            }))
        })
        .collect()
}

/// Serializes, per content, attaching a file and removing an object a failed upload wrote, so
/// that one never removes what the other is attaching. SQLite has one writer anyway; on
/// PostgreSQL a transaction-scoped advisory lock on the hash.
pub fn lock_hash(conn: &mut DbConnection, sha: &Sha256Hex) -> Result<(), Error> {
    if let DbConnection::Pg(_) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(sha.as_str())
            .execute(conn)?;
    }
    Ok(())
}

/// Whether the database refers to a stored object (it must then be kept).
pub fn is_known(conn: &mut DbConnection, sha: &Sha256Hex) -> Result<bool, Error> {
    Ok(files::table
        .filter(files::sha256.eq(sha.as_str()))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}
