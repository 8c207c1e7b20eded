//! The template environment (every `templates/web/**/*.html`, compiled once) and the page
//! answer. Templates get `t("area.key", name=value)` for strings, and three filters for time:
//! `when` (an instant, in the viewer's time zone, the UTC instant in `<time datetime>` and its
//! tooltip), `day` (a date) and `left` (a deadline: "in 3 days", "2 days overdue").

use std::sync::OnceLock;

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, State};
use serde::Serialize;

use super::i18n;
use super::viewer::Viewer;
use crate::error::Error;
use crate::values::Language;

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, bytes) in super::files::WEB_FILES {
            let Some(short) = name.strip_prefix("templates/web/") else {
                continue;
            };
            if !short.ends_with(".html") {
                continue;
            }
            let source = std::str::from_utf8(bytes).unwrap_or_default();
            // A template that does not compile is found by the tests (`every_template_compiles`).
            if let Err(e) = env.add_template(short, source) {
                tracing::error!(template = short, error = %e, "template does not compile");
            }
        }
        env.add_function("t", translate);
        env.add_filter("when", when);
        env.add_filter("day", day);
        env.add_filter("left", left);
        env.add_filter("filesize", |bytes: i64| crate::files::human_size(bytes));
        env
    })
}

fn lang_of(state: &State) -> Language {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(Language::En)
}

fn translate(state: &State, key: &str, args: Kwargs) -> Result<String, minijinja::Error> {
    let mut pairs = Vec::new();
    for name in args.args() {
        let value: Value = args.get(name)?;
        pairs.push((name, value.to_string()));
    }
    Ok(i18n::text_with(lang_of(state), key, &pairs))
}

/// Reads an instant as the API writes it (RFC 3339) or as a row holds it (naive UTC).
fn instant(value: &Value) -> Option<DateTime<Utc>> {
    let s = value.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

fn tz_of(state: &State) -> chrono_tz::Tz {
    state
        .lookup("tz")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(chrono_tz::Europe::Brussels)
}

fn date_format(lang: Language) -> &'static str {
    match lang {
        Language::Nl => "%d-%m-%Y",
        Language::De => "%d.%m.%Y",
        Language::Fr | Language::En => "%d/%m/%Y",
    }
}

fn when(state: &State, value: Value) -> Value {
    if value.is_none() || value.is_undefined() {
        return Value::from("—");
    }
    let Some(at) = instant(&value) else {
        return value;
    };
    let local = at.with_timezone(&tz_of(state));
    let utc = at.format("%Y-%m-%dT%H:%M:%SZ");
    let pattern = format!("{} %H:%M", date_format(lang_of(state)));
    let shown = local.format(&pattern);
    Value::from_safe_string(format!(
        "<time datetime=\"{utc}\" title=\"{} UTC\">{shown}</time>",
        at.format("%Y-%m-%d %H:%M")
    ))
}

fn day(state: &State, value: Value) -> Value {
    let Some(date) = value
        .as_str()
        .and_then(|s| NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok())
    else {
        return if value.is_none() || value.is_undefined() {
            Value::from("—")
        } else {
            value
        };
    };
    Value::from_safe_string(format!(
        "<time datetime=\"{}\">{}</time>",
        date.format("%Y-%m-%d"),
        date.format(date_format(lang_of(state)))
    ))
}

/// The time from now to a deadline in words, "overdue" past it.
fn left(state: &State, value: Value) -> Value {
    let (Some(due), Some(now)) = (
        instant(&value),
        state.lookup("now").as_ref().and_then(instant),
    ) else {
        return Value::from("");
    };
    let lang = lang_of(state);
    let delta = due - now;
    let overdue = delta < chrono::Duration::zero();
    let d = delta.abs();
    let (n, unit) = if d.num_days() >= 2 {
        (d.num_days(), "days")
    } else if d.num_hours() >= 1 {
        (d.num_hours(), "hours")
    } else {
        (d.num_minutes().max(1), "minutes")
    };
    let key = if overdue {
        format!("common.overdue.{unit}")
    } else {
        format!("common.left.{unit}")
    };
    Value::from(i18n::text_with(lang, &key, &[("n", n.to_string())]))
}

/// One page to answer: a template and what it shows.
pub struct Page {
    template: &'static str,
    status: StatusCode,
    context: Value,
}

impl Page {
    pub fn new(template: &'static str, context: impl Serialize) -> Page {
        Page {
            template,
            status: StatusCode::OK,
            context: Value::from_serialize(&context),
        }
    }

    /// A page answered with another status (422 for a form shown again with its problems).
    pub fn status(mut self, status: StatusCode) -> Page {
        self.status = status;
        self
    }

    /// Renders for a signed-in person: the frame knows who they are, their language, time zone
    /// and CSRF token.
    pub fn render(self, viewer: &Viewer) -> Result<HttpResponse, Error> {
        let base = minijinja::context! {
            lang => viewer.lang.as_str(),
            tz => viewer.tz.name(),
            now => crate::clock::utc(viewer.now),
            csrf => viewer.csrf(),
            path => viewer.path.clone(),
            me => minijinja::context! {
                name => viewer.name.clone(),
                email => viewer.email.clone(),
                organization => viewer.organization.clone(),
                organization_id => viewer.caller.organization_id.to_string(),
                kind => viewer.caller.kind.as_str(),
                manager => viewer.is_manager(),
            },
            languages => languages(),
        };
        respond(self, base)
    }
}

/// A page for someone not signed in (sign-in, a link, an error), in `lang`.
pub fn public_page(
    lang: Language,
    status: StatusCode,
    template: &'static str,
    context: impl Serialize,
) -> Result<HttpResponse, Error> {
    let page = Page::new(template, context).status(status);
    let base = minijinja::context! {
        lang => lang.as_str(),
        tz => chrono_tz::Europe::Brussels.name(),
        languages => languages(),
    };
    respond(page, base)
}

fn languages() -> Vec<Value> {
    Language::ALL
        .iter()
        .map(|l| minijinja::context! { code => l.as_str(), name => i18n::native_name(*l) })
        .collect()
}

fn respond(page: Page, base: Value) -> Result<HttpResponse, Error> {
    let html = render_to_string(page.template, base, page.context)?;
    Ok(HttpResponse::build(page.status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html))
}

fn render_to_string(template: &str, base: Value, context: Value) -> Result<String, Error> {
    let env = environment();
    let tmpl = env
        .get_template(template)
        .map_err(|e| Error::internal(format!("template {template}: {e}")))?;
    // The page's own values win over the frame's of the same name.
    let merged = minijinja::context! { ..context, ..base };
    tmpl.render(merged)
        .map_err(|e| Error::internal(format!("rendering {template}: {}", chain(&e))))
}

fn chain(e: &minijinja::Error) -> String {
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let env = Environment::new();
        let mut failed = Vec::new();
        let mut env = env;
        for (name, bytes) in super::super::files::WEB_FILES {
            if let Some(short) = name.strip_prefix("templates/web/") {
                if short.ends_with(".html") {
                    let source = std::str::from_utf8(bytes).expect("UTF-8");
                    if let Err(e) = env.add_template(short, source) {
                        failed.push(format!("{short}: {e}"));
                    }
                }
            }
        }
        assert!(failed.is_empty(), "{failed:#?}");
    }

    #[test]
    fn times_show_in_the_viewer_s_zone_with_the_utc_instant() {
        let mut env = Environment::new();
        env.add_filter("when", when);
        env.add_filter("left", left);
        env.add_template("t.html", "{{ at|when }} {{ due|left }}")
            .expect("compiles");
        let out = env
            .get_template("t.html")
            .expect("there")
            .render(minijinja::context! {
                lang => "nl", tz => "Europe/Brussels",
                at => "2026-07-01T10:00:00Z", now => "2026-07-01T10:00:00Z",
                due => "2026-07-04T10:00:00Z",
            })
            .expect("renders");
        assert_eq!(
            out,
            "<time datetime=\"2026-07-01T10:00:00Z\" title=\"2026-07-01 10:00 UTC\">01-07-2026 12:00</time> nog 3 dagen"
        );
    }
}
