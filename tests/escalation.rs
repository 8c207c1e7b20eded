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
);
