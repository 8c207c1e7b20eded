//! Typed values parsed at the edge. Each type can only hold a valid value, so code behind the
//! HTTP layer never re-checks input. Deserializing into them is the validation: serde reports
//! the failing field by path (see `http::extract`).

mod codes;
mod column;
pub mod dates;
mod email;
mod enums;
mod ids;
mod money;
mod numbers;
mod text;

pub use codes::*;
pub(crate) use column::{text_column_as_str, text_column_from_str};
pub use email::*;
pub(crate) use enums::text_enum;
pub use enums::*;
pub use ids::*;
pub use money::*;
pub use numbers::*;
pub use text::*;

use serde::Deserialize;

/// For PATCH fields that may be set to null: absent is `None`, null is `Some(None)`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_list_is_complete_and_parses_any_case() {
        assert_eq!(codes::ISO_3166_ALPHA2.split(' ').count(), 249);
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
