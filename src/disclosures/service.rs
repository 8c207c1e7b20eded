//! The import of a disclosure list and its rules (see the module's documentation).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::columns::{Col, Layout, PATH_SEPARATOR, REFERENCE_SEPARATOR};
use super::matching::{MatchedBy, Matcher};
use super::read::{each_row, FileProblem, Format, Record};
use super::{
    CellError, Details, EndedLink, FactoryOutcome, Report, RowOutcome, RowReport, MAX_LISTED,
};
use crate::auth::Caller;
use crate::components::{ComponentRow, SourcingLinkRow};
use crate::contracts::ContractItemRow;
use crate::db::DbConnection;
use crate::error::Error;
use crate::escalation::Policy;
use crate::factories::{self, NewFactory};
use crate::findings::routing;
use crate::organizations;
use crate::schema::{
    cases, components, contract_items, contracts, factories as factories_t, sourcing_links,
};
use crate::values::{
    ComponentId, ContractId, CountryCode, FactoryId, Latitude, LineText, Longitude, Name, OrgKind,
    OrganizationId, ShortText, SourcingLinkId, Tier, WorkerCount,
};

/// What an upload asks for.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub contractor: OrganizationId,
    pub dry_run: bool,
    /// Near matches the person confirmed: row number -> registry factory.
    pub confirm: HashMap<u64, FactoryId>,
    /// The import's date (today in UTC): links no longer in the list end on it.
    pub date: NaiveDate,
}

/// Whose list the caller may import or export: a contractor its own; the admin any
/// contractor's, named by `contractor_id` (without it, the admin organization's own
/// components, as `POST /components` registers them). Buyers and monitors disclose nothing.
pub fn contractor_for(
    conn: &mut DbConnection,
    caller: &Caller,
    requested: Option<OrganizationId>,
) -> Result<OrganizationId, Error> {
    caller.require(
        &[OrgKind::Contractor, OrgKind::Admin],
        "import or export disclosure lists",
    )?;
    match (caller.kind, requested) {
        (OrgKind::Admin, Some(org)) if org != caller.organization_id => {
            match organizations::service::kind_of(conn, org)? {
                Some(OrgKind::Contractor) => Ok(org),
                _ => Err(Error::NotFound("contractor")),
            }
        }
        (_, Some(org)) if org != caller.organization_id => Err(Error::Forbidden(
            "a contractor imports and exports its own disclosure list only (contractor_id)".into(),
        )),
        _ => Ok(caller.organization_id),
    }
}

/// Why the savepoint of an import is rolled back.
enum Undo {
    /// A dry run, or a commit with errors: the report stands, nothing is kept.
    Report(Box<Report>),
    Failed(Error),
}

impl From<diesel::result::Error> for Undo {
    fn from(e: diesel::result::Error) -> Undo {
        Undo::Failed(e.into())
    }
}

/// Imports the list in `path` (already sniffed as `format`) in a savepoint of the caller's
/// transaction, kept only for a commit without errors. The report is the same either way.
pub fn import(
    conn: &mut DbConnection,
    path: &Path,
    format: Format,
    request: &ImportRequest,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<Report, Error> {
    let outcome = conn.transaction::<Report, Undo, _>(|c| {
        let mut report = apply(c, path, format, request, now, policy).map_err(Undo::Failed)?;
        if request.dry_run || report.errors > 0 {
            report.committed = false;
            // A factory this import would register has no id once rolled back.
            for row in &mut report.listed {
                if row.factory == FactoryOutcome::New {
                    row.factory_id = None;
                }
            }
            return Err(Undo::Report(Box::new(report)));
        }
        report.committed = true;
        Ok(report)
    });
    match outcome {
        Ok(report) => Ok(report),
        Err(Undo::Report(report)) => Ok(*report),
        Err(Undo::Failed(e)) => Err(e),
    }
}

fn file_problem(p: FileProblem) -> Error {
    match p {
        FileProblem::Empty => Error::field("file", p.to_string()),
        FileProblem::NotASpreadsheet(_) => Error::UnsupportedMediaType(p.to_string()),
    }
}

fn apply(
    conn: &mut DbConnection,
    path: &Path,
    format: Format,
    request: &ImportRequest,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<Report, Error> {
    lock_contractor(conn, request.contractor)?;
    let cases_before = count_cases(conn)?;
    let mut state = State::load(conn, request, now)?;
    let mut report = Report {
        dry_run: request.dry_run,
        contractor_id: Some(request.contractor),
        format: format.name().to_string(),
        date: Some(request.date),
        listed_all: true,
        ..Report::default()
    };
    let mut layout: Option<Layout> = None;
    let mut failure: Option<Error> = None;
    each_row(path, format, &mut |item| {
        let record = match item {
            Ok(r) => r,
            Err((line, message)) => {
                if layout.is_none() {
                    failure = Some(Error::field("file", format!("row {line}: {message}")));
                    return false;
                }
                report.rows += 1;
                note(
                    &mut report,
                    error_row(
                        line,
                        vec![CellError {
                            column: None,
                            message,
                        }],
                    ),
                );
                return true;
            }
        };
        let Some(layout) = layout.as_ref() else {
            match Layout::from_headers(&record.cells) {
                Ok(l) => layout = Some(l),
                Err(why) => {
                    failure = Some(Error::field("file", why));
                    return false;
                }
            }
            return true;
        };
        if record.cells.iter().all(|c| c.trim().is_empty()) {
            return true;
        }
        report.rows += 1;
        match state.row(conn, layout, &record) {
            Ok(row) => {
                note(&mut report, row);
                true
            }
            Err(e) => {
                failure = Some(e);
                false
            }
        }
    })
    .map_err(file_problem)?;
    if let Some(e) = failure {
        return Err(e);
    }
    if layout.is_none() {
        return Err(Error::field("file", FileProblem::Empty.to_string()));
    }
    if report.rows == 0 {
        // An empty list sent again would end every link: refused, as the mistake it
        // almost always is.
        return Err(Error::field(
            "file",
            "the file has a header row but no rows under it; an empty list would end every sourcing link you disclosed",
        ));
    }
    state.end_missing(conn, &mut report)?;
    state.reroute(conn, now, policy)?;
    report.details = Details {
        cases_opened: count_cases(conn)?.saturating_sub(cases_before),
        ..state.details
    };
    Ok(report)
}

/// Adds a row's outcome to the counts, and to the list when it is worth a look.
fn note(report: &mut Report, row: RowReport) {
    match row.outcome {
        RowOutcome::Created => report.created += 1,
        RowOutcome::Changed => report.changed += 1,
        RowOutcome::Unchanged => report.unchanged += 1,
        RowOutcome::Error => report.errors += 1,
    }
    if matches!(
        row.factory,
        FactoryOutcome::OsId | FactoryOutcome::NameAddressCountry | FactoryOutcome::Confirmed
    ) {
        report.matched += 1;
    }
    if !row.candidates.is_empty() {
        report.near_matches += 1;
    }
    let worth_a_look = row.outcome != RowOutcome::Unchanged
        || row.new_component
        || !row.new_contract_items.is_empty()
        || !row.candidates.is_empty();
    if worth_a_look {
        if report.listed.len() < MAX_LISTED {
            report.listed.push(row);
        } else {
            report.listed_all = false;
        }
    }
}

fn error_row(line: u64, errors: Vec<CellError>) -> RowReport {
    RowReport {
        row: line,
        outcome: RowOutcome::Error,
        product_model: String::new(),
        component_path: String::new(),
        factory_name: String::new(),
        factory_id: None,
        factory: FactoryOutcome::None,
        candidates: Vec::new(),
        new_component: false,
        new_contract_items: Vec::new(),
        change: None,
        errors,
    }
}

/// Two imports of one contractor's list run one after the other (on SQLite every write
/// transaction already does).
fn lock_contractor(conn: &mut DbConnection, contractor: OrganizationId) -> Result<(), Error> {
    use crate::schema::organizations;
    if let DbConnection::Pg(pg) = conn {
        organizations::table
            .filter(organizations::id.eq(contractor))
            .select(organizations::id)
            .for_update()
            .load::<OrganizationId>(pg)?;
    }
    Ok(())
}

fn count_cases(conn: &mut DbConnection) -> Result<u64, Error> {
    let n: i64 = cases::table.count().get_result(conn)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A row's cells as typed values.
struct Parsed {
    references: Vec<ShortText>,
    product_model: Name,
    path: Vec<Name>,
    factory: NewFactory,
    tier: Tier,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
}

/// A cell as typed: a formula-neutralising apostrophe that an export of this service put
/// before `=`, `+`, `-`, `@` (see `export::neutralise`) is taken off again.
fn cell<'a>(layout: &Layout, record: &'a [String], col: Col) -> &'a str {
    let raw = layout.cell(record, col);
    match raw.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => raw,
    }
}

fn parse(layout: &Layout, cells: &[String]) -> Result<Parsed, Vec<CellError>> {
    let mut errors = Vec::new();
    let mut err = |col: Col, message: String| {
        errors.push(CellError {
            column: Some(col.key().to_string()),
            message,
        })
    };
    let get = |col: Col| cell(layout, cells, col);

    let mut references = Vec::new();
    for r in get(Col::ContractReferences).split(REFERENCE_SEPARATOR) {
        if r.trim().is_empty() {
            continue;
        }
        match ShortText::try_from(r.trim().to_string()) {
            Ok(v) => references.push(v),
            Err(e) => err(Col::ContractReferences, e),
        }
    }
    let product_model = required::<Name>(get(Col::ProductModel), Col::ProductModel, &mut err);
    let mut path = Vec::new();
    let raw_path = get(Col::ComponentPath);
    if !raw_path.is_empty() {
        for level in raw_path.split(PATH_SEPARATOR) {
            match Name::try_from(level.trim().to_string()) {
                Ok(v) => path.push(v),
                Err(_) => {
                    err(
                        Col::ComponentPath,
                        format!("{raw_path:?} has an empty level; separate the levels with '>', e.g. \"Mainboard > Battery cell\""),
                    );
                    break;
                }
            }
        }
    }
    let name = required::<Name>(get(Col::FactoryName), Col::FactoryName, &mut err);
    let address = required::<LineText>(get(Col::Address), Col::Address, &mut err);
    let country = match get(Col::Country) {
        "" => {
            err(
                Col::Country,
                "required: a two-letter ISO 3166 country code such as CN".into(),
            );
            None
        }
        c => match CountryCode::try_from(c.to_string()) {
            Ok(v) => Some(v),
            Err(_) => {
                err(Col::Country, format!("unknown country {c:?}: use a two-letter ISO 3166 code such as CN, VN or MY"));
                None
            }
        },
    };
    let os_id = optional::<ShortText>(get(Col::OsId), Col::OsId, &mut err);
    let tier = match get(Col::Tier) {
        "" => {
            err(
                Col::Tier,
                "required: 1 for final assembly, 2 and up for component makers".into(),
            );
            None
        }
        t => match t.parse::<f64>().ok().and_then(|v| Tier::try_from(v).ok()) {
            Some(v) => Some(v),
            None => {
                err(
                    Col::Tier,
                    format!("{t:?} is not a tier: a whole number from 1 (final assembly) to 20"),
                );
                None
            }
        },
    };
    let valid_from = match get(Col::ValidFrom) {
        "" => {
            err(
                Col::ValidFrom,
                "required: the first day, as YYYY-MM-DD".into(),
            );
            None
        }
        d => date(d, Col::ValidFrom, &mut err),
    };
    let valid_to = match get(Col::ValidTo) {
        "" => None,
        d => date(d, Col::ValidTo, &mut err),
    };
    if let (Some(from), Some(to)) = (valid_from, valid_to) {
        if to < from {
            err(Col::ValidTo, format!("{to} is before valid from ({from})"));
        }
    }
    let sector = optional::<ShortText>(get(Col::Sector), Col::Sector, &mut err);
    let workers = number::<WorkerCount>(get(Col::Workers), Col::Workers, &mut err);
    let parent_company = optional::<Name>(get(Col::ParentCompany), Col::ParentCompany, &mut err);
    let latitude = number::<Latitude>(get(Col::Latitude), Col::Latitude, &mut err);
    let longitude = number::<Longitude>(get(Col::Longitude), Col::Longitude, &mut err);
    if latitude.is_some() != longitude.is_some() {
        err(
            Col::Longitude,
            "give both latitude and longitude, or neither".into(),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    match (product_model, name, address, country, tier, valid_from) {
        (
            Some(product_model),
            Some(name),
            Some(address),
            Some(country),
            Some(tier),
            Some(valid_from),
        ) => Ok(Parsed {
            references,
            product_model,
            path,
            factory: NewFactory {
                name,
                address,
                country,
                os_id,
                latitude,
                longitude,
                sector,
                workers,
                parent_company,
            },
            tier,
            valid_from,
            valid_to,
        }),
        // Every None above recorded an error.
        _ => Err(errors),
    }
}

fn required<T: TryFrom<String, Error = String>>(
    raw: &str,
    col: Col,
    err: &mut impl FnMut(Col, String),
) -> Option<T> {
    if raw.is_empty() {
        err(col, "required".into());
        return None;
    }
    optional(raw, col, err)
}

fn optional<T: TryFrom<String, Error = String>>(
    raw: &str,
    col: Col,
    err: &mut impl FnMut(Col, String),
) -> Option<T> {
    if raw.is_empty() {
        return None;
    }
    T::try_from(raw.to_string()).map_err(|e| err(col, e)).ok()
}

fn number<T: TryFrom<f64, Error = String>>(
    raw: &str,
    col: Col,
    err: &mut impl FnMut(Col, String),
) -> Option<T> {
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<f64>() {
        Ok(v) => T::try_from(v).map_err(|e| err(col, e)).ok(),
        Err(_) => {
            err(
                col,
                format!("{raw:?} is not a number (use a point for decimals)"),
            );
            None
        }
    }
}

fn date(raw: &str, col: Col, err: &mut impl FnMut(Col, String)) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) if raw.len() == 10 => Some(d),
        _ => {
            err(
                col,
                format!("{raw:?} is not a date as YYYY-MM-DD (e.g. 2026-03-01)"),
            );
            None
        }
    }
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// What the file has said so far about one link, to catch a second row contradicting it.
struct InFile {
    line: u64,
    tier: i32,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
}

/// The contractor's disclosure as the import found it, and what the import did to it.
struct State {
    contractor: OrganizationId,
    date: NaiveDate,
    now: NaiveDateTime,
    confirm: HashMap<u64, FactoryId>,
    /// (parent, folded name) -> component.
    children: HashMap<(Option<ComponentId>, String), ComponentId>,
    /// component -> (parent, name), for the paths in the report.
    components: HashMap<ComponentId, (Option<ComponentId>, String)>,
    /// folded reference -> the contractor's contracts with it (several buyers may use one).
    contracts: HashMap<String, Vec<ContractId>>,
    items: HashSet<(ContractId, ComponentId)>,
    links: HashMap<(ComponentId, FactoryId), Vec<SourcingLinkRow>>,
    /// The links the list holds (matched, changed or created).
    kept: HashSet<SourcingLinkId>,
    in_file: HashMap<(ComponentId, FactoryId), InFile>,
    reroute: BTreeSet<FactoryId>,
    new_roots: BTreeSet<ComponentId>,
    matcher: Matcher,
    details: Details,
}

impl State {
    fn load(
        conn: &mut DbConnection,
        request: &ImportRequest,
        now: NaiveDateTime,
    ) -> Result<State, Error> {
        let contractor = request.contractor;
        let rows: Vec<ComponentRow> = components::table
            .filter(components::owner_id.eq(contractor))
            .order(components::id.asc())
            .select(ComponentRow::as_select())
            .load(conn)?;
        let mut children = HashMap::new();
        let mut comps = HashMap::new();
        for c in rows {
            children.entry((c.parent_id, fold(&c.name))).or_insert(c.id);
            comps.insert(c.id, (c.parent_id, c.name));
        }
        let mut contracts_by_ref: HashMap<String, Vec<ContractId>> = HashMap::new();
        for (id, reference) in contracts::table
            .filter(contracts::contractor_id.eq(contractor))
            .select((contracts::id, contracts::reference))
            .load::<(ContractId, String)>(conn)?
        {
            contracts_by_ref
                .entry(fold(&reference))
                .or_default()
                .push(id);
        }
        let items: HashSet<(ContractId, ComponentId)> = contract_items::table
            .inner_join(contracts::table)
            .filter(contracts::contractor_id.eq(contractor))
            .select((contract_items::contract_id, contract_items::component_id))
            .load::<(ContractId, ComponentId)>(conn)?
            .into_iter()
            .collect();
        let mut links: HashMap<(ComponentId, FactoryId), Vec<SourcingLinkRow>> = HashMap::new();
        for l in sourcing_links::table
            .inner_join(components::table)
            .filter(components::owner_id.eq(contractor))
            .order(sourcing_links::id.asc())
            .select(SourcingLinkRow::as_select())
            .load::<SourcingLinkRow>(conn)?
        {
            links
                .entry((l.component_id, l.factory_id))
                .or_default()
                .push(l);
        }
        Ok(State {
            contractor,
            date: request.date,
            now,
            confirm: request.confirm.clone(),
            children,
            components: comps,
            contracts: contracts_by_ref,
            items,
            links,
            kept: HashSet::new(),
            in_file: HashMap::new(),
            reroute: BTreeSet::new(),
            new_roots: BTreeSet::new(),
            matcher: Matcher::default(),
            details: Details::default(),
        })
    }

    fn row(
        &mut self,
        conn: &mut DbConnection,
        layout: &Layout,
        record: &Record,
    ) -> Result<RowReport, Error> {
        let line = record.line;
        let p = match parse(layout, &record.cells) {
            Ok(p) => p,
            Err(errors) => {
                let mut r = error_row(line, errors);
                r.product_model = cell(layout, &record.cells, Col::ProductModel).to_string();
                r.component_path = cell(layout, &record.cells, Col::ComponentPath).to_string();
                r.factory_name = cell(layout, &record.cells, Col::FactoryName).to_string();
                return Ok(r);
            }
        };
        let path_text = p
            .path
            .iter()
            .map(Name::as_str)
            .collect::<Vec<_>>()
            .join(" > ");
        let mut report = error_row(line, Vec::new());
        report.product_model = p.product_model.to_string();
        report.component_path = path_text;
        report.factory_name = p.factory.name.to_string();

        // Checks that need no writes come first, so that a row with errors changes nothing.
        let mut contracts = Vec::new();
        for r in &p.references {
            match self.contracts.get(&fold(r.as_str())).map(Vec::as_slice) {
                Some([one]) => contracts.push((r.as_str().to_string(), *one)),
                Some(_) => report.errors.push(CellError {
                    column: Some(Col::ContractReferences.key().into()),
                    message: format!("{:?} is the reference of several of your contracts (with different buyers); add the product model to the right one in the contract's page", r.as_str()),
                }),
                None => report.errors.push(CellError {
                    column: Some(Col::ContractReferences.key().into()),
                    message: format!("none of your contracts has the reference {:?}", r.as_str()),
                }),
            }
        }
        let mut along = vec![fold(p.product_model.as_str())];
        for level in &p.path {
            let f = fold(level.as_str());
            if along.contains(&f) {
                report.errors.push(CellError {
                    column: Some(Col::ComponentPath.key().into()),
                    message: format!(
                        "the path names {:?} twice: a component cannot be part of itself",
                        level.as_str()
                    ),
                });
                break;
            }
            along.push(f);
        }
        let confirmed = self.confirm.get(&line).copied();
        if let Some(id) = confirmed {
            if !factories::service::exists(conn, id)? {
                report.errors.push(CellError {
                    column: None,
                    message: format!("the confirmed factory {id} does not exist"),
                });
            }
        }
        if !report.errors.is_empty() {
            return Ok(report);
        }

        // The component, creating the levels that are new.
        let mut component = self.component(conn, None, &p.product_model, &mut report)?;
        let root = component;
        for level in &p.path {
            component = self.component(conn, Some(component), level, &mut report)?;
        }

        // The factory.
        let f = &p.factory;
        let exact = self.matcher.exact(
            conn,
            f.os_id.as_ref().map(ShortText::as_str),
            f.name.as_str(),
            f.address.as_str(),
            f.country.as_str(),
        )?;
        let factory = match (confirmed, exact) {
            (Some(id), _) => {
                report.factory = FactoryOutcome::Confirmed;
                id
            }
            (None, Some((id, by))) => {
                report.factory = match by {
                    MatchedBy::OsId => FactoryOutcome::OsId,
                    MatchedBy::NameAddressCountry => FactoryOutcome::NameAddressCountry,
                    MatchedBy::Confirmed => FactoryOutcome::Confirmed,
                };
                id
            }
            (None, None) => {
                report.candidates = self.matcher.near(
                    conn,
                    f.name.as_str(),
                    f.address.as_str(),
                    f.country.as_str(),
                )?;
                let registrant = Caller {
                    organization_id: self.contractor,
                    kind: OrgKind::Contractor,
                    token_id: None,
                    user: None,
                };
                let created =
                    factories::service::create(conn, &registrant, p.factory.clone(), self.now)?;
                self.matcher.registered(
                    created.id,
                    created.os_id.as_deref(),
                    &created.name,
                    &created.address,
                    &created.country,
                );
                self.details.factories_created += 1;
                report.factory = FactoryOutcome::New;
                created.id
            }
        };
        report.factory_id = Some(factory);

        // The link.
        let key = (component, factory);
        let (tier, from, to) = (p.tier.0, p.valid_from, p.valid_to);
        if let Some(prev) = self.in_file.get(&key) {
            if (prev.tier, prev.valid_from, prev.valid_to) == (tier, from, to) {
                report.outcome = RowOutcome::Unchanged;
            } else {
                report.errors.push(CellError {
                    column: None,
                    message: format!(
                        "row {} already gives this component at this factory with other tier or dates",
                        prev.line
                    ),
                });
                return Ok(report);
            }
        } else {
            self.in_file.insert(
                key,
                InFile {
                    line,
                    tier,
                    valid_from: from,
                    valid_to: to,
                },
            );
            report.outcome = self.link(conn, key, tier, from, to, &mut report.change)?;
        }

        // The contracts that deliver the product model.
        for (reference, contract) in contracts {
            if self.items.insert((contract, root)) {
                diesel::insert_into(contract_items::table)
                    .values(&ContractItemRow {
                        id: crate::values::ContractItemId::new(),
                        contract_id: contract,
                        component_id: root,
                        created_at: self.now,
                    })
                    .execute(conn)?;
                self.details.contract_items_created += 1;
                self.new_roots.insert(root);
                report.new_contract_items.push(reference);
            }
        }
        Ok(report)
    }

    /// The child of `parent` named `name`, created when there is none.
    fn component(
        &mut self,
        conn: &mut DbConnection,
        parent: Option<ComponentId>,
        name: &Name,
        report: &mut RowReport,
    ) -> Result<ComponentId, Error> {
        let key = (parent, fold(name.as_str()));
        if let Some(id) = self.children.get(&key) {
            return Ok(*id);
        }
        let row = ComponentRow {
            id: ComponentId::new(),
            name: name.as_str().to_string(),
            parent_id: parent,
            owner_id: self.contractor,
            created_at: self.now,
            updated_at: self.now,
        };
        diesel::insert_into(components::table)
            .values(&row)
            .execute(conn)?;
        self.children.insert(key, row.id);
        self.components.insert(row.id, (parent, row.name));
        self.details.components_created += 1;
        report.new_component = true;
        Ok(row.id)
    }

    /// Keeps, changes or creates the link the row gives.
    fn link(
        &mut self,
        conn: &mut DbConnection,
        key: (ComponentId, FactoryId),
        tier: i32,
        from: NaiveDate,
        to: Option<NaiveDate>,
        change: &mut Option<String>,
    ) -> Result<RowOutcome, Error> {
        let date = self.date;
        let existing = self.links.entry(key).or_default();
        if let Some(same) = existing.iter().find(|l| {
            !self.kept.contains(&l.id) && (l.tier, l.valid_from, l.valid_to) == (tier, from, to)
        }) {
            self.kept.insert(same.id);
            return Ok(RowOutcome::Unchanged);
        }
        if let Some(open) = existing
            .iter_mut()
            .find(|l| !self.kept.contains(&l.id) && l.valid_to.is_none_or(|t| t > date))
        {
            let mut what = Vec::new();
            if open.tier != tier {
                what.push(format!("tier {} -> {tier}", open.tier));
            }
            if open.valid_from != from {
                what.push(format!("valid from {} -> {from}", open.valid_from));
            }
            if open.valid_to != to {
                let show = |d: Option<NaiveDate>| d.map_or("open".to_string(), |d| d.to_string());
                what.push(format!("valid to {} -> {}", show(open.valid_to), show(to)));
            }
            diesel::update(sourcing_links::table.filter(sourcing_links::id.eq(open.id)))
                .set((
                    sourcing_links::tier.eq(tier),
                    sourcing_links::valid_from.eq(from),
                    sourcing_links::valid_to.eq(to),
                ))
                .execute(conn)?;
            open.tier = tier;
            open.valid_from = from;
            open.valid_to = to;
            self.kept.insert(open.id);
            // New dates may cover a finding observed meanwhile.
            self.reroute.insert(key.1);
            *change = Some(what.join(", "));
            return Ok(RowOutcome::Changed);
        }
        let row = SourcingLinkRow {
            id: SourcingLinkId::new(),
            component_id: key.0,
            factory_id: key.1,
            tier,
            valid_from: from,
            valid_to: to,
            disclosed_by: self.contractor,
            created_at: self.now,
        };
        diesel::insert_into(sourcing_links::table)
            .values(&row)
            .execute(conn)?;
        self.kept.insert(row.id);
        self.reroute.insert(key.1);
        existing.push(row);
        Ok(RowOutcome::Created)
    }

    /// Ends, on the import's date, every open link of the contractor the list did not hold.
    fn end_missing(&mut self, conn: &mut DbConnection, report: &mut Report) -> Result<(), Error> {
        let date = self.date;
        let mut ended = Vec::new();
        for links in self.links.values() {
            for l in links {
                if !self.kept.contains(&l.id) && l.valid_to.is_none_or(|t| t > date) {
                    ended.push(l.clone());
                }
            }
        }
        ended.sort_by_key(|l| l.id);
        let names: HashMap<FactoryId, String> = ended
            .iter()
            .map(|l| l.factory_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .chunks(500)
            .map(|ids| {
                factories_t::table
                    .filter(factories_t::id.eq_any(ids))
                    .select((factories_t::id, factories_t::name))
                    .load::<(FactoryId, String)>(conn)
            })
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        for l in ended {
            // A link that only starts after the import's date ends on its first day.
            let end = date.max(l.valid_from);
            diesel::update(sourcing_links::table.filter(sourcing_links::id.eq(l.id)))
                .set(sourcing_links::valid_to.eq(Some(end)))
                .execute(conn)?;
            report.ended += 1;
            if report.ended_links.len() < MAX_LISTED {
                let (product_model, component_path) = self.path_of(l.component_id);
                report.ended_links.push(EndedLink {
                    product_model,
                    component_path,
                    factory_id: l.factory_id,
                    factory_name: names.get(&l.factory_id).cloned().unwrap_or_default(),
                    tier: l.tier,
                    valid_from: l.valid_from,
                    valid_to: end,
                });
            }
        }
        Ok(())
    }

    /// The product model and the path below it of a component.
    fn path_of(&self, component: ComponentId) -> (String, String) {
        let mut names = Vec::new();
        let mut current = Some(component);
        while let Some(id) = current {
            match self.components.get(&id) {
                Some((parent, name)) if names.len() < 64 => {
                    names.push(name.clone());
                    current = *parent;
                }
                _ => break,
            }
        }
        names.reverse();
        let model = if names.is_empty() {
            String::new()
        } else {
            names.remove(0)
        };
        (model, names.join(" > "))
    }

    /// Routes findings at the factories the import newly ties to the contractor's contracts,
    /// once for the whole import.
    fn reroute(
        &mut self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
        policy: &Policy,
    ) -> Result<(), Error> {
        for root in std::mem::take(&mut self.new_roots) {
            self.reroute
                .extend(crate::components::service::factories_below(conn, root)?);
        }
        let all: Vec<FactoryId> = std::mem::take(&mut self.reroute).into_iter().collect();
        for chunk in all.chunks(500) {
            routing::reroute_factories(conn, chunk, now, policy)?;
        }
        Ok(())
    }
}
