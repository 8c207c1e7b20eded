//! How typed values are kept in text columns, once for every kind of them (ids, string enums,
//! the outbox's mail kind): read back through `FromStr`, so that a value the type does not
//! know is an error when the row is loaded, never a default; and written as the type's own
//! text where it has a `&'static str` of it.

/// `FromSql<Text>` on every backend (both and the connection enum's) through `FromStr`.
macro_rules! text_column_from_str {
    ($name:ty) => {
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                use diesel::deserialize::FromSql;
                let s: String = FromSql::<diesel::sql_types::Text, DB>::from_sql(bytes)?;
                s.parse::<$name>().map_err(|e| {
                    format!("corrupt {} in database: {s:?} ({e})", stringify!($name)).into()
                })
            }
        }
    };
}

/// `ToSql<Text>` on every backend, writing `as_str()` (a `&'static str`).
macro_rules! text_column_as_str {
    ($name:ty) => {
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }
    };
}

pub(crate) use {text_column_as_str, text_column_from_str};
