//! Typed ids: UUIDs on the wire, text in the database.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Declares a typed id: a UUID on the wire, text in the database.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Time-ordered (v7), so that ordering by id is ordering by creation and keyset
            /// pagination by id is stable.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// Reads an id stored by this service; a malformed one means a corrupt row.
            pub fn from_db(s: &str) -> Result<Self, crate::error::Error> {
                Uuid::parse_str(s).map(Self).map_err(|_| {
                    crate::error::Error::internal(format!("corrupt {} in database: {s:?}", stringify!($name)))
                })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(OrganizationId);
id_type!(TokenId);
id_type!(FactoryId);
id_type!(ComponentId);
id_type!(SourcingLinkId);
id_type!(ContractId);
id_type!(ContractItemId);
id_type!(FindingId);
id_type!(CaseId);
id_type!(EventId);
id_type!(NotificationId);
