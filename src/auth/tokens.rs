//! Issuing, listing and revoking API tokens (admin only, and the `admin-token` command).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{generate_token, hash_token, Caller};
use crate::clock::utc;
use crate::db::DbConnection;
use crate::error::Error;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{api_tokens, organizations};
use crate::values::{OrgKind, OrganizationId, ShortText, TokenId};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub organization_id: OrganizationId,
    /// What the token is for, e.g. "ERP integration".
    pub label: ShortText,
}

/// A token as listed: never the secret itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: TokenId,
    pub organization_id: OrganizationId,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The answer to issuing a token: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    pub id: TokenId,
    pub organization_id: OrganizationId,
    pub label: String,
    pub created_at: DateTime<Utc>,
    /// The bearer token. Store it now: only its hash is kept.
    pub token: String,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
struct TokenRow {
    id: TokenId,
    organization_id: OrganizationId,
    label: String,
    token_hash: String,
    created_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
}

impl TokenRow {
    fn info(self) -> Result<TokenInfo, Error> {
        Ok(TokenInfo {
            id: self.id,
            organization_id: self.organization_id,
            label: self.label,
            created_at: utc(self.created_at),
            revoked_at: self.revoked_at.map(utc),
        })
    }
}

pub fn issue(
    conn: &mut DbConnection,
    caller: &Caller,
    input: NewToken,
    now: NaiveDateTime,
) -> Result<IssuedToken, Error> {
    caller.require(&[OrgKind::Admin], "issue tokens")?;
    let exists: i64 = organizations::table
        .filter(organizations::id.eq(input.organization_id.to_string()))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        return Err(Error::field(
            "organization_id",
            "no organization with this id",
        ));
    }
    issue_unchecked(conn, input.organization_id, input.label.as_str(), now)
}

/// Issues a token without a caller (the `admin-token` command).
pub fn issue_unchecked(
    conn: &mut DbConnection,
    organization_id: OrganizationId,
    label: &str,
    now: NaiveDateTime,
) -> Result<IssuedToken, Error> {
    let id = TokenId::new();
    let token = generate_token(id);
    let row = TokenRow {
        id,
        organization_id,
        label: label.to_string(),
        token_hash: hash_token(&token),
        created_at: now,
        revoked_at: None,
    };
    diesel::insert_into(api_tokens::table)
        .values(&row)
        .execute(conn)?;
    let info = row.info()?;
    Ok(IssuedToken {
        id: info.id,
        organization_id: info.organization_id,
        label: info.label,
        created_at: info.created_at,
        token,
    })
}

/// Revokes a token; revoking an already revoked one is a no-op (so retries are safe).
pub fn revoke(
    conn: &mut DbConnection,
    caller: &Caller,
    id: TokenId,
    now: NaiveDateTime,
) -> Result<(), Error> {
    caller.require(&[OrgKind::Admin], "revoke tokens")?;
    let found: i64 = api_tokens::table
        .filter(api_tokens::id.eq(id.to_string()))
        .count()
        .get_result(conn)?;
    if found == 0 {
        return Err(Error::NotFound("token"));
    }
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id.to_string()))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    organization_id: Option<OrganizationId>,
    page: &PageRequest,
) -> Result<Page<TokenInfo>, Error> {
    caller.require(&[OrgKind::Admin], "list tokens")?;
    let mut q = api_tokens::table
        .filter(api_tokens::id.gt(page.after_db()))
        .order(api_tokens::id.asc())
        .limit(page.fetch())
        .select(TokenRow::as_select())
        .into_boxed();
    if let Some(org) = organization_id {
        q = q.filter(api_tokens::organization_id.eq(org.to_string()));
    }
    let rows = q.load(conn)?;
    Page::from_rows(rows, page, |r| Cursor::encode(r.id), TokenRow::info)
}
