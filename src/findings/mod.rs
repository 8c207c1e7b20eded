//! Findings: what a monitor observed at a factory. Filing one routes it to every responsible
//! contractor (see `routing`), opening one case each.

pub mod http;
pub mod pages;
pub mod routing;
pub mod service;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::utc;
use crate::error::Error;
use crate::schema::findings;
use crate::values::{
    text_enum, CaseId, ComponentId, ContractId, FactoryId, FindingId, LongText, Name,
    OrganizationId, ShortText,
};

text_enum!(
    /// ILO fundamental principles plus the Electronics Watch code's additions.
    Category {
        FreedomOfAssociation => "freedom_of_association",
        ForcedLabour => "forced_labour",
        ChildLabour => "child_labour",
        Discrimination => "discrimination",
        HealthAndSafety => "health_and_safety",
        FairRecruitment => "fair_recruitment",
        ViolenceAndHarassment => "violence_and_harassment",
        Wages => "wages",
        WorkingHours => "working_hours",
        EnvironmentAndChemicals => "environment_and_chemicals",
        GrievanceMechanism => "grievance_mechanism",
        Retaliation => "retaliation",
        Other => "other",
    }
);

text_enum!(
    /// Critical is the RBA's "priority": forced or child labour, imminent danger.
    Severity { Critical => "critical", Major => "major", Minor => "minor" }
);

/// A URL (http or https), at most 2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EvidenceUrl(String);

impl TryFrom<String> for EvidenceUrl {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let s = raw.trim();
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"));
        match rest {
            Some(r)
                if !r.is_empty()
                    && s.chars().count() <= 2000
                    && !s.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                Ok(EvidenceUrl(s.to_string()))
            }
            _ => Err(format!(
                "{raw:?} is not an http(s) URL of at most 2000 characters"
            )),
        }
    }
}

impl From<EvidenceUrl> for String {
    fn from(v: EvidenceUrl) -> String {
        v.0
    }
}

impl utoipa::PartialSchema for EvidenceUrl {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(2000))
            // No white space or control character anywhere (as `try_from` checks).
            .pattern(Some("^https?://[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$"))
            .into()
    }
}
impl utoipa::ToSchema for EvidenceUrl {}

/// A SHA-256 digest as 64 hexadecimal digits (kept lower case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Hex(String);

impl TryFrom<String> for Sha256Hex {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let s = raw.trim().to_ascii_lowercase();
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Sha256Hex(s))
        } else {
            Err("must be a SHA-256 digest: 64 hexadecimal digits".into())
        }
    }
}

impl From<Sha256Hex> for String {
    fn from(v: Sha256Hex) -> String {
        v.0
    }
}

impl utoipa::PartialSchema for Sha256Hex {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9a-fA-F]{64}$"))
            .into()
    }
}
impl utoipa::ToSchema for Sha256Hex {}

/// A reference to evidence kept elsewhere (a report, photos, an audit), never the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub url: EvidenceUrl,
    pub sha256: Option<Sha256Hex>,
    pub label: Option<ShortText>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFinding {
    pub factory_id: FactoryId,
    /// Limit the finding to these components (and their parts) made at the factory.
    #[schema(max_items = 100)]
    pub component_ids: Option<Vec<ComponentId>>,
    pub category: Category,
    pub severity: Severity,
    pub title: Name,
    pub description: LongText,
    #[serde(deserialize_with = "crate::values::dates::date")]
    pub observed_on: NaiveDate,
    #[schema(max_items = 50)]
    pub evidence: Option<Vec<Evidence>>,
    /// Seen by the filing monitor only: worker identities and sources go here, nowhere else.
    pub confidential_notes: Option<LongText>,
    /// Workers at risk of retaliation: handle with extra care.
    pub worker_protection: Option<bool>,
}

/// A case opened by a finding, as its monitor sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingCase {
    pub id: CaseId,
    pub contractor_id: OrganizationId,
    pub contract_ids: Vec<ContractId>,
}

/// A finding, as its monitor sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    pub id: FindingId,
    pub monitor_id: OrganizationId,
    pub factory_id: FactoryId,
    pub component_ids: Vec<ComponentId>,
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub observed_on: NaiveDate,
    pub evidence: Vec<Evidence>,
    pub confidential_notes: Option<String>,
    pub worker_protection: bool,
    /// False while no contractor is responsible ("unrouted"); routed later when a disclosure
    /// makes the factory reachable.
    pub routed: bool,
    pub cases: Vec<FindingCase>,
    pub created_at: DateTime<Utc>,
}

/// What parties to a case (contractor, buyer) see of its finding: no confidential notes, no
/// other contractors.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingSummary {
    pub id: FindingId,
    pub factory_id: FactoryId,
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub observed_on: NaiveDate,
    pub evidence: Vec<Evidence>,
    pub worker_protection: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = findings)]
pub struct FindingRow {
    pub id: FindingId,
    pub monitor_id: OrganizationId,
    pub factory_id: FactoryId,
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub observed_on: NaiveDate,
    pub evidence: String,
    pub confidential_notes: Option<String>,
    pub worker_protection: bool,
    pub routed: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl FindingRow {
    pub fn summary(&self) -> Result<FindingSummary, Error> {
        Ok(FindingSummary {
            id: self.id,
            factory_id: self.factory_id,
            category: self.category,
            severity: self.severity,
            title: self.title.clone(),
            description: self.description.clone(),
            observed_on: self.observed_on,
            evidence: serde_json::from_str(&self.evidence)?,
            worker_protection: self.worker_protection,
        })
    }

    pub fn view(
        self,
        component_ids: Vec<ComponentId>,
        cases: Vec<FindingCase>,
    ) -> Result<Finding, Error> {
        let s = self.summary()?;
        Ok(Finding {
            id: s.id,
            monitor_id: self.monitor_id,
            factory_id: s.factory_id,
            component_ids,
            category: s.category,
            severity: s.severity,
            title: self.title,
            description: self.description,
            observed_on: self.observed_on,
            evidence: s.evidence,
            confidential_notes: self.confidential_notes,
            worker_protection: self.worker_protection,
            routed: self.routed,
            cases,
            created_at: utc(self.created_at),
        })
    }
}
