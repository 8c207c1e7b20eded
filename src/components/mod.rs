//! Components: product models and their main components, forming a bill of materials of any
//! depth (each component has at most one parent), and the sourcing links that say at which
//! factory a component is made.

pub mod http;
pub mod pages;
pub mod service;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::utc;
use crate::error::Error;
use crate::schema::{components, sourcing_links};
use crate::values::{
    double_option, ComponentId, FactoryId, Name, OrganizationId, SourcingLinkId, Tier,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComponent {
    pub name: Name,
    /// The component this one is part of (same owner).
    pub parent_id: Option<ComponentId>,
    /// Admins only: the contractor that owns the component (default: the caller).
    pub owner_id: Option<OrganizationId>,
}

/// Changes to a component. `parent_id: null` detaches it from its parent; a parent that would
/// make the component part of itself is refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentPatch {
    pub name: Option<Name>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid, nullable)]
    pub parent_id: Option<Option<ComponentId>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Component {
    pub id: ComponentId,
    pub name: String,
    pub parent_id: Option<ComponentId>,
    pub owner_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = components)]
pub struct ComponentRow {
    pub id: ComponentId,
    pub name: String,
    pub parent_id: Option<ComponentId>,
    pub owner_id: OrganizationId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ComponentRow {
    pub fn view(self) -> Result<Component, Error> {
        Ok(Component {
            id: self.id,
            name: self.name,
            parent_id: self.parent_id,
            owner_id: self.owner_id,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSourcingLink {
    pub factory_id: FactoryId,
    pub tier: Tier,
    #[serde(deserialize_with = "crate::values::dates::date")]
    pub valid_from: NaiveDate,
    /// Open-ended when absent; otherwise on or after `valid_from`.
    #[serde(default, deserialize_with = "crate::values::dates::opt_date")]
    pub valid_to: Option<NaiveDate>,
}

/// Ends a sourcing link: the last day the component was made at the factory.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndSourcingLink {
    /// On or after the link's `valid_from`.
    #[serde(deserialize_with = "crate::values::dates::date")]
    pub valid_to: NaiveDate,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourcingLink {
    pub id: SourcingLinkId,
    pub component_id: ComponentId,
    pub factory_id: FactoryId,
    pub tier: i32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sourcing_links)]
pub struct SourcingLinkRow {
    pub id: SourcingLinkId,
    pub component_id: ComponentId,
    pub factory_id: FactoryId,
    pub tier: i32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub disclosed_by: OrganizationId,
    pub created_at: NaiveDateTime,
}

impl SourcingLinkRow {
    pub fn view(self) -> Result<SourcingLink, Error> {
        Ok(SourcingLink {
            id: self.id,
            component_id: self.component_id,
            factory_id: self.factory_id,
            tier: self.tier,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            created_at: utc(self.created_at),
        })
    }
}
