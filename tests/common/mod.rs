//! Test harness: starts the real service on a random port against a fresh database (a temp
//! SQLite file, or a fresh PostgreSQL schema when TEST_DATABASE_URL is set) and speaks HTTP
//! to it.
#![allow(dead_code)]

pub mod browser;
pub mod pages;
pub mod proxy;
pub mod smtp;

use std::net::TcpListener;

use diesel::connection::SimpleConnection;
use diesel::Connection;
use ketenzorg::clock::Clock;
use ketenzorg::config::Config;
use ketenzorg::db::Db;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares each listed `async fn name(backend: Backend)` as a test per backend:
/// `sqlite::name` always, `postgres::name` when TEST_DATABASE_URL names a PostgreSQL database.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::common::postgres_url().is_some() {
                        super::$name($crate::common::Backend::Postgres).await
                    } else {
                        eprintln!("skipped: set TEST_DATABASE_URL to run against PostgreSQL");
                    }
                }
            )*
        }
    };
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// A fresh, empty database; dropped (PostgreSQL schema) or deleted (SQLite file) at the end.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    schema: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                TestDb {
                    url,
                    backend,
                    schema: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let base = postgres_url().expect("TEST_DATABASE_URL");
                let schema = format!("test_{}", random_suffix());
                let mut conn =
                    diesel::PgConnection::establish(&base).expect("connect to TEST_DATABASE_URL");
                conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .expect("create schema");
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
                TestDb {
                    url,
                    backend,
                    schema: Some((base, schema)),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.schema {
            if let Ok(mut conn) = diesel::PgConnection::establish(base) {
                let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

pub fn config_for(url: &str) -> Config {
    config_with(url, &[])
}

/// The test configuration with some variables set otherwise (e.g. a small upload limit).
pub fn config_with(url: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars = vec![
        ("DATABASE_URL".to_string(), url.to_string()),
        ("BIND".to_string(), "127.0.0.1:0".to_string()),
        ("KETENZORG_WORKERS".to_string(), "2".to_string()),
        ("KETENZORG_POOL_SIZE".to_string(), "4".to_string()),
        ("KETENZORG_MAX_BODY_BYTES".to_string(), "65536".to_string()),
        // Tests sweep explicitly, at the instants they choose.
        ("KETENZORG_SWEEP_INTERVAL".to_string(), "off".to_string()),
        // And deliver mail explicitly, with senders they configure.
        ("KETENZORG_MAIL_INTERVAL".to_string(), "off".to_string()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::from_vars(vars).expect("test config")
}

/// A request body: JSON, or a file where the value is `{"__csv": "..."}` (a disclosure list,
/// sent as `text/csv`; with `"__filename"`, also named in `Content-Disposition`, as an
/// evidence file is), so that tables of requests can hold both.
fn with_body(req: reqwest::RequestBuilder, body: &Value) -> reqwest::RequestBuilder {
    match body.get("__csv").and_then(Value::as_str) {
        Some(csv) => {
            let req = match body.get("__filename").and_then(Value::as_str) {
                Some(name) => req.header(
                    "Content-Disposition",
                    format!("attachment; filename=\"{name}\""),
                ),
                None => req,
            };
            req.header("Content-Type", "text/csv").body(csv.to_string())
        }
        None => req.json(body),
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub clock: Clock,
    pub admin_token: String,
    pub test_db: TestDb,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &[]).await
    }

    /// As `spawn`, with some configuration variables set otherwise.
    pub async fn spawn_with(backend: Backend, vars: &[(&str, &str)]) -> TestApp {
        let test_db = TestDb::new(backend);
        let config = config_with(&test_db.url, vars);
        let clock = Clock::manual("2026-06-01T09:00:00Z".parse().unwrap());
        let target = config.database.clone();
        let db = tokio::task::spawn_blocking(move || Db::connect(&target, 4))
            .await
            .unwrap()
            .expect("database");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let server = ketenzorg::server::build_with_db(config, clock.clone(), db.clone(), listener)
            .expect("server");
        let base = format!("http://127.0.0.1:{}", server.port);
        let handle = server.server.handle();
        tokio::spawn(server.server);
        let admin_token = {
            let db = db.clone();
            let now = clock.now_naive();
            tokio::task::spawn_blocking(move || {
                let mut conn = db.get().unwrap();
                ketenzorg::db::write_tx(&mut conn, |conn| {
                    let org = ketenzorg::organizations::service::insert(
                        conn,
                        serde_json::from_value(json!({"name": "Operator", "kind": "admin",
                            "country": "BE", "notification_emails": ["ops@operator.example.org"]}))
                        .unwrap(),
                        now,
                    )?;
                    ketenzorg::auth::tokens::issue_unchecked(conn, org.id, "test", now)
                })
                .unwrap()
                .token
            })
            .await
            .unwrap()
        };
        TestApp {
            base,
            client: reqwest::Client::new(),
            db,
            clock,
            admin_token,
            test_db,
            handle,
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = with_body(req, b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// As `request`, with either kind of credential; a session also sends its CSRF token.
    pub async fn request_as(
        &self,
        method: Method,
        path: &str,
        who: &Credential,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        req = match who {
            Credential::Bearer(t) => req.bearer_auth(t),
            Credential::Session(s) => req
                .header("Cookie", format!("kz_session={}", s.cookie))
                .header("X-CSRF-Token", &s.csrf),
        };
        if let Some(b) = body {
            req = with_body(req, b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// The token of the newest sign-in link mailed to `email`, read from the outbox (tests
    /// that are about the mail read it from the SMTP server instead).
    pub async fn link_token(&self, email: &str) -> String {
        use diesel::prelude::*;
        use ketenzorg::schema::notifications as n;
        let db = self.db.clone();
        let email = email.to_string();
        let payload: String = tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            n::table
                .filter(n::recipient_email.eq(email))
                .filter(n::kind.eq("sign_in"))
                .order((n::created_at.desc(), n::id.desc()))
                .select(n::payload)
                .first(&mut *conn)
                .unwrap()
        })
        .await
        .unwrap();
        let payload: Value = serde_json::from_str(&payload).unwrap();
        token_of_link(payload["link"].as_str().unwrap())
    }

    /// Uses a sign-in link token: the session it opens, or the refusal.
    pub async fn use_link(&self, token: &str) -> Result<Session, (StatusCode, Value)> {
        let res = self
            .client
            .post(format!("{}/auth/link", self.base))
            .json(&json!({ "token": token }))
            .send()
            .await
            .unwrap();
        let status = res.status();
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("kz_session="))
            .map(|v| v.split(';').next().unwrap().to_string());
        let body: Value = res.json().await.unwrap_or(Value::Null);
        match (status, cookie) {
            (StatusCode::OK, Some(cookie)) => Ok(Session {
                cookie,
                csrf: body["csrf_token"].as_str().unwrap().to_string(),
            }),
            _ => Err((status, body)),
        }
    }

    /// Asks for a sign-in link for `email` as a person would, and uses it.
    pub async fn sign_in_again(&self, email: &str) -> Session {
        let (s, _) = self
            .request(
                Method::POST,
                "/auth/sign-in",
                None,
                Some(&json!({ "email": email })),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
        self.use_link(&self.link_token(email).await)
            .await
            .expect("a fresh link works")
    }

    /// Invites a person into `organization` (as the admin) and signs them in.
    pub async fn person(&self, organization: &str, email: &str, name: &str) -> (String, Session) {
        let (s, user) = self
            .post(
                "/api/v1/users",
                &self.admin_token,
                json!({"email": email, "display_name": name, "organization_id": organization}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{user}");
        let token = self.link_token(email).await;
        let session = self
            .use_link(&token)
            .await
            .expect("the invitation link works");
        (id(&user), session)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(token), Some(&body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::PATCH, path, Some(token), Some(&body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// Creates an organization of `kind` through the API and returns (id, token).
    pub async fn org(&self, kind: &str, name: &str) -> (String, String) {
        let (status, org) = self
            .post(
                "/api/v1/organizations",
                &self.admin_token,
                json!({
                    "name": name, "kind": kind, "country": "BE",
                    "notification_emails": [format!("{}@{kind}.example.org", random_suffix())],
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        let id = org["id"].as_str().unwrap().to_string();
        let (status, token) = self
            .post(
                "/api/v1/tokens",
                &self.admin_token,
                json!({"organization_id": id, "label": "test"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{token}");
        (id, token["token"].as_str().unwrap().to_string())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the workers so the database can be dropped.
        let handle = self.handle.clone();
        std::mem::drop(handle.stop(false));
    }
}

/// The id field of a JSON object.
/// How a test calls: an API token, or a signed-in person's session.
#[derive(Debug, Clone)]
pub enum Credential {
    Bearer(String),
    Session(Session),
}

/// A signed-in person: the session cookie's value and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// The token a sign-in link carries.
pub fn token_of_link(link: &str) -> String {
    link.split("token=")
        .nth(1)
        .expect("a token in the link")
        .split('&')
        .next()
        .expect("the token")
        .to_string()
}

pub fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// A small supply chain for finding tests: `n` contractors, each with a contract of one buyer
/// whose item is a product with a part made at a shared factory.
pub struct Chain {
    pub buyer_id: String,
    pub buyer: String,
    pub monitor_id: String,
    pub monitor: String,
    pub factory: String,
    /// (org id, token, contract id, product id, part id) per contractor
    pub contractors: Vec<(String, String, String, String, String)>,
}

impl TestApp {
    pub async fn contract(
        &self,
        buyer_id: &str,
        buyer: &str,
        contractor_id: &str,
        reference: &str,
        starts: &str,
        ends: &str,
    ) -> String {
        let (s, k) = self
            .post(
                "/api/v1/contracts",
                buyer,
                json!({"reference": reference, "title": "Lot", "buyer_id": buyer_id,
                "contractor_id": contractor_id, "starts_on": starts, "ends_on": ends}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{k}");
        id(&k)
    }

    pub async fn component(&self, token: &str, name: &str, parent: Option<&str>) -> String {
        let (s, c) = self
            .post(
                "/api/v1/components",
                token,
                json!({"name": name, "parent_id": parent}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        id(&c)
    }

    pub async fn source(
        &self,
        token: &str,
        component: &str,
        factory: &str,
        from: &str,
        to: Option<&str>,
    ) -> StatusCode {
        let (s, body) = self
            .post(
                &format!("/api/v1/components/{component}/sources"),
                token,
                json!({"factory_id": factory, "tier": 2, "valid_from": from, "valid_to": to}),
            )
            .await;
        assert!(s.is_success(), "{body}");
        s
    }

    pub async fn item(&self, token: &str, contract: &str, component: &str) {
        let (s, body) = self
            .post(
                &format!("/api/v1/contracts/{contract}/items"),
                token,
                json!({"component_id": component}),
            )
            .await;
        assert!(s.is_success(), "{body}");
    }

    pub async fn factory(&self, token: &str, name: &str) -> String {
        let (s, f) = self
            .post(
                "/api/v1/factories",
                token,
                json!({"name": name, "address": "1 Industrial Road", "country": "CN"}),
            )
            .await;
        assert!(s.is_success(), "{f}");
        id(&f)
    }

    pub async fn chain(&self, contractors: usize) -> Chain {
        let (buyer_id, buyer) = self.org("buyer", "Buyer").await;
        let (monitor_id, monitor) = self.org("monitor", "Monitor").await;
        let mut out = Vec::new();
        let mut factory = String::new();
        for i in 0..contractors {
            let (cid, ctoken) = self.org("contractor", &format!("Contractor {i}")).await;
            if factory.is_empty() {
                factory = self.factory(&ctoken, "Shared Factory").await;
            }
            let k = self
                .contract(
                    &buyer_id,
                    &buyer,
                    &cid,
                    &format!("K{i}"),
                    "2026-01-01",
                    "2027-12-31",
                )
                .await;
            let product = self.component(&ctoken, &format!("Product {i}"), None).await;
            let part = self
                .component(&ctoken, &format!("Part {i}"), Some(&product))
                .await;
            self.item(&ctoken, &k, &product).await;
            self.source(&ctoken, &part, &factory, "2026-01-01", None)
                .await;
            out.push((cid, ctoken, k, product, part));
        }
        Chain {
            buyer_id,
            buyer,
            monitor_id,
            monitor,
            factory,
            contractors: out,
        }
    }

    /// Files a finding at `factory` as `monitor`; returns the finding.
    pub async fn finding(
        &self,
        monitor: &str,
        factory: &str,
        severity: &str,
        observed_on: &str,
    ) -> Value {
        let (s, f) = self
            .post("/api/v1/findings", monitor, json!({"factory_id": factory, "category": "working_hours",
                "severity": severity, "title": "Excessive overtime", "description": "72-hour weeks",
                "observed_on": observed_on, "confidential_notes": "Source: worker W-17 (do not disclose)"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{f}");
        f
    }
}

pub fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap_or_else(|_| panic!("bad instant {s}"))
}

impl TestApp {
    /// Runs one whole sweep in-process at `when`, with the given policy (default if None).
    pub async fn sweep_at(
        &self,
        when: chrono::DateTime<chrono::Utc>,
        policy: Option<ketenzorg::escalation::Policy>,
    ) -> ketenzorg::escalation::sweep::SweepReport {
        let db = self.db.clone();
        let policy = policy.unwrap_or_default();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            ketenzorg::escalation::sweep::run(&mut conn, when.naive_utc(), &policy, 100).unwrap()
        })
        .await
        .unwrap()
    }

    /// The kinds of a case's events, in order.
    pub async fn event_kinds(&self, case: &str) -> Vec<String> {
        let (_, events) = self
            .get(
                &format!("/api/v1/cases/{case}/events?limit=500"),
                &self.admin_token,
            )
            .await;
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    }

    pub async fn case(&self, case: &str) -> Value {
        self.get(&format!("/api/v1/cases/{case}"), &self.admin_token)
            .await
            .1
    }

    /// Files `n` findings at `factory` as `monitor_token` in one transaction (fast set-up for
    /// volume tests); each opens one case per responsible contractor.
    pub async fn bulk_findings(
        &self,
        monitor_token: &str,
        factory: &str,
        severity: &str,
        n: usize,
    ) {
        let db = self.db.clone();
        let token = monitor_token.to_string();
        let factory = factory.to_string();
        let severity = severity.to_string();
        let now = self.clock.now_naive();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            let caller = ketenzorg::auth::authenticate(&mut conn, &token).unwrap();
            let policy = ketenzorg::escalation::Policy::default();
            ketenzorg::db::write_tx(&mut conn, |c| {
                for i in 0..n {
                    let input =
                        serde_json::from_value(json!({"factory_id": factory, "category": "wages",
                        "severity": severity, "title": format!("Finding {i}"), "description": "d",
                        "observed_on": "2026-05-01"}))
                        .unwrap();
                    ketenzorg::findings::service::file(c, &caller, input, None, now, &policy)?;
                }
                Ok(())
            })
            .unwrap();
        })
        .await
        .unwrap();
    }

    /// Runs `ketenzorg verify-audit` on this app's database: (passed, what it printed).
    pub async fn verify_audit(&self) -> (bool, String) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ketenzorg"))
            .arg("verify-audit")
            .env("DATABASE_URL", &self.test_db.url)
            .env("LOG_LEVEL", "error")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    }

    /// Runs SQL directly (counting rows, corrupting rows on purpose).
    pub async fn count(&self, sql: &str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let db = self.db.clone();
        let sql = sql.to_string();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            diesel::sql_query(sql)
                .get_result::<N>(&mut *conn)
                .unwrap()
                .n
        })
        .await
        .unwrap()
    }

    pub async fn execute(&self, sql: &str) -> usize {
        use diesel::RunQueryDsl;
        let db = self.db.clone();
        let sql = sql.to_string();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            diesel::sql_query(sql).execute(&mut *conn).unwrap()
        })
        .await
        .unwrap()
    }
}

/// A `ketenzorg serve` process of the built binary on `db` (a free port, warn logging, no mail
/// sending; `vars` besides), ready when returned; killed when dropped.
pub struct Served {
    child: std::process::Child,
    pub base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn serve_binary(db: &TestDb, vars: &[(&str, &str)]) -> Served {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ketenzorg"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("LOG_LEVEL", "warn")
        .env("KETENZORG_MAIL_INTERVAL", "off")
        .envs(vars.iter().copied())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start serve");
    // Dropped (and killed) if it never becomes ready.
    let served = Served {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let started = std::time::Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("{}/readyz", served.base)).await {
            if r.status().is_success() {
                return served;
            }
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "serve did not become ready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
