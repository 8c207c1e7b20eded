//! Authentication and roles. A caller presents a bearer token; the token belongs to one
//! organization whose kind is the caller's role. Rules about *what* a role may see live with
//! each domain module; this module only says *who* is calling.

pub mod http;
pub mod limiter;
pub mod passwords;
pub mod sessions;
pub mod sign_in;
pub mod tokens;
pub mod pages;
pub mod web;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{api_tokens, organizations};
use crate::values::{OrgKind, OrganizationId, TokenId, UserId, UserRole};

/// Who is calling: their organization, its kind (the role), and how they came in: with an
/// organization's API token, or as a signed-in person (a session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub organization_id: OrganizationId,
    pub kind: OrgKind,
    /// The API token used; none for a session.
    pub token_id: Option<TokenId>,
    /// The person, when a session (not a token) made the request.
    pub user: Option<UserRef>,
}

/// A signed-in person, as far as rules need to know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRef {
    pub id: UserId,
    pub role: UserRole,
}

impl Caller {
    pub fn is(&self, kind: OrgKind) -> bool {
        self.kind == kind
    }

    pub fn is_admin(&self) -> bool {
        self.kind == OrgKind::Admin
    }

    /// Whether the caller manages the users of `organization`: the admin manages everyone's;
    /// an organization's manager, and its API tokens (the organization itself), its own.
    pub fn manages_users_of(&self, organization: OrganizationId) -> bool {
        self.is_admin()
            || (self.organization_id == organization
                && self.user.is_none_or(|u| u.role == UserRole::Manager))
    }

    /// Refuses the action for every kind not listed (403: the caller may know the action
    /// exists, it is just not theirs to take).
    pub fn require(&self, kinds: &[OrgKind], action: &str) -> Result<(), Error> {
        if kinds.contains(&self.kind) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "{} organizations may not {action} (allowed: {})",
                self.kind,
                kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }
}

/// The prefix makes leaked tokens easy to spot in logs and by secret scanners.
const TOKEN_PREFIX: &str = "kz_";

/// A fresh token: `kz_<token id>_<secret>`, the secret 256 random bits from the operating
/// system's generator. The id finds the row; the secret proves possession.
pub fn generate_token(id: TokenId) -> String {
    format!("{TOKEN_PREFIX}{}_{}", id.0.simple(), random_secret())
}

/// 256 random bits from the operating system's generator, URL-safe.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The token id a presented token names, if it has the right shape.
fn token_id_of(token: &str) -> Option<String> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if id.len() != 32 || secret.len() != 43 {
        return None;
    }
    uuid::Uuid::parse_str(id).ok().map(|u| u.to_string())
}

/// Compares two equal-length byte strings in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Tokens carry 256 bits of entropy, so a fast hash is enough (a slow password hash defends
/// guessable secrets, which these are not). Only this hash is stored.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Looks a presented token up by the id it names, then compares the hash of what was presented
/// with the stored hash in constant time. Revoked, unknown and wrong tokens are one answer.
pub fn authenticate(conn: &mut DbConnection, token: &str) -> Result<Caller, Error> {
    let invalid = || Error::Unauthorized("the bearer token is invalid or has been revoked".into());
    let id = token_id_of(token).ok_or_else(invalid)?;
    let row: Option<(TokenId, String, OrganizationId, OrgKind)> = api_tokens::table
        .inner_join(organizations::table)
        .filter(api_tokens::id.eq(&id))
        .filter(api_tokens::revoked_at.is_null())
        .select((
            api_tokens::id,
            api_tokens::token_hash,
            organizations::id,
            organizations::kind,
        ))
        .first(conn)
        .optional()?;
    let (token_id, stored, org_id, kind) = row.ok_or_else(invalid)?;
    if !constant_time_eq(hash_token(token).as_bytes(), stored.as_bytes()) {
        return Err(invalid());
    }
    Ok(Caller {
        organization_id: org_id,
        kind,
        token_id: Some(token_id),
        user: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let id = TokenId::new();
        let a = generate_token(id);
        let b = generate_token(id);
        assert_ne!(a, b);
        assert!(a.starts_with("kz_") && a.len() == 3 + 32 + 1 + 43);
        assert_eq!(token_id_of(&a), Some(id.to_string()));
        assert_eq!(token_id_of("kz_nope"), None);
        assert!(
            constant_time_eq(b"abc", b"abc")
                && !constant_time_eq(b"abc", b"abd")
                && !constant_time_eq(b"ab", b"abc")
        );
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), hash_token(&b));
        assert_eq!(hash_token(&a), hash_token(&a));
    }
}
