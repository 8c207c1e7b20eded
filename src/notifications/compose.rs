//! What one job's mail says: the rows it reads (case, finding, organizations), the recipient's
//! language and time zone, and the rendered message. Read before sending, with no transaction
//! held while the mail goes out (see `sender`).

use diesel::prelude::*;

use super::mailer::MailConfig;
use super::outbox::{MailKind, NotificationRow};
use super::templates::{Audience, MailContext, Rendered, Templates};
use crate::cases::EventKind;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{cases, findings, organizations, suppressed_addresses};
use crate::values::{FindingId, Language, OrganizationId};

/// One mail to send: a single row, or every digest row of one address due together.
#[derive(Debug, Clone)]
pub struct Job {
    pub rows: Vec<NotificationRow>,
    pub token: String,
}

/// Everything needed to write one job's mail, read before sending.
pub struct Prepared {
    pub to: String,
    pub message_id: String,
    pub thread: Option<String>,
    pub rendered: Rendered,
    pub suppressed: bool,
}

/// Reads what the mail says and renders it (no transaction is held).
pub fn prepare(
    conn: &mut DbConnection,
    job: &Job,
    templates: &Templates,
    config: &MailConfig,
) -> Result<Prepared, Error> {
    let first = job
        .rows
        .first()
        .ok_or_else(|| Error::internal("empty mail job"))?;
    let to = first.recipient_email.clone();
    let suppressed = suppressed_addresses::table
        .filter(suppressed_addresses::email.eq(to.to_ascii_lowercase()))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    let (org_name, tz, lang): (String, String, Language) = organizations::table
        .filter(organizations::id.eq(first.recipient_organization_id))
        .select((
            organizations::name,
            organizations::timezone,
            organizations::language,
        ))
        .first(conn)?;
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::Europe::Brussels);
    if first.kind == MailKind::SignIn {
        // Mail about an account: one row, in the person's own language.
        let payload: serde_json::Value = serde_json::from_str(&first.payload)?;
        let rendered = templates
            .render_sign_in(first.language, tz, &payload)
            .map_err(Error::internal)?;
        return Ok(Prepared {
            to,
            message_id: first.id.to_string(),
            thread: None,
            rendered,
            suppressed,
        });
    }
    let mut items = Vec::with_capacity(job.rows.len());
    for row in &job.rows {
        let ctx = context(conn, row, &org_name, tz, lang, config)?;
        let rendered = templates.render(&ctx).map_err(Error::internal)?;
        items.push((rendered, ctx));
    }
    let (rendered, message_id, thread) = if first.digest {
        let r = templates
            .render_digest(lang, &org_name, &items)
            .map_err(Error::internal)?;
        (r, format!("digest-{}", first.id), None)
    } else {
        let (r, c) = items
            .pop()
            .ok_or_else(|| Error::internal("empty mail job"))?;
        (
            r,
            first.id.to_string(),
            Some(format!("case-{}", c.case_ref_full())),
        )
    };
    Ok(Prepared {
        to,
        message_id,
        thread,
        rendered,
        suppressed,
    })
}

/// The files an event names, for the mail: the one attached, or a transition's evidence.
fn mentioned_files(kind: EventKind, event: &serde_json::Value) -> Vec<serde_json::Value> {
    let one = |f: &serde_json::Value| {
        serde_json::json!({
            "filename": f["filename"].as_str().unwrap_or_default(),
            "size": crate::files::human_size(f["size"].as_i64().unwrap_or(0)),
        })
    };
    match (kind, event.get("files")) {
        (EventKind::FileAttached, _) => vec![one(event)],
        (_, Some(serde_json::Value::Array(files))) => files.iter().map(one).collect(),
        _ => Vec::new(),
    }
}

impl MailContext {
    fn case_ref_full(&self) -> String {
        self.link.rsplit('/').next().unwrap_or_default().to_string()
    }
}

fn context(
    conn: &mut DbConnection,
    row: &NotificationRow,
    recipient: &str,
    tz: chrono_tz::Tz,
    lang: Language,
    config: &MailConfig,
) -> Result<MailContext, Error> {
    let MailKind::Case(kind) = row.kind else {
        return Err(Error::internal("an account mail among case mails"));
    };
    let payload: serde_json::Value = serde_json::from_str(&row.payload)?;
    let event = &payload["event"];
    let case = &payload["case"];
    let case_id = row
        .case_id
        .ok_or_else(|| Error::internal("a case mail without its case"))?;
    let (contractor, monitor, finding): (OrganizationId, OrganizationId, FindingId) = cases::table
        .filter(cases::id.eq(case_id))
        .select((cases::contractor_id, cases::monitor_id, cases::finding_id))
        .first(conn)?;
    let title: String = findings::table
        .filter(findings::id.eq(finding))
        .select(findings::title)
        .first(conn)?;
    let audience = if row.recipient_organization_id == contractor {
        Audience::Contractor
    } else if row.recipient_organization_id == monitor {
        Audience::Monitor
    } else {
        Audience::Buyer
    };
    let actor: Option<String> = match payload
        .get("actor_organization_id")
        .and_then(|v| v.as_str())
    {
        Some(id) => organizations::table
            .filter(organizations::id.eq(id))
            .select(organizations::name)
            .first(conn)
            .optional()?,
        None => None,
    };
    let text = |k: &str| event.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let instant = |s: Option<String>| {
        s.and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
            .map(|d| d.with_timezone(&chrono::Utc))
    };
    let next_deadline = instant(case["next_due_at"].as_str().map(str::to_string));
    // Reminders and escalations speak of their own deadline; other mails of the next one.
    let deadline = instant(text("deadline_at")).or(next_deadline);
    Ok(MailContext {
        kind,
        language: lang,
        audience,
        timezone: tz,
        recipient: recipient.to_string(),
        title,
        severity: case["severity"].as_str().unwrap_or_default().to_string(),
        category: case["category"].as_str().unwrap_or_default().to_string(),
        state: case["state"].as_str().unwrap_or_default().to_string(),
        deadline,
        next_deadline,
        deadline_kind: text("deadline"),
        until: instant(text("until")).filter(|_| kind == EventKind::ExtensionRequested),
        resubmission: event["resubmission"] == true,
        plan: event.get("plan").filter(|p| p.is_object()).cloned(),
        level: event.get("level").and_then(|v| v.as_i64()),
        actor,
        note: text("note"),
        reason: text("reason"),
        text: text("text"),
        files: mentioned_files(kind, event),
        case_ref: case_id
            .to_string()
            .chars()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect(),
        link: format!("{}/cases/{}", config.public_url, case_id),
    })
}
