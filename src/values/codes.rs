//! Codes checked against their standards: countries, currencies, time zones.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
pub(super) const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM \
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
