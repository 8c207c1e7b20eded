//! Signing in without a password: a person asks for a link by email; the link holds a random
//! token (256 bits) of which only the SHA-256 is kept; it works once, for `LINK_VALID`, and
//! opens a session. Asking for a link answers the same whether or not the address belongs to
//! anyone, so the form cannot be used to find out who has an account.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde_json::json;

use super::sessions::{self, Opened, SessionConfig};
use super::{hash_token, random_secret};
use crate::clock::utc;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{sign_in_links, users};
use crate::users::UserRow;
use crate::values::{Email, SignInLinkId, UserId};

/// How long a sign-in link works.
pub const LINK_VALID: TimeDelta = TimeDelta::minutes(15);

const PREFIX: &str = "kzl_";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sign_in_links)]
pub struct LinkRow {
    pub id: SignInLinkId,
    pub user_id: UserId,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// The address a link token is followed at; `next` is the page to go on to once signed in
/// (a case link opened before signing in).
pub fn link_url(public_url: &str, token: &str, next: Option<&str>) -> String {
    let next = next.and_then(crate::web::local_path).map_or(String::new(), |n| {
        format!(
            "&next={}",
            url::form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
        )
    });
    format!(
        "{}/auth/link?token={token}{next}",
        public_url.trim_end_matches('/')
    )
}

/// Asks for a sign-in link for `email`: when it belongs to an active user, a link is written
/// and its mail put in the outbox, in the caller's transaction. Returns whether a mail was
/// queued, for logs and tests only: the HTTP answer never depends on it.
pub fn request(
    conn: &mut DbConnection,
    email: &Email,
    public_url: &str,
    next: Option<&str>,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    let user: Option<UserRow> = users::table
        .filter(users::email.eq(email.normalized()))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    match user {
        Some(user) => {
            send_link(conn, &user, public_url, next, now)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Writes a fresh link for `user`; returns its token, which is kept nowhere else.
pub fn issue_link(
    conn: &mut DbConnection,
    user: UserId,
    now: NaiveDateTime,
) -> Result<String, Error> {
    let token = format!("{PREFIX}{}", random_secret());
    let row = LinkRow {
        id: SignInLinkId::new(),
        user_id: user,
        token_hash: hash_token(&token),
        created_at: now,
        expires_at: now + LINK_VALID,
        used_at: None,
    };
    diesel::insert_into(sign_in_links::table)
        .values(&row)
        .execute(conn)?;
    Ok(token)
}

/// Writes a fresh link for `user` and queues its mail (also how an invitation is sent).
/// Returns the link, for the command line's `invite --print-link` alone.
pub fn send_link(
    conn: &mut DbConnection,
    user: &UserRow,
    public_url: &str,
    next: Option<&str>,
    now: NaiveDateTime,
) -> Result<String, Error> {
    let token = issue_link(conn, user.id, now)?;
    let link = link_url(public_url, &token, next);
    let payload = json!({
        "link": link,
        "display_name": user.display_name,
        "expires_at": utc(now + LINK_VALID),
    });
    crate::notifications::outbox::enqueue_account_mail(conn, user, payload, now)?;
    Ok(link)
}

/// Follows a link: marks it used (a second use fails, also when two arrive at once) and opens
/// a session for its user. Unknown, used and expired links, and links of a deactivated user,
/// are refused with a reason the person can act on; nothing is written then.
pub fn redeem(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
    config: &SessionConfig,
) -> Result<Opened, Error> {
    let unknown = || {
        Error::Unauthorized(
            "this sign-in link is not valid; ask for a new one on the sign-in page".into(),
        )
    };
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Err(unknown());
    }
    let found: Option<(LinkRow, bool)> = sign_in_links::table
        .inner_join(users::table)
        .filter(sign_in_links::token_hash.eq(hash_token(token)))
        .select((LinkRow::as_select(), users::active))
        .first(conn)
        .optional()?;
    let (link, active) = found.ok_or_else(unknown)?;
    if link.used_at.is_some() {
        return Err(Error::Unauthorized(
            "this sign-in link has been used already; ask for a new one".into(),
        ));
    }
    if now >= link.expires_at {
        return Err(Error::Unauthorized(
            "this sign-in link has expired (links work for 15 minutes); ask for a new one".into(),
        ));
    }
    if !active {
        return Err(Error::Unauthorized(
            "this account has been deactivated; ask a manager of your organization".into(),
        ));
    }
    // The condition on used_at makes the use itself the check: of two requests racing with
    // one link, one updates the row and the other finds nothing to update.
    let taken = diesel::update(
        sign_in_links::table
            .filter(sign_in_links::id.eq(link.id))
            .filter(sign_in_links::used_at.is_null()),
    )
    .set(sign_in_links::used_at.eq(now))
    .execute(conn)?;
    if taken == 0 {
        return Err(Error::Unauthorized(
            "this sign-in link has been used already; ask for a new one".into(),
        ));
    }
    sessions::open(conn, link.user_id, now, config)
}
