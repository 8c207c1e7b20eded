//! String enums with their database text.

/// Declares a string enum with its database text.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)+
        }

        // Stored as its text on both backends (see `values::column`).
        $crate::values::text_column_from_str!($name);
        $crate::values::text_column_as_str!($name);

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
            pub fn from_db(s: &str) -> Result<Self, crate::error::Error> {
                s.parse().map_err(|_| crate::error::Error::internal(
                    format!("corrupt {} in database: {s:?}", stringify!($name))))
            }
        }

        // Written out rather than derived: the derive does not see serde renames that come
        // through a macro, and would document "Green" where the wire says "green".
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "{other:?} is not one of {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// The kind of an organization, which is also the role of its tokens.
    OrgKind { Admin => "admin", Buyer => "buyer", Contractor => "contractor", Monitor => "monitor" }
);

text_enum!(
    /// Within its organization a member acts for it; a manager also invites and deactivates
    /// its users.
    UserRole { Member => "member", Manager => "manager" }
);

text_enum!(
    /// Preferred language for notifications.
    Language { Nl => "nl", En => "en", Fr => "fr", De => "de" }
);
