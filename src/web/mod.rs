//! The web interface's frame: what every page shares. Pages themselves live beside the API
//! handlers of their domain (`<domain>/pages.rs`) and call the same service functions; this
//! module only renders, translates, authenticates a browser and guards its answers.
//!
//! - `files.rs`: templates, strings and assets built into the binary (see `build.rs`)
//! - `i18n.rs`: the four languages' strings
//! - `render.rs`: the template environment and `Page`
//! - `viewer.rs`: the signed-in person behind a page request (`Viewer`), forms and CSRF
//! - `guard.rs`: the headers of every page, and error answers as pages for a browser
//! - `assets.rs`: `/assets/*`

pub mod assets;
pub mod files;
pub mod guard;
pub mod i18n;
pub mod render;
pub mod viewer;

pub use render::{public_page, Page};
pub use viewer::{FormData, Viewer};

/// A path inside this service that it is safe to send a browser on to after signing in (no
/// other site, no scheme, no control characters).
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 500
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(next)
}

/// A `303 See Other` to `location` (the answer to a form that worked).
pub fn see_other(location: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/cases/1?x=2"), Some("/cases/1?x=2"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "cases",
            "/a\nb",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
