//! Where the bytes of evidence files are kept: one interface, two stores. The key of an object
//! is the hex SHA-256 of its content, never anything a client named, so a filename cannot
//! reach the file system or the bucket, and a file attached many times is stored once.
//!
//! An object is written whole or not at all (on disk: to a temporary name in the same folder,
//! then renamed; an S3 PUT is atomic), before the database row that refers to it commits.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::ObjectStore;
use sha2::{Digest, Sha256};

use super::{S3Config, StoreConfig};
use crate::error::Error;

/// A hex SHA-256: 64 lowercase hex digits, so it is safe as a path or key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    pub fn parse(s: &str) -> Option<Sha256Hex> {
        let s = s.to_ascii_lowercase();
        (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Sha256Hex(s))
    }
    pub fn of(digest: Sha256) -> Sha256Hex {
        Sha256Hex(hex(&digest.finalize()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone)]
pub enum FileStore {
    Disk(PathBuf),
    S3 {
        store: Arc<object_store::aws::AmazonS3>,
        prefix: String,
    },
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileStore::Disk(dir) => write!(f, "disk store in {}", dir.display()),
            FileStore::S3 { store, prefix } => write!(f, "{store} under {prefix}"),
        }
    }
}

fn storage(what: &str, e: impl std::fmt::Display) -> Error {
    // An unreachable store is an outage the client may retry after, not a bug.
    Error::Unavailable(format!("the file store cannot {what}: {e}"))
}

impl FileStore {
    pub fn open(config: &StoreConfig) -> Result<FileStore, String> {
        match config {
            StoreConfig::Disk { dir } => Ok(FileStore::Disk(dir.clone())),
            StoreConfig::S3(s3) => s3_store(s3),
        }
    }

    fn disk_path(dir: &Path, sha: &Sha256Hex) -> PathBuf {
        dir.join(&sha.as_str()[..2]).join(sha.as_str())
    }

    fn key(prefix: &str, sha: &Sha256Hex) -> object_store::path::Path {
        object_store::path::Path::from(format!("{prefix}{sha}"))
    }

    pub async fn exists(&self, sha: &Sha256Hex) -> Result<bool, Error> {
        match self {
            FileStore::Disk(dir) => Ok(Self::disk_path(dir, sha).is_file()),
            FileStore::S3 { store, prefix } => match store.head(&Self::key(prefix, sha)).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(storage("be read", e)),
            },
        }
    }

    /// Stores the content of `src` (whose hash is `sha`) unless an object of that hash is
    /// there already; true when this call wrote it.
    pub async fn put(&self, sha: &Sha256Hex, src: &Path) -> Result<bool, Error> {
        if self.exists(sha).await? {
            return Ok(false);
        }
        match self {
            FileStore::Disk(dir) => {
                let target = Self::disk_path(dir, sha);
                let src = src.to_path_buf();
                blocking(move || {
                    let folder = target.parent().expect("a fan-out folder");
                    std::fs::create_dir_all(folder)?;
                    let mut tmp = tempfile::Builder::new()
                        .prefix(".incoming-")
                        .tempfile_in(folder)?;
                    std::io::copy(&mut std::fs::File::open(&src)?, tmp.as_file_mut())?;
                    tmp.as_file().sync_all()?;
                    tmp.persist(&target).map_err(|e| e.error)?;
                    Ok(())
                })
                .await
                .map_err(|e| storage("write", e))?;
            }
            FileStore::S3 { store, prefix } => {
                let src = src.to_path_buf();
                let bytes = blocking(move || std::fs::read(src))
                    .await
                    .map_err(|e| storage("read the upload", e))?;
                store
                    .put(&Self::key(prefix, sha), bytes.into())
                    .await
                    .map_err(|e| storage("write", e))?;
            }
        }
        Ok(true)
    }

    /// The content of an object; `None` when it is missing.
    pub async fn get(&self, sha: &Sha256Hex) -> Result<Option<Vec<u8>>, Error> {
        match self {
            FileStore::Disk(dir) => {
                let path = Self::disk_path(dir, sha);
                blocking(move || match std::fs::read(path) {
                    Ok(b) => Ok(Some(b)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e),
                })
                .await
                .map_err(|e| storage("be read", e))
            }
            FileStore::S3 { store, prefix } => match store.get(&Self::key(prefix, sha)).await {
                Ok(got) => Ok(Some(
                    got.bytes()
                        .await
                        .map_err(|e| storage("be read", e))?
                        .to_vec(),
                )),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(storage("be read", e)),
            },
        }
    }

    /// The SHA-256 of the stored content, `None` when the object is missing.
    pub async fn hash_of(&self, sha: &Sha256Hex) -> Result<Option<Sha256Hex>, Error> {
        match self {
            FileStore::Disk(dir) => {
                let path = Self::disk_path(dir, sha);
                blocking(move || match std::fs::File::open(path) {
                    Ok(mut f) => {
                        let mut h = Sha256::new();
                        std::io::copy(&mut f, &mut h)?;
                        Ok(Some(Sha256Hex::of(h)))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e),
                })
                .await
                .map_err(|e| storage("be read", e))
            }
            FileStore::S3 { .. } => Ok(self
                .get(sha)
                .await?
                .map(|bytes| Sha256Hex::of(Sha256::new_with_prefix(bytes)))),
        }
    }

    /// Removes an object; one already gone is no error.
    pub async fn delete(&self, sha: &Sha256Hex) -> Result<(), Error> {
        match self {
            FileStore::Disk(dir) => {
                let path = Self::disk_path(dir, sha);
                blocking(move || match std::fs::remove_file(path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                })
                .await
                .map_err(|e| storage("delete", e))
            }
            FileStore::S3 { store, prefix } => match store.delete(&Self::key(prefix, sha)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(storage("delete", e)),
            },
        }
    }
}

fn s3_store(c: &S3Config) -> Result<FileStore, String> {
    let mut b = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&c.bucket)
        .with_region(&c.region);
    if let Some(endpoint) = &c.endpoint {
        // A self-hosted service (MinIO, Ceph's radosgw) is addressed by path, often over
        // plain HTTP inside the operator's network.
        b = b
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(k) = &c.access_key_id {
        b = b.with_access_key_id(k);
    }
    if let Some(s) = &c.secret_access_key {
        b = b.with_secret_access_key(s);
    }
    let store = b
        .build()
        .map_err(|e| format!("KETENZORG_S3_*: cannot set up the S3 store: {e}"))?;
    Ok(FileStore::S3 {
        store: Arc::new(store),
        prefix: c.prefix.clone(),
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(std::io::Error::other)?
}

/// Hashes a file from its start.
pub fn hash_file(file: &mut std::fs::File) -> std::io::Result<Sha256Hex> {
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(0))?;
    let mut h = Sha256::new();
    std::io::copy(file, &mut h)?;
    Ok(Sha256Hex::of(h))
}
