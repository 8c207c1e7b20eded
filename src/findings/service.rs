//! Rules for findings: monitors file them (once per Idempotency-Key) and read their own;
//! admins read all. Filing routes the finding in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::routing;
use super::{Finding, FindingCase, FindingRow, NewFinding};
use crate::auth::Caller;
use crate::cases::events::Actor;
use crate::cases::query as cases;
use crate::db::DbConnection;
use crate::error::Error;
use crate::escalation::Policy;
use crate::factories::service as factories;
use crate::idempotency::{self, IdempotencyKey, Replay};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{components, finding_components, findings};
use crate::values::{ComponentId, FindingId, OrgKind};

/// The answer to filing: a new finding, or the stored answer to an earlier identical request.
pub enum Filed {
    Created(Box<Finding>),
    Replayed(Replay),
}

pub fn file(
    conn: &mut DbConnection,
    caller: &Caller,
    input: NewFinding,
    key: Option<&IdempotencyKey>,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<Filed, Error> {
    caller.require(&[OrgKind::Monitor], "file findings")?;
    let me = caller.organization_id.to_string();
    if let Some(key) = key {
        if let Some(replay) = idempotency::claim(conn, &me, key, now)? {
            return Ok(Filed::Replayed(replay));
        }
    }
    if input.observed_on > now.date() {
        return Err(Error::field("observed_on", "must not be in the future"));
    }
    if !factories::exists(conn, input.factory_id)? {
        return Err(Error::field("factory_id", "no factory with this id"));
    }
    let scope: Vec<String> = input
        .component_ids
        .unwrap_or_default()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let scope = dedup(scope);
    if scope.len() > 100 {
        return Err(Error::field("component_ids", "at most 100 components"));
    }
    let known: Vec<String> = if scope.is_empty() {
        Vec::new()
    } else {
        components::table
            .filter(components::id.eq_any(&scope))
            .select(components::id)
            .load(conn)?
    };
    if let Some(i) = scope.iter().position(|c| !known.contains(c)) {
        return Err(Error::field(
            format!("component_ids[{i}]"),
            "no component with this id",
        ));
    }
    let evidence = input.evidence.unwrap_or_default();
    if evidence.len() > 50 {
        return Err(Error::field("evidence", "at most 50 references"));
    }
    // Routed before the finding is written, so that its row goes in once, already marked.
    let responsible = routing::responsible(conn, input.factory_id, input.observed_on, &scope)?;
    let row = FindingRow {
        id: FindingId::new(),
        monitor_id: caller.organization_id,
        factory_id: input.factory_id,
        category: input.category,
        severity: input.severity,
        title: input.title.into_inner(),
        description: input.description.into_inner(),
        observed_on: input.observed_on,
        evidence: serde_json::to_string(&evidence)?,
        confidential_notes: input.confidential_notes.map(|n| n.into_inner()),
        worker_protection: input.worker_protection.unwrap_or(false),
        routed: !responsible.is_empty(),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(findings::table)
        .values(&row)
        .execute(conn)?;
    for c in &scope {
        diesel::insert_into(finding_components::table)
            .values((
                finding_components::finding_id.eq(row.id),
                finding_components::component_id.eq(c),
            ))
            .execute(conn)?;
    }
    let opening = crate::cases::service::Opening {
        actor: Actor::from(caller),
        late: false,
        now,
        policy,
    };
    let mut opened = routing::open_cases(conn, &row, &responsible, &Default::default(), &opening)?;
    // The answer from what was just written, in the order `get` gives it.
    opened.sort_by_key(|a| a.0.id);
    let cases = opened
        .iter()
        .map(|(case, contracts)| FindingCase {
            id: case.id,
            contractor_id: case.contractor_id,
            contract_ids: contracts.clone(),
        })
        .collect();
    let mut component_ids = scope.clone();
    component_ids.sort();
    let component_ids = component_ids
        .iter()
        .map(|c| ComponentId::from_db(c))
        .collect::<Result<Vec<_>, _>>()?;
    let finding = row.view(component_ids, cases)?;
    if let Some(key) = key {
        idempotency::complete(conn, &me, key, 201, &serde_json::to_string(&finding)?)?;
    }
    Ok(Filed::Created(Box::new(finding)))
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

fn views(conn: &mut DbConnection, rows: Vec<FindingRow>) -> Result<Vec<Finding>, Error> {
    let ids: Vec<FindingId> = rows.iter().map(|r| r.id).collect();
    let mut cases_of = cases::of_finding(conn, &ids)?;
    let scope: Vec<(FindingId, ComponentId)> = finding_components::table
        .filter(finding_components::finding_id.eq_any(&ids))
        .order(finding_components::component_id.asc())
        .select((
            finding_components::finding_id,
            finding_components::component_id,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let component_ids = scope
                .iter()
                .filter(|(f, _)| *f == row.id)
                .map(|(_, c)| *c)
                .collect();
            let cases = cases_of
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(id, contractor_id, contract_ids)| FindingCase {
                    id,
                    contractor_id,
                    contract_ids,
                })
                .collect();
            row.view(component_ids, cases)
        })
        .collect()
}

/// A finding, to its monitor (and admins). To anyone else it does not exist.
pub fn get(conn: &mut DbConnection, caller: &Caller, id: FindingId) -> Result<Finding, Error> {
    let mut q = findings::table
        .filter(findings::id.eq(id.to_string()))
        .select(FindingRow::as_select())
        .into_boxed();
    match caller.kind {
        OrgKind::Admin => {}
        OrgKind::Monitor => {
            q = q.filter(findings::monitor_id.eq(caller.organization_id.to_string()))
        }
        _ => return Err(Error::NotFound("finding")),
    }
    let row = q
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("finding"))?;
    Ok(views(conn, vec![row])?.remove(0))
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    routed: Option<bool>,
    page: &PageRequest,
) -> Result<Page<Finding>, Error> {
    caller.require(&[OrgKind::Admin, OrgKind::Monitor], "list findings")?;
    let mut q = findings::table
        .filter(findings::id.gt(page.after_db()))
        .order(findings::id.asc())
        .limit(page.fetch())
        .select(FindingRow::as_select())
        .into_boxed();
    if caller.is(OrgKind::Monitor) {
        q = q.filter(findings::monitor_id.eq(caller.organization_id.to_string()));
    }
    if let Some(r) = routed {
        q = q.filter(findings::routed.eq(r));
    }
    let rows = q.load(conn)?;
    let more = rows.len() as i64 > page.limit;
    let mut rows = rows;
    rows.truncate(page.limit as usize);
    let next_cursor = if more {
        rows.last().and_then(|r| Cursor::encode(r.id))
    } else {
        None
    };
    Ok(Page {
        items: views(conn, rows)?,
        next_cursor,
    })
}
