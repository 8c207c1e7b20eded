//! The scorecard of one contractor: who may ask, the period, and the figures in four
//! aggregate queries (the case figures, the spans to acknowledgement, the contracts running on
//! `to`, their coverage) plus one for the case ids in the caller's reach.

use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::dsl::{exists, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use super::rules::{self, LEVELS, NOW};
use super::{
    share, Count, DisclosureCoverage, Escalated, Scorecard, Share, TimeToAcknowledge, LISTED,
};
use crate::auth::Caller;
use crate::cases::access::visible_to;
use crate::clock::utc;
use crate::db::{Backend, DbConnection};
use crate::due_diligence::{coverage_of_many, durations, hours_between, service::end_of};
use crate::error::Error;
use crate::schema::{cases, contracts, organizations};
use crate::values::{CaseId, ContractId, OrgKind, OrganizationId};

/// The period asked for: `to` (today or earlier) defaults to today, `from` to twelve months
/// before `to` (the day after the same date a year earlier, so 365 or 366 days).
pub fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), Error> {
    let to = to.unwrap_or(today);
    // Nothing is known of the future: no case opened then, no link valid then yet.
    if to > today {
        return Err(Error::field(
            "to",
            format!("to ({to}) is after today ({today})"),
        ));
    }
    let from = from.unwrap_or_else(|| {
        to.checked_sub_months(Months::new(12))
            .and_then(|d| d.succ_opt())
            .unwrap_or(to)
    });
    if from > to {
        return Err(Error::field(
            "to",
            format!("to ({to}) is before from ({from})"),
        ));
    }
    Ok((from, to))
}

/// Whether the caller may see the scorecard of `org`, with its name unless the caller is a
/// monitor (monitors do not read the organization directory): the contractor itself, a buyer
/// with a contract with it, monitors and admins. Not a contractor, or another contractor
/// asking: 404; a buyer without a contract with it (it can read the directory): 403.
fn in_reach(conn: &mut DbConnection, caller: &Caller, org: &str) -> Result<Option<String>, Error> {
    let row: Option<(String, String)> = organizations::table
        .filter(organizations::id.eq(org))
        .select((organizations::kind, organizations::name))
        .first(conn)
        .optional()?;
    let Some((_, name)) = row.filter(|(k, _)| k == OrgKind::Contractor.as_str()) else {
        return Err(Error::NotFound("organization"));
    };
    let me = caller.organization_id.to_string();
    match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => {}
        OrgKind::Contractor if me == org => {}
        OrgKind::Contractor => return Err(Error::NotFound("organization")),
        OrgKind::Buyer => {
            let holds: bool = diesel::select(exists(
                contracts::table
                    .filter(contracts::buyer_id.eq(&me))
                    .filter(contracts::contractor_id.eq(org)),
            ))
            .get_result(conn)?;
            if !holds {
                return Err(Error::Forbidden(
                    "a buyer sees the scorecard of a contractor it holds a contract with".into(),
                ));
            }
        }
    }
    Ok((!caller.is(OrgKind::Monitor)).then_some(name))
}

#[derive(QueryableByName)]
struct Totals {
    #[diesel(sql_type = BigInt)]
    cases: i64,
    #[diesel(sql_type = BigInt)]
    ack_n: i64,
    #[diesel(sql_type = BigInt)]
    ack_d: i64,
    #[diesel(sql_type = BigInt)]
    plan_n: i64,
    #[diesel(sql_type = BigInt)]
    plan_d: i64,
    #[diesel(sql_type = BigInt)]
    rem_n: i64,
    #[diesel(sql_type = BigInt)]
    rem_d: i64,
    #[diesel(sql_type = BigInt)]
    l1: i64,
    #[diesel(sql_type = BigInt)]
    l2: i64,
    #[diesel(sql_type = BigInt)]
    l3: i64,
    #[diesel(sql_type = BigInt)]
    disputes: i64,
}

/// The `n`th bound parameter. Numbered, not positional: the instant of the question appears
/// in the select list before the others (SQLite numbers `$name`s by first appearance, `?n` it
/// takes as written).
fn param(backend: Backend, n: u8) -> String {
    match backend {
        Backend::Sqlite => format!("?{n}"),
        Backend::Postgres => format!("${n}"),
    }
}

/// The cases of `org` opened in [start, end): parameters 1, 2 and 3.
fn of_period(backend: Backend) -> String {
    let p = |n| param(backend, n);
    format!(
        "FROM cases WHERE cases.contractor_id = {} AND cases.opened_at >= {} AND cases.opened_at < {}",
        p(1),
        p(2),
        p(3)
    )
}

/// Every case figure over all the contractor's cases of the period, in one aggregate.
fn totals(
    conn: &mut DbConnection,
    org: &str,
    (start, end, now): (NaiveDateTime, NaiveDateTime, NaiveDateTime),
) -> Result<Totals, Error> {
    let backend = conn.backend();
    let now_param = param(backend, 4);
    let bound = |rule: String| rule.replace(NOW, &now_param);
    let (ack, plan, rem) = (
        bound(rules::acknowledged_on_time()),
        rules::plan_accepted_first_time(),
        bound(rules::remediated_on_time()),
    );
    let sum = |cond: &str| format!("COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0)");
    // Each rule evaluated once per case (in the derived table), then counted.
    let sql_text = format!(
        "SELECT COUNT(*) AS cases, {} AS ack_n, COUNT(ack) AS ack_d, {} AS plan_n, \
         COUNT(plan) AS plan_d, {} AS rem_n, COUNT(rem) AS rem_d, {} AS l1, {} AS l2, \
         {} AS l3, {} AS disputes FROM (SELECT {ack} AS ack, {plan} AS plan, {rem} AS rem, \
         cases.max_escalation_level AS lvl, {} AS disputed {}) AS c",
        sum("ack = 1"),
        sum("plan = 1"),
        sum("rem = 1"),
        sum("lvl >= 1"),
        sum("lvl >= 2"),
        sum("lvl >= 3"),
        sum("disputed = 1"),
        rules::disputed(),
        of_period(backend),
    );
    Ok(diesel::sql_query(sql_text)
        .bind::<Text, _>(org)
        .bind::<Timestamp, _>(start)
        .bind::<Timestamp, _>(end)
        .bind::<Timestamp, _>(now)
        .get_result(conn)?)
}

/// Hours from opening to acknowledgement of every acknowledged case of the period, computed
/// by the database.
fn ack_hours(
    conn: &mut DbConnection,
    org: &str,
    (start, end): (NaiveDateTime, NaiveDateTime),
) -> Result<Vec<f64>, Error> {
    #[derive(QueryableByName)]
    struct Span {
        #[diesel(sql_type = diesel::sql_types::Double)]
        h: f64,
    }
    let backend = conn.backend();
    let h = hours_between(backend, "cases.opened_at", "cases.acknowledged_at");
    let spans: Vec<Span> = diesel::sql_query(format!(
        "SELECT {h} AS h {} AND cases.acknowledged_at IS NOT NULL",
        of_period(backend)
    ))
    .bind::<Text, _>(org)
    .bind::<Timestamp, _>(start)
    .bind::<Timestamp, _>(end)
    .load(conn)?;
    Ok(spans.into_iter().map(|s| s.h).collect())
}

/// One case of the period in the caller's reach, classified by the same rules.
type Listed = (
    String,
    i32,
    bool,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    i32,
);

/// The cases of the period the caller may read (`cases::access::visible_to`), newest first.
fn listed(
    conn: &mut DbConnection,
    caller: &Caller,
    org: &str,
    (start, end, now): (NaiveDateTime, NaiveDateTime, NaiveDateTime),
) -> Result<Vec<Listed>, Error> {
    let (ack, rem) = (rules::acknowledged_on_time(), rules::remediated_on_time());
    let (a0, a1) = ack.split_once(NOW).unwrap_or((&ack, ""));
    let (r0, r1) = rem.split_once(NOW).unwrap_or((&rem, ""));
    let mut q = cases::table
        .filter(cases::contractor_id.eq(org))
        .filter(cases::opened_at.ge(start))
        .filter(cases::opened_at.lt(end))
        .order((cases::opened_at.desc(), cases::id.desc()))
        .select((
            cases::id,
            cases::max_escalation_level,
            cases::acknowledged_at.is_not_null(),
            sql::<Nullable<Integer>>(a0)
                .bind::<Timestamp, _>(now)
                .sql(a1),
            sql::<Nullable<Integer>>(&rules::plan_accepted_first_time()),
            sql::<Nullable<Integer>>(r0)
                .bind::<Timestamp, _>(now)
                .sql(r1),
            sql::<Integer>(&rules::disputed()),
        ))
        .into_boxed();
    if let Some(reach) = visible_to(caller) {
        q = q.filter(reach);
    }
    Ok(q.load(conn)?)
}

/// Adds `id` to a list unless it is full; false once something did not fit.
fn push(list: &mut Vec<CaseId>, complete: &mut bool, id: CaseId) {
    if list.len() < LISTED {
        list.push(id);
    } else {
        *complete = false;
    }
}

fn share_of(n: i64, d: i64) -> Share {
    Share {
        value: share(n, d),
        numerator: n,
        denominator: d,
        complete: true,
        ..Share::default()
    }
}

fn count_of(n: i64) -> Count {
    Count {
        count: n,
        cases: Vec::new(),
        complete: true,
    }
}

/// Puts a classified case into a share's lists.
fn classify(s: &mut Share, id: CaseId, class: Option<i32>) {
    match class {
        Some(1) => push(&mut s.cases, &mut s.complete, id),
        Some(_) => push(&mut s.missed_cases, &mut s.complete, id),
        None => {}
    }
}

/// Disclosure coverage over the contractor's contracts running on `to`, as known at `t`.
fn disclosure(
    conn: &mut DbConnection,
    caller: &Caller,
    org: &str,
    to: NaiveDate,
    t: NaiveDateTime,
) -> Result<DisclosureCoverage, Error> {
    let running: Vec<(String, String)> = contracts::table
        .filter(contracts::contractor_id.eq(org))
        .filter(contracts::starts_on.le(to))
        .filter(contracts::ends_on.ge(to))
        .order(contracts::reference.asc())
        .select((contracts::id, contracts::buyer_id))
        .load(conn)?;
    let ids: Vec<String> = running.iter().map(|r| r.0.clone()).collect();
    let of = coverage_of_many(conn, &ids, t)?;
    let (items, covered) = of.values().fold((0, 0), |(i, c), (n, k)| (i + n, c + k));
    let me = caller.organization_id.to_string();
    let mut contract_ids = Vec::new();
    for (id, buyer) in &running {
        // A buyer's reach is its own contracts; the others are counted, not named.
        if !caller.is(OrgKind::Buyer) || *buyer == me {
            contract_ids.push(ContractId::from_db(id)?);
        }
    }
    Ok(DisclosureCoverage {
        value: share(covered, items),
        numerator: covered,
        denominator: items,
        contracts: running.len() as i64,
        contract_ids,
    })
}

/// The scorecard of contractor `id` over [`from`, `to`], as of `now`.
pub fn scorecard(
    conn: &mut DbConnection,
    caller: &Caller,
    id: OrganizationId,
    (from, to): (NaiveDate, NaiveDate),
    now: NaiveDateTime,
) -> Result<Scorecard, Error> {
    let org = id.to_string();
    let name = in_reach(conn, caller, &org)?;
    let start = from.and_time(chrono::NaiveTime::MIN);
    // `to` is included: up to the start of the next day (or its very end at year 9999).
    let end = to
        .succ_opt()
        .map_or_else(|| end_of(to), |d| d.and_time(chrono::NaiveTime::MIN));
    let totals = totals(conn, &org, (start, end, now))?;
    let hours = ack_hours(conn, &org, (start, end))?;
    let rows = listed(conn, caller, &org, (start, end, now))?;
    let d = durations(hours);
    let mut card = Scorecard {
        organization_id: id,
        name,
        from,
        to,
        as_of: utc(now),
        cases_in_period: count_of(totals.cases),
        // `to` is not after today, so the coverage is as known at its end, or now for today.
        disclosure_coverage: disclosure(conn, caller, &org, to, end_of(to).min(now))?,
        acknowledged_on_time: share_of(totals.ack_n, totals.ack_d),
        plans_accepted_first_time: share_of(totals.plan_n, totals.plan_d),
        remediated_on_time: share_of(totals.rem_n, totals.rem_d),
        escalated: LEVELS
            .iter()
            .zip([totals.l1, totals.l2, totals.l3])
            .map(|(level, n)| Escalated {
                level: *level,
                cases: count_of(n),
            })
            .collect(),
        disputes: count_of(totals.disputes),
        time_to_acknowledge: TimeToAcknowledge {
            count: d.count,
            median_hours: d.median_hours,
            p90_hours: d.p90_hours,
            cases: Vec::new(),
            complete: true,
        },
    };
    for (case, max_level, acknowledged, ack, plan, rem, disputed) in rows {
        let case = CaseId::from_db(&case)?;
        let c = &mut card;
        push(
            &mut c.cases_in_period.cases,
            &mut c.cases_in_period.complete,
            case,
        );
        classify(&mut c.acknowledged_on_time, case, ack);
        classify(&mut c.plans_accepted_first_time, case, plan);
        classify(&mut c.remediated_on_time, case, rem);
        for e in c.escalated.iter_mut().filter(|e| max_level >= e.level) {
            push(&mut e.cases.cases, &mut e.cases.complete, case);
        }
        if disputed == 1 {
            push(&mut c.disputes.cases, &mut c.disputes.complete, case);
        }
        if acknowledged {
            let t = &mut c.time_to_acknowledge;
            push(&mut t.cases, &mut t.complete, case);
        }
    }
    Ok(card)
}
