//! A small SMTP server for tests, speaking real SMTP on 127.0.0.1. It records every message
//! it accepts and can refuse chosen recipients: `550` always (permanent) or `451` once
//! (transient). It can be started late on a reserved port, to play a server that is down.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// A header's value (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut lines = head.split("\r\n").peekable();
        while let Some(line) = lines.next() {
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case(name) {
                    let mut value = v.trim().to_string();
                    while let Some(next) = lines.peek() {
                        if next.starts_with(' ') || next.starts_with('\t') {
                            value.push(' ');
                            value.push_str(next.trim());
                            lines.next();
                        } else {
                            break;
                        }
                    }
                    return Some(value);
                }
            }
        }
        None
    }
}

#[derive(Default)]
pub struct Rules {
    pub reject: HashSet<String>,
    pub fail_once: HashSet<String>,
}

#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub rules: Arc<Mutex<Rules>>,
}

impl SmtpServer {
    /// A port on which nothing listens yet.
    pub fn reserve() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        SmtpServer {
            port,
            received: Arc::default(),
            rules: Arc::default(),
        }
    }

    pub async fn start() -> SmtpServer {
        let s = SmtpServer::reserve();
        s.listen().await;
        s
    }

    /// Starts accepting connections on the reserved port.
    pub async fn listen(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let me = me.clone();
                tokio::spawn(async move {
                    let _ = me.session(socket).await;
                });
            }
        });
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 test.smtp ESMTP ready\r\n").await?;
        let mut from = String::new();
        let mut to: Vec<String> = Vec::new();
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                "250-test.smtp\r\n250-8BITMIME\r\n250 SMTPUTF8".into()
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&line);
                to.clear();
                "250 OK".into()
            } else if upper.starts_with("RCPT TO:") {
                let rcpt = address(&line);
                let mut rules = self.rules.lock().unwrap();
                if rules.reject.contains(&rcpt) {
                    "550 5.1.1 No such user here".into()
                } else if rules.fail_once.remove(&rcpt) {
                    "451 4.3.0 Try again later".into()
                } else {
                    to.push(rcpt);
                    "250 OK".into()
                }
            } else if upper == "DATA" {
                if to.is_empty() {
                    "554 No valid recipients".into()
                } else {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let mut data = String::new();
                    while let Some(l) = lines.next_line().await? {
                        if l == "." {
                            break;
                        }
                        let l = l.strip_prefix('.').map_or(l.clone(), |rest| {
                            if l.starts_with("..") {
                                rest.to_string()
                            } else {
                                l.clone()
                            }
                        });
                        data.push_str(&l);
                        data.push_str("\r\n");
                    }
                    self.received.lock().unwrap().push(Received {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                    });
                    "250 OK queued".into()
                }
            } else if upper == "RSET" {
                to.clear();
                "250 OK".into()
            } else if upper == "NOOP" {
                "250 OK".into()
            } else if upper == "QUIT" {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            } else {
                "502 Command not implemented".into()
            };
            write.write_all(reply.as_bytes()).await?;
            write.write_all(b"\r\n").await?;
        }
        Ok(())
    }
}

fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_ascii_lowercase()
}

/// Undoes quoted-printable soft breaks and escapes, enough to search a message's text.
pub fn decode(data: &str) -> String {
    let joined = data.replace("=\r\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}
