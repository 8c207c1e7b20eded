//! Optional passwords. A person may set one (and always keeps the sign-in link); only its
//! argon2id hash (the `argon2` crate's defaults, a PHC string with its own salt) is kept.
//! Signing in with a wrong password, an unknown address, a deactivated user's or one without
//! a password is one answer, and costs one hash either way, so neither the answer nor its
//! time tells which.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{sessions as sessions_t, users};
use crate::values::{Email, SessionId, UserId};

/// Shortest and longest password accepted (characters).
pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 200;

fn hash(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("hashing a password: {e}")))
}

fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash of nothing anyone knows, checked when there is no real one, so that every failed
/// sign-in costs the same.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash(&crate::auth::random_secret()).unwrap_or_default())
}

/// Checks a new password's length.
pub fn check_length(password: &str) -> Result<(), Error> {
    let chars = password.chars().count();
    if (MIN_CHARS..=MAX_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(Error::field(
            "password",
            format!("must be {MIN_CHARS} to {MAX_CHARS} characters (got {chars})"),
        ))
    }
}

/// `user`'s password hash, if they set one.
pub fn stored(conn: &mut DbConnection, user: UserId) -> Result<Option<String>, Error> {
    Ok(users::table
        .filter(users::id.eq(user))
        .select(users::password_hash)
        .first(conn)?)
}

/// The hashing half of setting a password, done outside any transaction (it is slow on
/// purpose): checks the current password against `stored` and hashes the new one.
pub fn prepare(
    password: &str,
    current: Option<&str>,
    stored: Option<&str>,
) -> Result<String, Error> {
    check_length(password)?;
    if let Some(stored) = stored {
        if !current.is_some_and(|c| verify(c, stored)) {
            return Err(Error::field(
                "current_password",
                "give your current password to change it",
            ));
        }
    }
    hash(password)
}

/// Stores `new_hash` (from `prepare`) if the password is still `stored`, and ends every other
/// session of the user: whoever knew the old password is signed out. A password changed in
/// between is a conflict.
pub fn replace(
    conn: &mut DbConnection,
    user: UserId,
    keep: SessionId,
    stored: Option<&str>,
    new_hash: &str,
    now: NaiveDateTime,
) -> Result<(), Error> {
    // The stored hash is the condition of the update itself, so two changes racing from the
    // same old password cannot both win.
    let changes = (
        users::password_hash.eq(Some(new_hash)),
        users::updated_at.eq(now),
    );
    let mine = users::table.filter(users::id.eq(user));
    let changed = match stored {
        Some(s) => diesel::update(mine.filter(users::password_hash.eq(s)))
            .set(changes)
            .execute(conn)?,
        None => diesel::update(mine.filter(users::password_hash.is_null()))
            .set(changes)
            .execute(conn)?,
    };
    if changed == 0 {
        return Err(Error::conflict(
            "the password was changed meanwhile; try again",
        ));
    }
    diesel::update(
        sessions_t::table
            .filter(sessions_t::user_id.eq(user))
            .filter(sessions_t::id.ne(keep))
            .filter(sessions_t::revoked_at.is_null()),
    )
    .set(sessions_t::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Removes `user`'s password: from then on they sign in by link only.
pub fn remove(conn: &mut DbConnection, user: UserId, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(users::table.filter(users::id.eq(user)))
        .set((
            users::password_hash.eq(None::<String>),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Who would sign in with `email`: the active user with a password and its hash, or nobody
/// and the decoy (so that checking costs the same).
pub fn candidate(
    conn: &mut DbConnection,
    email: &Email,
) -> Result<(Option<UserId>, String), Error> {
    let found: Option<(UserId, Option<String>)> = users::table
        .filter(users::email.eq(email.normalized()))
        .filter(users::active.eq(true))
        .select((users::id, users::password_hash))
        .first(conn)
        .optional()?;
    Ok(match found {
        Some((user, Some(stored))) => (Some(user), stored),
        _ => (None, decoy().to_string()),
    })
}

/// The checking half of signing in with a password, outside any transaction: the user the
/// password opens, or one 401 for every reason.
pub fn check(candidate: (Option<UserId>, String), password: &str) -> Result<UserId, Error> {
    let (user, stored) = candidate;
    // One hash either way: against the user's, or the decoy when there is none.
    let matches = verify(password, &stored);
    match user {
        Some(user) if matches => Ok(user),
        _ => Err(Error::Unauthorized(
            "the email address or the password is wrong (or sign in with a link)".into(),
        )),
    }
}
