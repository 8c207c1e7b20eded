//! Mail templates: one text and one HTML template (files under `templates/email/`, built into
//! the binary and compiled at start), filled with strings from one TOML file per language. A
//! string missing in a language falls back to English; the template test reports it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use minijinja::Environment;
use serde::Serialize;
use serde_json::Value;

use crate::cases::EventKind;
use crate::values::Language;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "message.txt",
        include_str!("../../templates/email/message.txt.j2"),
    ),
    (
        "message.html",
        include_str!("../../templates/email/message.html.j2"),
    ),
    (
        "digest.txt",
        include_str!("../../templates/email/digest.txt.j2"),
    ),
    (
        "digest.html",
        include_str!("../../templates/email/digest.html.j2"),
    ),
    (
        "sign_in.txt",
        include_str!("../../templates/email/sign_in.txt.j2"),
    ),
    (
        "sign_in.html",
        include_str!("../../templates/email/sign_in.html.j2"),
    ),
];

const STRINGS: &[(Language, &str)] = &[
    (
        Language::En,
        include_str!("../../templates/email/strings.en.toml"),
    ),
    (
        Language::Nl,
        include_str!("../../templates/email/strings.nl.toml"),
    ),
    (
        Language::Fr,
        include_str!("../../templates/email/strings.fr.toml"),
    ),
    (
        Language::De,
        include_str!("../../templates/email/strings.de.toml"),
    ),
];

/// Which side of the case the recipient is on: it decides "what to do next".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Contractor,
    Buyer,
    Monitor,
}

/// Everything a mail about one event says.
#[derive(Debug, Clone)]
pub struct MailContext {
    pub kind: EventKind,
    pub language: Language,
    pub audience: Audience,
    pub timezone: chrono_tz::Tz,
    pub recipient: String,
    pub title: String,
    pub severity: String,
    pub category: String,
    pub state: String,
    /// The deadline the mail is about: a reminder's or an escalation's own deadline, else the
    /// case's next deadline.
    pub deadline: Option<DateTime<Utc>>,
    /// The case's next deadline still ahead (none while the case waits on the monitor).
    pub next_deadline: Option<DateTime<Utc>>,
    pub deadline_kind: Option<String>,
    /// The instant an extension request asks for.
    pub until: Option<DateTime<Utc>>,
    /// A plan submitted after an earlier one was rejected.
    pub resubmission: bool,
    /// The submitted plan (`cases::Plan` as JSON), carried by the plan mail.
    pub plan: Option<Value>,
    pub level: Option<i64>,
    pub actor: Option<String>,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub text: Option<String>,
    /// The files an event names (`{filename, size}` with the size in words): a file attached,
    /// or a transition's evidence. Never the files themselves.
    pub files: Vec<Value>,
    pub case_ref: String,
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    env: Environment<'static>,
    strings: BTreeMap<&'static str, Value>,
}

impl Templates {
    /// Compiles every template and parses every language file; the service refuses to start
    /// when this fails.
    pub fn load() -> Result<Templates, String> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| format!("mail template {name}: {e}"))?;
        }
        let mut strings = BTreeMap::new();
        for (lang, source) in STRINGS {
            let table: toml::Table =
                toml::from_str(source).map_err(|e| format!("mail strings for {lang}: {e}"))?;
            strings.insert(
                lang.as_str(),
                serde_json::to_value(table).map_err(|e| e.to_string())?,
            );
        }
        let t = Templates { env, strings };
        for kind in super::rules::NOTIFYING_KINDS {
            if t.lookup(Language::En, &["kinds", kind.as_str(), "subject"])
                .is_none()
            {
                return Err(format!("mail strings: English has no subject for {kind}"));
            }
        }
        Ok(t)
    }

    fn lookup(&self, lang: Language, path: &[&str]) -> Option<&str> {
        let mut v = self.strings.get(lang.as_str())?;
        for p in path {
            v = v.get(*p)?;
        }
        v.as_str()
    }

    /// A string in `lang`, else in English, else the last part of its path.
    fn string(&self, lang: Language, path: &[&str]) -> String {
        self.lookup(lang, path)
            .or_else(|| self.lookup(Language::En, path))
            .unwrap_or(path.last().copied().unwrap_or(""))
            .to_string()
    }

    /// Keys present in English but missing in another language, as `nl: kinds.opened.subject`.
    pub fn missing(&self) -> Vec<String> {
        fn paths(v: &Value, prefix: String, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        let p = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        paths(v, p, out);
                    }
                }
                _ => out.push(prefix),
            }
        }
        let mut english = Vec::new();
        paths(&self.strings["en"], String::new(), &mut english);
        let mut missing = Vec::new();
        for lang in Language::ALL {
            for path in &english {
                let parts: Vec<&str> = path.split('.').collect();
                if self.lookup(*lang, &parts).is_none() {
                    missing.push(format!("{lang}: {path}"));
                }
            }
        }
        missing
    }

    fn common(&self, lang: Language) -> Value {
        let keys = [
            "greeting",
            "case_label",
            "finding_label",
            "severity_label",
            "category_label",
            "state_label",
            "deadline_label",
            "no_deadline",
            "level_label",
            "link_label",
            "next_label",
            "note_label",
            "reason_label",
            "comment_label",
            "files_label",
            "missed_label",
            "plan_label",
            "root_cause_label",
            "no_action_label",
            "until_label",
            "footer",
            "digest_subject",
            "digest_intro",
        ];
        Value::Object(
            keys.iter()
                .map(|k| (k.to_string(), Value::String(self.string(lang, &[k]))))
                .collect(),
        )
    }

    /// Formats an instant in the recipient's zone and the language's usual notation.
    pub fn format_instant(at: DateTime<Utc>, lang: Language, tz: chrono_tz::Tz) -> String {
        let local = at.with_timezone(&tz);
        let pattern = match lang {
            Language::En => "%Y-%m-%d %H:%M",
            Language::Nl => "%d-%m-%Y %H:%M",
            Language::Fr => "%d/%m/%Y %H:%M",
            Language::De => "%d.%m.%Y %H:%M",
        };
        format!("{} ({})", local.format(pattern), tz.name())
    }

    fn vars(&self, c: &MailContext) -> Value {
        let lang = c.language;
        let instant = |at: Option<DateTime<Utc>>| match at {
            Some(d) => Self::format_instant(d, lang, c.timezone),
            None => self.string(lang, &["no_deadline"]),
        };
        let deadline = instant(c.deadline);
        let next_deadline = instant(c.next_deadline);
        let until = c
            .until
            .map(|u| Self::format_instant(u, lang, c.timezone))
            .unwrap_or_default();
        serde_json::json!({
            "recipient": c.recipient,
            "title": c.title,
            "severity": self.string(lang, &["severity", &c.severity]),
            "category": self.string(lang, &["category", &c.category]),
            "state": self.string(lang, &["state", &c.state]),
            "deadline": deadline,
            "next_deadline": next_deadline,
            "until": until,
            "resubmission": c.resubmission,
            "deadline_kind": c.deadline_kind.as_deref().map(|k| self.string(lang, &["deadline", k])).unwrap_or_default(),
            "level": c.level,
            "actor": c.actor.clone().unwrap_or_default(),
            "count": 0,
            "case_ref": c.case_ref,
        })
    }

    /// The summary of a kind, in the words for the recipient's side where a kind has them
    /// (`summary_monitor`, ...), else the common ones.
    fn summary(&self, c: &MailContext) -> String {
        let side = match c.audience {
            Audience::Contractor => "summary_contractor",
            Audience::Buyer => "summary_buyer",
            Audience::Monitor => "summary_monitor",
        };
        self.lookup(c.language, &["kinds", c.kind.as_str(), side])
            .or_else(|| self.lookup(Language::En, &["kinds", c.kind.as_str(), side]))
            .map(str::to_string)
            .unwrap_or_else(|| self.string(c.language, &["kinds", c.kind.as_str(), "summary"]))
    }

    fn fill(&self, template: &str, vars: &Value) -> Result<String, String> {
        self.env
            .render_str(template, vars)
            .map_err(|e| format!("mail string {template:?}: {e}"))
    }

    pub fn render(&self, c: &MailContext) -> Result<Rendered, String> {
        let lang = c.language;
        let vars = self.vars(c);
        let next_key = match c.audience {
            Audience::Contractor => "next_contractor",
            Audience::Buyer => "next_buyer",
            Audience::Monitor => "next_monitor",
        };
        let subject = self.fill(
            &self.string(lang, &["kinds", c.kind.as_str(), "subject"]),
            &vars,
        )?;
        let summary = self.fill(&self.summary(c), &vars)?;
        let next = self.fill(
            &self.string(lang, &["kinds", c.kind.as_str(), next_key]),
            &vars,
        )?;
        let greeting = self.fill(&self.string(lang, &["greeting"]), &vars)?;
        let ctx = serde_json::json!({
            "lang": lang.as_str(), "s": self.common(lang), "subject": subject, "summary": summary,
            "next": next, "greeting": greeting, "title": c.title, "severity": vars["severity"],
            "category": vars["category"], "state": vars["state"], "deadline": vars["deadline"],
            "next_deadline": vars["next_deadline"], "deadline_kind": vars["deadline_kind"],
            "missed": c.kind == EventKind::Escalated, "plan": c.plan,
            "level": c.level, "note": c.note, "reason": c.reason, "text": c.text,
            "link": c.link, "case_ref": c.case_ref, "files": c.files,
        });
        let text = self.page("message.txt", &ctx)?;
        let html = self.page("message.html", &ctx)?;
        Ok(Rendered {
            subject: format!("[ketenzorg {}] {subject}", c.case_ref),
            text,
            html,
        })
    }

    /// A sign-in link mail: `payload` has the person's `display_name`, the `link` and when it
    /// expires (`expires_at`, RFC 3339).
    pub fn render_sign_in(
        &self,
        lang: Language,
        tz: chrono_tz::Tz,
        payload: &Value,
    ) -> Result<Rendered, String> {
        let expires = payload["expires_at"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| Self::format_instant(d.with_timezone(&Utc), lang, tz))
            .ok_or("a sign-in mail without its expiry")?;
        let vars = serde_json::json!({"name": payload["display_name"], "expires": expires});
        let s = |key: &str| self.fill(&self.string(lang, &["sign_in", key]), &vars);
        let ctx = serde_json::json!({
            "lang": lang.as_str(), "subject": s("subject")?, "greeting": s("greeting")?,
            "body": s("body")?, "button": s("button")?, "ignore": s("ignore")?,
            "link": payload["link"].as_str().ok_or("a sign-in mail without its link")?,
        });
        Ok(Rendered {
            subject: s("subject")?,
            text: self.page("sign_in.txt", &ctx)?,
            html: self.page("sign_in.html", &ctx)?,
        })
    }

    /// One mail for several updates: `items` are (rendered mail, its context).
    pub fn render_digest(
        &self,
        lang: Language,
        recipient: &str,
        items: &[(Rendered, MailContext)],
    ) -> Result<Rendered, String> {
        let vars = serde_json::json!({"recipient": recipient, "count": items.len()});
        let subject = self.fill(&self.string(lang, &["digest_subject"]), &vars)?;
        let greeting = self.fill(&self.string(lang, &["greeting"]), &vars)?;
        let list: Vec<Value> = items
            .iter()
            .map(|(r, c)| {
                let v = self.vars(c);
                let summary = self.fill(&self.summary(c), &v).unwrap_or_default();
                serde_json::json!({"subject": r.subject, "summary": summary, "text": c.text, "link": c.link})
            })
            .collect();
        let ctx = serde_json::json!({"lang": lang.as_str(), "s": self.common(lang), "subject": subject,
            "greeting": greeting, "items": list});
        Ok(Rendered {
            subject: subject.clone(),
            text: self.page("digest.txt", &ctx)?,
            html: self.page("digest.html", &ctx)?,
        })
    }

    fn page(&self, name: &str, ctx: &Value) -> Result<String, String> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| format!("mail template {name}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(kind: EventKind, language: Language, audience: Audience) -> MailContext {
        MailContext {
            kind,
            language,
            audience,
            timezone: chrono_tz::Europe::Brussels,
            recipient: "Noord-IT <NV> & co".into(),
            title: "Overtime <b>72h</b>".into(),
            severity: "major".into(),
            category: "working_hours".into(),
            state: "open".into(),
            deadline: Some("2026-10-25T12:00:00Z".parse().unwrap()),
            next_deadline: Some("2026-11-25T12:00:00Z".parse().unwrap()),
            deadline_kind: Some("acknowledge".into()),
            until: Some("2026-12-25T12:00:00Z".parse().unwrap()),
            resubmission: true,
            plan: Some(serde_json::json!({"root_cause": "Fees <paid>", "actions": [
                {"description": "Repay fees", "kind": "corrective", "owner": "HR", "due_on": "2026-12-01"}],
                "no_action_justification": null})),
            level: Some(2),
            actor: Some("Electronics Watch".into()),
            note: Some("A note".into()),
            reason: Some("A reason".into()),
            text: Some("A comment".into()),
            files: vec![serde_json::json!({"filename": "<b>loon</b>.pdf", "size": "1.2 MB"})],
            case_ref: "1a2b3c4d".into(),
            link: "https://k.example.org/api/v1/cases/x".into(),
        }
    }

    #[test]
    fn no_translation_is_missing() {
        let t = Templates::load().unwrap();
        assert_eq!(t.missing(), Vec::<String>::new());
    }

    #[test]
    fn every_kind_renders_in_every_language_for_every_audience() {
        let t = Templates::load().unwrap();
        for kind in super::super::rules::NOTIFYING_KINDS {
            for lang in Language::ALL {
                for audience in [Audience::Contractor, Audience::Buyer, Audience::Monitor] {
                    let r = t
                        .render(&ctx(*kind, *lang, audience))
                        .unwrap_or_else(|e| panic!("{kind} {lang}: {e}"));
                    for part in [&r.subject, &r.text, &r.html] {
                        assert!(
                            !part.contains("{{") && !part.contains("}}"),
                            "{kind} {lang}: unrendered: {part}"
                        );
                        assert!(!part.trim().is_empty());
                    }
                    assert!(r.subject.starts_with("[ketenzorg 1a2b3c4d] "));
                    // User text is escaped in HTML, kept as is in text.
                    assert!(
                        r.html.contains("Overtime &lt;b&gt;72h&lt;") && !r.html.contains("<b>"),
                        "{kind} {lang}"
                    );
                    assert!(r.text.contains("Overtime <b>72h</b>"));
                    assert!(r.text.contains("25") && r.text.contains("(Europe/Brussels)"));
                }
            }
        }
    }

    #[test]
    fn deadlines_are_local_and_in_the_language_s_notation() {
        let at = "2026-10-25T12:00:00Z".parse().unwrap();
        // Brussels is back on winter time (UTC+1) on that day.
        assert_eq!(
            Templates::format_instant(at, Language::En, chrono_tz::Europe::Brussels),
            "2026-10-25 13:00 (Europe/Brussels)"
        );
        assert_eq!(
            Templates::format_instant(at, Language::De, chrono_tz::Europe::Brussels),
            "25.10.2026 13:00 (Europe/Brussels)"
        );
        let summer = "2026-10-24T12:00:00Z".parse().unwrap();
        assert_eq!(
            Templates::format_instant(summer, Language::Nl, chrono_tz::Europe::Brussels),
            "24-10-2026 14:00 (Europe/Brussels)"
        );
    }
}
