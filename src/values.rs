//! Typed values parsed at the edge. Each type can only hold a valid value, so code behind the
//! HTTP layer never re-checks input. Deserializing into them is the validation: serde reports
//! the failing field by path (see `http::extract`).

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

/// Declares trimmed, non-empty, length-limited text without control characters.
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:literal, multiline = $multiline:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .min_length(Some(1))
                    .max_length(Some($max))
                    .pattern(Some(if $multiline { MULTILINE_TEXT } else { SINGLE_LINE_TEXT }))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}

        impl $name {
            pub const MAX_CHARS: usize = $max;
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                clean_text(raw, $max, $multiline).map(Self)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_text!(
    /// A name or title: one line, 1 to 200 characters after trimming.
    Name, 200, multiline = false
);
bounded_text!(
    /// A postal address or other single-line text up to 500 characters.
    LineText, 500, multiline = false
);
bounded_text!(
    /// A reference code, label or identifier: one line, up to 100 characters.
    ShortText, 100, multiline = false
);
bounded_text!(
    /// Free text of up to 20,000 characters; line breaks allowed.
    LongText, 20_000, multiline = true
);

/// What `clean_text` accepts, for the OpenAPI document: white space at either end (trimmed
/// away), then at least one character that is neither white space nor control, and no control
/// character in between (Unicode Cc, what `char::is_control` tests). The white space is
/// `str::trim`'s White_Space set, spelled out so that every regex dialect reads it the same way.
const SINGLE_LINE_TEXT: &str = concat!(
    "^[\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*",
    "[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]",
    "([^\\u0000-\\u001f\\u007f-\\u009f]*",
    "[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?",
    "[\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
);
/// As `SINGLE_LINE_TEXT`, with tabs and line breaks (`\t`, `\n`, `\r`) allowed in between.
const MULTILINE_TEXT: &str = concat!(
    "^[\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*",
    "[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]",
    "([^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*",
    "[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?",
    "[\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
);

fn clean_text(raw: String, max: usize, multiline: bool) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    // Counted as sent, white space included, as the document's maxLength counts.
    let chars = raw.chars().count();
    if chars > max {
        return Err(format!("must be at most {max} characters (got {chars})"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err(if multiline {
            "must not contain control characters other than line breaks and tabs".into()
        } else {
            "must be a single line without control characters".into()
        });
    }
    Ok(trimmed.to_string())
}

/// ISO 3166-1 alpha-2 country code; accepted in any case, kept upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

/// A string schema listing every code the type accepts (the document says exactly which).
fn code_list_schema(
    codes: &'static str,
    description: &str,
    example: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some(description))
        .enum_values(Some(codes.split(' ')))
        .examples([serde_json::json!(example)])
        .into()
}

impl utoipa::PartialSchema for CountryCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        code_list_schema(
            ISO_3166_ALPHA2,
            "ISO 3166-1 alpha-2 country code (also accepted in lower case; answered in upper case)",
            "BE",
        )
    }
}
impl ToSchema for CountryCode {}

/// The 249 officially assigned ISO 3166-1 alpha-2 codes.
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM \
BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC \
EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT \
HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV \
LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ \
OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR \
SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF \
WS YE YT ZA ZM ZW";

impl CountryCode {
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl TryFrom<String> for CountryCode {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 2 && ISO_3166_ALPHA2.split(' ').any(|c| c == code) {
            let b = code.as_bytes();
            Ok(CountryCode([b[0], b[1]]))
        } else {
            Err(format!("{raw:?} is not an ISO 3166-1 alpha-2 country code"))
        }
    }
}

impl From<CountryCode> for String {
    fn from(v: CountryCode) -> String {
        v.as_str().to_string()
    }
}

/// ISO 4217 currency code (active codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CurrencyCode([u8; 3]);

impl utoipa::PartialSchema for CurrencyCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        code_list_schema(
            ISO_4217,
            "ISO 4217 currency code (also accepted in lower case; answered in upper case)",
            "EUR",
        )
    }
}
impl ToSchema for CurrencyCode {}

const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL \
BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR \
FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF \
KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD \
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS \
SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV \
WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";

impl CurrencyCode {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl TryFrom<String> for CurrencyCode {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 3 && ISO_4217.split(' ').any(|c| c == code) {
            let b = code.as_bytes();
            Ok(CurrencyCode([b[0], b[1], b[2]]))
        } else {
            Err(format!("{raw:?} is not an ISO 4217 currency code"))
        }
    }
}

impl From<CurrencyCode> for String {
    fn from(v: CurrencyCode) -> String {
        v.as_str().to_string()
    }
}

/// A non-negative decimal amount as a string (`"1250000.00"`), at most 15 integer digits and
/// 4 decimals, so that it survives JSON without floating-point loss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "1250000.00", pattern = "^[0-9]{1,15}(\\.[0-9]{1,4})?$")]
pub struct Amount(String);

impl TryFrom<String> for Amount {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let s = raw.trim();
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        let digits = |p: &str, max: usize| {
            !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
        };
        if digits(int, 15) && frac.is_none_or(|f| digits(f, 4)) {
            Ok(Amount(s.to_string()))
        } else {
            Err(format!(
                "{raw:?} is not a non-negative decimal amount such as \"1250000.00\""
            ))
        }
    }
}

impl From<Amount> for String {
    fn from(v: Amount) -> String {
        v.0
    }
}

/// A monetary value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount: Amount,
    pub currency: CurrencyCode,
}

/// An email address (RFC 5322 addr-spec with a domain), trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl utoipa::PartialSchema for Email {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Email,
            )))
            .max_length(Some(254))
            .examples([serde_json::json!("duediligence@example.org")])
            .into()
    }
}
impl ToSchema for Email {}

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let s = raw.trim();
        let valid = s.len() <= 254
            && email_address::EmailAddress::from_str(s).is_ok()
            // A bare local host is legal in RFC 5322 but never what a notification list means.
            && s.rsplit_once('@').is_some_and(|(_, d)| d.contains('.') && !d.starts_with('['));
        if valid {
            Ok(Email(s.to_string()))
        } else {
            Err(format!("{raw:?} is not a valid email address"))
        }
    }
}

impl From<Email> for String {
    fn from(v: Email) -> String {
        v.0
    }
}

/// Up to twenty email addresses; repeats (ignoring case) are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Email>", into = "Vec<Email>")]
pub struct EmailList(Vec<Email>);

fn email_list_schema(min: usize) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::PartialSchema;
    utoipa::openapi::ArrayBuilder::new()
        .items(Email::schema())
        .min_items((min > 0).then_some(min))
        .max_items(Some(EmailList::MAX))
        .into()
}

impl utoipa::PartialSchema for EmailList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        email_list_schema(0)
    }
}
impl ToSchema for EmailList {}

/// The schema of an `EmailList` that must not be empty (notification addresses), for
/// `#[schema(value_type = NonEmptyEmailList)]`; the service refuses an empty one.
pub struct NonEmptyEmailList;

impl utoipa::PartialSchema for NonEmptyEmailList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        email_list_schema(1)
    }
}
impl ToSchema for NonEmptyEmailList {}

impl EmailList {
    pub const MAX: usize = 20;
    pub fn empty() -> EmailList {
        EmailList(Vec::new())
    }
    pub fn iter(&self) -> impl Iterator<Item = &Email> {
        self.0.iter()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Stored as a JSON array of strings.
    pub fn to_db(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".into())
    }
    pub fn from_db(s: &str) -> Result<EmailList, crate::error::Error> {
        serde_json::from_str::<Vec<Email>>(s)
            .map(EmailList)
            .map_err(|e| crate::error::Error::internal_from("corrupt email list", e))
    }
}

impl TryFrom<Vec<Email>> for EmailList {
    type Error = String;
    fn try_from(list: Vec<Email>) -> Result<Self, String> {
        if list.len() > Self::MAX {
            return Err(format!("at most {} addresses", Self::MAX));
        }
        let mut seen: Vec<Email> = Vec::with_capacity(list.len());
        for e in list {
            if !seen.iter().any(|s| s.0.eq_ignore_ascii_case(&e.0)) {
                seen.push(e);
            }
        }
        Ok(EmailList(seen))
    }
}

impl From<EmailList> for Vec<Email> {
    fn from(v: EmailList) -> Vec<Email> {
        v.0
    }
}

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

        // Stored as its text on both backends (and the MultiConnection's backend): a value the
        // enum does not know is an error when the row is loaded, never a default.
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let s = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    DB,
                >>::from_sql(bytes)?;
                s.parse().map_err(|e: String| {
                    format!("corrupt {} in database: {e}", stringify!($name)).into()
                })
            }
        }

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
    /// Preferred language for notifications.
    Language { Nl => "nl", En => "en", Fr => "fr", De => "de" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_list_is_complete_and_parses_any_case() {
        assert_eq!(ISO_3166_ALPHA2.split(' ').count(), 249);
        assert_eq!(
            CountryCode::try_from(" be ".to_string()).unwrap().as_str(),
            "BE"
        );
        assert!(CountryCode::try_from("XX".to_string()).is_err());
        assert!(CountryCode::try_from("BEL".to_string()).is_err());
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(
            Name::try_from("  Acme  ".to_string()).unwrap().as_str(),
            "Acme"
        );
        assert!(Name::try_from("   ".to_string()).is_err());
        assert!(Name::try_from("a".repeat(201)).is_err());
        assert!(Name::try_from("a\nb".to_string()).is_err());
        assert!(LongText::try_from("a\nb".to_string()).is_ok());
    }

    #[test]
    fn emails_and_amounts() {
        assert!(Email::try_from("a@example.org".to_string()).is_ok());
        assert!(Email::try_from("a@localhost".to_string()).is_err());
        assert!(Email::try_from("not an email".to_string()).is_err());
        assert!(Amount::try_from("1250000.00".to_string()).is_ok());
        assert!(Amount::try_from("-1".to_string()).is_err());
        assert!(Amount::try_from("1.".to_string()).is_err());
        assert!(Amount::try_from("1e5".to_string()).is_err());
    }
}

/// Declares a number type with an inclusive range, checked on deserialization.
macro_rules! ranged_number {
    ($(#[$doc:meta])* $name:ident($inner:ty) as $st:expr, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(try_from = "f64", into = "f64")]
        pub struct $name(pub $inner);

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type($st)
                    .minimum(Some($min as f64))
                    .maximum(Some($max as f64))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}

        impl TryFrom<f64> for $name {
            type Error = String;
            #[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
            fn try_from(v: f64) -> Result<Self, String> {
                let ok = v.is_finite() && v >= $min as f64 && v <= $max as f64;
                let as_inner = v as $inner;
                if ok && (as_inner as f64) == v {
                    Ok($name(as_inner))
                } else {
                    Err(format!("must be a number from {} to {} (got {v})", $min, $max))
                }
            }
        }

        impl From<$name> for f64 {
            fn from(v: $name) -> f64 {
                v.0 as f64
            }
        }
    };
}

ranged_number!(
    /// Degrees north, -90 to 90.
    Latitude(f64) as utoipa::openapi::schema::Type::Number, -90, 90
);
ranged_number!(
    /// Degrees east, -180 to 180.
    Longitude(f64) as utoipa::openapi::schema::Type::Number, -180, 180
);
ranged_number!(
    /// A head count of workers.
    WorkerCount(i32) as utoipa::openapi::schema::Type::Integer, 0, 10_000_000
);
ranged_number!(
    /// Supply-chain tier: 1 is final assembly, 2 and up make components.
    Tier(i32) as utoipa::openapi::schema::Type::Integer, 1, 20
);

/// For PATCH fields that may be set to null: absent is `None`, null is `Some(None)`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// An IANA time zone name (`Europe/Brussels`): deadlines are shown to an organization in its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(pub chrono_tz::Tz);

impl TryFrom<String> for TimeZone {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        raw.trim()
            .parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| format!("{raw:?} is not an IANA time zone such as Europe/Brussels"))
    }
}

impl From<TimeZone> for String {
    fn from(v: TimeZone) -> String {
        v.0.name().to_string()
    }
}

impl utoipa::PartialSchema for TimeZone {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An IANA time zone name"))
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .examples([serde_json::json!("Europe/Brussels")])
            .into()
    }
}
impl utoipa::ToSchema for TimeZone {}

ranged_number!(
    /// An hour of the day, 0 to 23, in the organization's time zone.
    Hour(i32) as utoipa::openapi::schema::Type::Integer, 0, 23
);

/// Dates and instants as the API reads them: `YYYY-MM-DD` and RFC 3339, years 1 to 9999 (what
/// both databases store alike). Fields use these with `#[serde(deserialize_with = ...)]`, so
/// their schema stays a plain date or date-time, and query parameters call the parsers.
pub mod dates {
    use chrono::{DateTime, Datelike, NaiveDate, Utc};
    use serde::{Deserialize, Deserializer};

    pub const DATE_EXPECTED: &str = "a date as YYYY-MM-DD, such as 2026-12-01";
    pub const INSTANT_EXPECTED: &str = "an RFC 3339 date and time, such as 2026-12-01T09:00:00Z";

    fn in_range(year: i32) -> bool {
        (1..=9999).contains(&year)
    }

    /// A calendar date written exactly as `YYYY-MM-DD`.
    pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
        let b = raw.as_bytes();
        let shaped = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        let day = shaped
            .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
            .flatten()
            .filter(|d| in_range(d.year()));
        day.ok_or_else(|| format!("{raw:?} is not {DATE_EXPECTED}"))
    }

    /// An instant with its offset, taken to UTC.
    pub fn parse_instant(raw: &str) -> Result<DateTime<Utc>, String> {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .filter(|t| in_range(t.year()))
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| in_range(t.year()))
            .ok_or_else(|| format!("{raw:?} is not {INSTANT_EXPECTED}"))
    }

    /// Reads the text first, so that a number or anything else gets the same message.
    fn text<'de, D: Deserializer<'de>>(d: D, expected: &str) -> Result<String, D::Error> {
        serde_json::Value::deserialize(d).and_then(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            other => Err(serde::de::Error::custom(format!(
                "{other} is not {expected}"
            ))),
        })
    }

    pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        parse_date(&text(d, DATE_EXPECTED)?).map_err(serde::de::Error::custom)
    }

    /// For `Option<NaiveDate>` fields; pair with `#[serde(default)]` so that absent is `None`.
    pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<serde_json::Value>::deserialize(d)? {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => {
                parse_date(&s).map(Some).map_err(serde::de::Error::custom)
            }
            Some(other) => Err(serde::de::Error::custom(format!(
                "{other} is not {DATE_EXPECTED}"
            ))),
        }
    }

    pub fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        parse_instant(&text(d, INSTANT_EXPECTED)?).map_err(serde::de::Error::custom)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn dates_outside_years_1_to_9999_or_in_other_shapes_are_refused() {
            assert!(parse_date("2026-12-01").is_ok());
            assert!(parse_date("0001-01-01").is_ok());
            assert!(parse_date("9999-12-31").is_ok());
            for bad in [
                "+10000-01-01",
                "-0001-01-01",
                "0000-01-01",
                "14/10/2026",
                "2026-2-1",
                "2026-02-30",
                " 2026-12-01",
                "2026-12-01T00:00:00Z",
            ] {
                let e = parse_date(bad).unwrap_err();
                assert!(e.contains("YYYY-MM-DD"), "{bad}: {e}");
            }
        }

        #[test]
        fn instants_outside_years_1_to_9999_are_refused() {
            assert!(parse_instant("2026-12-01T09:00:00Z").is_ok());
            assert!(parse_instant("2026-12-01T09:00:00+02:00").is_ok());
            for bad in [
                "+10000-01-01T00:00:00Z",
                "9999-12-31T23:00:00-02:00",
                "0001-01-01T00:00:00+01:00",
                "14/10/2026 09:00",
                "2026-12-01",
            ] {
                let e = parse_instant(bad).unwrap_err();
                assert!(e.contains("2026-12-01T09:00:00Z"), "{bad}: {e}");
            }
        }
    }
}
