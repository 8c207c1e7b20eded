//! Every file under `templates/web/` and `assets/`, built into the binary by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/web_files.rs"));

/// The file at `name` (its path in the repository).
pub fn get(name: &str) -> Option<&'static [u8]> {
    WEB_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}
