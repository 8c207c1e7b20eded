//! Mail transports (SMTP, or `.eml` files in a folder) and building a message: stable
//! `Message-ID` from the outbox row, threading headers per case, plain text and HTML.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport as _};

use super::templates::Rendered;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    None,
    StartTls,
    Implicit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl SmtpSettings {
    /// `smtp://[user[:password]@]host[:port][?tls=none|starttls|tls]`; `smtps://` means implicit
    /// TLS. Default port: 25 without TLS, 587 with STARTTLS, 465 with implicit TLS; default TLS
    /// mode: STARTTLS (a password is never sent in the clear unless asked for).
    pub fn parse(raw: &str) -> Result<SmtpSettings, String> {
        let url =
            url::Url::parse(raw).map_err(|e| format!("KETENZORG_SMTP_URL: not a URL ({e})"))?;
        let mut tls = match url.scheme() {
            "smtp" => TlsMode::StartTls,
            "smtps" => TlsMode::Implicit,
            other => {
                return Err(format!(
                    "KETENZORG_SMTP_URL: scheme {other:?}; use smtp:// or smtps://"
                ))
            }
        };
        for (k, v) in url.query_pairs() {
            match (k.as_ref(), v.as_ref()) {
                ("tls", "none") => tls = TlsMode::None,
                ("tls", "starttls") => tls = TlsMode::StartTls,
                ("tls", "tls" | "implicit") => tls = TlsMode::Implicit,
                (k, v) => {
                    return Err(format!(
                        "KETENZORG_SMTP_URL: unknown option {k}={v} (tls=none|starttls|tls)"
                    ))
                }
            }
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("KETENZORG_SMTP_URL: no host")?;
        let port = url.port().unwrap_or(match tls {
            TlsMode::None => 25,
            TlsMode::StartTls => 587,
            TlsMode::Implicit => 465,
        });
        let decode = |s: &str| percent_decode(s);
        let user = (!url.username().is_empty()).then(|| decode(url.username()));
        let password = url.password().map(decode);
        if password.is_some() && user.is_none() {
            return Err("KETENZORG_SMTP_URL: a password without a user".into());
        }
        Ok(SmtpSettings {
            host: host.to_string(),
            port,
            tls,
            user,
            password,
        })
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[derive(Debug, Clone)]
pub enum TransportConfig {
    /// Each message as `<id>.eml` in this folder.
    Folder(PathBuf),
    Smtp(SmtpSettings),
}

/// How mail is delivered; see the README for the variables.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub transport: TransportConfig,
    pub from: Mailbox,
    /// The base of case links in mails.
    pub public_url: String,
    pub max_attempts: i32,
    pub backoff: Duration,
    pub backoff_max: Duration,
    /// How long a claimed row is held before another sender may take it.
    pub lease: Duration,
    /// How often `serve` looks for mail to send; None: no sender.
    pub interval: Option<Duration>,
}

impl MailConfig {
    /// Reads the mail settings; `get` returns a variable's value. Problems go to `errors`.
    pub fn parse(
        get: &dyn Fn(&str) -> Option<String>,
        bind: Option<std::net::SocketAddr>,
        errors: &mut Vec<String>,
    ) -> MailConfig {
        let transport = match get("KETENZORG_SMTP_URL") {
            Some(u) => match SmtpSettings::parse(&u) {
                Ok(s) => TransportConfig::Smtp(s),
                Err(e) => {
                    errors.push(e);
                    TransportConfig::Folder(PathBuf::from("data/mail"))
                }
            },
            None => TransportConfig::Folder(PathBuf::from(
                get("KETENZORG_MAIL_DIR").unwrap_or_else(|| "data/mail".into()),
            )),
        };
        let from = get("KETENZORG_MAIL_FROM")
            .unwrap_or_else(|| "ketenzorg <ketenzorg@ketenzorg.example.org>".into());
        let from = from.parse::<Mailbox>().unwrap_or_else(|e| {
            errors.push(format!("KETENZORG_MAIL_FROM: {from:?} is not a mailbox such as \"ketenzorg <noreply@example.org>\": {e}"));
            "ketenzorg@ketenzorg.example.org".parse().expect("valid default mailbox")
        });
        let public_url = get("KETENZORG_PUBLIC_URL").unwrap_or_else(|| {
            format!(
                "http://{}",
                bind.map_or("127.0.0.1:8080".into(), |b| b.to_string())
            )
        });
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            errors.push(format!(
                "KETENZORG_PUBLIC_URL: {public_url:?} is not an http(s) URL"
            ));
        }
        let mut duration = |name: &str, default: &str, allow_off: bool| -> Option<Duration> {
            let raw = get(name).unwrap_or_else(|| default.to_string());
            if allow_off && raw == "off" {
                return None;
            }
            match humantime::parse_duration(&raw) {
                Ok(d) if d >= Duration::from_millis(10) => Some(d),
                _ => {
                    errors.push(format!(
                        "{name}: {raw:?} is not a duration such as 30s{}",
                        if allow_off { " or off" } else { "" }
                    ));
                    humantime::parse_duration(default).ok()
                }
            }
        };
        let backoff =
            duration("KETENZORG_MAIL_BACKOFF", "30s", false).unwrap_or(Duration::from_secs(30));
        let backoff_max = duration("KETENZORG_MAIL_BACKOFF_MAX", "1h", false)
            .unwrap_or(Duration::from_secs(3600));
        let lease =
            duration("KETENZORG_MAIL_LEASE", "2m", false).unwrap_or(Duration::from_secs(120));
        let interval = duration("KETENZORG_MAIL_INTERVAL", "5s", true);
        let max_attempts = match get("KETENZORG_MAIL_MAX_ATTEMPTS") {
            None => 12,
            Some(raw) => raw
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .unwrap_or_else(|| {
                    errors.push(format!(
                        "KETENZORG_MAIL_MAX_ATTEMPTS: {raw:?} is not a whole number from 1 to 1000"
                    ));
                    12
                }),
        };
        MailConfig {
            transport,
            from,
            public_url: public_url.trim_end_matches('/').to_string(),
            max_attempts,
            backoff,
            backoff_max,
            lease,
            interval,
        }
    }

    /// The domain of Message-IDs: the sender address's domain.
    pub fn domain(&self) -> String {
        self.from.email.domain().to_string()
    }
}

/// The outcome of one delivery attempt that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth retrying: connection refused, timeouts, 4xx replies.
    Transient(String),
    /// Not worth retrying for this recipient: a 5xx reply.
    Permanent(String),
}

pub enum Transport {
    Folder(PathBuf),
    Smtp(Box<SmtpTransport>),
}

impl Transport {
    pub fn new(config: &MailConfig) -> Result<Transport, String> {
        Ok(match &config.transport {
            TransportConfig::Folder(dir) => Transport::Folder(dir.clone()),
            TransportConfig::Smtp(s) => {
                let builder = match s.tls {
                    TlsMode::None => SmtpTransport::builder_dangerous(&s.host),
                    TlsMode::StartTls => {
                        SmtpTransport::starttls_relay(&s.host).map_err(|e| format!("SMTP: {e}"))?
                    }
                    TlsMode::Implicit => {
                        SmtpTransport::relay(&s.host).map_err(|e| format!("SMTP: {e}"))?
                    }
                };
                let mut builder = builder.port(s.port).timeout(Some(Duration::from_secs(30)));
                if let (Some(u), Some(p)) = (&s.user, &s.password) {
                    builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
                }
                Transport::Smtp(Box::new(builder.build()))
            }
        })
    }

    /// Delivers one message. `name` names its file in the folder transport.
    pub fn send(&self, message: &Message, name: &str) -> Result<(), SendError> {
        match self {
            Transport::Folder(dir) => {
                let io = |e: std::io::Error| {
                    SendError::Transient(format!("mail folder {}: {e}", dir.display()))
                };
                std::fs::create_dir_all(dir).map_err(io)?;
                // Written aside, then renamed: a reader never sees half a message.
                let tmp = dir.join(format!(".{name}.tmp"));
                std::fs::write(&tmp, message.formatted()).map_err(io)?;
                std::fs::rename(&tmp, dir.join(format!("{name}.eml"))).map_err(io)
            }
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
        }
    }
}

/// Builds a message. `message_id` is stable for the outbox row (a resend after a crash carries
/// the same one); every message about a case refers to the case's thread root.
pub fn build(
    config: &MailConfig,
    to: &str,
    message_id: &str,
    thread: Option<&str>,
    rendered: &Rendered,
) -> Result<Message, String> {
    let domain = config.domain();
    let to: Mailbox = to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?;
    let mut b = Message::builder()
        .from(config.from.clone())
        .to(to)
        .message_id(Some(format!("<{message_id}@{domain}>")))
        .subject(rendered.subject.clone());
    if let Some(thread) = thread {
        let root = format!("<{thread}@{domain}>");
        b = b.in_reply_to(root.clone()).references(root);
    }
    b.multipart(
        MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(rendered.text.clone()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(rendered.html.clone()),
            ),
    )
    .map_err(|e| format!("building the message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let s =
            SmtpSettings::parse("smtp://mailer:s%40cret@mail.example.org?tls=starttls").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.tls),
            ("mail.example.org", 587, TlsMode::StartTls)
        );
        assert_eq!(
            (s.user.as_deref(), s.password.as_deref()),
            (Some("mailer"), Some("s@cret"))
        );
        let s = SmtpSettings::parse("smtps://mail.example.org").unwrap();
        assert_eq!((s.port, s.tls), (465, TlsMode::Implicit));
        let s = SmtpSettings::parse("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!((s.port, s.tls, s.user), (2525, TlsMode::None, None));
        for bad in [
            "http://x",
            "smtp://",
            "smtp://h?tls=maybe",
            "not a url",
            "smtp://:pw@h",
        ] {
            assert!(SmtpSettings::parse(bad).is_err(), "{bad}");
        }
    }
}
