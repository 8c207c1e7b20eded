//! Contracts between a buyer and a contractor, and their items: the components they cover.

pub mod http;
pub mod service;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::utc;
use crate::error::Error;
use crate::schema::{contract_items, contracts};
use crate::values::{
    Amount, ComponentId, ContractId, ContractItemId, CurrencyCode, Money, Name, OrganizationId,
    ShortText,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContract {
    /// The buyer's reference, e.g. the lot of a framework agreement; unique per buyer.
    pub reference: ShortText,
    pub title: Name,
    /// A buyer registers contracts in its own name; admins name the buyer.
    pub buyer_id: OrganizationId,
    pub contractor_id: OrganizationId,
    #[serde(deserialize_with = "crate::values::dates::date")]
    pub starts_on: NaiveDate,
    /// On or after `starts_on`.
    #[serde(deserialize_with = "crate::values::dates::date")]
    pub ends_on: NaiveDate,
    pub value: Option<Money>,
    /// Open Contracting Data Standard id, e.g. `ocds-b5fd17-2026-0042`.
    pub ocds_id: Option<ShortText>,
    /// The framework agreement this contract is a call-off (or lot) of: another contract of
    /// the same buyer that is not itself a call-off.
    pub framework_id: Option<ContractId>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContractItem {
    /// A component of the contract's contractor.
    pub component_id: ComponentId,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractItem {
    pub id: ContractItemId,
    pub contract_id: ContractId,
    pub component_id: ComponentId,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contract {
    pub id: ContractId,
    pub reference: String,
    pub title: String,
    pub buyer_id: OrganizationId,
    pub contractor_id: OrganizationId,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub value: Option<Money>,
    pub ocds_id: Option<String>,
    /// The framework agreement this contract is a call-off of (given when it is registered, or
    /// set by the OCDS import from `relatedProcesses` with relationship `framework`).
    pub framework_id: Option<ContractId>,
    /// The components the contract covers.
    pub items: Vec<ContractItem>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contracts)]
pub struct ContractRow {
    pub id: ContractId,
    pub buyer_id: OrganizationId,
    pub contractor_id: OrganizationId,
    pub reference: String,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub value_amount: Option<String>,
    pub value_currency: Option<String>,
    pub ocds_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub framework_id: Option<ContractId>,
}

impl ContractRow {
    pub fn view(self, items: Vec<ContractItem>) -> Result<Contract, Error> {
        let value = match (self.value_amount, self.value_currency) {
            (Some(amount), Some(currency)) => Some(Money {
                amount: Amount::try_from(amount).map_err(Error::internal)?,
                currency: CurrencyCode::try_from(currency).map_err(Error::internal)?,
            }),
            _ => None,
        };
        Ok(Contract {
            id: self.id,
            reference: self.reference,
            title: self.title,
            buyer_id: self.buyer_id,
            contractor_id: self.contractor_id,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            value,
            ocds_id: self.ocds_id,
            framework_id: self.framework_id,
            items,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contract_items)]
pub struct ContractItemRow {
    pub id: ContractItemId,
    pub contract_id: ContractId,
    pub component_id: ComponentId,
    pub created_at: NaiveDateTime,
}

impl ContractItemRow {
    pub fn view(self) -> Result<ContractItem, Error> {
        Ok(ContractItem {
            id: self.id,
            contract_id: self.contract_id,
            component_id: self.component_id,
            created_at: utc(self.created_at),
        })
    }
}
