//! Deadlines, reminders and escalation: the right instants for each severity, nothing early,
//! nothing twice (also with two sweepers, a killed sweep, a backlog of 5,000), and deadlines
//! that move (transitions, extensions, the monitor-waiting pause, a new policy).

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::{at, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

const OPENED: &str = "2026-06-01T09:00:00Z";

/// One contractor chain and one finding of `severity`: returns (app, chain, case id).
async fn one_case(backend: Backend, severity: &str) -> (TestApp, common::Chain, String) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let f = app
        .finding(&chain.monitor, &chain.factory, severity, "2026-05-01")
        .await;
    let case = f["cases"][0]["id"].as_str().unwrap().to_string();
    (app, chain, case)
}

fn plus(days: i64, secs: i64) -> DateTime<Utc> {
    at(OPENED) + TimeDelta::days(days) + TimeDelta::seconds(secs)
}

async fn climbs_one_level_per_missed_deadline(backend: Backend) {
    for (severity, ack, plan, remediation) in [
        ("critical", 2, 7, 30),
        ("major", 7, 14, 90),
        ("minor", 14, 30, 180),
    ] {
        let (app, chain, case) = one_case(backend, severity).await;
        let c = app.case(&case).await;
        assert_eq!(
            c["deadlines"]["acknowledge"],
            plus(ack, 0).format("%Y-%m-%dT%H:%M:%SZ").to_string()
        );
        let mut expected = vec!["opened".to_string()];
        for (due, level) in [(ack, 1), (plan, 2), (remediation, 3)] {
            // Nothing before the reminder, 24 hours ahead of the deadline.
            let r = app.sweep_at(plus(due - 1, -1), None).await;
            assert_eq!(
                (r.reminders, r.escalations),
                (0, 0),
                "{severity}: early at {due}d"
            );
            let r = app.sweep_at(plus(due - 1, 0), None).await;
            assert_eq!(
                (r.reminders, r.escalations),
                (1, 0),
                "{severity}: reminder for {due}d"
            );
            expected.push("reminder".into());
            // Nothing between the reminder and the deadline.
            let r = app.sweep_at(plus(due, -1), None).await;
            assert_eq!(
                (r.reminders, r.escalations),
                (0, 0),
                "{severity}: early escalation at {due}d"
            );
            let r = app.sweep_at(plus(due, 0), None).await;
            assert_eq!(
                (r.reminders, r.escalations),
                (0, 1),
                "{severity}: escalation at {due}d"
            );
            expected.push("escalated".into());
            let c = app.case(&case).await;
            assert_eq!(c["escalation_level"], level, "{severity}");
            assert_eq!(
                c["overdue"],
                level >= 2,
                "{severity}: level 2 flags overdue"
            );
            assert_eq!(c["non_cooperation"], level == 3);
        }
        // And never again.
        let r = app.sweep_at(plus(400, 0), None).await;
        assert_eq!((r.reminders, r.escalations), (0, 0));
        assert_eq!(app.event_kinds(&case).await, expected, "{severity}");
        let (_, events) = app
            .get(&format!("/api/v1/cases/{case}/events"), &chain.monitor)
            .await;
        let levels: Vec<i64> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "escalated")
            .map(|e| e["payload"]["level"].as_i64().unwrap())
            .collect();
        assert_eq!(levels, [1, 2, 3]);
        // Overdue shows in the lists and filters.
        let (_, overdue) = app.get("/api/v1/cases?overdue=true", &chain.buyer).await;
        assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
        // Level 1 told the buyer and the contractor's escalation contact; level 2 the monitor too.
        let buyer_mails = app.count(&format!("SELECT COUNT(*) AS n FROM notifications WHERE case_id = '{case}' AND kind = 'escalated' AND recipient_organization_id = '{}'", chain.buyer_id)).await;
        let monitor_mails = app.count(&format!("SELECT COUNT(*) AS n FROM notifications WHERE case_id = '{case}' AND kind = 'escalated' AND recipient_organization_id = '{}'", chain.monitor_id)).await;
        assert_eq!((buyer_mails, monitor_mails), (3, 2), "{severity}");
        let reminders = app.count(&format!("SELECT COUNT(*) AS n FROM notifications WHERE case_id = '{case}' AND kind = 'reminder' AND recipient_organization_id = '{}'", chain.contractors[0].0)).await;
        assert_eq!(reminders, 3);
    }
}

async fn a_transition_in_time_stops_the_escalation(backend: Backend) {
    let (app, chain, case) = one_case(backend, "critical").await;
    app.clock.set(plus(1, 3600));
    let (s, _) = app
        .post(
            &format!("/api/v1/cases/{case}/transitions"),
            &chain.contractors[0].1,
            json!({"action": "acknowledge"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let r = app.sweep_at(plus(2, 0), None).await;
    assert_eq!(r.escalations, 0, "acknowledged in time");
    let c = app.case(&case).await;
    assert_eq!(c["escalation_level"], 0);
    assert_eq!(
        c["next_due_at"], c["deadlines"]["plan"],
        "the plan deadline runs on"
    );
    let r = app.sweep_at(plus(7, 0), None).await;
    assert_eq!(r.escalations, 1, "the plan deadline is missed");
    assert_eq!(app.case(&case).await["escalation_level"], 1);
}

async fn an_extension_moves_and_rearms_the_deadline(backend: Backend) {
    let (app, chain, case) = one_case(backend, "critical").await;
    // The reminder for the original deadline goes out...
    let r = app.sweep_at(plus(1, 0), None).await;
    assert_eq!(r.reminders, 1);
    // ...then the buyer moves the deadline by three days.
    app.clock.set(plus(1, 60));
    let (s, c) = app.post(&format!("/api/v1/cases/{case}/extensions"), &chain.buyer,
        json!({"deadline": "acknowledge", "until": plus(5, 0).to_rfc3339(), "reason": "Factory audit week"})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let r = app.sweep_at(plus(2, 0), None).await;
    assert_eq!(
        (r.reminders, r.escalations),
        (0, 0),
        "the old deadline no longer fires"
    );
    let r = app.sweep_at(plus(4, 0), None).await;
    assert_eq!(
        (r.reminders, r.escalations),
        (1, 0),
        "a new reminder for the new instant"
    );
    let r = app.sweep_at(plus(5, -1), None).await;
    assert_eq!(r.escalations, 0);
    let r = app.sweep_at(plus(5, 0), None).await;
    assert_eq!(r.escalations, 1);
    assert_eq!(
        app.event_kinds(&case).await,
        [
            "opened",
            "reminder",
            "extension_granted",
            "reminder",
            "escalated"
        ]
    );
    // Extending a missed deadline into the future takes its level back.
    app.clock.set(plus(5, 60));
    let (_, c) = app.post(&format!("/api/v1/cases/{case}/extensions"), &chain.monitor,
        json!({"deadline": "acknowledge", "until": plus(6, 0).to_rfc3339(), "reason": "New contact person"})).await;
    assert_eq!(c["escalation_level"], 0);
    let r = app.sweep_at(plus(6, 0), None).await;
    assert_eq!(r.escalations, 1, "and re-arms it for the new instant");
    assert_eq!(app.case(&case).await["escalation_level"], 1);
}

async fn waiting_on_the_monitor_stops_the_clock(backend: Backend) {
    let (app, chain, case) = one_case(backend, "critical").await;
    let c = &chain.contractors[0].1;
    let t = format!("/api/v1/cases/{case}/transitions");
    app.clock.set(plus(1, 0));
    app.post(&t, c, json!({"action": "acknowledge"})).await;
    app.clock.set(plus(3, 0));
    let (s, _) = app
        .post(
            &t,
            c,
            json!({"action": "submit_plan", "plan": {"root_cause": "r", "actions": [
        {"description": "d", "kind": "corrective", "owner": "o", "due_on": "2026-07-01"}]}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // The plan deadline (day 7) passes while the monitor reviews: nothing happens.
    let r = app.sweep_at(plus(8, 0), None).await;
    assert_eq!((r.reminders, r.escalations), (0, 0));
    // The monitor rejects on day 10; the contractor gets back the 7 days it waited.
    app.clock.set(plus(10, 0));
    let (_, rejected) = app
        .post(
            &t,
            &chain.monitor,
            json!({"action": "reject_plan", "reason": "No root cause"}),
        )
        .await;
    assert_eq!(
        rejected["deadlines"]["plan"],
        plus(14, 0).format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    assert_eq!(
        rejected["deadlines"]["remediation"],
        plus(37, 0).format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    let r = app.sweep_at(plus(13, 0), None).await;
    assert_eq!(r.reminders, 1);
    let r = app.sweep_at(plus(14, 0), None).await;
    assert_eq!(r.escalations, 1);
}

async fn two_sweepers_escalate_each_case_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    app.bulk_findings(&chain.monitor, &chain.factory, "critical", 150)
        .await; // 300 cases
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM cases").await, 300);
    let when = plus(3, 0);
    let (a, b) = tokio::join!(app.sweep_at(when, None), app.sweep_at(when, None));
    assert_eq!(a.escalations + b.escalations, 300, "{a:?} {b:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM case_events WHERE kind = 'escalated'")
            .await,
        300
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT case_id) AS n FROM case_events WHERE kind = 'escalated'")
            .await,
        300
    );
    let again = app.sweep_at(when, None).await;
    assert_eq!(again.escalations, 0);
}

async fn a_killed_sweep_loses_nothing_and_doubles_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    // 5,000 cases due at once (after an outage, say), more than ten batches of the command.
    app.bulk_findings(&chain.monitor, &chain.factory, "major", 5000)
        .await;
    let when = plus(8, 0).to_rfc3339();
    let sweep = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ketenzorg"))
            .args(["sweep", "--no-mail", "--at", &when])
            .env("DATABASE_URL", &app.test_db.url)
            .env("LOG_LEVEL", "error")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Kill the first sweep once some batches have committed.
    let mut first = sweep();
    let started = std::time::Instant::now();
    loop {
        let done = app
            .count("SELECT COUNT(*) AS n FROM case_events WHERE kind = 'escalated'")
            .await;
        if done > 0 || started.elapsed() > std::time::Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let partial = app
        .count("SELECT COUNT(*) AS n FROM case_events WHERE kind = 'escalated'")
        .await;
    assert!(
        partial < 5000,
        "the sweep was killed before it finished ({partial})"
    );
    let out = sweep().wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Every case: one acknowledge escalation, never two; all 5,000 done.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM case_events WHERE kind = 'escalated'")
            .await,
        5000
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT case_id) AS n FROM case_events WHERE kind = 'escalated'")
            .await,
        5000
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM cases WHERE escalation_level = 1")
            .await,
        5000
    );
    // And the history is intact everywhere.
    let audit = std::process::Command::new(env!("CARGO_BIN_EXE_ketenzorg"))
        .arg("verify-audit")
        .env("DATABASE_URL", &app.test_db.url)
        .env("LOG_LEVEL", "error")
        .output()
        .unwrap();
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );
}

async fn deadlines_are_exact_instants_across_daylight_saving(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    // Brussels leaves summer time on 2026-10-25 at 01:00 UTC; 48 hours stay 48 hours.
    app.clock.set(at("2026-10-23T12:00:00Z"));
    let f = app
        .finding(&chain.monitor, &chain.factory, "critical", "2026-10-20")
        .await;
    let case = f["cases"][0]["id"].as_str().unwrap().to_string();
    let c = app.case(&case).await;
    assert_eq!(c["deadlines"]["acknowledge"], "2026-10-25T12:00:00Z");
    let r = app.sweep_at(at("2026-10-25T11:59:59.999999Z"), None).await;
    assert_eq!(r.escalations, 0);
    let r = app.sweep_at(at("2026-10-25T12:00:00Z"), None).await;
    assert_eq!(r.escalations, 1);
}

async fn a_new_policy_applies_only_when_recomputed(backend: Backend) {
    let (app, _chain, case) = one_case(backend, "critical").await;
    let r = app.sweep_at(plus(3, 0), None).await;
    assert_eq!(
        r.escalations, 1,
        "acknowledgement missed under the 2-day default"
    );
    let lenient =
        ketenzorg::escalation::Policy::from_toml("[critical]\nacknowledge = \"5days\"\n").unwrap();
    // Sweeping under the new policy changes nothing by itself: the case keeps its deadlines.
    let before = app.case(&case).await;
    app.sweep_at(plus(3, 60), Some(lenient.clone())).await;
    assert_eq!(app.case(&case).await["deadlines"], before["deadlines"]);
    // The explicit operation moves the deadline, takes the level back, and cancels the
    // escalation mails not yet sent.
    let db = app.db.clone();
    let p = lenient.clone();
    let changed = tokio::task::spawn_blocking(move || {
        let mut conn = db.get().unwrap();
        ketenzorg::escalation::recompute::run(&mut conn, &p, plus(3, 120).naive_utc()).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(changed, 1);
    let after = app.case(&case).await;
    assert_eq!(
        after["deadlines"]["acknowledge"],
        plus(5, 0).format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    assert_eq!(after["escalation_level"], 0);
    assert_eq!(
        app.event_kinds(&case).await.last().unwrap(),
        "deadlines_recomputed"
    );
    assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM notifications WHERE case_id = '{case}' AND kind = 'escalated' AND status = 'pending'")).await, 0);
    // Under the new policy it escalates at the new instant, once.
    let r = app.sweep_at(plus(5, 0), Some(lenient.clone())).await;
    assert_eq!(r.escalations, 1);
    // Recomputing again changes nothing.
    let db = app.db.clone();
    let changed = tokio::task::spawn_blocking(move || {
        let mut conn = db.get().unwrap();
        ketenzorg::escalation::recompute::run(&mut conn, &lenient, plus(6, 0).naive_utc()).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(changed, 0);
}

async fn a_bad_row_is_skipped_and_the_rest_goes_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    app.bulk_findings(&chain.monitor, &chain.factory, "critical", 3)
        .await; // 6 cases
                // Corrupt the second contractor's notification addresses: its cases cannot be notified.
    app.execute(&format!(
        "UPDATE organizations SET notification_emails = 'not json' WHERE id = '{}'",
        chain.contractors[1].0
    ))
    .await;
    let r = app.sweep_at(plus(1, 0), None).await;
    assert_eq!((r.reminders, r.failed), (3, 3), "{r:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM case_events WHERE kind = 'reminder'")
            .await,
        3
    );
}

/// An event another writer already recorded (its unique key taken) makes the batched write
/// fail; the batch is then done case by case: that case is skipped and every other case of the
/// batch is recorded and notified exactly once.
async fn a_conflict_in_a_batch_skips_only_that_case(backend: Backend) {
    use diesel::prelude::*;
    use ketenzorg::cases::CaseRow;
    use ketenzorg::escalation::sweep;
    use ketenzorg::schema::cases;
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    app.bulk_findings(&chain.monitor, &chain.factory, "critical", 20)
        .await; // 40 cases, one batch of the test sweep (100)
    let when = plus(3, 0);
    // The key the sweep will give the victim's escalation, by the sweep's own rule.
    let db = app.db.clone();
    let (victim, key) = tokio::task::spawn_blocking(move || {
        let mut conn = db.get().unwrap();
        let mut row: CaseRow = cases::table
            .order(cases::id.asc())
            .offset(17)
            .select(CaseRow::as_select())
            .first(&mut *conn)
            .unwrap();
        let policy = ketenzorg::escalation::Policy::default();
        let key = sweep::visit_order(&mut row)
            .into_iter()
            .find_map(|k| sweep::due(&mut row, k, when.naive_utc(), policy.reminder_before))
            .unwrap()
            .key;
        (row.id.to_string(), key)
    })
    .await
    .unwrap();
    app.execute(&format!(
        "INSERT INTO case_events (id, case_id, seq, kind, at, actor_organization_id, actor_token_id, \
         payload, prev_hash, hash, dedup_key, actor_user_id) \
         SELECT '0190d3a0-0000-7000-8000-00000000beef', case_id, 1000, 'comment', at, \
         actor_organization_id, actor_token_id, '{{}}', prev_hash, hash, '{key}', NULL \
         FROM case_events WHERE case_id = '{victim}' AND seq = 1"
    ))
    .await;
    let version =
        |case: &str| format!("SELECT CAST(version AS BIGINT) AS n FROM cases WHERE id = '{case}'");
    let victim_version = app.count(&version(&victim)).await;
    let r = app.sweep_at(when, None).await;
    assert_eq!(
        (r.cases, r.escalations, r.reminders, r.skipped, r.failed),
        (39, 39, 0, 1, 0),
        "{r:?}"
    );
    let escalated = "kind = 'escalated'";
    for (sql, expected) in [
        (format!("SELECT COUNT(*) AS n FROM case_events WHERE {escalated}"), 39),
        (format!("SELECT COUNT(DISTINCT case_id) AS n FROM case_events WHERE {escalated} AND case_id <> '{victim}'"), 39),
        (format!("SELECT COUNT(DISTINCT case_id) AS n FROM notifications WHERE {escalated} AND case_id <> '{victim}'"), 39),
        (format!("SELECT COUNT(*) AS n FROM notifications WHERE {escalated} AND case_id = '{victim}'"), 0),
        ("SELECT COUNT(*) AS n FROM cases WHERE escalation_level = 1".to_string(), 39),
    ] {
        assert_eq!(app.count(&sql).await, expected, "{sql}");
    }
    assert_eq!(
        app.count(&version(&victim)).await,
        victim_version,
        "the skipped case is untouched"
    );
    // Nothing left to do but the victim, which stays skipped.
    let again = app.sweep_at(when, None).await;
    assert_eq!((again.escalations, again.skipped), (0, 1), "{again:?}");
}

/// The batched path (PostgreSQL) leaves exactly what the case-by-case path leaves for the same
/// cases: the same case rows, events and notification rows (buyers each told only of their own
/// contracts, the escalation audience, the digest, several events on one case in one sweep).
/// Each path runs on the same data in a transaction that is then rolled back.
async fn a_batch_leaves_what_case_by_case_leaves(backend: Backend) {
    use diesel::prelude::*;
    use ketenzorg::cases::CaseRow;
    use ketenzorg::escalation::sweep;
    use ketenzorg::schema::{case_events, cases, notifications};
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    // A second buyer with a contract of the first contractor only: its mails of the first
    // contractor's cases must not show the first buyer's contract.
    let (buyer2_id, buyer2) = app.org("buyer", "Buyer Two").await;
    let (c0, c0_token, _, product0, _) = &chain.contractors[0];
    let k2 = app
        .contract(&buyer2_id, &buyer2, c0, "B2", "2026-01-01", "2027-12-31")
        .await;
    app.item(c0_token, &k2, product0).await;
    app.execute(&format!(
        "UPDATE organizations SET escalation_emails = '[\"legal@c0.example.org\"]' WHERE id = '{c0}'"
    ))
    .await;
    app.execute(&format!(
        "UPDATE organizations SET digest_hour = 18 WHERE id = '{}'",
        chain.contractors[1].0
    ))
    .await;
    app.bulk_findings(&chain.monitor, &chain.factory, "critical", 4)
        .await;
    app.bulk_findings(&chain.monitor, &chain.factory, "minor", 4)
        .await;
    // Critical cases: acknowledgement and plan both missed (two escalations each); minor
    // ones: the acknowledgement reminder.
    let now = plus(13, 0).naive_utc();
    type Note = (
        Option<String>,
        Option<String>,
        String,
        String,
        String,
        String,
        String,
        chrono::NaiveDateTime,
        bool,
        chrono::NaiveDateTime,
    );
    type Snapshot = (
        Vec<String>,
        Vec<(String, i32, String, String, String, Option<String>)>,
        Vec<Note>,
    );
    let snapshot = |c: &mut ketenzorg::db::DbConnection| -> Snapshot {
        let rows: Vec<CaseRow> = cases::table
            .order(cases::id.asc())
            .select(CaseRow::as_select())
            .load(c)
            .unwrap();
        let events = case_events::table
            .order((case_events::case_id.asc(), case_events::seq.asc()))
            .select((
                case_events::case_id,
                case_events::seq,
                case_events::kind,
                case_events::at,
                case_events::payload,
                case_events::dedup_key,
            ))
            .load::<(
                String,
                i32,
                String,
                chrono::NaiveDateTime,
                String,
                Option<String>,
            )>(c)
            .unwrap()
            .into_iter()
            .map(|(id, seq, kind, at, payload, key)| (id, seq, kind, at.to_string(), payload, key))
            .collect();
        let mut notes: Vec<Note> = notifications::table
            .inner_join(
                case_events::table.on(notifications::event_id.eq(case_events::id.nullable())),
            )
            .select((
                notifications::case_id,
                case_events::dedup_key,
                notifications::kind,
                notifications::recipient_organization_id,
                notifications::recipient_email,
                notifications::language,
                notifications::payload,
                notifications::next_attempt_at,
                notifications::digest,
                notifications::created_at,
            ))
            .load(c)
            .unwrap();
        notes.sort();
        // Whole rows but the head hash, which differs with the (random) event ids.
        let rows = rows
            .into_iter()
            .map(|mut r| {
                r.last_event_hash.clear();
                format!("{r:?}")
            })
            .collect();
        (rows, events, notes)
    };
    let db = app.db.clone();
    let (batched, one_by_one, report) = tokio::task::spawn_blocking(move || {
        let mut pooled = db.get().unwrap();
        let conn: &mut ketenzorg::db::DbConnection = &mut pooled;
        let policy = ketenzorg::escalation::Policy::default();
        let mut run = |by_case: bool| {
            let mut out = None;
            let _ = conn.transaction::<(), ketenzorg::error::Error, _>(|c| {
                let mut exclude = Vec::new();
                let (_, report) = if by_case {
                    sweep::case_by_case(c, now, &policy, 1000, &mut exclude)?
                } else {
                    sweep::batch(c, now, &policy, 1000, &mut exclude)?
                };
                out = Some((snapshot(c), report));
                Err(ketenzorg::error::Error::internal("roll back"))
            });
            out.unwrap()
        };
        let (batched, report) = run(false);
        let (one_by_one, report2) = run(true);
        assert_eq!(report, report2);
        (batched, one_by_one, report)
    })
    .await
    .unwrap();
    // The scenario covers what it claims to.
    assert_eq!(
        (
            report.cases,
            report.escalations,
            report.reminders,
            report.skipped,
            report.failed
        ),
        (16, 16, 8, 0, 0),
        "{report:?}"
    );
    let notes = &one_by_one.2;
    let to = |org: &str| notes.iter().filter(|n| n.3 == org).count();
    assert!(to(&buyer2_id) > 0 && to(&chain.buyer_id) > 0 && to(&chain.monitor_id) > 0);
    assert!(notes.iter().any(|n| n.4 == "legal@c0.example.org"));
    assert!(notes.iter().any(|n| n.8), "a digest row");
    assert_eq!(batched.0, one_by_one.0, "case rows");
    assert_eq!(batched.1, one_by_one.1, "events");
    assert_eq!(batched.2.len(), one_by_one.2.len(), "notification rows");
    assert_eq!(batched.2, one_by_one.2, "notification rows");
}

on_both_backends!(
    climbs_one_level_per_missed_deadline,
    a_transition_in_time_stops_the_escalation,
    an_extension_moves_and_rearms_the_deadline,
    waiting_on_the_monitor_stops_the_clock,
    two_sweepers_escalate_each_case_once,
    a_killed_sweep_loses_nothing_and_doubles_nothing,
    deadlines_are_exact_instants_across_daylight_saving,
    a_new_policy_applies_only_when_recomputed,
    a_bad_row_is_skipped_and_the_rest_goes_on,
    a_conflict_in_a_batch_skips_only_that_case,
    a_batch_leaves_what_case_by_case_leaves,
);
