//! Configuration from environment variables, parsed once at start. Every problem is reported
//! together, and the service refuses to start rather than run on a guess.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use crate::db::url::{DatabaseTarget, DEFAULT_DATABASE_URL};

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseTarget,
    pub bind: SocketAddr,
    pub log_filter: String,
    pub pool_size: u32,
    pub workers: usize,
    pub max_body_bytes: usize,
    /// Largest spreadsheet upload (disclosure lists, OCDS packages).
    pub max_upload_bytes: usize,
    pub policy: crate::escalation::Policy,
    /// None: no sweeper inside `serve` (run `ketenzorg sweep` from cron instead).
    pub sweep_interval: Option<std::time::Duration>,
    pub mail: crate::notifications::mailer::MailConfig,
    /// Failed authentications one address may make per minute before it gets 429.
    pub auth_failures_per_minute: u32,
    /// How long sessions of signed-in people last.
    pub session: crate::auth::sessions::SessionConfig,
    /// Evidence files: store, limits, scanner, retention.
    pub files: crate::files::FilesConfig,
}

/// (name, default, description) for every variable; the README table mirrors this list.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "DATABASE_URL",
        DEFAULT_DATABASE_URL,
        "sqlite://PATH or postgres://USER@HOST:PORT/DB",
    ),
    ("BIND", "127.0.0.1:8080", "address and port to serve on"),
    (
        "LOG_LEVEL",
        "info",
        "error, warn, info, debug, trace, or a tracing filter such as ketenzorg=debug,info",
    ),
    (
        "KETENZORG_POOL_SIZE",
        "4 on SQLite, 10 on PostgreSQL",
        "database connections in the pool (1-200)",
    ),
    (
        "KETENZORG_SLOW_STATEMENT_MS",
        "0",
        "log each database statement slower than this many milliseconds (0: off; 1-3600000)",
    ),
    (
        "KETENZORG_WORKERS",
        "number of CPUs",
        "HTTP worker threads (1-64)",
    ),
    (
        "KETENZORG_MAX_BODY_BYTES",
        "262144",
        "largest accepted request body (1024-16777216)",
    ),
    (
        "KETENZORG_MAX_UPLOAD_BYTES",
        "33554432",
        "largest accepted spreadsheet upload: disclosure lists, OCDS packages (1024-1073741824)",
    ),
    (
        "KETENZORG_POLICY_FILE",
        "none (built-in defaults)",
        "TOML file with the deadline policy (see docs/deadlines.md)",
    ),
    (
        "KETENZORG_SWEEP_INTERVAL",
        "60s",
        "how often serve sends due reminders and escalations; off to disable",
    ),
    (
        "KETENZORG_AUTH_FAILURES_PER_MINUTE",
        "30",
        "failed authentications per address and minute before 429",
    ),
    (
        "KETENZORG_SESSION_IDLE",
        "8h",
        "a signed-in person's session ends after this long without a request",
    ),
    (
        "KETENZORG_SESSION_MAX_AGE",
        "7d",
        "a session ends this long after sign-in, however much it is used",
    ),
    (
        "KETENZORG_SMTP_URL",
        "unset: mails go to files",
        "smtp://[user:password@]host[:port][?tls=none|starttls|tls]; smtps:// for implicit TLS",
    ),
    (
        "KETENZORG_MAIL_DIR",
        "data/mail",
        "folder of .eml files when no SMTP URL is set",
    ),
    (
        "KETENZORG_MAIL_FROM",
        "ketenzorg <ketenzorg@ketenzorg.example.org>",
        "sender mailbox of every mail",
    ),
    (
        "KETENZORG_PUBLIC_URL",
        "http://BIND",
        "base URL of case links in mails",
    ),
    (
        "KETENZORG_MAIL_INTERVAL",
        "5s",
        "how often serve sends due mail; off to disable",
    ),
    (
        "KETENZORG_MAIL_MAX_ATTEMPTS",
        "12",
        "attempts before a mail is marked failed",
    ),
    (
        "KETENZORG_MAIL_BACKOFF",
        "30s",
        "first retry delay; doubles each attempt, with jitter",
    ),
    ("KETENZORG_MAIL_BACKOFF_MAX", "1h", "longest retry delay"),
    (
        "KETENZORG_FILE_STORE",
        "disk",
        "where evidence files are kept: disk or s3 (docs/files.md)",
    ),
    (
        "KETENZORG_FILES_DIR",
        "files/ beside the SQLite file; data/files on PostgreSQL",
        "folder of the disk store",
    ),
    ("KETENZORG_S3_BUCKET", "none", "bucket of the s3 store"),
    (
        "KETENZORG_S3_ENDPOINT",
        "AWS",
        "URL of an S3-compatible service (http:// allowed)",
    ),
    ("KETENZORG_S3_REGION", "us-east-1", "region of the bucket"),
    (
        "KETENZORG_S3_ACCESS_KEY_ID",
        "none",
        "access key of the s3 store",
    ),
    (
        "KETENZORG_S3_SECRET_ACCESS_KEY",
        "none",
        "secret key of the s3 store",
    ),
    (
        "KETENZORG_S3_PREFIX",
        "files/",
        "key prefix of the objects in the bucket",
    ),
    (
        "KETENZORG_MAX_FILE_BYTES",
        "26214400",
        "largest evidence file (1024-1073741824)",
    ),
    (
        "KETENZORG_MAX_FILES_PER_CASE_BYTES",
        "524288000",
        "largest total of the files of one case or finding",
    ),
    (
        "KETENZORG_CLAMD_SOCKET",
        "unset: no scan",
        "unix socket of a ClamAV daemon that scans every upload",
    ),
    (
        "KETENZORG_CLAMD_ADDRESS",
        "unset: no scan",
        "host:port of a ClamAV daemon (instead of the socket)",
    ),
    (
        "KETENZORG_RETENTION_YEARS",
        "7",
        "years after a case is closed that ketenzorg purge keeps its files",
    ),
    (
        "KETENZORG_MAIL_LEASE",
        "2m",
        "how long a claimed mail is held before another sender may take it",
    ),
];

impl Config {
    pub fn from_env() -> Result<Config, Vec<String>> {
        Config::from_vars(std::env::vars())
    }

    /// Parses from any set of variables (tests pass their own).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, Vec<String>> {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let mut errors = Vec::new();
        for name in vars.keys().filter(|k| k.starts_with("KETENZORG_")) {
            if !VARIABLES.iter().any(|(known, _, _)| known == name) {
                errors.push(format!(
                    "{name}: unknown setting (known: {})",
                    known_names()
                ));
            }
        }
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());

        let database = DatabaseTarget::parse(get("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL))
            .map_err(|e| errors.push(e))
            .ok();
        let bind = get("BIND")
            .unwrap_or("127.0.0.1:8080")
            .parse::<SocketAddr>()
            .map_err(|_| {
                errors.push(format!(
                    "BIND: {:?} is not an address and port such as 127.0.0.1:8080",
                    get("BIND").unwrap_or_default()
                ))
            })
            .ok();
        let log_filter = get("LOG_LEVEL").unwrap_or("info").to_string();
        if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(&log_filter) {
            errors.push(format!(
                "LOG_LEVEL: {log_filter:?} is not a level or filter: {e}"
            ));
        }
        let mut number = |name: &str, default: usize, min: usize, max: usize| match get(name) {
            None => default,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    errors.push(format!(
                        "{name}: {raw:?} is not a whole number from {min} to {max}"
                    ));
                    default
                }
            },
        };
        // SQLite runs in this process: each connection keeps its own page cache, and more
        // readers than cores only queue for the CPU, so its default pool is small.
        let default_pool = match database.as_ref().map(|d| d.backend) {
            Some(crate::db::Backend::Sqlite) => 4,
            _ => 10,
        };
        let pool_size = number("KETENZORG_POOL_SIZE", default_pool, 1, 200) as u32;
        let slow_statement_ms = number("KETENZORG_SLOW_STATEMENT_MS", 0, 0, 3_600_000) as u64;
        let database = database.map(|d| crate::db::url::DatabaseTarget {
            slow_statement_ms: (slow_statement_ms > 0).then_some(slow_statement_ms),
            ..d
        });
        let auth_failures_per_minute =
            number("KETENZORG_AUTH_FAILURES_PER_MINUTE", 30, 1, 100_000) as u32;
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let workers = number("KETENZORG_WORKERS", cpus, 1, 64);
        let max_body_bytes = number(
            "KETENZORG_MAX_BODY_BYTES",
            256 * 1024,
            1024,
            16 * 1024 * 1024,
        );
        let max_upload_bytes = number(
            "KETENZORG_MAX_UPLOAD_BYTES",
            32 * 1024 * 1024,
            1024,
            1024 * 1024 * 1024,
        );

        let policy = match get("KETENZORG_POLICY_FILE") {
            None => crate::escalation::Policy::default(),
            Some(path) => match std::fs::read_to_string(path) {
                Err(e) => {
                    errors.push(format!("KETENZORG_POLICY_FILE: cannot read {path}: {e}"));
                    crate::escalation::Policy::default()
                }
                Ok(text) => crate::escalation::Policy::from_toml(&text).unwrap_or_else(|e| {
                    errors.extend(
                        e.into_iter()
                            .map(|e| format!("KETENZORG_POLICY_FILE ({path}): {e}")),
                    );
                    crate::escalation::Policy::default()
                }),
            },
        };
        let sweep_interval = match get("KETENZORG_SWEEP_INTERVAL") {
            None => Some(std::time::Duration::from_secs(60)),
            Some("off") => None,
            Some(raw) => match humantime::parse_duration(raw) {
                Ok(d) if d >= std::time::Duration::from_millis(100) => Some(d),
                _ => {
                    errors.push(format!(
                        "KETENZORG_SWEEP_INTERVAL: {raw:?} is not a duration of at least 100ms (such as 60s) or off"
                    ));
                    None
                }
            },
        };

        let owned = |name: &str| get(name).map(str::to_string);
        let mail = crate::notifications::mailer::MailConfig::parse(&owned, bind, &mut errors);
        let files = crate::files::FilesConfig::parse(&owned, database.as_ref(), &mut errors);
        let mut span = |name: &str, default: chrono::TimeDelta| match get(name) {
            None => default,
            Some(raw) => match humantime::parse_duration(raw)
                .ok()
                .and_then(|d| chrono::TimeDelta::from_std(d).ok())
            {
                Some(d)
                    if d >= chrono::TimeDelta::minutes(1) && d <= chrono::TimeDelta::days(366) =>
                {
                    d
                }
                _ => {
                    errors.push(format!(
                        "{name}: {raw:?} is not a duration from 1m to 366d (such as 8h or 7d)"
                    ));
                    default
                }
            },
        };
        let defaults = crate::auth::sessions::SessionConfig::default();
        let session = crate::auth::sessions::SessionConfig {
            idle: span("KETENZORG_SESSION_IDLE", defaults.idle),
            absolute: span("KETENZORG_SESSION_MAX_AGE", defaults.absolute),
            // A cookie marked Secure is not sent over plain http, which a local run uses.
            secure_cookie: mail.public_url.starts_with("https://"),
        };

        match (database, bind, errors.is_empty()) {
            (Some(database), Some(bind), true) => Ok(Config {
                database,
                bind,
                log_filter,
                pool_size,
                workers,
                max_body_bytes,
                max_upload_bytes,
                policy,
                sweep_interval,
                mail,
                auth_failures_per_minute,
                session,
                files,
            }),
            _ => Err(errors),
        }
    }
}

fn known_names() -> String {
    VARIABLES
        .iter()
        .map(|(n, _, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_sqlite_on_localhost() {
        let c = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database.url, "data/ketenzorg.db");
        assert_eq!(c.max_body_bytes, 262144);
        assert_eq!(c.pool_size, 4, "SQLite's default pool");
        let pg = Config::from_vars(vars(&[("DATABASE_URL", "postgres://u@h/db")])).unwrap();
        assert_eq!(pg.pool_size, 10, "PostgreSQL's default pool");
        assert_eq!(
            c.database.slow_statement_ms, None,
            "no statement log by default"
        );
    }

    #[test]
    fn the_slow_statement_log_is_set_on_the_database() {
        let c = Config::from_vars(vars(&[
            ("DATABASE_URL", "postgres://u@h/db"),
            ("KETENZORG_SLOW_STATEMENT_MS", "25"),
        ]))
        .unwrap();
        assert_eq!(c.database.slow_statement_ms, Some(25));
        assert_eq!(c.database.url, "postgres://u@h/db");
        let off = Config::from_vars(vars(&[("KETENZORG_SLOW_STATEMENT_MS", "0")])).unwrap();
        assert_eq!(off.database.slow_statement_ms, None);
        let bad = Config::from_vars(vars(&[("KETENZORG_SLOW_STATEMENT_MS", "soon")])).unwrap_err();
        assert!(bad[0].starts_with("KETENZORG_SLOW_STATEMENT_MS"), "{bad:?}");
    }

    #[test]
    fn a_bad_policy_file_or_sweep_interval_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("policy.toml");
        std::fs::write(&bad, "[critical]\nacknowledge = \"-1d\"\nplan = \"1h\"\n").unwrap();
        let errors = Config::from_vars(vars(&[
            ("KETENZORG_POLICY_FILE", bad.to_str().unwrap()),
            ("KETENZORG_SWEEP_INTERVAL", "often"),
        ]))
        .unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("critical.acknowledge") && e.contains("negative")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("KETENZORG_SWEEP_INTERVAL")),
            "{errors:?}"
        );
        let missing = Config::from_vars(vars(&[("KETENZORG_POLICY_FILE", "/nonexistent/p.toml")]))
            .unwrap_err();
        assert!(missing[0].contains("cannot read"));
        let good = dir.path().join("good.toml");
        std::fs::write(
            &good,
            "reminder_before = \"12h\"\n[minor]\nacknowledge = \"10days\"\n",
        )
        .unwrap();
        let c = Config::from_vars(vars(&[
            ("KETENZORG_POLICY_FILE", good.to_str().unwrap()),
            ("KETENZORG_SWEEP_INTERVAL", "off"),
        ]))
        .unwrap();
        assert_eq!(c.policy.minor.acknowledge, chrono::TimeDelta::days(10));
        assert_eq!(c.sweep_interval, None);
    }

    #[test]
    fn malformed_and_unknown_values_are_all_reported() {
        let errors = Config::from_vars(vars(&[
            ("BIND", "localhost"),
            ("DATABASE_URL", "mysql://x"),
            ("LOG_LEVEL", "very=loud=please"),
            ("KETENZORG_POOL_SIZE", "0"),
            ("KETENZORG_POOLSIZE", "3"),
        ]))
        .unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("BIND")));
        assert!(errors
            .iter()
            .any(|e| e.starts_with("KETENZORG_POOLSIZE: unknown")));
    }
}
