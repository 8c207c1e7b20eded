//! Writing outbox rows. Called with the event, inside the event's transaction, so that an
//! event and the mails it causes commit together or not at all.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde_json::json;

use super::rules::{self, Recipient};
use crate::cases::events::{EventKind, EventRow};
use crate::cases::visibility::{self, Reader};
use crate::cases::CaseRow;
use crate::clock::utc;
use crate::db::DbConnection;
use crate::error::Error;
use crate::findings::Severity;
use crate::schema::{case_contracts, contracts, findings, notifications, organizations};
use crate::users::UserRow;
use crate::values::{
    text_enum, CaseId, EmailList, EventId, FindingId, Language, NotificationId, OrganizationId,
};

text_enum!(
    /// Where a notification stands.
    NotificationStatus {
        Pending => "pending",
        Sent => "sent",
        /// Given up: a permanent refusal, or too many failed attempts.
        Failed => "failed",
        /// Not sent: the address is on the suppression list.
        Suppressed => "suppressed",
        /// Not sent: a changed deadline policy made it obsolete.
        Cancelled => "cancelled",
    }
);

/// What a mail is about: an event of a case, or a person's account (a sign-in link). Kept as
/// the event kind's text, or `sign_in`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum MailKind {
    Case(EventKind),
    SignIn,
}

impl MailKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            MailKind::Case(kind) => kind.as_str(),
            MailKind::SignIn => "sign_in",
        }
    }
}

impl std::str::FromStr for MailKind {
    type Err = String;
    fn from_str(s: &str) -> Result<MailKind, String> {
        match s {
            "sign_in" => Ok(MailKind::SignIn),
            other => other.parse().map(MailKind::Case),
        }
    }
}

crate::values::text_column_from_str!(MailKind);
crate::values::text_column_as_str!(MailKind);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: NotificationId,
    /// None for mail about an account rather than a case.
    pub case_id: Option<CaseId>,
    pub event_id: Option<EventId>,
    pub kind: MailKind,
    pub recipient_organization_id: OrganizationId,
    pub recipient_email: String,
    pub language: Language,
    pub payload: String,
    pub status: NotificationStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Part of the recipient's daily digest rather than a mail of its own.
    pub digest: bool,
    pub lease_token: Option<String>,
}

/// (id, notification emails, escalation emails, language, timezone, digest hour)
type OrgSettings = (
    OrganizationId,
    String,
    String,
    Language,
    String,
    Option<i32>,
);

/// Writes one pending row per recipient address for `event`. Returns how many.
pub fn enqueue(conn: &mut DbConnection, case: &CaseRow, event: &EventRow) -> Result<usize, Error> {
    let rows = rows_for(conn, case, event, None)?;
    insert(conn, &rows)?;
    Ok(rows.len())
}

/// Under PostgreSQL's 65,535 bind parameters per statement (a row has 17 columns).
const ROWS_PER_INSERT: usize = 2_000;

/// Writes notification rows: on PostgreSQL in multi-row statements, a round trip per 2,000.
pub fn insert(conn: &mut DbConnection, rows: &[NotificationRow]) -> Result<(), Error> {
    match conn {
        DbConnection::Pg(pg) => {
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                diesel::insert_into(notifications::table)
                    .values(chunk)
                    .execute(pg)?;
            }
        }
        // In-process SQLite has no round trip to save (and diesel's multi-connection has no
        // multi-row INSERT).
        _ => {
            for row in rows {
                diesel::insert_into(notifications::table)
                    .values(row)
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// The buyers of a case, each with its own contracts on it, in buyer order.
type Buyers = Vec<(OrganizationId, HashSet<String>)>;

/// What the notification rows of some events are composed from, read once for all of them:
/// the buyers of each case, the findings' titles, the recipient organizations' settings.
#[derive(Default)]
struct Lookups {
    buyers: HashMap<CaseId, Buyers>,
    titles: HashMap<FindingId, String>,
    settings: HashMap<OrganizationId, OrgSettings>,
}

impl Lookups {
    fn buyers_of(&self, case: CaseId) -> &[(OrganizationId, HashSet<String>)] {
        self.buyers.get(&case).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The buyers of `cases` with their contracts on each (one query).
    fn read_buyers(&mut self, conn: &mut DbConnection, cases: &[CaseId]) -> Result<(), Error> {
        if cases.is_empty() {
            return Ok(());
        }
        let links: Vec<(CaseId, OrganizationId, String)> = case_contracts::table
            .inner_join(contracts::table)
            .filter(case_contracts::case_id.eq_any(cases))
            .select((
                case_contracts::case_id,
                contracts::buyer_id,
                case_contracts::contract_id,
            ))
            .order((
                case_contracts::case_id.asc(),
                contracts::buyer_id.asc(),
                case_contracts::contract_id.asc(),
            ))
            .load(conn)?;
        for (case, buyer, contract) in links {
            let buyers = self.buyers.entry(case).or_default();
            match buyers.last_mut() {
                Some((b, set)) if *b == buyer => {
                    set.insert(contract);
                }
                _ => buyers.push((buyer, HashSet::from([contract]))),
            }
        }
        Ok(())
    }

    /// The settings of `orgs` (one query).
    fn read_settings(
        &mut self,
        conn: &mut DbConnection,
        orgs: &[OrganizationId],
    ) -> Result<(), Error> {
        if orgs.is_empty() {
            return Ok(());
        }
        let settings: Vec<OrgSettings> = organizations::table
            .filter(organizations::id.eq_any(orgs))
            .select((
                organizations::id,
                organizations::notification_emails,
                organizations::escalation_emails,
                organizations::language,
                organizations::timezone,
                organizations::digest_hour,
            ))
            .load(conn)?;
        self.settings.extend(settings.into_iter().map(|s| (s.0, s)));
        Ok(())
    }

    /// The titles of `findings` (one query); a finding that is gone is an error, as for one.
    fn read_titles(&mut self, conn: &mut DbConnection, ids: &[FindingId]) -> Result<(), Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let titles: Vec<(FindingId, String)> = findings::table
            .filter(findings::id.eq_any(ids))
            .select((findings::id, findings::title))
            .load(conn)?;
        self.titles.extend(titles);
        if ids.iter().any(|f| !self.titles.contains_key(f)) {
            return Err(diesel::result::Error::NotFound.into());
        }
        Ok(())
    }
}

/// The pending rows `event` causes, one per recipient address, without writing them (a bulk
/// writer inserts many events' rows at once). Reads the recipients and their settings.
pub fn rows_for(
    conn: &mut DbConnection,
    case: &CaseRow,
    event: &EventRow,
    title: Option<&str>,
) -> Result<Vec<NotificationRow>, Error> {
    rows_for_all(conn, &[(case, event)], title)
}

/// The rows of many events at once (the sweep's batch, a filing's opened cases): `rows_for`
/// of each `(case as it stood after the event, event)`, with each kind of recipient data read
/// in one query for all. `title`: the finding's, when the events are all of one finding whose
/// title the caller already has (it is not read again).
pub fn rows_for_all(
    conn: &mut DbConnection,
    events: &[(&CaseRow, &EventRow)],
    title: Option<&str>,
) -> Result<Vec<NotificationRow>, Error> {
    let mut wanted = Vec::with_capacity(events.len());
    for (_, event) in events {
        let payload: serde_json::Value = serde_json::from_str(&event.payload)?;
        wanted.push(rules::recipients(event.kind, &payload));
    }
    let told = || events.iter().zip(&wanted).filter(|(_, w)| !w.is_empty());
    let mut lookups = Lookups::default();
    let mut buyer_cases: Vec<CaseId> = told()
        .filter(|(_, w)| w.contains(&Recipient::Buyers))
        .map(|((case, _), _)| case.id)
        .collect();
    buyer_cases.sort();
    buyer_cases.dedup();
    lookups.read_buyers(conn, &buyer_cases)?;
    let mut titled: Vec<FindingId> = told().map(|((case, _), _)| case.finding_id).collect();
    titled.sort();
    titled.dedup();
    match (title, titled.as_slice()) {
        (Some(t), [finding]) => {
            lookups.titles.insert(*finding, t.to_string());
        }
        _ => lookups.read_titles(conn, &titled)?,
    }
    let mut orgs: Vec<OrganizationId> = told()
        .flat_map(|((case, event), w)| audience(case, event, w, lookups.buyers_of(case.id)))
        .map(|(o, _)| o)
        .collect();
    orgs.sort();
    orgs.dedup();
    lookups.read_settings(conn, &orgs)?;
    let mut rows = Vec::new();
    for (case, event) in events {
        rows.extend(compose(case, event, &lookups)?);
    }
    Ok(rows)
}

/// Who is told of `event`, as (organization, escalation audience?) in a stable order: the
/// wanted recipients, the case's buyers for `Buyers`; the actor is not told of its own act.
fn audience(
    case: &CaseRow,
    event: &EventRow,
    wanted: &[Recipient],
    buyers: &[(OrganizationId, HashSet<String>)],
) -> Vec<(OrganizationId, bool)> {
    let mut orgs: Vec<(OrganizationId, bool)> = Vec::new();
    for r in wanted {
        let ids: Vec<OrganizationId> = match r {
            Recipient::Contractor | Recipient::ContractorEscalation => vec![case.contractor_id],
            Recipient::Monitor => vec![case.monitor_id],
            Recipient::Buyers => buyers.iter().map(|(b, _)| *b).collect(),
        };
        for id in ids {
            if event.actor_organization_id == Some(id) {
                continue;
            }
            let escalation = *r == Recipient::ContractorEscalation;
            if !orgs.iter().any(|(o, e)| *o == id && *e == escalation) {
                orgs.push((id, escalation));
            }
        }
    }
    orgs
}

/// The rows of `event` on `case` from what was read (`lookups`): one per recipient address,
/// each showing what the case visibility rules let its organization read (a buyer only its
/// own contracts), in the daily digest when the organization asked for one and it can wait.
/// The one rule for the single event and the batch alike; reads nothing.
fn compose(
    case: &CaseRow,
    event: &EventRow,
    lookups: &Lookups,
) -> Result<Vec<NotificationRow>, Error> {
    let payload: serde_json::Value = serde_json::from_str(&event.payload)?;
    let wanted = rules::recipients(event.kind, &payload);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let buyers = lookups.buyers_of(case.id);
    let orgs = audience(case, event, wanted, buyers);
    let reader_of = |org: OrganizationId| -> Reader {
        match buyers.iter().find(|(b, _)| *b == org) {
            Some((b, contracts)) if org != case.contractor_id && org != case.monitor_id => {
                Reader::Buyer {
                    organization_id: b.to_string(),
                    contracts: contracts.clone(),
                }
            }
            _ => Reader::Whole,
        }
    };
    let title = lookups
        .titles
        .get(&case.finding_id)
        .ok_or_else(|| Error::internal(format!("finding {} is gone", case.finding_id)))?;
    let mut seen: BTreeSet<(OrganizationId, String)> = BTreeSet::new();
    let mut rows = Vec::new();
    for (org, escalation) in orgs {
        let Some((_, emails, escalation_emails, language, timezone, digest_hour)) =
            lookups.settings.get(&org).cloned()
        else {
            return Err(Error::internal(format!(
                "recipient organization {org} is gone"
            )));
        };
        // Non-urgent mails wait for the daily digest of organizations that asked for one.
        let non_urgent = matches!(event.kind, EventKind::Comment | EventKind::FileAttached)
            || (event.kind == EventKind::Reminder && case.severity == Severity::Minor);
        let digest_at = match digest_hour {
            Some(hour) if non_urgent => {
                let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::Europe::Brussels);
                Some(next_digest(event.at, hour.clamp(0, 23) as u32, tz))
            }
            _ => None,
        };
        let normal = EmailList::from_db(&emails)?;
        let special = EmailList::from_db(&escalation_emails)?;
        let list = if escalation && !special.is_empty() {
            special
        } else {
            normal
        };
        let Some(shown) = visibility::show(
            &reader_of(org),
            &case.contractor_id.to_string(),
            &case.monitor_id.to_string(),
            event.kind,
            event
                .actor_organization_id
                .map(|a| a.to_string())
                .as_deref(),
            payload.clone(),
        ) else {
            continue;
        };
        let actor = event.actor_organization_id.filter(|_| shown.actor_shown);
        for address in list.iter() {
            let address = address.as_str().to_string();
            if !seen.insert((org, address.to_ascii_lowercase())) {
                continue;
            }
            rows.push(NotificationRow {
                id: NotificationId::new(),
                case_id: Some(case.id),
                event_id: Some(event.id),
                kind: MailKind::Case(event.kind),
                recipient_organization_id: org,
                recipient_email: address,
                language,
                payload: serde_json::to_string(&json!({
                    "event": shown.payload,
                    "actor_organization_id": actor,
                    "case": {
                        "id": case.id, "state": case.state, "severity": case.severity,
                        "category": case.category, "finding_title": title,
                        "escalation_level": case.escalation_level,
                        "next_due_at": case.next_due_at.map(crate::clock::utc),
                    },
                    "audience": if escalation { "escalation" } else { "notification" },
                }))?,
                status: NotificationStatus::Pending,
                attempts: 0,
                next_attempt_at: digest_at.unwrap_or(event.at),
                lease_until: None,
                last_error: None,
                sent_at: None,
                created_at: event.at,
                digest: digest_at.is_some(),
                lease_token: None,
            });
        }
    }
    Ok(rows)
}

/// Queues a mail about a person's account (a sign-in link, `payload`), to that person alone,
/// in their language, in the caller's transaction.
pub fn enqueue_account_mail(
    conn: &mut DbConnection,
    user: &UserRow,
    payload: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let row = NotificationRow {
        id: NotificationId::new(),
        case_id: None,
        event_id: None,
        kind: MailKind::SignIn,
        recipient_organization_id: user.organization_id,
        recipient_email: user.email.clone(),
        language: user.language,
        payload: serde_json::to_string(&payload)?,
        status: NotificationStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        lease_until: None,
        last_error: None,
        sent_at: None,
        created_at: now,
        digest: false,
        lease_token: None,
    };
    diesel::insert_into(notifications::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// When the next daily digest of an organization goes out: the next `hour`:00 in its zone.
pub fn next_digest(after: NaiveDateTime, hour: u32, tz: chrono_tz::Tz) -> NaiveDateTime {
    use chrono::TimeZone;
    let local = utc(after).with_timezone(&tz);
    let mut day = local.date_naive();
    for _ in 0..3 {
        if let Some(t) = day
            .and_hms_opt(hour, 0, 0)
            .and_then(|t| tz.from_local_datetime(&t).earliest())
            .map(|t| t.naive_utc())
        {
            if t > after {
                return t;
            }
        }
        day = day.succ_opt().unwrap_or(day);
    }
    after + TimeDelta::days(1)
}
