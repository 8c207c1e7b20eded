//! The case pages: a contractor's inbox (everyone else's list of cases), one case with its
//! finding, deadlines, timeline and the forms for what the viewer may do now, and the case's
//! hash chain. Every read and change goes through the same `query` and `service` functions
//! as the API (`cases/http.rs`), so a page shows and refuses exactly what the API does.

mod forms;
mod inbox;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::events::Event;
use super::query;
use super::{access, service, Action, Case, CaseState, Party};
use super::{CommentRequest, ExtensionRefusal, ExtensionRequest, TransitionRequest};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::files::service::Owner;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::pagination::{Cursor, PageRequest};
use crate::values::CaseId;
use crate::web::viewer::{field_errors, typed};
use crate::web::{see_other, FormData, Page, Viewer};
use forms::PlanRow;

/// Everything the case page shows, read as the API reads it for this caller.
struct Shown {
    case: Case,
    events: Vec<Event>,
    factory: Option<crate::factories::Factory>,
    contracts: Vec<Value>,
    /// The finding's confidential notes: only when the findings service shows the finding
    /// itself to this caller (its monitor, admins).
    notes: Option<String>,
    /// The case's files this caller reads, and the finding's (not confidential unless the
    /// caller is its monitor or the operator).
    files: Vec<crate::files::AttachedFile>,
    finding_files: Vec<crate::files::AttachedFile>,
}

fn all_events(conn: &mut DbConnection, caller: &Caller, id: CaseId) -> Result<Vec<Event>, Error> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = query::events(
            conn,
            caller,
            id,
            &PageRequest {
                limit: PageRequest::MAX_LIMIT,
                after,
            },
        )?;
        out.extend(page.items);
        match page.next_cursor.as_deref().and_then(Cursor::decode) {
            Some(c) => after = Some(c),
            None => return Ok(out),
        }
    }
}

async fn read_case(state: &AppState, viewer: &Viewer, id: CaseId) -> Result<Shown, Error> {
    let caller = viewer.caller;
    state
        .db
        .read(move |c| {
            let case = query::get(c, &caller, id)?;
            let events = all_events(c, &caller, id)?;
            let factory = crate::factories::service::get(c, &caller, case.factory_id).ok();
            let contracts = case
                .contract_ids
                .iter()
                .map(|k| match crate::contracts::service::get(c, &caller, *k) {
                    Ok(contract) => json!({
                        "id": k, "reference": contract.reference, "title": contract.title,
                    }),
                    // A monitor sees which contracts a case touches, not the contracts.
                    Err(_) => json!({ "id": k }),
                })
                .collect();
            let notes = match case.your_party {
                Party::Monitor | Party::Admin => {
                    crate::findings::service::get(c, &caller, case.finding_id)
                        .ok()
                        .and_then(|f| f.confidential_notes)
                }
                Party::Contractor | Party::Buyer => None,
            };
            let files = crate::files::service::list(c, &caller, Owner::Case(id))?;
            let finding_files =
                crate::files::service::list(c, &caller, Owner::Finding(case.finding_id))
                    .unwrap_or_default();
            Ok(Shown {
                case,
                events,
                factory,
                contracts,
                notes,
                files,
                finding_files,
            })
        })
        .await
}

/// Who an event names: the person, and their side of the case as far as this viewer may know.
fn actor_of(e: &Event, case: &Case, viewer: &Viewer) -> Value {
    let side = match e.actor_organization_id {
        // Only a buyer's own steps are withheld from another buyer, the actor with them.
        None if e.redacted
            && matches!(
                e.kind.as_str(),
                "comment" | "extension_granted" | "extension_refused"
            ) =>
        {
            "withheld"
        }
        None => "service",
        Some(o) if o == viewer.caller.organization_id => "you",
        Some(o) if o == case.contractor_id => "contractor",
        Some(_) => match e.kind.as_str() {
            "opened" | "plan_accepted" | "plan_rejected" | "verified" | "closed" | "reopened" => {
                "monitor"
            }
            _ => "other",
        },
    };
    json!({
        "side": side,
        "person": e.actor_name,
        "organization": (side == "contractor").then(|| case.contractor_name.clone())
            .or_else(|| (side == "you").then(|| viewer.organization.clone())),
    })
}

/// What the viewer may do now, from the same rules the API applies.
fn may(case: &Case) -> Value {
    let mut actions = Map::new();
    for a in &case.allowed_actions {
        actions.insert(a.as_str().to_string(), json!(true));
    }
    let party = case.your_party;
    let pending = case.extension_request.is_some();
    let extend = access::may_extend(party).is_ok() && case.state != CaseState::Closed;
    actions.insert("comment".into(), json!(access::may_comment(party).is_ok()));
    // The contractor asks (one request at a time); the buyer or monitor grants.
    actions.insert(
        "ask_extension".into(),
        json!(extend && party == Party::Contractor && !pending),
    );
    actions.insert(
        "grant_extension".into(),
        json!(extend && party != Party::Contractor),
    );
    actions.insert(
        "refuse_extension".into(),
        json!(access::may_refuse_extension(party).is_ok() && pending),
    );
    Value::Object(actions)
}

/// A form refused: what to show again in it.
#[derive(Default)]
struct Refusal {
    form: String,
    values: Map<String, Value>,
    errors: Map<String, Value>,
    rows: Vec<PlanRow>,
}

fn render_case(
    viewer: &Viewer,
    shown: Shown,
    refusal: Refusal,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, Error> {
    let Shown {
        case,
        events,
        factory,
        contracts,
        notes,
        files,
        finding_files,
    } = shown;
    let timeline: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut v = json!(e);
            v["actor"] = actor_of(e, &case, viewer);
            v
        })
        .collect();
    let comments: Vec<&Value> = timeline.iter().filter(|e| e["kind"] == "comment").collect();
    let rows = if refusal.form == "submit_plan" {
        refusal.rows
    } else {
        forms::padded(Vec::new(), forms::BLANK_ROWS)
    };
    Page::new(
        "cases/case.html",
        json!({
            "case": case, "may": may(&case), "factory": factory, "contracts": contracts,
            "notes": notes, "events": timeline, "comments": comments,
            "files": files, "finding_files": finding_files,
            "form": refusal.form, "values": refusal.values, "errors": refusal.errors,
            "rows": rows, "done": notice, "stale": status == StatusCode::CONFLICT, "deadline_kinds": ["acknowledge", "plan", "remediation"],
        }),
    )
    .status(status)
    .render(viewer)
}

/// `GET /cases/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<CaseId>,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let shown = read_case(&state, &viewer, id.into_inner()).await?;
    // Only an action's own name is echoed back as the notice, never the query's text.
    let done = q
        .raw("done")
        .and_then(|d| FORMS.iter().chain(&["file"]).find(|f| **f == d).copied());
    render_case(&viewer, shown, Refusal::default(), done, StatusCode::OK)
}

/// The forms of the case page, by the last segment of their URL.
const FORMS: &[&str] = &[
    "acknowledge",
    "dispute",
    "submit_plan",
    "accept_plan",
    "reject_plan",
    "report_remediated",
    "verify",
    "close",
    "reopen",
    "comment",
    "extend",
    "refuse_extension",
];

/// The inputs each form has, to put a refusal's messages beside them.
fn inputs_of(form: &str) -> &'static [&'static str] {
    match form {
        "submit_plan" => &["root_cause", "actions", "no_action_justification", "note"],
        "report_remediated" => &["evidence", "note"],
        "comment" => &["text"],
        "extend" => &["deadline", "until", "reason"],
        "refuse_extension" | "dispute" | "reject_plan" | "close" => &["reason", "note"],
        _ => &["note"],
    }
}

/// Sends one form's request through the service the API uses. `Ok(None)` is a plan table to
/// show again with a row more or less (no script), not a submission.
async fn send(
    state: &AppState,
    viewer: &Viewer,
    id: CaseId,
    name: &str,
    form: &FormData,
    rows: &mut Vec<PlanRow>,
) -> Result<Option<()>, Error> {
    // The version the page showed: a case changed since is refused, not overwritten.
    let expected = form
        .get("version")
        .and_then(|v| v.trim().parse::<i32>().ok());
    let caller = viewer.caller;
    let now = viewer.now;
    let policy = state.policy.clone();
    match name {
        "comment" => {
            let body: CommentRequest =
                typed(json!({ "text": form.get("text").unwrap_or_default() }))?;
            state
                .db
                .write(move |c| service::comment(c, &caller, id, body, now))
                .await?;
        }
        "extend" => {
            let body: ExtensionRequest = typed(json!({
                "deadline": form.get("deadline").unwrap_or_default(),
                "until": forms::instant_in(form.get("until").unwrap_or_default(), viewer.tz),
                "reason": form.get("reason").unwrap_or_default(),
            }))?;
            state
                .db
                .write(move |c| service::extend(c, &caller, id, body, expected, now, &policy))
                .await?;
        }
        "refuse_extension" => {
            let body: ExtensionRefusal =
                typed(json!({ "reason": form.get("reason").unwrap_or_default() }))?;
            state
                .db
                .write(move |c| service::refuse_extension(c, &caller, id, body, expected, now))
                .await?;
        }
        action => {
            if action == "submit_plan" {
                if form.get("add_row").is_some() {
                    rows.push(PlanRow {
                        kind: "corrective".into(),
                        ..PlanRow::default()
                    });
                    return Ok(None);
                }
                if let Some(raw) = form.get("remove_row") {
                    if let Some(i) = raw.parse::<usize>().ok().filter(|i| *i < rows.len()) {
                        rows.remove(i);
                    }
                    return Ok(None);
                }
                *rows = forms::filled(std::mem::take(rows));
            }
            let action: Action = action.parse().map_err(|_| Error::NotFound("form"))?;
            let body: TransitionRequest =
                typed(forms::transition_json(action.as_str(), form, rows))?;
            state
                .db
                .write(move |c| service::transition(c, &caller, id, body, expected, now, &policy))
                .await?;
        }
    }
    Ok(Some(()))
}

/// `POST /cases/{id}/actions/{form}`: one of the case page's forms. Success goes back to the
/// case (303); a refusal shows the page again with the messages by the fields and the input
/// kept (422), or the case as it is now when it changed under the viewer (409).
pub async fn act(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(CaseId, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let (id, name) = path.into_inner();
    let name = FORMS
        .iter()
        .find(|f| **f == name)
        .copied()
        .ok_or(Error::NotFound("form"))?;
    let form = viewer.form(&req, &body)?;
    let mut rows = forms::plan_rows(&form);
    let outcome = send(&state, &viewer, id, name, &form, &mut rows).await;
    let (errors, status) = match outcome {
        Ok(Some(())) => return Ok(see_other(&format!("/cases/{id}?done={name}"))),
        Ok(None) => (Map::new(), StatusCode::OK),
        Err(e) => {
            let status = match &e {
                Error::Conflict { .. } | Error::PreconditionFailed(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            match field_errors(&e) {
                Some(errors) => (errors, status),
                None => return Err(e),
            }
        }
    };
    let errors = forms::place_errors(errors, &mut rows, inputs_of(name));
    let rows = forms::padded(rows, 1);
    let shown = read_case(&state, &viewer, id).await?;
    let mut values = form.values();
    // The page shows the case as it is now; a resend must name the version it shows.
    values.remove("version");
    let refusal = Refusal {
        form: name.to_string(),
        values,
        errors,
        rows,
    };
    render_case(&viewer, shown, refusal, None, status)
}

/// `GET /cases/{id}/audit`: the case's hash chain as the viewer may read it, and whether the
/// whole chain verifies (the check `verify-audit` makes, on this case).
pub async fn audit(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<CaseId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let caller = viewer.caller;
    let (case, events, report) = state
        .db
        .read(move |c| {
            let case = query::get(c, &caller, id)?;
            let events = all_events(c, &caller, id)?;
            let report = super::events::verify_case(c, id)?;
            Ok((case, events, report))
        })
        .await?;
    Page::new(
        "cases/audit.html",
        json!({
            "case": case, "events": events,
            // Not how many events were checked: a buyer is not told of those hidden from it.
            "verified": report.broken.is_none(),
            // The break is described for the operator; others learn only that there is one.
            "broken": report.broken.filter(|_| viewer.caller.is_admin()),
        }),
    )
    .render(&viewer)
}

/// `POST /cases/{id}/files` (multipart: `csrf_token`, `file`, `label`): a file for the case,
/// through the same checks as the API's upload. Success goes back to the case (303); a
/// refusal shows the page again with the reason by the upload field.
pub async fn upload_file(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<CaseId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let owner = Owner::Case(id);
    let Some(e) = crate::files::intake::from_page(&state, &viewer, owner, &req, payload).await?
    else {
        return Ok(see_other(&format!("/cases/{id}?done=file")));
    };
    let status = actix_web::ResponseError::status_code(&e);
    let mut errors = Map::new();
    errors.insert("file".into(), json!(e.problem().detail));
    let shown = read_case(&state, &viewer, id).await?;
    let refusal = Refusal {
        form: "file".into(),
        errors,
        ..Default::default()
    };
    render_case(&viewer, shown, refusal, None, status)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/cases/{id}/files").post(upload_file));
    cfg.service(undocumented("/cases").get(inbox::list));
    cfg.service(undocumented("/cases/{id}").get(show));
    cfg.service(undocumented("/cases/{id}/audit").get(audit));
    cfg.service(undocumented("/cases/{id}/actions/{form}").post(act));
}
