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
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            ToSchema, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
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

        // Text on both backends. A malformed id in the database is an error when the row is
        // loaded, never a silent default.
        $crate::values::text_column_from_str!($name);

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                out.set_value(self.0.to_string());
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                use std::io::Write;
                write!(out, "{}", self.0)?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        // The connection enum's own backend hands the value to whichever backend is in use.
        impl diesel::serialize::ToSql<diesel::sql_types::Text, crate::db::DbBackend> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, crate::db::DbBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self));
                Ok(diesel::serialize::IsNull::No)
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
id_type!(UserId);
id_type!(SessionId);
id_type!(SignInLinkId);
id_type!(
    /// One attachment of a stored file to a finding or a case.
    AttachmentId
);
