//! Server-side sessions of signed-in users. The browser holds a random token in an `HttpOnly`
//! cookie; the database holds its SHA-256, the user, a CSRF token, and three instants: when it
//! opened (absolute expiry), when it was last used (idle expiry) and when it was revoked.
//! Because the row decides, deactivating a user or signing out everywhere ends every session at
//! once, on every instance that shares the database.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::{constant_time_eq, hash_token, random_secret, Caller, UserRef};
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{organizations, sessions, users};
use crate::values::{OrgKind, OrganizationId, SessionId, UserId, UserRole};

/// The cookie that carries the session token.
pub const COOKIE: &str = "kz_session";
/// The header a cookie-authenticated request that changes something must carry.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// A session is only written back as "seen" this long after it last was, so that reading
/// pages does not write on every request.
const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(1);

/// How long sessions last, and whether the cookie is `Secure`.
#[derive(Debug, Clone, Copy)]
pub struct SessionConfig {
    /// A session not used for this long has ended.
    pub idle: TimeDelta,
    /// A session older than this has ended, however much it is used.
    pub absolute: TimeDelta,
    /// Set when the public URL is https.
    pub secure_cookie: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle: TimeDelta::hours(8),
            absolute: TimeDelta::days(7),
            secure_cookie: false,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: SessionId,
    pub user_id: UserId,
    pub token_hash: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A session just opened: the token goes into the cookie, once; only its hash is kept.
#[derive(Debug, Clone)]
pub struct Opened {
    pub id: SessionId,
    pub token: String,
    pub csrf_token: String,
    pub expires_at: NaiveDateTime,
}

const PREFIX: &str = "kzs_";

/// Opens a session for `user`.
pub fn open(
    conn: &mut DbConnection,
    user: UserId,
    now: NaiveDateTime,
    config: &SessionConfig,
) -> Result<Opened, Error> {
    let token = format!("{PREFIX}{}", random_secret());
    let row = SessionRow {
        id: SessionId::new(),
        user_id: user,
        token_hash: hash_token(&token),
        csrf_token: random_secret(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + config.absolute,
        revoked_at: None,
    };
    diesel::insert_into(sessions::table)
        .values(&row)
        .execute(conn)?;
    Ok(Opened {
        id: row.id,
        token,
        csrf_token: row.csrf_token,
        expires_at: row.expires_at,
    })
}

/// A session that authenticated a request.
#[derive(Debug, Clone)]
pub struct Current {
    pub caller: Caller,
    pub session_id: SessionId,
    pub csrf_token: String,
    /// Whether the session should be marked as seen now (see `touch`).
    pub stale: bool,
}

/// The caller a session cookie stands for. A forged, revoked, expired or idle session, or one
/// of a deactivated user, is one answer: 401.
pub fn authenticate(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
    config: &SessionConfig,
) -> Result<Current, Error> {
    let invalid =
        || Error::Unauthorized("the session has ended or is not valid; sign in again".into());
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Err(invalid());
    }
    let found: Option<(SessionRow, bool, UserRole, OrganizationId, OrgKind)> = sessions::table
        .inner_join(users::table.inner_join(organizations::table))
        .filter(sessions::token_hash.eq(hash_token(token)))
        .select((
            SessionRow::as_select(),
            users::active,
            users::role,
            organizations::id,
            organizations::kind,
        ))
        .first(conn)
        .optional()?;
    let (session, active, role, organization_id, kind) = found.ok_or_else(invalid)?;
    let alive = active
        && session.revoked_at.is_none()
        && now < session.expires_at
        && now < session.last_seen_at + config.idle;
    if !alive {
        return Err(invalid());
    }
    Ok(Current {
        caller: Caller {
            organization_id,
            kind,
            token_id: None,
            user: Some(UserRef {
                id: session.user_id,
                role,
            }),
        },
        session_id: session.id,
        csrf_token: session.csrf_token,
        stale: now - session.last_seen_at >= TOUCH_EVERY,
    })
}

/// Whether the CSRF token a request sent is the session's.
pub fn csrf_matches(current: &Current, sent: Option<&str>) -> bool {
    sent.is_some_and(|s| constant_time_eq(s.as_bytes(), current.csrf_token.as_bytes()))
}

/// Marks the session as used now (it keeps it from idling out).
pub fn touch(conn: &mut DbConnection, id: SessionId, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(sessions::table.filter(sessions::id.eq(id)))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Ends one session.
pub fn revoke(conn: &mut DbConnection, id: SessionId, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Ends every session of `user` (sign out everywhere; deactivation). Returns how many.
pub fn revoke_all(
    conn: &mut DbConnection,
    user: UserId,
    now: NaiveDateTime,
) -> Result<usize, Error> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?)
}
