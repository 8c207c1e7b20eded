//! `ketenzorg import disclosure FILE --contractor ID [--commit]`: a contractor's disclosure
//! list from a file, as `POST /api/v1/disclosures` takes it (a dry run unless `--commit`).
//! The report is printed as JSON; a commit with errors changes nothing and exits non-zero.

use std::io::Write;
use std::path::Path;

use super::error::{CliError, Context};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::disclosures::read::{sniff, FileProblem};
use crate::disclosures::service::{self, ImportRequest};
use crate::values::{OrgKind, OrganizationId};

pub fn disclosure(
    config: Config,
    file: &Path,
    contractor: OrganizationId,
    commit: bool,
    confirm: Option<&str>,
) -> Result<(), CliError> {
    let confirm = crate::disclosures::http::parse_confirm(confirm)
        .map_err(|e| CliError::Refused(format!("--confirm: {e}")))?;
    let size = std::fs::metadata(file)
        .map_err(|e| CliError::Refused(format!("{}: {e}", file.display())))?
        .len();
    if size > config.max_upload_bytes as u64 {
        return Err(CliError::Refused(format!(
            "{} is {size} bytes, over KETENZORG_MAX_UPLOAD_BYTES ({})",
            file.display(),
            config.max_upload_bytes
        )));
    }
    let format = sniff(file).map_err(|p: FileProblem| CliError::Refused(p.to_string()))?;
    let db = Db::connect(&config.database, 2)?;
    let now = Clock::System.now_naive();
    let mut conn = db.get().context("no database connection")?;
    let policy = config.policy.clone();
    let report = crate::db::write_tx(&mut conn, |c| {
        if crate::organizations::service::kind_of(c, contractor)? != Some(OrgKind::Contractor) {
            return Err(crate::error::Error::bad_param(
                "contractor",
                "no contractor organization with this id",
            ));
        }
        let request = ImportRequest {
            contractor,
            dry_run: !commit,
            confirm,
            date: now.date(),
        };
        service::import(c, file, format, &request, now, &policy)
    })
    .map_err(|e| CliError::Refused(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &report).context("writing the report")?;
    writeln!(out).context("writing the report")?;
    if commit && !report.committed {
        return Err(CliError::Refused(format!(
            "{} of {} rows have errors; nothing was changed (see the report above)",
            report.errors, report.rows
        )));
    }
    Ok(())
}
