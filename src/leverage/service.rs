//! The entry points the API and the pages share: `exposure` of one factory and the `ranking`.
//! Who sees what is decided inside them (docs/security.md, "Factory exposure and leverage").

pub use super::exposure::exposure;
pub use super::ranking::{ranking, Filters};
