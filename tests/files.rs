//! Evidence files (docs/files.md): a contractor uploads remediation evidence and reports
//! remediated naming it, the monitor downloads it byte-identical, a competitor and the other
//! buyer of a shared case get 404, a confidential monitor file is invisible to contractor and
//! buyer; every bad input is a clear problem and leaves nothing stored; one object per
//! content; the S3 store against moto in server mode; the EICAR test string against a real
//! clamd; purge and `verify-audit --files`. On both databases.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::smtp::{decode, SmtpServer};
use common::{id, Backend, Session, TestApp};
use ketenzorg::notifications::mailer::MailConfig;
use ketenzorg::notifications::sender::Sender;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_ketenzorg");

struct World {
    app: TestApp,
    dir: tempfile::TempDir,
    b1: (String, String),
    b2: (String, String),
    contractor: (String, String),
    competitor: (String, String),
    monitor: (String, String),
    finding: String,
    /// The case of the finding, listing a contract of b1 and one of b2.
    case: String,
    /// The contracts of b1 and b2.
    contracts: Vec<String>,
}

async fn world(backend: Backend, vars: &[(&str, &str)]) -> World {
    let dir = tempfile::tempdir().unwrap();
    let files_dir = dir.path().join("files");
    let files_dir = files_dir.to_str().unwrap().to_string();
    let mut all = vec![("KETENZORG_FILES_DIR", files_dir.as_str())];
    all.extend_from_slice(vars);
    let app = TestApp::spawn_with(backend, &all).await;
    let b1 = app.org("buyer", "Stad Gent").await;
    let b2 = app.org("buyer", "Provincie Antwerpen").await;
    let contractor = app.org("contractor", "Laptops NV").await;
    let competitor = app.org("contractor", "Rival BV").await;
    let monitor = app.org("monitor", "Electronics Watch").await;
    let factory = app.factory(&contractor.1, "Shared Factory").await;
    let product = app.component(&contractor.1, "Laptop X", None).await;
    app.source(&contractor.1, &product, &factory, "2026-01-01", None)
        .await;
    let mut contracts = Vec::new();
    for (buyer, reference) in [(&b1, "GENT-1"), (&b2, "ANT-1")] {
        let k = app
            .contract(
                &buyer.0,
                &buyer.1,
                &contractor.0,
                reference,
                "2026-01-01",
                "2027-12-31",
            )
            .await;
        app.item(&contractor.1, &k, &product).await;
        contracts.push(k);
    }
    let f = app
        .finding(&monitor.1, &factory, "major", "2026-05-01")
        .await;
    let case = id(&f["cases"][0]);
    World {
        finding: id(&f),
        case,
        contracts,
        app,
        dir,
        b1,
        b2,
        contractor,
        competitor,
        monitor,
    }
}

/// A small PDF, different for each tag.
fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {tag}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn answer(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A raw upload: the file as the body, named in `Content-Disposition` (if given).
async fn raw(
    app: &TestApp,
    path: &str,
    token: &str,
    bytes: &[u8],
    content_type: &str,
    disposition: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(bytes.to_vec());
    if let Some(d) = disposition {
        req = req.header("Content-Disposition", d);
    }
    answer(req.send().await.unwrap()).await
}

/// A multipart upload: the part `file` and small text fields.
async fn form(
    app: &TestApp,
    path: &str,
    token: &str,
    bytes: &[u8],
    filename: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let (content_type, body) = multipart(bytes, filename, fields);
    let res = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    answer(res).await
}

/// A page's upload form sent by a signed-in person: (status, Location, page).
async fn page_form(
    app: &TestApp,
    path: &str,
    session: &Session,
    bytes: &[u8],
    filename: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let (content_type, body) = multipart(bytes, filename, fields);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client
        .post(format!("{}{path}", app.base))
        .header("Cookie", format!("kz_session={}", session.cookie))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

async fn page(app: &TestApp, path: &str, session: &Session) -> String {
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .header("Cookie", format!("kz_session={}", session.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

fn multipart(bytes: &[u8], filename: &str, fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "kz-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn download(app: &TestApp, file: &str, token: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let res = app
        .client
        .get(format!("{}/api/v1/files/{file}/content", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

fn listed(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(id)
        .collect()
}

/// The objects in a disk store (files under the fan-out folders).
fn objects(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(objects(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn files_dir(w: &World) -> PathBuf {
    w.dir.path().join("files")
}

async fn transition(app: &TestApp, case: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/cases/{case}/transitions"), token, body)
        .await
}

fn sender(app: &TestApp, smtp: &SmtpServer) -> Sender {
    let vars: BTreeMap<&str, String> = BTreeMap::from([
        ("KETENZORG_SMTP_URL", smtp.url()),
        ("KETENZORG_PUBLIC_URL", "https://k.example.org".to_string()),
    ]);
    let mut errors = Vec::new();
    let config = MailConfig::parse(&|k: &str| vars.get(k).cloned(), None, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    Sender::new(app.db.clone(), config, app.clock.clone()).unwrap()
}

async fn remediation_evidence_from_upload_to_download(backend: Backend) {
    let w = world(backend, &[]).await;
    let app = &w.app;
    let smtp = SmtpServer::start().await;
    sender(app, &smtp).run_once().await.unwrap();
    let case_files = format!("/api/v1/cases/{}/files", w.case);
    let finding_files = format!("/api/v1/findings/{}/files", w.finding);

    // The monitor's report, with its source: confidential; and a public photo.
    let secret = pdf("interview notes of worker W-17");
    let (s, confidential) = form(
        app,
        &finding_files,
        &w.monitor.1,
        &secret,
        "interviews.pdf",
        &[("label", "Worker interviews"), ("confidential", "true")],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{confidential}");
    assert_eq!(confidential["confidential"], true);
    assert_eq!(confidential["label"], "Worker interviews");
    assert_eq!(confidential["media_type"], "application/pdf");
    assert_eq!(confidential["sha256"], sha(&secret));
    let photo = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fire exit blocked".to_vec();
    let (s, public) = raw(
        app,
        &finding_files,
        &w.monitor.1,
        &photo,
        "image/png",
        Some("attachment; filename=\"exit.png\""),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{public}");
    assert_eq!(public["confidential"], false);
    assert_eq!(public["media_type"], "image/png");

    // Contractor and buyers see the public one only; the confidential one does not exist for
    // them.
    for who in [&w.contractor.1, &w.b1.1, &w.b2.1] {
        let (s, list) = app.get(&finding_files, who).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(listed(&list), vec![id(&public)]);
        let (s, _, _) = download(app, &id(&confidential), who).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _, body) = download(app, &id(&public), who).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body, photo);
    }
    let (s, list) = app.get(&finding_files, &w.monitor.1).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(listed(&list), vec![id(&confidential), id(&public)]);
    // Only the monitor adds files to its finding; a competitor does not see it at all.
    let (s, p) = raw(
        app,
        &finding_files,
        &w.contractor.1,
        &pdf("x"),
        "application/pdf",
        Some("attachment; filename=\"x.pdf\""),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    for path in [&finding_files, &case_files] {
        let (s, _) = app.get(path, &w.competitor.1).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }

    // The contractor's plan, its evidence, and the report naming them.
    let (s, _) = transition(
        app,
        &w.case,
        &w.contractor.1,
        json!({"action": "acknowledge"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let agreement = pdf("signed remediation agreement");
    let (s, plan_doc) = raw(
        app,
        &case_files,
        &w.contractor.1,
        &agreement,
        "application/pdf",
        Some(
            "attachment; filename=\"agreement.pdf\"; filename*=UTF-8''Vereinbarung%20M%C3%A4rz.pdf",
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{plan_doc}");
    assert_eq!(plan_doc["filename"], "Vereinbarung März.pdf");
    let (s, body) = transition(
        app,
        &w.case,
        &w.contractor.1,
        json!({"action": "submit_plan",
        "plan": {"root_cause": "No overtime controls", "actions": [{"description": "Cap overtime",
        "kind": "corrective", "owner": "Plant manager", "due_on": "2026-09-01"}]},
        "files": [id(&plan_doc)]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = transition(app, &w.case, &w.monitor.1, json!({"action": "accept_plan"})).await;
    assert_eq!(s, StatusCode::OK);
    let payroll = "week;hours;paid\n23;58;yes\n24;60;yes\n"
        .as_bytes()
        .to_vec();
    let (s, evidence) = form(
        app,
        &case_files,
        &w.contractor.1,
        &payroll,
        "payroll.csv",
        &[("label", "Payroll weeks 23-24"), ("sha256", &sha(&payroll))],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{evidence}");
    assert_eq!(evidence["media_type"], "text/csv");
    // A file of another case, or none, is no evidence of this one.
    let (s, p) = transition(
        app,
        &w.case,
        &w.contractor.1,
        json!({"action": "report_remediated", "files": [id(&public)]}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "files[0]", "{p}");
    let (s, body) = transition(
        app,
        &w.case,
        &w.contractor.1,
        json!({"action": "report_remediated", "note": "Overtime capped", "files": [id(&evidence)]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, events) = app
        .get(
            &format!("/api/v1/cases/{}/events?limit=500", w.case),
            &w.monitor.1,
        )
        .await;
    let events = events["items"].as_array().unwrap();
    let report = events
        .iter()
        .find(|e| e["kind"] == "remediation_reported")
        .unwrap();
    assert_eq!(report["payload"]["files"][0]["sha256"], sha(&payroll));
    assert_eq!(report["payload"]["files"][0]["filename"], "payroll.csv");
    let attached: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "file_attached")
        .collect();
    assert_eq!(attached.len(), 2);
    assert_eq!(attached[1]["payload"]["sha256"], sha(&payroll));
    assert_eq!(attached[1]["payload"]["size"], payroll.len());
    assert_eq!(attached[1]["payload"]["label"], "Payroll weeks 23-24");

    // The monitor downloads it byte-identical, as an attachment that is never sniffed.
    let (s, headers, body) = download(app, &id(&evidence), &w.monitor.1).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body, payroll);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"payroll.csv\""
    );
    let (_, headers, body) = download(app, &id(&plan_doc), &w.monitor.1).await;
    assert_eq!(body, agreement);
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"Vereinbarung M_rz.pdf\"; filename*=UTF-8''Vereinbarung%20M%C3%A4rz.pdf"
    );

    // A buyer's own file is its business with the contractor and the monitor: the other
    // buyer of the shared case does not see it; both see the contractor's.
    let (s, b1_file) = raw(
        app,
        &case_files,
        &w.b1.1,
        &pdf("audit clause of Gent"),
        "application/pdf",
        Some("attachment; filename=\"clause.pdf\""),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b1_file}");
    let (_, b2_list) = app.get(&case_files, &w.b2.1).await;
    assert_eq!(listed(&b2_list), vec![id(&plan_doc), id(&evidence)]);
    let (s, _, _) = download(app, &id(&b1_file), &w.b2.1).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, b2_events) = app
        .get(
            &format!("/api/v1/cases/{}/events?limit=500", w.case),
            &w.b2.1,
        )
        .await;
    assert!(!b2_events.to_string().contains("clause.pdf"), "{b2_events}");
    // Nor in the recent activity of its contract's due diligence.
    for (buyer, contract, seen) in [(&w.b1, &w.contracts[0], 3), (&w.b2, &w.contracts[1], 2)] {
        let (s, dd) = app
            .get(
                &format!("/api/v1/contracts/{contract}/due-diligence"),
                &buyer.1,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{dd}");
        let attached = dd["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["kind"] == "file_attached")
            .count();
        assert_eq!(attached, seen, "{dd}");
    }
    let (_, b1_list) = app.get(&case_files, &w.b1.1).await;
    assert_eq!(
        listed(&b1_list),
        vec![id(&plan_doc), id(&evidence), id(&b1_file)]
    );
    for who in [&w.contractor.1, &w.monitor.1] {
        let (s, _, _) = download(app, &id(&b1_file), who).await;
        assert_eq!(s, StatusCode::OK);
    }
    // A competitor gets 404 for everything.
    for f in [&plan_doc, &evidence, &b1_file, &public] {
        let (s, _, _) = download(app, &id(f), &w.competitor.1).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }

    // The mails name the file and its size, and carry no file; the confidential file is in no
    // mail at all.
    app.clock.set(common::at("2026-06-01T10:00:00Z"));
    sender(app, &smtp).run_once().await.unwrap();
    let mails: Vec<String> = smtp.messages().iter().map(|m| decode(&m.data)).collect();
    let about_payroll: Vec<&String> = mails
        .iter()
        .filter(|m| m.contains("New file") && m.contains("payroll.csv"))
        .collect();
    assert!(!about_payroll.is_empty(), "{mails:?}");
    for m in &mails {
        assert!(!m.contains("interviews.pdf") && !m.contains("W-17"), "{m}");
        assert!(!m.contains("23;58;yes"), "a file's content in a mail: {m}");
        assert!(!m.contains("Content-Disposition: attachment"), "{m}");
    }
    assert!(
        about_payroll
            .iter()
            .any(|m| m.contains(&format!("payroll.csv ({} B)", payroll.len()))),
        "{about_payroll:?}"
    );
    let (ok, out) = app.verify_audit().await;
    assert!(ok, "{out}");
}

async fn bad_uploads_are_refused_and_leave_nothing(backend: Backend) {
    let w = world(
        backend,
        &[
            ("KETENZORG_MAX_FILE_BYTES", "2048"),
            ("KETENZORG_MAX_FILES_PER_CASE_BYTES", "3000"),
        ],
    )
    .await;
    let app = &w.app;
    let c = &w.contractor.1;
    let path = format!("/api/v1/cases/{}/files", w.case);
    let named = |n: &str| format!("attachment; filename=\"{n}\"");
    // (what, bytes, declared type, Content-Disposition, status, the field named)
    type Bad<'a> = (
        &'a str,
        Vec<u8>,
        &'a str,
        Option<String>,
        StatusCode,
        &'a str,
    );
    let cases: Vec<Bad> = vec![
        (
            "empty",
            Vec::new(),
            "application/pdf",
            Some(named("e.pdf")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "file",
        ),
        (
            "over the limit",
            [pdf("big"), vec![b'x'; 3000]].concat(),
            "application/pdf",
            Some(named("big.pdf")),
            StatusCode::PAYLOAD_TOO_LARGE,
            "",
        ),
        (
            "an executable",
            b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec(),
            "application/pdf",
            Some(named("invoice.pdf")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "",
        ),
        (
            "HTML",
            b"<html><script>alert(1)</script></html>\x00".to_vec(),
            "text/html",
            Some(named("a.html")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "",
        ),
        (
            "a path",
            pdf("p"),
            "application/pdf",
            Some(named("../../etc/passwd")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "filename",
        ),
        (
            "a Windows path",
            pdf("p"),
            "application/pdf",
            Some(named("..\\\\boot.ini")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "filename",
        ),
        (
            "a control character",
            pdf("p"),
            "application/pdf",
            Some("attachment; filename*=UTF-8''a%0Ab.pdf".to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "filename",
        ),
        (
            "no name",
            pdf("p"),
            "application/pdf",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "filename",
        ),
    ];
    for (what, bytes, ct, disposition, status, field) in &cases {
        let (s, p) = raw(app, &path, c, bytes, ct, disposition.as_deref()).await;
        assert_eq!(s, *status, "{what}: {p}");
        assert!(
            p["type"].as_str().unwrap().starts_with("/problems/"),
            "{what}: {p}"
        );
        if !field.is_empty() {
            assert_eq!(p["errors"][0]["field"], *field, "{what}: {p}");
        }
        if s == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            assert!(
                p["detail"]
                    .as_str()
                    .unwrap()
                    .contains("application/pdf, image/png"),
                "{p}"
            );
        }
    }
    // A declared SHA-256 that does not match, a confidential case file, a bad label.
    let (s, p) = raw(
        app,
        &format!("{path}?sha256={}", sha(b"something else")),
        c,
        &pdf("h"),
        "application/pdf",
        Some(&named("h.pdf")),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "sha256");
    let (s, p) = raw(
        app,
        &format!("{path}?confidential=true"),
        c,
        &pdf("c"),
        "application/pdf",
        Some(&named("c.pdf")),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "confidential");
    let (s, p) = form(
        app,
        &path,
        c,
        &pdf("l"),
        "l.pdf",
        &[("label", "two\nlines")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "label");
    let (s, p) = form(app, &path, c, &pdf("n"), "sub/n.pdf", &[]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    // An upload cut off mid-way.
    let cut = cut_off(app, &path, c).await;
    assert!(cut.starts_with("HTTP/1.1 400"), "{cut}");

    assert_eq!(app.count("SELECT COUNT(*) AS n FROM files").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments").await, 0);
    assert_eq!(objects(&files_dir(&w)), Vec::<PathBuf>::new());
    assert!(!app
        .event_kinds(&w.case)
        .await
        .contains(&"file_attached".to_string()));

    // The per-case total: the second file would pass it; the first stays, once.
    let first = [pdf("first"), vec![b' '; 1800]].concat();
    let (s, f) = raw(
        app,
        &path,
        c,
        &first,
        "application/pdf",
        Some(&named("1.pdf")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let (s, p) = raw(
        app,
        &path,
        c,
        &[pdf("second"), vec![b' '; 1800]].concat(),
        "application/pdf",
        Some(&named("2.pdf")),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("this case"), "{p}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM files").await, 1);
    assert_eq!(
        objects(&files_dir(&w)).len(),
        1,
        "the refused file's object is removed"
    );
}

/// Sends a raw upload that announces more bytes than it sends, then closes its side; what
/// the server answered (possibly nothing).
async fn cut_off(app: &TestApp, path: &str, token: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"cut.pdf\"\r\nContent-Length: 1900\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&pdf("cut off")).await.unwrap();
    s.shutdown().await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).to_string()
}

async fn one_object_per_content(backend: Backend) {
    let w = world(backend, &[]).await;
    let app = &w.app;
    let bytes = pdf("the same audit report");
    let mut ids = Vec::new();
    for (path, token, name) in [
        (
            format!("/api/v1/cases/{}/files", w.case),
            &w.contractor.1,
            "a.pdf",
        ),
        (
            format!("/api/v1/cases/{}/files", w.case),
            &w.monitor.1,
            "b.pdf",
        ),
        (
            format!("/api/v1/findings/{}/files", w.finding),
            &w.monitor.1,
            "c.pdf",
        ),
    ] {
        let (s, f) = raw(
            app,
            &path,
            token,
            &bytes,
            "application/pdf",
            Some(&format!("attachment; filename=\"{name}\"")),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{f}");
        assert_eq!(f["sha256"], sha(&bytes));
        ids.push(id(&f));
    }
    // Uploads of one new content at once: each attached, the object stored once.
    let racing = pdf("sent by six clients at once");
    let mut running = Vec::new();
    for i in 0..6 {
        let (client, bytes) = (app.client.clone(), racing.clone());
        let url = format!("{}/api/v1/cases/{}/files", app.base, w.case);
        let token = w.contractor.1.clone();
        running.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("Content-Type", "application/pdf")
                .header(
                    "Content-Disposition",
                    format!("attachment; filename=\"r{i}.pdf\""),
                )
                .body(bytes)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for r in running {
        assert_eq!(r.await.unwrap(), StatusCode::CREATED);
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments").await, 9);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM files").await, 2);
    assert_eq!(objects(&files_dir(&w)).len(), 2);
    let (ok, out) = cli(&w, &["verify-audit", "--files"], &[]);
    assert!(ok, "{out}");
    let stored: Vec<PathBuf> = objects(&files_dir(&w))
        .into_iter()
        .filter(|p| p.ends_with(sha(&bytes)))
        .collect();
    assert_eq!(stored.len(), 1);
    // Stored under its hash, never under a name a client gave.
    assert!(
        stored[0].ends_with(format!("{}/{}", &sha(&bytes)[..2], sha(&bytes))),
        "{stored:?}"
    );
    for f in &ids {
        let (s, _, body) = download(app, f, &w.monitor.1).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body, bytes);
    }
}

/// `ketenzorg ARGS` on the world's database and store: (passed, stdout).
fn cli(w: &World, args: &[&str], vars: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &w.app.test_db.url)
        .env("KETENZORG_FILES_DIR", files_dir(w))
        .env("LOG_LEVEL", "error")
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn purge_after_retention_and_verify_the_stored_files(backend: Backend) {
    let w = world(backend, &[]).await;
    let app = &w.app;
    let case_files = format!("/api/v1/cases/{}/files", w.case);
    let kept = pdf("kept");
    let (s, f) = raw(
        app,
        &case_files,
        &w.contractor.1,
        &kept,
        "application/pdf",
        Some("attachment; filename=\"kept.pdf\""),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let (ok, out) = cli(&w, &["verify-audit", "--files"], &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("1 files, each present with its SHA-256"),
        "{out}"
    );
    // A backup takes the database and, beside it, the disk store's objects: the copy verifies
    // on its own (SQLite; PostgreSQL's backup is pg_dump's).
    if backend == Backend::Sqlite {
        let target = w.dir.path().join("backup.db");
        let (ok, out) = cli(&w, &["backup", target.to_str().unwrap()], &[]);
        assert!(ok && out.contains("copied 1 evidence files"), "{out}");
        let verify = Command::new(BIN)
            .args(["verify-audit", "--files"])
            .env("DATABASE_URL", format!("sqlite://{}", target.display()))
            .env("KETENZORG_FILES_DIR", w.dir.path().join("backup.files"))
            .env("LOG_LEVEL", "error")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&verify.stdout);
        assert!(
            verify.status.success() && text.contains("1 files, each present with its SHA-256"),
            "{text}"
        );
        let (ok, out) = cli(&w, &["backup", target.to_str().unwrap()], &[]);
        assert!(!ok, "a second backup to the same name is refused: {out}");
    }
    // Within retention (the case is not even closed): nothing to purge.
    let (ok, out) = cli(&w, &["purge"], &[]);
    assert!(ok && out.contains("purge: 0 files"), "{out}");

    // Closed eight years ago.
    let (s, _) = transition(
        app,
        &w.case,
        &w.monitor.1,
        json!({"action": "close", "reason": "Resolved"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    app.execute(&format!(
        "UPDATE cases SET closed_at = '2018-01-10 09:00:00' WHERE id = '{}'",
        w.case
    ))
    .await;
    let (ok, out) = cli(&w, &["purge"], &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("would remove {}", sha(&kept))),
        "{out}"
    );
    assert!(out.contains("dry run"), "{out}");
    assert_eq!(
        objects(&files_dir(&w)).len(),
        1,
        "a dry run removes nothing"
    );
    // Under legal hold it stays; released, it goes.
    let (ok, out) = cli(&w, &["legal-hold", &w.case], &[]);
    assert!(ok, "{out}");
    let (_, out) = cli(&w, &["purge", "--commit"], &[]);
    assert!(out.contains("purge: 0 files"), "{out}");
    let (ok, _) = cli(&w, &["legal-hold", &w.case, "--release"], &[]);
    assert!(ok);
    let (ok, out) = cli(&w, &["purge", "--commit"], &[]);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("removed {}", sha(&kept))), "{out}");
    assert_eq!(objects(&files_dir(&w)), Vec::<PathBuf>::new());
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM file_purges").await, 1);
    let (s, _, _) = download(app, &id(&f), &w.contractor.1).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The history still says the file was attached, and the chain holds.
    assert!(app
        .event_kinds(&w.case)
        .await
        .contains(&"file_attached".to_string()));
    let (ok, out) = cli(&w, &["verify-audit", "--files"], &[]);
    assert!(ok, "{out}");

    // A stored object changed, or gone, is found.
    let finding_files = format!("/api/v1/findings/{}/files", w.finding);
    let original = pdf("report");
    let (s, _) = raw(
        app,
        &finding_files,
        &w.monitor.1,
        &original,
        "application/pdf",
        Some("attachment; filename=\"r.pdf\""),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let object = objects(&files_dir(&w)).remove(0);
    std::fs::write(&object, pdf("forged report")).unwrap();
    let (ok, out) = cli(&w, &["verify-audit", "--files"], &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("file {}: the stored content", sha(&original))),
        "{out}"
    );
    std::fs::remove_file(&object).unwrap();
    let (ok, out) = cli(&w, &["verify-audit", "--files"], &[]);
    assert!(!ok);
    assert!(out.contains("missing from the store"), "{out}");
}

/// A tool the test needs: its path, or `None` (outside CI: skip; in CI: fail).
fn tool(names: &[&str]) -> Option<PathBuf> {
    for n in names {
        let p = Path::new(n);
        if p.is_absolute() && p.exists() {
            return Some(p.to_path_buf());
        }
        if let Ok(out) = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {n}"))
            .output()
        {
            let found = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && !found.is_empty() {
                return Some(PathBuf::from(found));
            }
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("{names:?} is not installed (.ci/run installs it)");
    }
    eprintln!("skipped: {names:?} is not installed");
    None
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The EICAR test file (68 bytes), which every virus scanner reports.
const EICAR: &str = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// clamd in the foreground on a socket in `dir`, with a one-line signature database for
/// the EICAR string (md5:size:name), so nothing is downloaded.
async fn clamd(dir: &Path) -> Option<(Killed, PathBuf)> {
    let bin = tool(&["clamd", "/usr/sbin/clamd"])?;
    let db = dir.join("db");
    std::fs::create_dir_all(&db).unwrap();
    let md5 = format!("{:x}", md5_of(EICAR.as_bytes()));
    std::fs::write(
        db.join("eicar.hdb"),
        format!("{md5}:{}:Eicar-Test-Signature\n", EICAR.len()),
    )
    .unwrap();
    let socket = dir.join("clamd.sock");
    let conf = dir.join("clamd.conf");
    std::fs::write(
        &conf,
        format!(
            "LocalSocket {}\nDatabaseDirectory {}\nForeground yes\nLogFile {}\nTemporaryDirectory {}\nPidFile {}\n",
            socket.display(),
            db.display(),
            dir.join("clamd.log").display(),
            dir.display(),
            dir.join("clamd.pid").display(),
        ),
    )
    .unwrap();
    let child = Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Killed(child);
    for _ in 0..600 {
        if socket.exists() {
            return Some((child, socket));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "clamd did not open its socket: {}",
        std::fs::read_to_string(dir.join("clamd.log")).unwrap_or_default()
    );
}

/// MD5, for the signature line only (ClamAV's .hdb format names the file by it).
fn md5_of(data: &[u8]) -> u128 {
    let out = Command::new("md5sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(data)?;
            c.wait_with_output()
        })
        .unwrap();
    let hex = String::from_utf8_lossy(&out.stdout);
    u128::from_str_radix(hex.split_whitespace().next().unwrap(), 16).unwrap()
}

async fn the_eicar_string_is_refused_by_clamd(backend: Backend) {
    let scratch = tempfile::tempdir().unwrap();
    let Some((daemon, socket)) = clamd(scratch.path()).await else {
        return;
    };
    let socket = socket.to_str().unwrap().to_string();
    let w = world(backend, &[("KETENZORG_CLAMD_SOCKET", &socket)]).await;
    let app = &w.app;
    let path = format!("/api/v1/cases/{}/files", w.case);
    let (s, p) = raw(
        app,
        &path,
        &w.contractor.1,
        EICAR.as_bytes(),
        "text/plain",
        Some("attachment; filename=\"eicar.txt\""),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "file");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("Eicar-Test-Signature"),
        "{p}"
    );
    let (s, f) = raw(
        app,
        &path,
        &w.contractor.1,
        &pdf("clean"),
        "application/pdf",
        Some("attachment; filename=\"clean.pdf\""),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    assert_eq!(
        objects(&files_dir(&w)).len(),
        1,
        "the infected file was not stored"
    );
    // No scanner, no upload.
    drop(daemon);
    let _ = std::fs::remove_file(&socket);
    let (s, p) = raw(
        app,
        &path,
        &w.contractor.1,
        &pdf("unscanned"),
        "application/pdf",
        Some("attachment; filename=\"u.pdf\""),
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{p}");
    assert_eq!(objects(&files_dir(&w)).len(), 1);
}

async fn moto(port: u16) -> Option<Killed> {
    let bin = tool(&["moto_server", "/root/.pyenv/shims/moto_server"])?;
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Killed(child);
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .is_ok()
        {
            return Some(child);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not start on port {port}");
}

async fn the_s3_store_against_a_real_s3_server(backend: Backend) {
    let port = free_port();
    let Some(_server) = moto(port).await else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let bucket = format!(
        "evidence-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success(), "{:?}", made.text().await);
    let vars = [
        ("KETENZORG_FILE_STORE", "s3"),
        ("KETENZORG_S3_BUCKET", bucket.as_str()),
        ("KETENZORG_S3_ENDPOINT", endpoint.as_str()),
        ("KETENZORG_S3_ACCESS_KEY_ID", "testing"),
        ("KETENZORG_S3_SECRET_ACCESS_KEY", "testing"),
    ];
    let w = world(backend, &vars).await;
    let app = &w.app;
    let bytes = pdf("payslips in the bucket");
    let path = format!("/api/v1/cases/{}/files", w.case);
    let mut ids = Vec::new();
    for name in ["a.pdf", "b.pdf"] {
        let (s, f) = raw(
            app,
            &path,
            &w.contractor.1,
            &bytes,
            "application/pdf",
            Some(&format!("attachment; filename=\"{name}\"")),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{f}");
        ids.push(id(&f));
    }
    // In the bucket under its hash, once; nothing on disk.
    let listing = reqwest::get(format!("{endpoint}/{bucket}?list-type=2"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(listing.matches("<Key>").count(), 1, "{listing}");
    assert!(
        listing.contains(&format!("<Key>files/{}</Key>", sha(&bytes))),
        "{listing}"
    );
    assert_eq!(objects(&files_dir(&w)), Vec::<PathBuf>::new());
    for f in &ids {
        let (s, _, body) = download(app, f, &w.monitor.1).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body, bytes);
    }
    let (ok, out) = cli(&w, &["verify-audit", "--files"], &vars);
    assert!(ok, "{out}");
    // A changed object in the bucket is found (written by a client of the bucket's own).
    use object_store::ObjectStore;
    let bucket_client = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&bucket)
        .with_region("us-east-1")
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .build()
        .unwrap();
    bucket_client
        .put(
            &object_store::path::Path::from(format!("files/{}", sha(&bytes))),
            pdf("forged").into(),
        )
        .await
        .unwrap();
    let (ok, out) = cli(&w, &["verify-audit", "--files"], &vars);
    assert!(!ok, "{out}");
    assert!(out.contains("it was changed"), "{out}");
}

/// The pages: a contractor's person attaches a file on the case page (with the form's CSRF
/// token), the monitor's person a confidential one on the finding page; each page lists what
/// its viewer may read, with download links; a refused file shows the page again with why.
async fn the_pages_attach_and_list_files(backend: Backend) {
    let w = world(backend, &[]).await;
    let app = &w.app;
    let (_, contractor) = app
        .person(&w.contractor.0, "qa@laptops.example.org", "Quinn Laptops")
        .await;
    let (_, monitor) = app
        .person(&w.monitor.0, "field@watch.example.org", "Mo Watch")
        .await;
    let case_form = format!("/cases/{}/files", w.case);
    let csrf = contractor.csrf.clone();
    let (s, location, _) = page_form(
        app,
        &case_form,
        &contractor,
        &pdf("fire exit photo report"),
        "fire-exits.pdf",
        &[("csrf_token", &csrf), ("label", "Fire exits, June")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/cases/{}?done=file", w.case));
    let (_, list) = app
        .get(&format!("/api/v1/cases/{}/files", w.case), &w.contractor.1)
        .await;
    let file = id(&list[0]);
    let shown = page(app, &format!("/cases/{}?done=file", w.case), &contractor).await;
    assert!(shown.contains("fire-exits.pdf"), "{shown}");
    assert!(
        shown.contains(&format!("/api/v1/files/{file}/content")),
        "{shown}"
    );
    assert!(shown.contains("Fire exits, June"), "{shown}");
    // Without the form's token, or with a file that is not taken: refused, nothing attached.
    let (s, _, _) = page_form(app, &case_form, &contractor, &pdf("x"), "x.pdf", &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, refused) = page_form(
        app,
        &case_form,
        &contractor,
        b"MZ\x90\0\x03\0\0\0",
        "tool.exe",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        refused.contains("this kind of file is not taken"),
        "{refused}"
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments").await, 1);

    // The monitor's confidential file on its finding page: listed there, not to the contractor.
    let finding_form = format!("/findings/{}/files", w.finding);
    let (s, location, _) = page_form(
        app,
        &finding_form,
        &monitor,
        &pdf("interviews"),
        "interviews.pdf",
        &[("csrf_token", &monitor.csrf), ("confidential", "true")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/findings/{}?done=file", w.finding));
    let shown = page(app, &location, &monitor).await;
    assert!(shown.contains("interviews.pdf"), "{shown}");
    assert!(shown.contains("The file was attached."), "{shown}");
    let case_page = page(app, &format!("/cases/{}", w.case), &monitor).await;
    assert!(
        case_page.contains("interviews.pdf"),
        "the monitor sees it by the case too"
    );
    let case_page = page(app, &format!("/cases/{}", w.case), &contractor).await;
    assert!(!case_page.contains("interviews.pdf"), "{case_page}");
    let (s, _, _) = page_form(
        app,
        &finding_form,
        &contractor,
        &pdf("c"),
        "c.pdf",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

on_both_backends!(
    the_pages_attach_and_list_files,
    remediation_evidence_from_upload_to_download,
    bad_uploads_are_refused_and_leave_nothing,
    one_object_per_content,
    purge_after_retention_and_verify_the_stored_files,
    the_eicar_string_is_refused_by_clamd,
    the_s3_store_against_a_real_s3_server,
);
