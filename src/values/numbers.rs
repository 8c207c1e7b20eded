//! Numbers with an inclusive range.

use serde::{Deserialize, Serialize};

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

ranged_number!(
    /// An hour of the day, 0 to 23, in the organization's time zone.
    Hour(i32) as utoipa::openapi::schema::Type::Integer, 0, 23
);
