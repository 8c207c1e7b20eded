//! `ketenzorg import ocds FILE [--commit] [--as ORGANIZATION_ID]`: the OCDS import of
//! `POST /api/v1/contracts/import`, from a file. It prints the report as JSON; a dry run
//! unless `--commit`.

use std::io::Write;
use std::path::Path;

use super::error::{CliError, Context};
use crate::auth::Caller;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{write_tx, Db};
use crate::error::Error;
use crate::organizations::service as organizations;
use crate::values::OrganizationId;

pub fn run(
    config: Config,
    file: &Path,
    commit: bool,
    as_org: Option<OrganizationId>,
) -> Result<(), CliError> {
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::Refused(format!("cannot read {}: {e}", file.display())))?;
    let package = crate::ocds::parse::package(&bytes).map_err(refused)?;
    drop(bytes);
    let db = Db::connect(&config.database, 1)?;
    let mut conn = db.get().context("no database connection")?;
    let now = Clock::System.now_naive();
    // Without --as the operator imports, as the admin's token would.
    let organization = match as_org {
        Some(id) => id,
        None => organizations::find_admin(&mut conn)
            .context("finding the admin organization")?
            .ok_or_else(|| {
                CliError::Refused(
                    "there is no admin organization yet: run `ketenzorg admin-token` first, or pass --as".into(),
                )
            })?,
    };
    let kind = organizations::kind_of(&mut conn, organization)
        .context("reading the organization")?
        .ok_or_else(|| CliError::Refused(format!("no organization with id {organization}")))?;
    let caller = Caller {
        organization_id: organization,
        kind,
        token_id: None,
        user: None,
    };
    crate::escalation::register_policy(&mut conn, &config.policy, now)
        .context("registering the deadline policy")?;
    let report = write_tx(&mut conn, |c| {
        crate::ocds::service::import(c, &caller, &package, commit, now, &config.policy)
    })
    .map_err(refused)?;
    let json = serde_json::to_string_pretty(&report).context("writing the report")?;
    writeln!(std::io::stdout(), "{json}").context("writing to stdout")?;
    if report.dry_run {
        writeln!(
            std::io::stderr(),
            "dry run: nothing was written; run again with --commit to import"
        )
        .context("writing to stderr")?;
    }
    Ok(())
}

/// Bad input and refusals are the operator's to fix: said in a sentence, field by field.
fn refused(e: Error) -> CliError {
    match e {
        Error::Validation(errors) => CliError::Refused(format!(
            "nothing was imported:\n{}",
            errors
                .iter()
                .map(|e| format!("  {}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("\n")
        )),
        Error::Internal { .. } | Error::Unavailable(_) | Error::Retry => CliError::Failed {
            what: "importing the OCDS package",
            source: Box::new(e),
        },
        other => CliError::Refused(other.to_string()),
    }
}
