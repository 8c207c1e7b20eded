//! Computing the due-diligence figures. The present view reads the case rows (one query for
//! all cases of the contract, aggregated in memory); a view of the past replays the event
//! history up to the end of the asked day. Who may see: the buyer and the contractor of the
//! contract, monitors, admins; anyone else gets 404.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{
    durations, judge, CaseFigures, Coverage, DueDiligence, Factories, HistoryEntry, OpenCase,
    PortfolioEntry, Status, SupplyChainFactory, UncoveredItem,
};
use crate::auth::Caller;
use crate::cases::{CaseCore, CaseState, EventKind, Step};
use crate::clock::utc;
use crate::components::service::with_descendants;
use crate::db::{Backend, DbConnection};
use crate::error::Error;
use crate::export::Sheet;
use crate::findings::Severity;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{
    case_contracts, case_events, cases, components, contract_items, contracts, factories, findings,
    sourcing_links,
};
use crate::values::{CaseId, ComponentId, ContractId, ContractItemId, FactoryId, OrgKind};

/// Every state and severity, in the order the figures and the CSV list them.
fn states() -> impl Iterator<Item = &'static str> {
    CaseState::ALL.iter().map(|s| s.as_str())
}
fn severities() -> impl Iterator<Item = &'static str> {
    Severity::ALL.iter().map(|s| s.as_str())
}

const DONE: [&str; 2] = [CaseState::Verified.as_str(), CaseState::Closed.as_str()];

fn is_open(state: &str) -> bool {
    !DONE.contains(&state)
}

/// The contract row if the caller may see its status.
fn visible_contract(
    conn: &mut DbConnection,
    caller: &Caller,
    id: ContractId,
) -> Result<(String, String, String), Error> {
    let mut q = contracts::table
        .filter(contracts::id.eq(id.to_string()))
        .select((contracts::id, contracts::reference, contracts::title))
        .into_boxed();
    let me = caller.organization_id.to_string();
    match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => {}
        OrgKind::Buyer => q = q.filter(contracts::buyer_id.eq(me)),
        OrgKind::Contractor => q = q.filter(contracts::contractor_id.eq(me)),
    }
    q.first(conn).optional()?.ok_or(Error::NotFound("contract"))
}

/// The end of a day, the instant a view "as of that day" describes.
pub fn end_of(day: NaiveDate) -> NaiveDateTime {
    day.and_hms_micro_opt(23, 59, 59, 999_999)
        .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN))
}

fn valid_on(day: NaiveDate) -> impl Fn(&(String, i32, NaiveDate, Option<NaiveDate>)) -> bool {
    move |(_, _, from, to)| *from <= day && to.is_none_or(|t| t >= day)
}

/// Which of `components` have a tier-1 factory disclosed by `t` through a link valid on
/// `t`'s day: the coverage rule, for one contract and for the portfolio alike.
fn covered(
    conn: &mut DbConnection,
    components: &[String],
    t: NaiveDateTime,
) -> Result<HashSet<String>, Error> {
    let links: Vec<(String, i32, NaiveDate, Option<NaiveDate>)> = sourcing_links::table
        .filter(sourcing_links::component_id.eq_any(components))
        .filter(sourcing_links::tier.eq(1))
        .filter(sourcing_links::created_at.le(t))
        .select((
            sourcing_links::component_id,
            sourcing_links::tier,
            sourcing_links::valid_from,
            sourcing_links::valid_to,
        ))
        .load(conn)?;
    let ok = valid_on(t.date());
    Ok(links.into_iter().filter(|l| ok(l)).map(|l| l.0).collect())
}

fn coverage(
    conn: &mut DbConnection,
    contract: &str,
    t: NaiveDateTime,
) -> Result<(Coverage, Vec<String>), Error> {
    let items: Vec<(String, String, String)> = contract_items::table
        .inner_join(components::table)
        .filter(contract_items::contract_id.eq(contract))
        .filter(contract_items::created_at.le(t))
        .order(contract_items::id.asc())
        .select((
            contract_items::id,
            contract_items::component_id,
            components::name,
        ))
        .load(conn)?;
    let item_components: Vec<String> = items.iter().map(|i| i.1.clone()).collect();
    let covered = covered(conn, &item_components, t)?;
    let mut uncovered = Vec::new();
    for (item, component, name) in &items {
        if !covered.contains(component) {
            uncovered.push(UncoveredItem {
                item_id: ContractItemId::from_db(item)?,
                component_id: ComponentId::from_db(component)?,
                component_name: name.clone(),
            });
        }
    }
    let n = items.len() as i64;
    let c = n - uncovered.len() as i64;
    Ok((
        Coverage {
            items: n,
            covered: c,
            share: (n > 0).then(|| c as f64 / n as f64),
            uncovered,
        },
        item_components,
    ))
}

fn supply_chain(
    conn: &mut DbConnection,
    item_components: Vec<String>,
    t: NaiveDateTime,
) -> Result<Factories, Error> {
    let all = with_descendants(conn, item_components)?;
    let links: Vec<(String, i32, NaiveDate, Option<NaiveDate>)> = sourcing_links::table
        .filter(sourcing_links::component_id.eq_any(&all))
        .filter(sourcing_links::created_at.le(t))
        .select((
            sourcing_links::factory_id,
            sourcing_links::tier,
            sourcing_links::valid_from,
            sourcing_links::valid_to,
        ))
        .load(conn)?;
    let ok = valid_on(t.date());
    let mut tier_of: BTreeMap<String, i32> = BTreeMap::new();
    for l in links.iter().filter(|l| ok(l)) {
        let e = tier_of.entry(l.0.clone()).or_insert(l.1);
        *e = (*e).min(l.1);
    }
    let ids: Vec<String> = tier_of.keys().cloned().collect();
    let rows: Vec<(String, String, String)> = factories::table
        .filter(factories::id.eq_any(&ids))
        .order(factories::id.asc())
        .select((factories::id, factories::name, factories::country))
        .load(conn)?;
    let mut out = Factories {
        total: rows.len() as i64,
        by_tier: BTreeMap::new(),
        by_country: BTreeMap::new(),
        list: Vec::new(),
    };
    for (id, name, country) in rows {
        let tier = tier_of[&id];
        *out.by_tier.entry(tier.to_string()).or_default() += 1;
        *out.by_country.entry(country.clone()).or_default() += 1;
        out.list.push(SupplyChainFactory {
            id: FactoryId::from_db(&id)?,
            name,
            country,
            tier,
        });
    }
    out.list
        .sort_by(|a, b| (a.tier, &a.country, &a.name).cmp(&(b.tier, &b.country, &b.name)));
    Ok(out)
}

/// One case as the figures need it.
struct CaseSnapshot {
    id: String,
    state: String,
    severity: String,
    level: i32,
    max_level: i32,
    next_due_at: Option<NaiveDateTime>,
    opened_at: NaiveDateTime,
    acknowledged_at: Option<NaiveDateTime>,
    plan_accepted_at: Option<NaiveDateTime>,
}

/// The case figures of one contract, as `contract` reports them.
struct Tally {
    by_state: BTreeMap<String, i64>,
    by_severity: BTreeMap<String, i64>,
    total: i64,
    open: i64,
    overdue: i64,
    /// The first 200 open cases, soonest deadline first.
    open_cases: Vec<OpenCase>,
    /// (severity, current level, how many) of the open cases, for `judge`.
    judged: Vec<(String, i32, i64)>,
    ack_hours: Vec<f64>,
    plan_hours: Vec<f64>,
    max_level: i32,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            by_state: states().map(|s| (s.to_string(), 0)).collect(),
            by_severity: severities().map(|s| (s.to_string(), 0)).collect(),
            total: 0,
            open: 0,
            overdue: 0,
            open_cases: Vec::new(),
            judged: Vec::new(),
            ack_hours: Vec::new(),
            plan_hours: Vec::new(),
            max_level: 0,
        }
    }

    /// Adds `n` cases in `state` with `severity` at `level`.
    fn count(&mut self, state: &str, severity: &str, level: i32, n: i64) {
        *self.by_state.entry(state.to_string()).or_default() += n;
        *self.by_severity.entry(severity.to_string()).or_default() += n;
        self.total += n;
        if is_open(state) {
            self.open += n;
            if level >= 2 {
                self.overdue += n;
            }
            match self
                .judged
                .iter_mut()
                .find(|(s, l, _)| s == severity && *l == level)
            {
                Some(j) => j.2 += n,
                None => self.judged.push((severity.to_string(), level, n)),
            }
        }
    }
}

/// Most escalated first (a missed deadline is no longer the "next" one), then the soonest
/// deadline still ahead (none last), then by id: the same order in
/// SQL (the present) and in memory (the past).
fn open_case_order(a: &OpenCase, b: &OpenCase) -> std::cmp::Ordering {
    (
        b.escalation_level,
        a.next_due_at.is_none(),
        a.next_due_at,
        a.id.to_string(),
    )
        .cmp(&(
            a.escalation_level,
            b.next_due_at.is_none(),
            b.next_due_at,
            b.id.to_string(),
        ))
}

const OPEN_CASES_LISTED: i64 = 200;

/// The present figures, aggregated by the database: the counts grouped by state, severity and
/// level, the first open cases in deadline order, and only the instants the durations need.
/// Nothing here reads every case row of a large contract into memory.
fn tally_now(
    conn: &mut DbConnection,
    contract: &str,
    monitor: Option<&str>,
) -> Result<Tally, Error> {
    // Only `case_contracts`: the trigger-maintained copies of the case columns (migration
    // 6) and the covering index `case_contracts_figures`.
    use case_contracts as cc;
    let of_contract = || cc::table.filter(cc::contract_id.eq(contract.to_string()));
    let groups: Vec<(String, String, i32, i64, Option<i32>)> = of_contract()
        .group_by((cc::case_state, cc::case_severity, cc::case_level))
        .select((
            cc::case_state,
            cc::case_severity,
            cc::case_level,
            diesel::dsl::count_star(),
            diesel::dsl::max(cc::case_max_level),
        ))
        .load(conn)?;
    let mut t = Tally::new();
    for (state, severity, level, n, max) in &groups {
        t.count(state, severity, *level, *n);
        t.max_level = t.max_level.max(max.unwrap_or(0));
    }
    let mut listed = of_contract().into_boxed();
    if let Some(m) = monitor {
        // A monitor counts every case of the contract but lists only those of its findings.
        listed = listed.filter(
            cc::case_id.eq_any(
                cases::table
                    .filter(cases::monitor_id.eq(m.to_string()))
                    .select(cases::id),
            ),
        );
    }
    let open: Vec<(String, String, String, i32, Option<NaiveDateTime>)> = listed
        .filter(cc::case_state.ne_all(DONE))
        .order((
            cc::case_level.desc(),
            cc::case_next_due_at.is_null().asc(),
            cc::case_next_due_at.asc(),
            cc::case_id.asc(),
        ))
        .limit(OPEN_CASES_LISTED)
        .select((
            cc::case_id,
            cc::case_state,
            cc::case_severity,
            cc::case_level,
            cc::case_next_due_at,
        ))
        .load(conn)?;
    for (id, state, severity, level, next) in open {
        t.open_cases.push(OpenCase {
            id: CaseId::from_db(&id)?,
            title: String::new(),
            state,
            severity,
            escalation_level: level,
            overdue: level >= 2,
            next_due_at: next.map(utc),
        });
    }
    // The spans in hours, computed by the database: parsing two timestamps per case in
    // Rust cost more than every query above together on a 10,000-case contract.
    #[derive(QueryableByName)]
    struct Spans {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        ack: Option<f64>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        plan: Option<f64>,
    }
    let hours_between = |from: &str, to: &str| match conn.backend() {
        Backend::Sqlite => {
            format!("ROUND((julianday({to}) - julianday({from})) * 86400.0) / 3600.0")
        }
        Backend::Postgres => {
            format!("CAST(ROUND(EXTRACT(EPOCH FROM ({to} - {from}))) / 3600.0 AS DOUBLE PRECISION)")
        }
    };
    let sql = format!(
        "SELECT {} AS ack, {} AS plan FROM case_contracts WHERE contract_id = $1 \
         AND (case_acknowledged_at IS NOT NULL OR case_plan_accepted_at IS NOT NULL)",
        hours_between("case_opened_at", "case_acknowledged_at"),
        hours_between("case_opened_at", "case_plan_accepted_at"),
    );
    let spans: Vec<Spans> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(contract)
        .load(conn)?;
    for s in spans {
        t.ack_hours.extend(s.ack);
        t.plan_hours.extend(s.plan);
    }
    Ok(t)
}

/// The past figures, from cases replayed in memory.
fn tally_of(all: &[CaseSnapshot]) -> Result<Tally, Error> {
    let mut t = Tally::new();
    for c in all {
        t.count(&c.state, &c.severity, c.level, 1);
        t.max_level = t.max_level.max(c.max_level);
        if let Some(a) = c.acknowledged_at {
            t.ack_hours.push(hours(c.opened_at, a));
        }
        if let Some(p) = c.plan_accepted_at {
            t.plan_hours.push(hours(c.opened_at, p));
        }
        if is_open(&c.state) {
            t.open_cases.push(OpenCase {
                id: CaseId::from_db(&c.id)?,
                title: String::new(),
                state: c.state.clone(),
                severity: c.severity.clone(),
                escalation_level: c.level,
                overdue: c.level >= 2,
                next_due_at: c.next_due_at.map(utc),
            });
        }
    }
    t.open_cases.sort_by(open_case_order);
    t.open_cases.truncate(OPEN_CASES_LISTED as usize);
    Ok(t)
}

/// The cases as they stood at `t`, replayed from their events.
fn cases_then(
    conn: &mut DbConnection,
    contract: &str,
    t: NaiveDateTime,
) -> Result<Vec<CaseSnapshot>, Error> {
    let of_contract = case_contracts::table
        .filter(case_contracts::contract_id.eq(contract.to_string()))
        .select(case_contracts::case_id);
    let meta: Vec<(String, String)> = cases::table
        .filter(cases::id.eq_any(of_contract))
        .filter(cases::created_at.le(t))
        .select((cases::id, cases::severity))
        .load(conn)?;
    let severity: HashMap<String, String> = meta.into_iter().collect();
    let of_contract = case_contracts::table
        .filter(case_contracts::contract_id.eq(contract.to_string()))
        .select(case_contracts::case_id);
    let events: Vec<(String, EventKind, NaiveDateTime, String)> = case_events::table
        .filter(case_events::case_id.eq_any(of_contract))
        .filter(case_events::at.le(t))
        .filter(case_events::kind.ne(EventKind::Comment))
        .filter(case_events::kind.ne(EventKind::Reminder))
        .order((case_events::case_id.asc(), case_events::seq.asc()))
        .select((
            case_events::case_id,
            case_events::kind,
            case_events::at,
            case_events::payload,
        ))
        .load(conn)?;
    let mut out: Vec<CaseSnapshot> = Vec::new();
    let mut core: Option<CaseCore> = None;
    for (case_id, kind, at, payload) in events {
        let Some(sev) = severity.get(&case_id) else {
            continue;
        };
        if out.last().is_none_or(|c| c.id != case_id) {
            core = None;
            out.push(CaseSnapshot {
                id: case_id.clone(),
                state: CaseState::Open.as_str().into(),
                severity: sev.clone(),
                level: 0,
                max_level: 0,
                next_due_at: None,
                opened_at: at,
                acknowledged_at: None,
                plan_accepted_at: None,
            });
        }
        let c = out.last_mut().expect("just pushed");
        let p: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
        // The state and the instants the figures need, as the case core applies each event.
        let now = Step::from_event(kind, at, &p)
            .and_then(|step| crate::cases::core::apply(core, &step))
            .map_err(|e| Error::internal(format!("case {case_id}: an impossible history: {e}")))?;
        core = Some(now);
        c.state = now.state.as_str().to_string();
        c.opened_at = now.opened_at;
        c.acknowledged_at = now.acknowledged_at;
        c.plan_accepted_at = now.plan_accepted_at;
        match kind {
            EventKind::Escalated => {
                c.level = p["level"].as_i64().unwrap_or(c.level as i64 + 1) as i32
            }
            EventKind::ExtensionGranted | EventKind::DeadlinesRecomputed => {
                if let Some(l) = p["escalation_level"]["after"].as_i64() {
                    c.level = l as i32;
                }
            }
            _ => {}
        }
        c.max_level = c.max_level.max(c.level);
    }
    Ok(out)
}

/// The open cases as the caller may list them: a monitor only those of its findings; each
/// with its finding's title.
fn listed_for(
    conn: &mut DbConnection,
    monitor: Option<&str>,
    mut open: Vec<OpenCase>,
) -> Result<Vec<OpenCase>, Error> {
    let ids: Vec<String> = open.iter().map(|c| c.id.to_string()).collect();
    let rows: Vec<(String, String, String)> = cases::table
        .inner_join(findings::table)
        .filter(cases::id.eq_any(&ids))
        .select((cases::id, cases::monitor_id, findings::title))
        .load(conn)?;
    let of: HashMap<String, (String, String)> = rows
        .into_iter()
        .map(|(id, m, title)| (id, (m, title)))
        .collect();
    open.retain_mut(|c| match of.get(&c.id.to_string()) {
        Some((m, title)) if monitor.is_none_or(|me| me == m) => {
            c.title = title.clone();
            true
        }
        _ => false,
    });
    Ok(open)
}

fn hours(from: NaiveDateTime, to: NaiveDateTime) -> f64 {
    (to - from).num_seconds() as f64 / 3600.0
}

pub fn contract(
    conn: &mut DbConnection,
    caller: &Caller,
    id: ContractId,
    at: Option<NaiveDate>,
    now: NaiveDateTime,
) -> Result<DueDiligence, Error> {
    let (contract, reference, title) = visible_contract(conn, caller, id)?;
    if at.is_some_and(|d| d > now.date()) {
        return Err(Error::bad_param("at", "at must be a past or present date"));
    }
    let t = at.map_or(now, end_of);
    let (coverage, item_components) = coverage(conn, &contract, t)?;
    let factories = supply_chain(conn, item_components, t)?;
    let me = caller.organization_id.to_string();
    let monitor = caller.is(OrgKind::Monitor).then_some(me.as_str());
    let (mut tally, past) = match at {
        None => (tally_now(conn, &contract, monitor)?, None),
        Some(_) => {
            let all = cases_then(conn, &contract, t)?;
            (tally_of(&all)?, Some(all))
        }
    };
    tally.open_cases = listed_for(conn, monitor, std::mem::take(&mut tally.open_cases))?;
    let (status, status_reasons) = judge(&coverage, &tally.judged);
    // Every event updates its case's `updated_at`, so the newest events of the contract are
    // among those of its 20 most recently updated cases: no need to sort every event. (A view
    // of the past cannot take that shortcut and reads the contract's events up to then.)
    let recent: Vec<String> = match at {
        None => case_contracts::table
            .filter(case_contracts::contract_id.eq(&contract))
            .order(case_contracts::case_updated_at.desc())
            .limit(20)
            .select(case_contracts::case_id)
            .load(conn)?,
        Some(_) => past.iter().flatten().map(|c| c.id.clone()).collect(),
    };
    let mut history = case_events::table
        .inner_join(cases::table)
        .filter(case_events::case_id.eq_any(&recent))
        .filter(case_events::at.le(t))
        .into_boxed();
    match caller.kind {
        // A monitor follows the cases of its own findings only.
        OrgKind::Monitor => history = history.filter(cases::monitor_id.eq(me.clone())),
        // Another buyer's comments on a shared case are not this buyer's to see (the rule
        // of `cases::visibility`, as a filter so that the 20 listed are 20 shown).
        OrgKind::Buyer => {
            history = history.filter(diesel::dsl::not(
                case_events::kind.eq("comment").and(
                    case_events::actor_organization_id
                        .is_not_null()
                        .and(case_events::actor_organization_id.ne(me.clone()))
                        .and(case_events::actor_organization_id.ne(cases::contractor_id.nullable()))
                        .and(case_events::actor_organization_id.ne(cases::monitor_id.nullable())),
                ),
            ))
        }
        OrgKind::Admin | OrgKind::Contractor => {}
    }
    let history: Vec<(String, String, NaiveDateTime)> = history
        .order((case_events::at.desc(), case_events::seq.desc()))
        .limit(20)
        .select((case_events::case_id, case_events::kind, case_events::at))
        .load(conn)?;
    Ok(DueDiligence {
        contract_id: id,
        reference,
        title,
        as_of: utc(t),
        status,
        status_reasons,
        coverage,
        factories,
        cases: CaseFigures {
            open: tally.open,
            overdue: tally.overdue,
            total: tally.total,
            by_state: tally.by_state,
            by_severity: tally.by_severity,
            open_cases: tally.open_cases,
        },
        time_to_acknowledge: durations(tally.ack_hours),
        time_to_accepted_plan: durations(tally.plan_hours),
        max_escalation_level: tally.max_level,
        history: history
            .into_iter()
            .map(|(c, kind, at)| {
                Ok(HistoryEntry {
                    case_id: CaseId::from_db(&c)?,
                    kind,
                    at: utc(at),
                })
            })
            .collect::<Result<_, Error>>()?,
    })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PortfolioSort {
    /// Red first, then amber, then green; by reference within.
    #[default]
    Status,
    Reference,
    OpenCases,
    OverdueCases,
}

/// Every contract of the caller with its status and key figures, as of now.
pub fn portfolio(
    conn: &mut DbConnection,
    caller: &Caller,
    only: Option<Status>,
    sort: PortfolioSort,
    page: &PageRequest,
    now: NaiveDateTime,
) -> Result<Page<PortfolioEntry>, Error> {
    let me = caller.organization_id.to_string();
    let mut q = contracts::table
        .select((contracts::id, contracts::reference, contracts::title))
        .order(contracts::reference.asc())
        .into_boxed();
    match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => {}
        OrgKind::Buyer => q = q.filter(contracts::buyer_id.eq(me)),
        OrgKind::Contractor => q = q.filter(contracts::contractor_id.eq(me)),
    }
    let rows: Vec<(String, String, String)> = q.load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    // Coverage of all contracts in two queries.
    let items: Vec<(String, String)> = contract_items::table
        .filter(contract_items::contract_id.eq_any(&ids))
        .select((contract_items::contract_id, contract_items::component_id))
        .load(conn)?;
    let comps: Vec<String> = items.iter().map(|i| i.1.clone()).collect();
    let covered = covered(conn, &comps, now)?;
    let mut cov: HashMap<&str, (i64, i64)> = HashMap::new();
    for (k, c) in &items {
        let e = cov.entry(k.as_str()).or_default();
        e.0 += 1;
        if covered.contains(c) {
            e.1 += 1;
        }
    }
    // Open cases of all contracts, aggregated by the database over the copies of the case
    // columns in `case_contracts` (its covering index, no case rows read).
    let groups: Vec<(String, String, i32, i64)> = case_contracts::table
        .filter(case_contracts::contract_id.eq_any(&ids))
        .filter(case_contracts::case_state.ne_all(DONE))
        .group_by((
            case_contracts::contract_id,
            case_contracts::case_severity,
            case_contracts::case_level,
        ))
        .select((
            case_contracts::contract_id,
            case_contracts::case_severity,
            case_contracts::case_level,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let max_levels: Vec<(String, Option<i32>)> = case_contracts::table
        .filter(case_contracts::contract_id.eq_any(&ids))
        .filter(case_contracts::case_max_level.gt(0))
        .group_by(case_contracts::contract_id)
        .select((
            case_contracts::contract_id,
            diesel::dsl::max(case_contracts::case_max_level),
        ))
        .load(conn)?;
    let max_level: HashMap<String, i32> = max_levels
        .into_iter()
        .map(|(k, m)| (k, m.unwrap_or(0)))
        .collect();
    let mut open_of: HashMap<&str, Vec<(String, i32, i64)>> = HashMap::new();
    for (k, severity, level, n) in &groups {
        open_of
            .entry(k.as_str())
            .or_default()
            .push((severity.clone(), *level, *n));
    }
    let mut entries = Vec::with_capacity(rows.len());
    for (id, reference, title) in &rows {
        let (n, c) = cov.get(id.as_str()).copied().unwrap_or((0, 0));
        let coverage = Coverage {
            items: n,
            covered: c,
            share: (n > 0).then(|| c as f64 / n as f64),
            uncovered: vec![],
        };
        let open = open_of.remove(id.as_str()).unwrap_or_default();
        let (status, status_reasons) = judge(&coverage, &open);
        entries.push(PortfolioEntry {
            contract_id: ContractId::from_db(id)?,
            reference: reference.clone(),
            title: title.clone(),
            status,
            status_reasons,
            items: n,
            covered: c,
            coverage_share: coverage.share,
            open_cases: open.iter().map(|o| o.2).sum(),
            overdue_cases: open.iter().filter(|o| o.1 >= 2).map(|o| o.2).sum(),
            max_escalation_level: max_level.get(id).copied().unwrap_or(0),
        });
    }
    if let Some(s) = only {
        entries.retain(|e| e.status == s);
    }
    let rank = |s: Status| match s {
        Status::Red => 0,
        Status::Amber => 1,
        Status::Green => 2,
    };
    match sort {
        PortfolioSort::Status => entries
            .sort_by(|a, b| (rank(a.status), &a.reference).cmp(&(rank(b.status), &b.reference))),
        PortfolioSort::Reference => {}
        PortfolioSort::OpenCases => {
            entries.sort_by(|a, b| (b.open_cases, &a.reference).cmp(&(a.open_cases, &b.reference)))
        }
        PortfolioSort::OverdueCases => entries
            .sort_by(|a, b| (b.overdue_cases, &a.reference).cmp(&(a.overdue_cases, &b.reference))),
    }
    // The order is computed, so the cursor is a position in it.
    let start = page.after.and_then(|c| c.key).unwrap_or(0).max(0) as usize;
    let end = (start + page.limit as usize).min(entries.len());
    let next_cursor = (end < entries.len())
        .then(|| Cursor::encode_with_key(&uuid::Uuid::nil().to_string(), end as i64))
        .flatten();
    let items = if start < entries.len() {
        entries.drain(start..end).collect()
    } else {
        Vec::new()
    };
    Ok(Page { items, next_cursor })
}

/// The status of one contract as CSV (a header row and one row).
pub fn contract_csv(d: &DueDiligence) -> Result<String, Error> {
    let mut w = Sheet::new();
    let mut header: Vec<String> = [
        "contract_id",
        "reference",
        "title",
        "as_of",
        "status",
        "status_reasons",
        "items",
        "covered",
        "coverage_share",
        "uncovered_components",
        "factories_total",
        "factories_by_tier",
        "factories_by_country",
        "cases_total",
        "cases_open",
        "cases_overdue",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(states().map(|s| format!("state_{s}")));
    header.extend(severities().map(|s| format!("severity_{s}")));
    header.extend(
        [
            "time_to_acknowledge_median_hours",
            "time_to_acknowledge_p90_hours",
            "time_to_accepted_plan_median_hours",
            "time_to_accepted_plan_p90_hours",
            "max_escalation_level",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let join = |m: &BTreeMap<String, i64>| {
        m.iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(";")
    };
    let mut row = vec![
        d.contract_id.to_string(),
        d.reference.clone(),
        d.title.clone(),
        d.as_of.to_rfc3339(),
        d.status.to_string(),
        d.status_reasons
            .iter()
            .map(|r| r.detail.clone())
            .collect::<Vec<_>>()
            .join("; "),
        d.coverage.items.to_string(),
        d.coverage.covered.to_string(),
        opt(d.coverage.share),
        d.coverage
            .uncovered
            .iter()
            .map(|u| u.component_name.clone())
            .collect::<Vec<_>>()
            .join("; "),
        d.factories.total.to_string(),
        join(&d.factories.by_tier),
        join(&d.factories.by_country),
        d.cases.total.to_string(),
        d.cases.open.to_string(),
        d.cases.overdue.to_string(),
    ];
    row.extend(states().map(|s| d.cases.by_state.get(s).copied().unwrap_or(0).to_string()));
    row.extend(severities().map(|s| d.cases.by_severity.get(s).copied().unwrap_or(0).to_string()));
    row.extend([
        opt(d.time_to_acknowledge.median_hours),
        opt(d.time_to_acknowledge.p90_hours),
        opt(d.time_to_accepted_plan.median_hours),
        opt(d.time_to_accepted_plan.p90_hours),
        d.max_escalation_level.to_string(),
    ]);
    w.row(&header)?;
    w.row(&row)?;
    w.finish()
}

/// A portfolio page as CSV (a header row and one row per contract).
pub fn portfolio_csv(entries: &[PortfolioEntry]) -> Result<String, Error> {
    let mut w = Sheet::new();
    w.row([
        "contract_id",
        "reference",
        "title",
        "status",
        "status_reasons",
        "items",
        "covered",
        "coverage_share",
        "open_cases",
        "overdue_cases",
        "max_escalation_level",
    ])?;
    for e in entries {
        w.row([
            e.contract_id.to_string(),
            e.reference.clone(),
            e.title.clone(),
            e.status.to_string(),
            e.status_reasons
                .iter()
                .map(|r| r.detail.clone())
                .collect::<Vec<_>>()
                .join("; "),
            e.items.to_string(),
            e.covered.to_string(),
            e.coverage_share.map(|x| x.to_string()).unwrap_or_default(),
            e.open_cases.to_string(),
            e.overdue_cases.to_string(),
            e.max_escalation_level.to_string(),
        ])?;
    }
    w.finish()
}
