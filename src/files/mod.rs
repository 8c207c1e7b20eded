//! Evidence files (docs/files.md): uploads on findings and cases, stored once under the
//! SHA-256 of their content, checked from their content (media.rs) and by ClamAV (scan.rs)
//! before they are accepted; attaching one to a case is a case event, so the hash chain covers
//! it. store.rs keeps the bytes (a folder, or S3), service.rs the rules, reach.rs who reads
//! what, intake.rs the checks every upload goes through, http.rs the routes, retention.rs the
//! purge and the check of every stored object.

pub mod http;
pub mod intake;
pub mod media;
pub mod reach;
pub mod retention;
pub mod scan;
pub mod service;
pub mod store;

use std::path::PathBuf;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::url::DatabaseTarget;
use crate::values::{AttachmentId, CaseId, FindingId};

/// What a file is attached to.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Finding(FindingId),
    Case(CaseId),
}

/// An attached file as the API lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AttachedFile)]
pub struct AttachedFile {
    pub id: AttachmentId,
    /// Hex SHA-256 of the content: the key it is stored under.
    pub sha256: String,
    pub size: i64,
    /// The media type found from the content (magic bytes), one of the allow-list.
    pub media_type: String,
    pub filename: String,
    pub label: Option<String>,
    /// Only on a finding's files: seen by the monitor that filed it and the operator only.
    pub confidential: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The organization that uploaded it.
    #[schema(value_type = String, format = Uuid)]
    pub uploaded_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::attachments)]
pub struct AttachmentRow {
    pub id: String,
    pub sha256: String,
    pub finding_id: Option<String>,
    pub case_id: Option<String>,
    pub filename: String,
    pub label: Option<String>,
    pub confidential: bool,
    pub organization_id: String,
    pub user_id: Option<String>,
    pub event_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::files)]
pub struct FileRow {
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    pub created_at: NaiveDateTime,
}

impl AttachmentRow {
    pub fn view(&self, file: &FileRow) -> Result<AttachedFile, crate::error::Error> {
        Ok(AttachedFile {
            id: AttachmentId::from_db(&self.id)?,
            sha256: self.sha256.clone(),
            size: file.size,
            media_type: file.media_type.clone(),
            filename: self.filename.clone(),
            label: self.label.clone(),
            confidential: self.confidential,
            created_at: self.created_at.and_utc(),
            uploaded_by: self.organization_id.clone(),
        })
    }
}

/// A size as people read it: 812 B, 45.3 KB, 1.2 MB (powers of 1024); mails and pages.
pub fn human_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}

/// Where the bytes go.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreConfig {
    /// A folder; objects under `ab/abcdef…` by their hash.
    Disk { dir: PathBuf },
    /// An S3-compatible bucket.
    S3(S3Config),
}

#[derive(Debug, Clone, PartialEq)]
pub struct S3Config {
    pub bucket: String,
    /// None: AWS itself; otherwise the URL of an S3-compatible service.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Key prefix inside the bucket, so several instances can share one.
    pub prefix: String,
}

/// The clamd to ask before accepting an upload.
#[derive(Debug, Clone, PartialEq)]
pub enum Clamd {
    Socket(PathBuf),
    Tcp(String),
}

#[derive(Debug, Clone)]
pub struct FilesConfig {
    pub store: StoreConfig,
    /// Largest file accepted.
    pub max_file_bytes: usize,
    /// Largest total of the files attached to one case or finding.
    pub max_total_bytes: u64,
    pub clamd: Option<Clamd>,
    /// Years after a case is closed that its files are kept (`ketenzorg purge`).
    pub retention_years: u32,
}

pub const DEFAULT_MAX_FILE_BYTES: usize = 25 * 1024 * 1024;
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 500 * 1024 * 1024;

impl FilesConfig {
    /// Reads the `KETENZORG_FILE*`, `KETENZORG_S3_*`, `KETENZORG_CLAMD_*` and
    /// `KETENZORG_RETENTION_YEARS` variables; problems go to `errors`.
    pub fn parse(
        get: &dyn Fn(&str) -> Option<String>,
        database: Option<&DatabaseTarget>,
        errors: &mut Vec<String>,
    ) -> FilesConfig {
        let mut number = |name: &str, default: u64, min: u64, max: u64| match get(name) {
            None => default,
            Some(raw) => match raw.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    errors.push(format!(
                        "{name}: {raw:?} is not a whole number from {min} to {max}"
                    ));
                    default
                }
            },
        };
        let max_file_bytes = number(
            "KETENZORG_MAX_FILE_BYTES",
            DEFAULT_MAX_FILE_BYTES as u64,
            1024,
            1024 * 1024 * 1024,
        ) as usize;
        let max_total_bytes = number(
            "KETENZORG_MAX_FILES_PER_CASE_BYTES",
            DEFAULT_MAX_TOTAL_BYTES,
            1024,
            1024 * 1024 * 1024 * 1024,
        );
        let retention_years = number("KETENZORG_RETENTION_YEARS", 7, 1, 100) as u32;
        let store = match get("KETENZORG_FILE_STORE").as_deref() {
            None | Some("disk") => StoreConfig::Disk {
                dir: get("KETENZORG_FILES_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| default_dir(database)),
            },
            Some("s3") => match get("KETENZORG_S3_BUCKET") {
                None => {
                    errors.push("KETENZORG_S3_BUCKET: needed with KETENZORG_FILE_STORE=s3".into());
                    StoreConfig::Disk {
                        dir: default_dir(database),
                    }
                }
                Some(bucket) => StoreConfig::S3(S3Config {
                    bucket,
                    endpoint: get("KETENZORG_S3_ENDPOINT"),
                    region: get("KETENZORG_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: get("KETENZORG_S3_ACCESS_KEY_ID"),
                    secret_access_key: get("KETENZORG_S3_SECRET_ACCESS_KEY"),
                    prefix: get("KETENZORG_S3_PREFIX").unwrap_or_else(|| "files/".into()),
                }),
            },
            Some(other) => {
                errors.push(format!("KETENZORG_FILE_STORE: {other:?} is not disk or s3"));
                StoreConfig::Disk {
                    dir: default_dir(database),
                }
            }
        };
        let clamd = match (
            get("KETENZORG_CLAMD_SOCKET"),
            get("KETENZORG_CLAMD_ADDRESS"),
        ) {
            (None, None) => None,
            (Some(path), None) => Some(Clamd::Socket(PathBuf::from(path))),
            (None, Some(addr)) => Some(Clamd::Tcp(addr)),
            (Some(_), Some(_)) => {
                errors.push(
                    "KETENZORG_CLAMD_ADDRESS: set either it or KETENZORG_CLAMD_SOCKET, not both"
                        .into(),
                );
                None
            }
        };
        FilesConfig {
            store,
            max_file_bytes,
            max_total_bytes,
            clamd,
            retention_years,
        }
    }
}

/// `files/` beside the SQLite file (so one folder holds both for `backup`); `data/files` on
/// PostgreSQL.
fn default_dir(database: Option<&DatabaseTarget>) -> PathBuf {
    match database {
        Some(d) if d.backend == crate::db::Backend::Sqlite => std::path::Path::new(&d.url)
            .parent()
            .map(|p| p.join("files"))
            .unwrap_or_else(|| PathBuf::from("files")),
        _ => PathBuf::from("data/files"),
    }
}
