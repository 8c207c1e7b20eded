//! The interface's strings in nl, fr, en and de. Each file `templates/web/**/AREA.LANG.toml`
//! holds the strings of one area; a key `title` in `cases.nl.toml` is `cases.title`. A string
//! missing in a language falls back to English, then to its key; the tests below refuse both.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::values::Language;

type Table = HashMap<String, String>;

fn tables() -> &'static HashMap<Language, Table> {
    static TABLES: OnceLock<HashMap<Language, Table>> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables: HashMap<Language, Table> = HashMap::new();
        for (name, bytes) in super::files::WEB_FILES {
            let Some((area, lang)) = strings_file(name) else {
                continue;
            };
            let text = std::str::from_utf8(bytes).unwrap_or_default();
            // A malformed file is caught by the tests; at run time its strings fall back.
            let parsed: toml::Table = match toml::from_str(text) {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(file = name, error = %e, "unreadable strings file");
                    continue;
                }
            };
            let table = tables.entry(lang).or_default();
            flatten(&format!("{area}."), &parsed, table);
        }
        tables
    })
}

/// `templates/web/cases/cases.nl.toml` -> ("cases", nl).
fn strings_file(name: &str) -> Option<(&str, Language)> {
    let file = name.strip_prefix("templates/web/")?.rsplit('/').next()?;
    let stem = file.strip_suffix(".toml")?;
    let (area, lang) = stem.rsplit_once('.')?;
    Some((area, lang.parse().ok()?))
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Table) {
    for (key, value) in table {
        match value {
            toml::Value::String(s) => {
                out.insert(format!("{prefix}{key}"), s.clone());
            }
            toml::Value::Table(t) => flatten(&format!("{prefix}{key}."), t, out),
            other => {
                out.insert(format!("{prefix}{key}"), other.to_string());
            }
        }
    }
}

/// The string `key` in `lang`, else in English, else the key itself.
pub fn text(lang: Language, key: &str) -> String {
    let tables = tables();
    tables
        .get(&lang)
        .and_then(|t| t.get(key))
        .or_else(|| tables.get(&Language::En).and_then(|t| t.get(key)))
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

/// `text` with `{name}` placeholders filled.
pub fn text_with(lang: Language, key: &str, args: &[(&str, String)]) -> String {
    let mut s = text(lang, key);
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// The language a browser asks for in `Accept-Language`, for pages shown before sign-in.
pub fn from_accept_language(header: Option<&str>) -> Language {
    header
        .into_iter()
        .flat_map(|h| h.split(','))
        .filter_map(|part| part.split(';').next())
        .filter_map(|tag| tag.trim().get(..2).map(str::to_ascii_lowercase))
        .find_map(|code| code.parse().ok())
        .unwrap_or(Language::En)
}

/// Each language's own name, for the switch.
pub fn native_name(lang: Language) -> &'static str {
    match lang {
        Language::Nl => "Nederlands",
        Language::Fr => "Français",
        Language::En => "English",
        Language::De => "Deutsch",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_string() {
        let tables = tables();
        let english = &tables[&Language::En];
        assert!(english.len() > 20, "the English strings are loaded");
        for lang in Language::ALL {
            let table = tables.get(lang).expect("strings for every language");
            let mut missing: Vec<_> = english.keys().filter(|k| !table.contains_key(*k)).collect();
            let mut extra: Vec<_> = table.keys().filter(|k| !english.contains_key(*k)).collect();
            missing.sort();
            extra.sort();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
            assert!(extra.is_empty(), "{lang:?} has strings English lacks: {extra:?}");
        }
    }

    #[test]
    fn every_string_a_template_uses_exists() {
        let english = &tables()[&Language::En];
        let mut unknown = Vec::new();
        for (name, bytes) in super::super::files::WEB_FILES {
            if !name.ends_with(".html") {
                continue;
            }
            let text = std::str::from_utf8(bytes).expect("templates are UTF-8");
            for quote in ['"', '\''] {
                let open = format!("t({quote}");
                for (i, _) in text.match_indices(&open) {
                    let rest = &text[i + open.len()..];
                    let key = &rest[..rest.find(quote).expect("closed string")];
                    // A key built at run time ends in a dot: `t("state." ~ s)`.
                    if !key.ends_with('.') && !english.contains_key(key) {
                        unknown.push(format!("{name}: {key}"));
                    }
                }
            }
        }
        assert!(unknown.is_empty(), "strings used but not defined: {unknown:#?}");
    }

    #[test]
    fn accept_language_picks_the_first_known() {
        assert_eq!(
            from_accept_language(Some("es-ES,nl-BE;q=0.9,fr;q=0.8")),
            Language::Nl
        );
        assert_eq!(from_accept_language(Some("de")), Language::De);
        assert_eq!(from_accept_language(Some("zh")), Language::En);
        assert_eq!(from_accept_language(None), Language::En);
    }
}
