//! The deadline policy: per severity, how long a contractor has to acknowledge, to submit a
//! plan that is later accepted, and to report remediation; and how long before each deadline
//! a reminder goes out. Read from a TOML file named by `KETENZORG_POLICY_FILE`:
//!
//! ```toml
//! reminder_before = "24h"
//! [critical]
//! acknowledge = "2days"
//! plan = "7days"
//! remediation = "30days"
//! ```
//! Durations are exact (48 hours, not "two calendar days"), so a deadline falls on the same
//! UTC instant whatever daylight-saving change happens in between.

use chrono::TimeDelta;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::findings::Severity;

/// Durations from the opening of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub acknowledge: TimeDelta,
    pub plan: TimeDelta,
    pub remediation: TimeDelta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub critical: Deadlines,
    pub major: Deadlines,
    pub minor: Deadlines,
    pub reminder_before: TimeDelta,
}

impl Default for Policy {
    /// DESIGN.md: plan deadlines follow the RBA corrective action plans (7 days for priority
    /// findings, 14 otherwise); acknowledgement within 7 days follows the EU whistleblower rules.
    fn default() -> Policy {
        let days = |a, p, r| Deadlines {
            acknowledge: TimeDelta::days(a),
            plan: TimeDelta::days(p),
            remediation: TimeDelta::days(r),
        };
        Policy {
            critical: days(2, 7, 30),
            major: days(7, 14, 90),
            minor: days(14, 30, 180),
            reminder_before: TimeDelta::hours(24),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    reminder_before: Option<String>,
    critical: Option<SeverityFile>,
    major: Option<SeverityFile>,
    minor: Option<SeverityFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeverityFile {
    acknowledge: Option<String>,
    plan: Option<String>,
    remediation: Option<String>,
}

fn duration(path: &str, raw: &str) -> Result<TimeDelta, String> {
    let raw = raw.trim();
    if raw.starts_with('-') {
        return Err(format!(
            "{path}: {raw:?} is negative; a deadline lies after the case opens"
        ));
    }
    let d = humantime::parse_duration(raw).map_err(|e| {
        format!("{path}: {raw:?} is not a duration such as \"48h\" or \"7days\": {e}")
    })?;
    let d = TimeDelta::from_std(d).map_err(|_| format!("{path}: {raw:?} is too long"))?;
    if d <= TimeDelta::zero() {
        return Err(format!("{path}: must be longer than zero"));
    }
    Ok(d)
}

impl Policy {
    pub fn for_severity(&self, severity: Severity) -> Deadlines {
        match severity {
            Severity::Critical => self.critical,
            Severity::Major => self.major,
            Severity::Minor => self.minor,
        }
    }

    /// Parses and checks a policy file; every problem is reported, by its path in the file.
    pub fn from_toml(text: &str) -> Result<Policy, Vec<String>> {
        let file: PolicyFile =
            toml::from_str(text).map_err(|e| vec![format!("policy file: {e}")])?;
        let mut errors = Vec::new();
        let mut policy = Policy::default();
        if let Some(raw) = &file.reminder_before {
            match duration("reminder_before", raw) {
                Ok(d) => policy.reminder_before = d,
                Err(e) => errors.push(e),
            }
        }
        for (name, section, target) in [
            ("critical", &file.critical, &mut policy.critical),
            ("major", &file.major, &mut policy.major),
            ("minor", &file.minor, &mut policy.minor),
        ] {
            let Some(section) = section else { continue };
            for (field, raw, slot) in [
                ("acknowledge", &section.acknowledge, &mut target.acknowledge),
                ("plan", &section.plan, &mut target.plan),
                ("remediation", &section.remediation, &mut target.remediation),
            ] {
                if let Some(raw) = raw {
                    match duration(&format!("{name}.{field}"), raw) {
                        Ok(d) => *slot = d,
                        Err(e) => errors.push(e),
                    }
                }
            }
        }
        if errors.is_empty() {
            errors.extend(policy.check());
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }

    /// Deadlines must come in order, and a reminder must fall after the case opens.
    pub fn check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for (name, d) in [
            ("critical", self.critical),
            ("major", self.major),
            ("minor", self.minor),
        ] {
            if d.plan < d.acknowledge {
                errors.push(format!("{name}.plan comes before {name}.acknowledge"));
            }
            if d.remediation < d.plan {
                errors.push(format!("{name}.remediation comes before {name}.plan"));
            }
            if self.reminder_before >= d.acknowledge {
                errors.push(format!(
                    "reminder_before must be shorter than {name}.acknowledge, or the reminder would precede the case"
                ));
            }
        }
        errors
    }

    /// A short stable name for this policy: cases record the version their deadlines came from.
    pub fn version(&self) -> String {
        let mut h = Sha256::new();
        for d in [self.critical, self.major, self.minor] {
            for t in [d.acknowledge, d.plan, d.remediation] {
                h.update(t.num_seconds().to_string().as_bytes());
                h.update(b",");
            }
        }
        h.update(self.reminder_before.num_seconds().to_string().as_bytes());
        h.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A readable record of the policy, stored with its version.
    pub fn document(&self) -> serde_json::Value {
        let d = |x: Deadlines| {
            serde_json::json!({
                "acknowledge_seconds": x.acknowledge.num_seconds(),
                "plan_seconds": x.plan.num_seconds(),
                "remediation_seconds": x.remediation.num_seconds(),
            })
        };
        serde_json::json!({
            "critical": d(self.critical), "major": d(self.major), "minor": d(self.minor),
            "reminder_before_seconds": self.reminder_before.num_seconds(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_design() {
        let p = Policy::default();
        assert_eq!(p.critical.acknowledge, TimeDelta::days(2));
        assert_eq!(p.major.plan, TimeDelta::days(14));
        assert_eq!(p.minor.remediation, TimeDelta::days(180));
        assert!(p.check().is_empty());
        assert_eq!(Policy::from_toml("").unwrap(), p);
        assert_eq!(p.version().len(), 16);
    }

    #[test]
    fn a_file_overrides_and_is_checked() {
        let p =
            Policy::from_toml("reminder_before = \"12h\"\n[critical]\nacknowledge = \"1day\"\n")
                .unwrap();
        assert_eq!(p.critical.acknowledge, TimeDelta::days(1));
        assert_eq!(p.reminder_before, TimeDelta::hours(12));
        assert_ne!(p.version(), Policy::default().version());

        let errors = Policy::from_toml("[major]\nacknowledge = \"-2d\"\n").unwrap_err();
        assert!(
            errors[0].contains("major.acknowledge") && errors[0].contains("negative"),
            "{errors:?}"
        );
        let errors = Policy::from_toml("[minor]\nplan = \"1d\"\n").unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("minor.plan comes before minor.acknowledge")),
            "{errors:?}"
        );
        assert!(
            Policy::from_toml("[major]\nack = \"1d\"\n").is_err(),
            "unknown keys are refused"
        );
        assert!(Policy::from_toml("reminder_before = \"3d\"").is_err());
        assert!(Policy::from_toml("[critical]\nplan = \"soon\"").is_err());
    }
}
