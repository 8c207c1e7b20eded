//! The sample's people: one named person per organization, with a ready sign-in link each.

use diesel::prelude::*;

use super::ORGANIZATIONS;
use crate::clock::Clock;
use crate::db::{write_tx, Db};
use crate::error::Error;

/// One named person per organization of the sample, in the same order: (display name, email,
/// language, whether a manager).
const PEOPLE: [(&str, &str, &str); 5] = [
    ("Dana Operator", "dana@demo.ketenzorg.example.org", "en"),
    ("An Peeters", "an.peeters@aankoopcentrale.example.be", "nl"),
    ("Jeroen Maes", "jeroen.maes@noord-it.example.be", "nl"),
    (
        "Camille Durand",
        "camille.durand@eurodisplay.example.fr",
        "fr",
    ),
    (
        "Sam Okafor",
        "sam.okafor@electronicswatch.example.org",
        "en",
    ),
];

/// (organization role, person's name, email, a ready sign-in link token) per person.
pub type People = Vec<(String, String, String, String)>;

/// A fresh sign-in link for each of the sample's people (created on first use, as managers of
/// their organization), for local use: a link works once, for 15 minutes.
pub fn people(db: &Db, clock: &Clock) -> Result<People, Error> {
    use crate::schema::organizations::dsl as o;
    use crate::schema::users::dsl as u;
    let mut conn = db.get()?;
    write_tx(&mut conn, |conn| {
        let now = clock.now_naive();
        let mut out = Vec::new();
        for ((role, org_name), (name, email, lang)) in ORGANIZATIONS.into_iter().zip(PEOPLE) {
            let org: crate::values::OrganizationId = o::organizations
                .filter(o::name.eq(org_name).and(o::kind.eq(role)))
                .select(o::id)
                .first(conn)?;
            let invalid = |e: String| Error::internal(format!("demo person: {e}"));
            let email = crate::values::Email::try_from(email.to_string()).map_err(invalid)?;
            let existing: Option<crate::values::UserId> = u::users
                .filter(u::email.eq(email.normalized()))
                .select(u::id)
                .first(conn)
                .optional()?;
            let user = match existing {
                Some(id) => id,
                None => {
                    crate::users::service::insert(
                        conn,
                        org,
                        &email,
                        crate::values::Name::try_from(name.to_string()).map_err(invalid)?,
                        Some(crate::values::Language::from_db(lang)?),
                        crate::values::UserRole::Manager,
                        now,
                    )?
                    .id
                }
            };
            let token = crate::auth::sign_in::issue_link(conn, user, now)?;
            out.push((
                role.to_string(),
                name.to_string(),
                email.normalized(),
                token,
            ));
        }
        Ok(out)
    })
}
