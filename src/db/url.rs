//! Parsing `DATABASE_URL` into a backend and the string its driver wants.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseTarget {
    pub backend: Backend,
    /// What the driver is given: a file path for SQLite, the URL itself for PostgreSQL.
    pub url: String,
    /// Statements slower than this many milliseconds are logged (`KETENZORG_SLOW_STATEMENT_MS`);
    /// `None`: none are.
    pub slow_statement_ms: Option<u64>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/ketenzorg.db";

impl DatabaseTarget {
    /// Accepts `sqlite://relative/path.db`, `sqlite:///absolute/path.db`, `sqlite::memory:`
    /// (tests only) and `postgres://` or `postgresql://` URLs; anything else is refused.
    pub fn parse(raw: &str) -> Result<DatabaseTarget, String> {
        let raw = raw.trim();
        if let Some(rest) = raw
            .strip_prefix("postgres://")
            .or_else(|| raw.strip_prefix("postgresql://"))
        {
            if rest.is_empty() {
                return Err("DATABASE_URL: a postgres:// URL needs a host".into());
            }
            return Ok(DatabaseTarget {
                backend: Backend::Postgres,
                url: raw.to_string(),
                slow_statement_ms: None,
            });
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("DATABASE_URL: a sqlite:// URL needs a file path, e.g. sqlite://data/ketenzorg.db".into());
            }
            return Ok(DatabaseTarget {
                backend: Backend::Sqlite,
                url: path.to_string(),
                slow_statement_ms: None,
            });
        }
        Err(format!(
            "DATABASE_URL: unsupported scheme in {raw:?}; use sqlite://PATH or postgres://USER@HOST/DB"
        ))
    }

    /// The folder the SQLite file lives in, to be created on first start.
    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        if self.backend != Backend::Sqlite || self.url.starts_with(':') {
            return None;
        }
        PathBuf::from(&self.url)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| p.to_path_buf())
    }

    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.url),
            Backend::Postgres => match (self.url.find("://"), self.url.find('@')) {
                (Some(s), Some(at)) if at > s => {
                    let creds = &self.url[s + 3..at];
                    let user = creds.split(':').next().unwrap_or("");
                    format!("{}{}@{}", &self.url[..s + 3], user, &self.url[at + 1..])
                }
                _ => self.url.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_scheme_and_refuses_others() {
        let t = DatabaseTarget::parse(DEFAULT_DATABASE_URL).unwrap();
        assert_eq!(t.backend, Backend::Sqlite);
        assert_eq!(t.url, "data/ketenzorg.db");
        assert_eq!(t.sqlite_dir(), Some(PathBuf::from("data")));
        let t = DatabaseTarget::parse("sqlite:///tmp/x.db").unwrap();
        assert_eq!(t.url, "/tmp/x.db");
        let t = DatabaseTarget::parse("postgresql://u:secret@h/db").unwrap();
        assert_eq!(t.backend, Backend::Postgres);
        assert_eq!(t.redacted(), "postgresql://u@h/db");
        assert!(DatabaseTarget::parse("mysql://h/db").is_err());
        assert!(DatabaseTarget::parse("data/x.db").is_err());
        assert!(DatabaseTarget::parse("sqlite://").is_err());
    }
}
