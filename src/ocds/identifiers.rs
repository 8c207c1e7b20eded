//! The identifiers an organization is known by in registers (`BE-BCE_KBO` + `0207451227`): what
//! the OCDS import matches parties by. Only the admin sets them (an identifier already taken
//! would tell anyone else which organizations exist).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{identifiers_of, owner, record_identifier};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::organizations::service as organizations;
use crate::schema::organization_identifiers;
use crate::values::{OrgKind, OrganizationId, ShortText};

/// At most this many identifiers per organization: a handful of registers at most.
const MAX_IDENTIFIERS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Identifier {
    /// The register, as org-id.org names it, e.g. `BE-BCE_KBO`; kept in upper case.
    pub scheme: ShortText,
    /// The organization's number in that register, e.g. `0207451227`.
    pub id: ShortText,
}

/// An organization's identifiers; one identifier names one organization.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Identifiers {
    #[schema(max_items = 20)]
    pub identifiers: Vec<Identifier>,
}

/// Replaces the organization's identifiers with `input`'s.
pub fn replace(
    conn: &mut DbConnection,
    caller: &Caller,
    org: OrganizationId,
    input: Identifiers,
    now: NaiveDateTime,
) -> Result<Identifiers, Error> {
    organizations::get(conn, caller, org)?;
    caller.require(&[OrgKind::Admin], "set organizations' identifiers")?;
    if input.identifiers.len() > MAX_IDENTIFIERS {
        return Err(Error::field(
            "identifiers",
            format!("at most {MAX_IDENTIFIERS} identifiers"),
        ));
    }
    let mut wanted: Vec<(String, String)> = input
        .identifiers
        .into_iter()
        .map(|i| (i.scheme.as_str().to_uppercase(), i.id.into_inner()))
        .collect();
    wanted.sort();
    wanted.dedup();
    for (n, (scheme, id)) in wanted.iter().enumerate() {
        if let Some(other) = owner(conn, scheme, id)?.filter(|o| *o != org) {
            return Err(Error::Conflict {
                detail: format!("{scheme} {id} already names organization {other}"),
                extra: Some(serde_json::json!({ "field": format!("identifiers[{n}]") })),
            });
        }
    }
    diesel::delete(
        organization_identifiers::table.filter(organization_identifiers::organization_id.eq(org)),
    )
    .execute(conn)?;
    for (scheme, id) in &wanted {
        record_identifier(conn, org, scheme, id, now)?;
    }
    view(conn, org)
}

fn view(conn: &mut DbConnection, org: OrganizationId) -> Result<Identifiers, Error> {
    let identifiers = identifiers_of(conn, org)?
        .into_iter()
        .map(|(scheme, id)| {
            Ok(Identifier {
                scheme: ShortText::try_from(scheme).map_err(Error::internal)?,
                id: ShortText::try_from(id).map_err(Error::internal)?,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(Identifiers { identifiers })
}
