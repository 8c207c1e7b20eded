//! The scorecard of one contractor: who may ask, the period, and the figures from one read of
//! the period's cases (each rule evaluated once per case by the database; the figures counted
//! over all of them, the lists of the ones in the caller's reach) and the coverage of the
//! contracts running on `to`.

use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::dsl::{exists, sql};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Integer, Nullable, Timestamp};

use super::rules::{self, LEVELS, NOW};
use super::{
    share, Count, DisclosureCoverage, Escalated, Scorecard, Share, TimeToAcknowledge, LISTED,
};
use crate::auth::Caller;
use crate::cases::access::{visible_to, Visible};
use crate::clock::utc;
use crate::db::DbConnection;
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

/// One case of the contractor's period, classified by the rules (rules.rs): id, highest level,
/// acknowledged, the three classifications, disputed, hours to acknowledgement, and whether
/// the caller may read it (only those are listed; all are counted).
type Row = (
    String,
    i32,
    bool,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    i32,
    Option<f64>,
    bool,
);

/// Every case of `org` opened in [start, end), newest first, each rule evaluated once by the
/// database: the figures are counted from these rows and the lists are the readable ones.
fn rows(
    conn: &mut DbConnection,
    caller: &Caller,
    org: &str,
    (start, end, now): (NaiveDateTime, NaiveDateTime, NaiveDateTime),
) -> Result<Vec<Row>, Error> {
    let (ack, rem) = (rules::acknowledged_on_time(), rules::remediated_on_time());
    let (a0, a1) = ack.split_once(NOW).unwrap_or((&ack, ""));
    let (r0, r1) = rem.split_once(NOW).unwrap_or((&rem, ""));
    let hours = hours_between(conn.backend(), "cases.opened_at", "cases.acknowledged_at");
    let readable: Visible = visible_to(caller).unwrap_or_else(|| Box::new(sql::<Bool>("1 = 1")));
    Ok(cases::table
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
            sql::<Nullable<Double>>(&hours),
            readable,
        ))
        .load(conn)?)
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
    let rows = rows(conn, caller, &org, (start, end, now))?;
    // Each figure counted over all the period's cases (1 counted, 0 missed, NULL not in it).
    let share_over = |class: fn(&Row) -> Option<i32>| {
        let (n, d) = rows
            .iter()
            .filter_map(class)
            .fold((0, 0), |(n, d), c| (n + i64::from(c == 1), d + 1));
        share_of(n, d)
    };
    let d = durations(rows.iter().filter_map(|r| r.7).collect());
    let mut card = Scorecard {
        organization_id: id,
        name,
        from,
        to,
        as_of: utc(now),
        cases_in_period: count_of(rows.len() as i64),
        // `to` is not after today, so the coverage is as known at its end, or now for today.
        disclosure_coverage: disclosure(conn, caller, &org, to, end_of(to).min(now))?,
        acknowledged_on_time: share_over(|r| r.3),
        plans_accepted_first_time: share_over(|r| r.4),
        remediated_on_time: share_over(|r| r.5),
        escalated: LEVELS
            .iter()
            .map(|level| Escalated {
                level: *level,
                cases: count_of(rows.iter().filter(|r| r.1 >= *level).count() as i64),
            })
            .collect(),
        disputes: count_of(rows.iter().filter(|r| r.6 == 1).count() as i64),
        time_to_acknowledge: TimeToAcknowledge {
            count: d.count,
            median_hours: d.median_hours,
            p90_hours: d.p90_hours,
            cases: Vec::new(),
            complete: true,
        },
    };
    let readable = rows.into_iter().filter(|r| r.8);
    for (case, max_level, acknowledged, ack, plan, rem, disputed, _, _) in readable {
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
