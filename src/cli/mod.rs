//! The command line: `serve` (default), `admin-token`, `demo`, `invite`, `sweep`,
//! `verify-audit`, `recompute-deadlines`, `backup`, `import`, `purge`, `legal-hold`.

mod error;
mod import;
mod import_ocds;
mod invite;

pub use error::CliError;
use error::Context;

use std::io::Write;
use std::net::TcpListener;

use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{write_tx, Db};
use crate::values::{CountryCode, Email, EmailList, Language, Name, OrgKind};

#[derive(Debug, Parser)]
#[command(
    name = "ketenzorg",
    version,
    about = "Supply-chain due diligence for public ICT procurement"
)]
#[command(
    after_help = "Configuration comes from environment variables: DATABASE_URL, BIND, LOG_LEVEL, KETENZORG_* (see README)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the API on BIND (the default command).
    Serve,
    /// Create the admin organization if there is none, issue an admin token and print it.
    AdminToken,
    /// Load a realistic sample and print one token per role.
    Demo,
    /// Check every case's hash-chained history, and the kept portfolio figures against a fresh
    /// count; exits non-zero naming the first broken event or each differing figure.
    VerifyAudit {
        /// Also check that every stored file is present and still has its recorded SHA-256.
        #[arg(long)]
        files: bool,
    },
    /// List the evidence files past retention (their cases closed more than
    /// KETENZORG_RETENTION_YEARS ago, none under legal hold); remove them with --commit.
    Purge {
        /// Remove them (and record each removal); without it, only list them.
        #[arg(long)]
        commit: bool,
    },
    /// Put a case under legal hold, so that `purge` keeps its files; --release lifts it.
    LegalHold {
        /// The id of the case.
        case: crate::values::CaseId,
        #[arg(long)]
        release: bool,
    },
    /// Send the reminders and raise the escalations that are due, once, and exit.
    Sweep {
        /// Sweep as if it were this instant (RFC 3339), e.g. 2026-12-01T09:00:00Z; a past
        /// instant catches up on a sweep that did not run.
        #[arg(long, value_parser = crate::values::dates::parse_instant)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        /// Allow `--at` in the future. Events would be dated after the real clock and a later
        /// real sweep would write history out of order: only for a database used as a test clock.
        #[arg(long)]
        test_clock: bool,
        /// Only sweep; leave the mail to the sender in `serve`.
        #[arg(long)]
        no_mail: bool,
    },
    /// Apply the deadline policy in force to open cases given deadlines under another one.
    RecomputeDeadlines,
    /// Invite a person: create their user in an organization and mail them a sign-in link
    /// (delivered now, as `sweep` delivers mail; the link works once, for 15 minutes).
    Invite {
        /// Their email address (unique across the service).
        email: String,
        /// The id of their organization.
        #[arg(long)]
        organization: crate::values::OrganizationId,
        /// Their name as shown on what they do; defaults to the part of the address before @.
        #[arg(long)]
        name: Option<String>,
        /// nl, fr, en or de; defaults to the organization's language.
        #[arg(long)]
        language: Option<crate::values::Language>,
        /// Make them a manager, who invites and deactivates the organization's users.
        #[arg(long)]
        manager: bool,
        /// Also print the link alone on stdout (for local use; it is mailed all the same).
        #[arg(long)]
        print_link: bool,
    },
    /// Write a consistent copy of the live SQLite database to PATH (PostgreSQL: use pg_dump).
    Backup {
        /// A file that does not exist yet.
        path: std::path::PathBuf,
    },
    /// Take in a file: a contractor's disclosure list (CSV or XLSX) or a buyer's contracts
    /// (OCDS); a dry run that prints the report, unless --commit.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Contracts from an OCDS 1.1 release package or record package (JSON); see
    /// docs/imports.md.
    Ocds {
        /// The package, a JSON file.
        file: std::path::PathBuf,
        /// Write the import (all of it, or nothing when the report has an error).
        #[arg(long)]
        commit: bool,
        /// Import as this organization: a buyer imports its own contracts. By default the
        /// admin imports, for any buyer.
        #[arg(long = "as", value_name = "ORGANIZATION_ID")]
        as_organization: Option<crate::values::OrganizationId>,
    },
    /// A contractor's disclosure list (the columns of docs/imports.md). A dry run that prints
    /// the report, unless --commit.
    Disclosure {
        /// The CSV or XLSX file.
        file: std::path::PathBuf,
        /// The id of the contractor whose list it is.
        #[arg(long)]
        contractor: crate::values::OrganizationId,
        /// Apply the file (all of it, or nothing when a row has an error).
        #[arg(long)]
        commit: bool,
        /// Near matches to use instead of new factories: ROW:FACTORY_ID pairs, comma separated.
        #[arg(long)]
        confirm: Option<String>,
    },
}

pub fn run(cli: Cli, config: Config) -> Result<(), CliError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::AdminToken => admin_token(config),
        Command::VerifyAudit { files } => verify_audit(config, files),
        Command::Purge { commit } => purge(config, commit),
        Command::LegalHold { case, release } => legal_hold(config, case, !release),
        Command::Sweep {
            at,
            no_mail,
            test_clock,
        } => {
            if let Some(at) = at.filter(|at| *at > chrono::Utc::now() && !test_clock) {
                return Err(CliError::Refused(format!(
                    "--at {} lies in the future: the sweep would date events after the real clock; \
                     pass --test-clock if this database is a test's",
                    at.to_rfc3339()
                )));
            }
            let clock = at.map_or(Clock::System, Clock::manual);
            let db = Db::connect(&config.database, 2)?;
            let mut conn = db.get().context("no database connection")?;
            crate::escalation::register_policy(&mut conn, &config.policy, clock.now_naive())
                .context("registering the deadline policy")?;
            let r = crate::escalation::sweep::run(
                &mut conn,
                clock.now_naive(),
                &config.policy,
                crate::escalation::sweep::DEFAULT_BATCH,
            )
            .context("sweeping")?;
            drop(conn);
            // Then deliver what is due, mails of this sweep included (cron runs just this).
            let mail = if no_mail {
                crate::notifications::sender::SendReport::default()
            } else {
                let sender = crate::notifications::sender::Sender::new(
                    db.clone(),
                    config.mail.clone(),
                    clock.clone(),
                )?;
                actix_web::rt::System::new()
                    .block_on(sender.run_once())
                    .context("delivering mail")?
            };
            writeln!(
                std::io::stdout(),
                "sweep at {}: {} cases, {} reminders, {} escalations, {} skipped, {} failed; mail: {} sent, {} to retry, {} failed, {} suppressed",
                clock.now().to_rfc3339(),
                r.cases,
                r.reminders,
                r.escalations,
                r.skipped,
                r.failed,
                mail.sent,
                mail.retried,
                mail.failed,
                mail.suppressed
            )
            .context("writing to stdout")
        }
        Command::Backup { path } => backup(config, &path),
        Command::Import { what } => match what {
            ImportCommand::Disclosure {
                file,
                contractor,
                commit,
                confirm,
            } => import::disclosure(config, &file, contractor, commit, confirm.as_deref()),
            ImportCommand::Ocds {
                file,
                commit,
                as_organization,
            } => import_ocds::run(config, &file, commit, as_organization),
        },
        Command::Invite {
            email,
            organization,
            name,
            language,
            manager,
            print_link,
        } => {
            let invitation = invite::Invitation {
                organization,
                name,
                language,
                manager,
                print_link,
            };
            invite::invite(config, &email, invitation)
        }
        Command::RecomputeDeadlines => {
            let db = Db::connect(&config.database, 2)?;
            let mut conn = db.get().context("no database connection")?;
            let now = Clock::System.now_naive();
            crate::escalation::register_policy(&mut conn, &config.policy, now)
                .context("registering the deadline policy")?;
            let n = crate::escalation::recompute::run(&mut conn, &config.policy, now)
                .context("recomputing deadlines")?;
            writeln!(
                std::io::stdout(),
                "recompute-deadlines: {n} open cases moved to policy {}",
                config.policy.version()
            )
            .context("writing to stdout")
        }
        Command::Demo => {
            let db = Db::connect(&config.database, 2)?;
            let tokens = match crate::demo::load(&db, &Clock::System, &config.policy)
                .context("loading the sample")?
            {
                crate::demo::Loaded::Now(tokens) => tokens,
                crate::demo::Loaded::Already(tokens) => {
                    writeln!(
                        std::io::stderr(),
                        "the sample is already loaded in this database; nothing was added. New tokens for its organizations:"
                    )
                    .context("writing to stderr")?;
                    tokens
                }
            };
            let mut out = std::io::stdout().lock();
            for (role, name, token) in tokens {
                writeln!(out, "{role:<12} {token}  # {name}").context("writing to stdout")?;
            }
            // The tokens are for machines (stdout); the people's links are for a person
            // trying the web interface (stderr).
            let people = crate::demo::people(&db, &Clock::System).context("signing people in")?;
            let mut err = std::io::stderr().lock();
            writeln!(err, "\nOr sign in as one of the sample's people (each link works once, for 15 minutes; `ketenzorg demo` again gives new ones):")
                .context("writing to stderr")?;
            for (role, name, email, token) in people {
                let link = crate::auth::sign_in::link_url(&config.mail.public_url, &token, None);
                writeln!(err, "  {role:<11} {name} <{email}>\n              {link}")
                    .context("writing to stderr")?;
            }
            Ok(())
        }
    }
}

fn serve(config: Config) -> Result<(), CliError> {
    let listener = TcpListener::bind(config.bind)
        .map_err(|e| CliError::Refused(format!("cannot listen on {}: {e}", config.bind)))?;
    tracing::info!(
        bind = %config.bind,
        database = %config.database.redacted(),
        "starting ketenzorg"
    );
    actix_web::rt::System::new().block_on(async move {
        let server =
            crate::server::build(config, Clock::System, listener).context("starting the server")?;
        server.server.await.context("serving")
    })
}

/// SQLite's `VACUUM INTO` reads one consistent snapshot (WAL lets writers go on meanwhile) and
/// writes it as a compact new database file; the disk store's evidence files are copied beside
/// it (`PATH` with the extension `.files`).
fn backup(config: Config, path: &std::path::Path) -> Result<(), CliError> {
    use diesel::RunQueryDsl;
    if config.database.backend == crate::db::Backend::Postgres {
        return Err(CliError::Refused(format!(
            "backup is for SQLite; for PostgreSQL run: pg_dump --format=custom --file={} \"$DATABASE_URL\"",
            path.display()
        )));
    }
    let files = match &config.files.store {
        crate::files::StoreConfig::Disk { dir } => {
            Some((dir.clone(), path.with_extension("files")))
        }
        // Objects in S3 are kept by the object store (its versioning and replication).
        crate::files::StoreConfig::S3(_) => None,
    };
    for p in std::iter::once(path).chain(files.as_ref().map(|(_, to)| to.as_path())) {
        if p.exists() {
            return Err(CliError::Refused(format!(
                "{} exists; give a new file name",
                p.display()
            )));
        }
    }
    let target = path
        .to_str()
        .ok_or_else(|| CliError::Refused("the backup path is not valid UTF-8".into()))?
        .to_string();
    let db = Db::connect(&config.database, 1)?;
    let mut conn = db.get().context("no database connection")?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(&target)
        .execute(&mut *conn)
        .context("backup failed")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "backup: wrote {}", path.display()).context("writing to stdout")?;
    // Taken after the snapshot: an object is stored before the transaction that records it and
    // never changes, so the copy holds every object the snapshot names (and perhaps newer ones).
    if let Some((from, to)) = files.filter(|(from, _)| from.is_dir()) {
        let n = copy_objects(&from, &to).context("copying the evidence files")?;
        writeln!(
            out,
            "backup: copied {n} evidence files to {} (restore them as KETENZORG_FILES_DIR)",
            to.display()
        )
        .context("writing to stdout")?;
    }
    Ok(())
}

/// Copies the disk store's objects (hard links where the file system allows: objects never
/// change), leaving out the temporary files of uploads under way. Returns how many.
fn copy_objects(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(to)?;
    let mut n = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, name) = (entry.path(), entry.file_name());
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let dst = to.join(&name);
        if entry.file_type()?.is_dir() {
            n += copy_objects(&src, &dst)?;
        } else {
            if std::fs::hard_link(&src, &dst).is_err() {
                std::fs::copy(&src, &dst)?;
            }
            n += 1;
        }
    }
    Ok(n)
}

fn verify_audit(config: Config, files: bool) -> Result<(), CliError> {
    let db = Db::connect(&config.database, 1)?;
    let mut conn = db.get().context("no database connection")?;
    let report = crate::cases::events::verify(&mut conn).context("reading the case histories")?;
    let mut out = std::io::stdout().lock();
    if let Some(broken) = report.broken {
        writeln!(out, "verify-audit: BROKEN: {broken}").context("writing to stdout")?;
        return Err(CliError::Refused(format!("audit trail broken: {broken}")));
    }
    writeln!(
        out,
        "verify-audit: ok: {} cases, {} events, every chain intact",
        report.cases, report.events
    )
    .context("writing to stdout")?;
    let (drift, contracts) =
        crate::due_diligence::kept::drift(&mut conn).context("counting the portfolio figures")?;
    if !drift.is_empty() {
        for d in &drift {
            writeln!(out, "verify-audit: BROKEN: {d}").context("writing to stdout")?;
        }
        return Err(CliError::Refused(format!(
            "{} kept portfolio figures differ from a fresh count of the contract links",
            drift.len()
        )));
    }
    writeln!(
        out,
        "verify-audit: ok: the kept portfolio figures ({contracts} contracts with open cases) equal a fresh count"
    )
    .context("writing to stdout")?;
    if !files {
        return Ok(());
    }
    let (shas, problems) =
        crate::files::retention::recorded(&mut conn).context("reading the files")?;
    let store = file_store(&config)?;
    let checked = runtime()?.block_on(crate::files::retention::verify(&store, shas, problems));
    if checked.problems.is_empty() {
        return writeln!(
            out,
            "verify-audit: ok: {} files, each present with its SHA-256",
            checked.files
        )
        .context("writing to stdout");
    }
    for p in &checked.problems {
        writeln!(out, "verify-audit: BROKEN: {p}").context("writing to stdout")?;
    }
    Err(CliError::Refused(format!(
        "{} of the stored files do not match what was recorded",
        checked.problems.len()
    )))
}

fn file_store(config: &Config) -> Result<crate::files::store::FileStore, CliError> {
    crate::files::store::FileStore::open(&config.files.store).map_err(CliError::Refused)
}

/// The file store's S3 client and the blocking file work need a runtime outside `serve`.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

fn purge(config: Config, commit: bool) -> Result<(), CliError> {
    let db = Db::connect(&config.database, 1)?;
    let mut conn = db.get().context("no database connection")?;
    let now = Clock::System.now_naive();
    let years = config.files.retention_years;
    let mut out = std::io::stdout().lock();
    let files = if commit {
        write_tx(&mut conn, |c| {
            crate::files::retention::forget(c, now, years)
        })
        .context("removing the files' records")?
    } else {
        crate::files::retention::expired(&mut conn, now, years).context("reading the files")?
    };
    let verb = if commit { "removed" } else { "would remove" };
    for f in &files {
        writeln!(
            out,
            "purge: {verb} {} ({} bytes, {} attachments)",
            f.sha256, f.size, f.attachments
        )
        .context("writing to stdout")?;
    }
    if commit && !files.is_empty() {
        let store = file_store(&config)?;
        let rt = runtime()?;
        for f in &files {
            let Some(key) = crate::files::store::Sha256Hex::parse(&f.sha256) else {
                continue;
            };
            // The records are gone already: an object that stays is garbage, reported here.
            if let Err(e) = rt.block_on(store.delete(&key)) {
                writeln!(out, "purge: could not delete the object {key}: {e}")
                    .context("writing to stdout")?;
            }
        }
    }
    writeln!(
        out,
        "purge: {} files past {years} years after their cases closed{}",
        files.len(),
        if commit {
            ", removed"
        } else {
            " (dry run; --commit removes them)"
        }
    )
    .context("writing to stdout")
}

fn legal_hold(config: Config, case: crate::values::CaseId, hold: bool) -> Result<(), CliError> {
    let db = Db::connect(&config.database, 1)?;
    let mut conn = db.get().context("no database connection")?;
    let found = write_tx(&mut conn, |c| {
        crate::files::retention::set_legal_hold(c, case, hold)
    })
    .context("setting the legal hold")?;
    if !found {
        return Err(CliError::Refused(format!("no case {case}")));
    }
    tracing::info!(%case, hold, "legal hold set");
    writeln!(
        std::io::stdout(),
        "legal-hold: case {case} is {}",
        if hold { "under legal hold" } else { "released" }
    )
    .context("writing to stdout")
}

fn admin_token(config: Config) -> Result<(), CliError> {
    let db = Db::connect(&config.database, 1)?;
    let mut conn = db.get().context("no database connection")?;
    let now = Clock::System.now_naive();
    let issued = write_tx(&mut conn, |conn| {
        let admin = match crate::organizations::service::find_admin(conn)? {
            Some(id) => id,
            None => {
                let org = crate::organizations::service::insert(conn, operator(), now)?;
                tracing::info!(id = %org.id, "created the admin organization");
                org.id
            }
        };
        crate::auth::tokens::issue_unchecked(conn, admin, "admin-token command", now)
    })
    .context("issuing the admin token")?;
    writeln!(std::io::stdout(), "{}", issued.token).context("writing to stdout")
}

/// The organization that operates the instance; rename it with PATCH.
fn operator() -> crate::organizations::NewOrganization {
    crate::organizations::NewOrganization {
        name: Name::try_from("ketenzorg operator".to_string()).expect("valid name"),
        kind: OrgKind::Admin,
        country: CountryCode::try_from("BE".to_string()).expect("valid country"),
        notification_emails: EmailList::try_from(vec![Email::try_from(
            "operator@ketenzorg.example.org".to_string(),
        )
        .expect("valid email")])
        .expect("valid list"),
        language: Some(Language::En),
        escalation_emails: None,
        timezone: None,
        digest_hour: None,
    }
}
