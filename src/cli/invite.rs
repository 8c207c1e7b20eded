//! `ketenzorg invite`: a person's user in an organization, and their sign-in link by mail.

use std::io::Write;

use super::error::{CliError, Context};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;

/// What `invite` was asked besides the address.
pub struct Invitation {
    pub organization: crate::values::OrganizationId,
    pub name: Option<String>,
    pub language: Option<crate::values::Language>,
    pub manager: bool,
    pub print_link: bool,
}

pub fn invite(config: Config, email: &str, how: Invitation) -> Result<(), CliError> {
    let Invitation {
        organization,
        name,
        language,
        manager,
        print_link,
    } = how;
    let email = crate::values::Email::try_from(email.to_string()).map_err(CliError::Refused)?;
    let name = name.unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string()
    });
    let name = crate::values::Name::try_from(name)
        .map_err(|e| CliError::Refused(format!("--name: {e}")))?;
    let role = if manager {
        crate::values::UserRole::Manager
    } else {
        crate::values::UserRole::Member
    };
    let db = Db::connect(&config.database, 2)?;
    let clock = Clock::System;
    let now = clock.now_naive();
    let mut conn = db.get().context("no database connection")?;
    let (user, link) = crate::db::write_tx(&mut conn, |c| {
        let user =
            crate::users::service::insert(c, organization, &email, name, language, role, now)?;
        let link = crate::auth::sign_in::send_link(c, &user, &config.mail.public_url, None, now)?;
        Ok((user, link))
    })
    .map_err(|e| match e {
        crate::error::Error::Conflict { detail, .. } => CliError::Refused(detail),
        crate::error::Error::Validation(errors) => CliError::Refused(
            errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => CliError::Failed {
            what: "inviting the user",
            source: Box::new(other),
        },
    })?;
    drop(conn);
    let sender = crate::notifications::sender::Sender::new(db.clone(), config.mail.clone(), clock)?;
    let mail = actix_web::rt::System::new()
        .block_on(sender.run_once())
        .context("delivering mail")?;
    if print_link {
        writeln!(std::io::stdout(), "{link}").context("writing to stdout")?;
    }
    // The link alone on stdout when asked for, so a script can take it; the report then goes
    // to stderr.
    let mut report: Box<dyn Write> = if print_link {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    writeln!(
        report,
        "invited {} ({}, {}) as user {}; sign-in link {}",
        user.display_name,
        user.email,
        user.role.as_str(),
        user.id,
        if mail.sent > 0 {
            "sent"
        } else {
            "queued (it goes out with the next mail run)"
        }
    )
    .context("writing to stdout")
}
