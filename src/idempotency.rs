//! `Idempotency-Key`: a retried POST with the same key and body returns the first answer and
//! creates nothing; the same key with another body is refused. Keys are per organization.
//!
//! The key is claimed (inserted) at the start of the request's transaction and its answer
//! stored before commit. A concurrent request with the same key waits on the claim (the
//! primary key) and then fails with a unique violation; it is retried once and finds the
//! stored answer.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::idempotency_keys;

/// A validated key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

impl IdempotencyKey {
    pub const HEADER: &'static str = "Idempotency-Key";

    /// The request is identified by the hash of its canonical JSON (keys sorted, no spaces),
    /// so a retry that reformats the same body still matches.
    pub fn parse(raw: &str, body: &serde_json::Value) -> Result<IdempotencyKey, Error> {
        let key = raw.trim();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(Error::bad_param(
                Self::HEADER,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            ));
        }
        let canonical = serde_json::to_string(body).unwrap_or_default();
        let digest = Sha256::digest(canonical.as_bytes());
        Ok(IdempotencyKey {
            key: key.to_string(),
            request_hash: digest.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }
}

/// A stored answer to replay.
#[derive(Debug, Clone)]
pub struct Replay {
    pub status: u16,
    pub body: String,
}

/// Looks the key up; if unused, claims it. `Ok(None)`: go ahead and do the work.
pub fn claim(
    conn: &mut DbConnection,
    organization: &str,
    key: &IdempotencyKey,
    now: NaiveDateTime,
) -> Result<Option<Replay>, Error> {
    let existing: Option<(String, Option<i32>, Option<String>)> = idempotency_keys::table
        .filter(idempotency_keys::organization_id.eq(organization))
        .filter(idempotency_keys::idempotency_key.eq(&key.key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    match existing {
        Some((hash, _, _)) if hash != key.request_hash => Err(Error::field(
            IdempotencyKey::HEADER,
            "this key was already used for a different request; use a new key for a new request",
        )),
        Some((_, Some(status), Some(body))) => Ok(Some(Replay {
            status: u16::try_from(status).unwrap_or(200),
            body,
        })),
        Some(_) => Err(Error::Unavailable(
            "a request with this key is still in progress".into(),
        )),
        None => {
            let inserted = diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::organization_id.eq(organization),
                    idempotency_keys::idempotency_key.eq(&key.key),
                    idempotency_keys::request_hash.eq(&key.request_hash),
                    idempotency_keys::created_at.eq(now),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => Ok(None),
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                    Err(Error::Retry)
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Stores the answer with the claim, in the same transaction as the work.
pub fn complete(
    conn: &mut DbConnection,
    organization: &str,
    key: &IdempotencyKey,
    status: u16,
    body: &str,
) -> Result<(), Error> {
    diesel::update(
        idempotency_keys::table
            .filter(idempotency_keys::organization_id.eq(organization))
            .filter(idempotency_keys::idempotency_key.eq(&key.key)),
    )
    .set((
        idempotency_keys::response_status.eq(i32::from(status)),
        idempotency_keys::response_body.eq(body),
    ))
    .execute(conn)?;
    Ok(())
}
