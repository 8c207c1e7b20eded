//! Cases: one finding × one responsible contractor. A case moves through the lifecycle
//! (`lifecycle`), keeps deadlines (`deadlines`, set from the `policy`; `crate::escalation`
//! sweeps them), and records every change as an event in its hash-chained history (`events`).

pub mod access;
pub mod core;
pub mod deadlines;
pub mod events;
pub mod http;
pub mod kinds;
pub mod lifecycle;
pub mod pages;
pub mod policy;
pub mod query;
pub mod service;
pub mod store;
pub mod visibility;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use self::core::{CaseCore, Step};
pub use kinds::{DeadlineKind, EventKind};
pub use lifecycle::{Action, CaseState, Party};

use crate::findings::{Category, Evidence, FindingSummary, Severity};
use crate::schema::cases;
use crate::values::{
    text_enum, CaseId, ContractId, EventId, FactoryId, FindingId, LongText, Name, OrganizationId,
};

text_enum!(
    /// Corrective actions fix the finding; preventive ones stop it from recurring.
    ActionKind { Corrective => "corrective", Preventive => "preventive" }
);

/// One action of a remediation plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanAction {
    pub description: LongText,
    pub kind: ActionKind,
    /// Who is responsible (a role or name at the contractor or factory).
    pub owner: Name,
    #[serde(deserialize_with = "crate::values::dates::date")]
    pub due_on: NaiveDate,
}

/// A corrective action plan, as in RBA audits. A plan without actions must say why no action
/// is taken.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub root_cause: LongText,
    #[schema(max_items = 100)]
    pub actions: Vec<PlanAction>,
    /// Required when `actions` is empty.
    pub no_action_justification: Option<LongText>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub action: Action,
    pub note: Option<LongText>,
    /// Required for `submit_plan`.
    pub plan: Option<Plan>,
    /// Required for `reject_plan`, `dispute` and `close`.
    pub reason: Option<LongText>,
    /// For `report_remediated`: references to the evidence that it is done.
    #[schema(max_items = 50)]
    pub evidence: Option<Vec<Evidence>>,
    /// For `submit_plan` and `report_remediated`: files of this case (`POST
    /// /cases/{id}/files`) that are its evidence; the event records their hashes.
    #[schema(max_items = 50)]
    pub files: Option<Vec<crate::values::AttachmentId>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    pub text: LongText,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    pub deadline: DeadlineKind,
    /// The new deadline; later than the current one.
    #[serde(deserialize_with = "crate::values::dates::instant")]
    pub until: DateTime<Utc>,
    pub reason: LongText,
}

/// The answer to a contractor's extension request: `refuse` it with a reason (granting is a
/// `POST /cases/{id}/extensions` by the buyer or monitor).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRefusal {
    pub reason: LongText,
}

/// A contractor's request to move a deadline, waiting for the buyer's or monitor's answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PendingExtension {
    /// The `extension_requested` event that asked.
    pub event_id: EventId,
    pub deadline: DeadlineKind,
    pub until: DateTime<Utc>,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseDeadlines {
    pub acknowledge: DateTime<Utc>,
    pub plan: DateTime<Utc>,
    pub remediation: DateTime<Utc>,
}

/// A case as a party sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Case {
    pub id: CaseId,
    pub finding_id: FindingId,
    pub contractor_id: OrganizationId,
    /// The contractor's name.
    pub contractor_name: String,
    /// The affected contracts (a buyer sees only its own).
    pub contract_ids: Vec<ContractId>,
    pub factory_id: FactoryId,
    pub state: CaseState,
    pub severity: Severity,
    pub category: Category,
    /// 0 to 3: raised by one at each missed deadline.
    pub escalation_level: i32,
    /// Level 2 or more: shown as overdue in the buyer's contract status.
    pub overdue: bool,
    /// Level 3: the contractor has not cooperated; the trigger for contractual remedies.
    pub non_cooperation: bool,
    pub opened_at: DateTime<Utc>,
    pub deadlines: CaseDeadlines,
    /// The deadline the contractor works against now; null while the case waits on the
    /// monitor or is done.
    pub next_due_at: Option<DateTime<Utc>>,
    pub plan: Option<Plan>,
    /// When the contractor acknowledged, had its plan accepted, reported remediation.
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub plan_accepted_at: Option<DateTime<Utc>>,
    pub remediated_at: Option<DateTime<Utc>>,
    /// The contractor's extension request waiting for an answer, if any.
    pub extension_request: Option<PendingExtension>,
    pub finding: FindingSummary,
    /// Your relation to this case.
    pub your_party: Party,
    /// The actions you may take now.
    pub allowed_actions: Vec<Action>,
    /// Also sent as the `ETag` header; send it back in `If-Match` to detect concurrent edits.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: CaseId,
    pub finding_id: FindingId,
    pub contractor_id: OrganizationId,
    pub monitor_id: OrganizationId,
    pub factory_id: FactoryId,
    pub category: Category,
    pub severity: Severity,
    pub state: CaseState,
    pub resume_state: Option<CaseState>,
    pub escalation_level: i32,
    pub overdue: bool,
    pub opened_at: NaiveDateTime,
    pub acknowledge_due_at: NaiveDateTime,
    pub plan_due_at: NaiveDateTime,
    pub remediation_due_at: NaiveDateTime,
    pub next_due_at: Option<NaiveDateTime>,
    pub due_order: NaiveDateTime,
    pub plan: Option<String>,
    pub version: i32,
    pub event_count: i32,
    pub last_event_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The deadline policy the deadlines came from.
    pub policy_version: String,
    /// Set while the contractor's clock stands still (the case waits on the monitor).
    pub paused_at: Option<NaiveDateTime>,
    pub paused_seconds: i64,
    pub acknowledge_extended_to: Option<NaiveDateTime>,
    pub plan_extended_to: Option<NaiveDateTime>,
    pub remediation_extended_to: Option<NaiveDateTime>,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub plan_submitted_at: Option<NaiveDateTime>,
    pub plan_accepted_at: Option<NaiveDateTime>,
    pub remediated_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    /// The deadline instant the last reminder answered (a moved deadline re-arms it).
    pub acknowledge_reminded_for: Option<NaiveDateTime>,
    pub plan_reminded_for: Option<NaiveDateTime>,
    pub remediation_reminded_for: Option<NaiveDateTime>,
    /// The deadline instant whose miss raised the level.
    pub acknowledge_escalated_for: Option<NaiveDateTime>,
    pub plan_escalated_for: Option<NaiveDateTime>,
    pub remediation_escalated_for: Option<NaiveDateTime>,
    /// When the next reminder or escalation is due; null when none is.
    pub next_action_at: Option<NaiveDateTime>,
    /// The highest level the case ever reached (an extension may lower the current one).
    pub max_escalation_level: i32,
    /// The contractor's pending extension request (`PendingExtension` as JSON).
    pub extension_request: Option<String>,
}

/// Who a new case is between: the finding it answers, the contractor who must act, the
/// monitor who filed it, and the factory.
#[derive(Debug, Clone)]
pub struct Parties {
    pub finding_id: FindingId,
    pub contractor_id: OrganizationId,
    pub monitor_id: OrganizationId,
    pub factory_id: FactoryId,
}

impl CaseRow {
    /// The part of the case its events change (see `core::apply`).
    pub fn core(&self) -> CaseCore {
        CaseCore {
            state: self.state,
            resume: self.resume_state,
            opened_at: self.opened_at,
            acknowledged_at: self.acknowledged_at,
            plan_submitted_at: self.plan_submitted_at,
            plan_accepted_at: self.plan_accepted_at,
            remediated_at: self.remediated_at,
            closed_at: self.closed_at,
            paused_at: self.paused_at,
            paused_seconds: self.paused_seconds,
            acknowledge_due_at: self.acknowledge_due_at,
            plan_due_at: self.plan_due_at,
            remediation_due_at: self.remediation_due_at,
        }
    }

    /// Applies `step` to the case (`core::apply`); an impossible step is refused and the
    /// case left as it was.
    pub fn apply(&mut self, step: &Step) -> Result<(), String> {
        let c = self::core::apply(Some(self.core()), step)?;
        self.state = c.state;
        self.resume_state = c.resume;
        self.opened_at = c.opened_at;
        self.acknowledged_at = c.acknowledged_at;
        self.plan_submitted_at = c.plan_submitted_at;
        self.plan_accepted_at = c.plan_accepted_at;
        self.remediated_at = c.remediated_at;
        self.closed_at = c.closed_at;
        self.paused_at = c.paused_at;
        self.paused_seconds = c.paused_seconds;
        self.acknowledge_due_at = c.acknowledge_due_at;
        self.plan_due_at = c.plan_due_at;
        self.remediation_due_at = c.remediation_due_at;
        Ok(())
    }
}

/// The `ETag` of a case version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}
