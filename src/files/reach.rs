//! Who reads which files: a finding's files by its monitor and the operator, those not
//! confidential by the parties of its cases; a case's files as the case is read, less another
//! buyer's on a shared case (`cases::visibility`).

use diesel::prelude::*;

use super::{AttachmentRow, Owner};
use crate::auth::Caller;
use crate::cases::access::{self, party_of, visible_row};
use crate::cases::lifecycle::Party;
use crate::cases::visibility::by_other_buyer;
use crate::cases::CaseRow;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{cases, findings};
use crate::values::{CaseId, FindingId, OrgKind};

/// How much of a finding's files the caller reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FindingReach {
    /// The monitor that filed it, or the operator: every file.
    Whole,
    /// A party of one of its cases: the files that are not confidential.
    NotConfidential,
}

pub fn finding_reach(
    conn: &mut DbConnection,
    caller: &Caller,
    id: FindingId,
) -> Result<FindingReach, Error> {
    let monitor: Option<String> = findings::table
        .filter(findings::id.eq(id.to_string()))
        .select(findings::monitor_id)
        .first(conn)
        .optional()?;
    let Some(monitor) = monitor else {
        return Err(Error::NotFound("finding"));
    };
    if caller.is_admin() || monitor == caller.organization_id.to_string() {
        return Ok(FindingReach::Whole);
    }
    if caller.is(OrgKind::Monitor) {
        return Err(Error::NotFound("finding"));
    }
    // A contractor or buyer reads a finding's files through a case of it that it sees.
    let mut q = cases::table
        .filter(cases::finding_id.eq(id))
        .select(cases::id)
        .into_boxed();
    if let Some(filter) = access::visible_to(caller) {
        q = q.filter(filter);
    }
    match q.first::<CaseId>(conn).optional()? {
        Some(_) => Ok(FindingReach::NotConfidential),
        None => Err(Error::NotFound("finding")),
    }
}

/// What of an owner's files a caller reads.
pub enum Reader {
    Finding(FindingReach),
    /// A case; for a buyer, who its contractor and monitor are (files by any other
    /// organization are another buyer's).
    Case {
        buyer: Option<(String, String, String)>,
    },
}

impl Reader {
    pub fn reads(&self, a: &AttachmentRow) -> bool {
        match self {
            Reader::Finding(FindingReach::Whole) => true,
            Reader::Finding(FindingReach::NotConfidential) => !a.confidential,
            Reader::Case { buyer: None } => true,
            Reader::Case {
                buyer: Some((me, contractor, monitor)),
            } => !by_other_buyer(me, contractor, monitor, Some(&a.organization_id)),
        }
    }
}

pub fn reader_of(conn: &mut DbConnection, caller: &Caller, owner: Owner) -> Result<Reader, Error> {
    Ok(match owner {
        Owner::Finding(id) => Reader::Finding(finding_reach(conn, caller, id)?),
        Owner::Case(id) => case_reader(caller, &visible_row(conn, caller, id)?),
    })
}

fn case_reader(caller: &Caller, row: &CaseRow) -> Reader {
    Reader::Case {
        buyer: (party_of(caller, row) == Party::Buyer).then(|| {
            (
                caller.organization_id.to_string(),
                row.contractor_id.to_string(),
                row.monitor_id.to_string(),
            )
        }),
    }
}
