//! The outbox as admins see it: list by status, re-queue a failed row, read and clear the
//! suppression list.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

pub use super::outbox::NotificationStatus;
use super::outbox::{MailKind, NotificationRow};
use crate::auth::Caller;
use crate::clock::utc;
use crate::db::DbConnection;
use crate::error::Error;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{notifications, suppressed_addresses};
use crate::values::{CaseId, Email, EventId, NotificationId, OrgKind, OrganizationId};

/// One outbox row.
#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: NotificationId,
    /// None for mail about an account (`sign_in`) rather than a case.
    pub case_id: Option<CaseId>,
    pub event_id: Option<EventId>,
    /// The event kind, or `sign_in`.
    pub kind: String,
    pub recipient_organization_id: OrganizationId,
    pub recipient_email: String,
    pub language: String,
    pub status: NotificationStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Goes out in the recipient's daily digest.
    pub digest: bool,
    pub created_at: DateTime<Utc>,
}

impl NotificationRow {
    pub fn view(self) -> Result<Notification, Error> {
        Ok(Notification {
            id: self.id,
            case_id: self.case_id,
            event_id: self.event_id,
            kind: self.kind.as_str().to_string(),
            recipient_organization_id: self.recipient_organization_id,
            recipient_email: self.recipient_email,
            language: self.language.to_string(),
            status: self.status,
            attempts: self.attempts,
            next_attempt_at: utc(self.next_attempt_at),
            last_error: self.last_error,
            sent_at: self.sent_at.map(utc),
            digest: self.digest,
            created_at: utc(self.created_at),
        })
    }
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    status: Option<NotificationStatus>,
    case: Option<CaseId>,
    page: &PageRequest,
) -> Result<Page<Notification>, Error> {
    caller.require(&[OrgKind::Admin], "read the outbox")?;
    let mut q = notifications::table
        .filter(notifications::id.gt(page.after_db()))
        .order(notifications::id.asc())
        .limit(page.fetch())
        .select(NotificationRow::as_select())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(notifications::status.eq(s));
    }
    if let Some(c) = case {
        q = q.filter(notifications::case_id.eq(c.to_string()));
    }
    Page::from_rows(
        q.load(conn)?,
        page,
        |r| Cursor::encode(r.id),
        NotificationRow::view,
    )
}

/// Puts a failed, suppressed or cancelled row back in the queue, to be tried at once.
pub fn requeue(
    conn: &mut DbConnection,
    caller: &Caller,
    id: NotificationId,
    now: NaiveDateTime,
) -> Result<Notification, Error> {
    caller.require(&[OrgKind::Admin], "re-queue notifications")?;
    let row: NotificationRow = notifications::table
        .filter(notifications::id.eq(id.to_string()))
        .select(NotificationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("notification"))?;
    if row.kind == MailKind::SignIn {
        return Err(Error::conflict(
            "a sign-in link is never sent again (it expires within minutes); the person asks for a new one",
        ));
    }
    if matches!(
        row.status,
        NotificationStatus::Pending | NotificationStatus::Sent
    ) {
        return Err(Error::Conflict {
            detail: format!(
                "the notification is {}; only failed, suppressed or cancelled ones are re-queued",
                row.status
            ),
            extra: Some(serde_json::json!({"current_status": row.status})),
        });
    }
    diesel::update(notifications::table.filter(notifications::id.eq(&row.id)))
        .set((
            notifications::status.eq(NotificationStatus::Pending),
            notifications::attempts.eq(0),
            notifications::next_attempt_at.eq(now),
            notifications::lease_until.eq(None::<NaiveDateTime>),
            notifications::lease_token.eq(None::<String>),
        ))
        .execute(conn)?;
    notifications::table
        .filter(notifications::id.eq(&row.id))
        .select(NotificationRow::as_select())
        .first(conn)?
        .view()
}

/// An address no mail goes to until an admin clears it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suppression {
    pub email: String,
    /// The refusal that put it here.
    pub reason: String,
    pub notification_id: Option<NotificationId>,
    pub created_at: DateTime<Utc>,
}

pub fn suppressions(
    conn: &mut DbConnection,
    caller: &Caller,
    page: &PageRequest,
    after_email: Option<String>,
) -> Result<Page<Suppression>, Error> {
    caller.require(&[OrgKind::Admin], "read the suppression list")?;
    let rows: Vec<(String, String, Option<NotificationId>, NaiveDateTime)> =
        suppressed_addresses::table
            .filter(suppressed_addresses::email.gt(after_email.unwrap_or_default()))
            .order(suppressed_addresses::email.asc())
            .limit(page.limit)
            .select((
                suppressed_addresses::email,
                suppressed_addresses::reason,
                suppressed_addresses::notification_id,
                suppressed_addresses::created_at,
            ))
            .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(email, reason, notification_id, at)| Suppression {
            email,
            reason,
            notification_id,
            created_at: utc(at),
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: None,
    })
}

pub fn clear_suppression(
    conn: &mut DbConnection,
    caller: &Caller,
    email: &Email,
) -> Result<(), Error> {
    caller.require(&[OrgKind::Admin], "clear the suppression list")?;
    let n = diesel::delete(
        suppressed_addresses::table
            .filter(suppressed_addresses::email.eq(email.as_str().to_ascii_lowercase())),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(Error::NotFound("suppressed address"));
    }
    Ok(())
}
