//! Several instances on one database: two `ketenzorg serve` processes with their sweepers on,
//! against one set of due cases. Every escalation is raised once, by one of them, with its
//! notifications written once; none is lost.

mod common;

use std::time::{Duration, Instant};

use common::{serve_binary, Backend, TestApp};

async fn two_instances_sweep_each_escalation_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    // 300 critical cases opened on the test clock's day (2026-06-01): by the real clock every
    // deadline of each has passed, so each is due and climbs to the top level.
    app.bulk_findings(&chain.monitor, &chain.factory, "critical", 150)
        .await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM cases").await, 300);
    let due = || {
        let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S");
        format!("SELECT COUNT(*) AS n FROM cases WHERE next_action_at <= '{now}'")
    };
    assert_eq!(app.count(&due()).await, 300);
    // Each with the real clock, sweeping every 100 ms.
    let sweeping = [("KETENZORG_SWEEP_INTERVAL", "100ms")];
    let (a, b) = tokio::join!(
        serve_binary(&app.test_db, &sweeping),
        serve_binary(&app.test_db, &sweeping)
    );
    // Until no case is due: the two sweepers together have done all there was to do.
    let started = Instant::now();
    while app.count(&due()).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the two instances left {} cases due",
            app.count(&due()).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop((a, b));
    let escalated = app
        .count("SELECT COUNT(*) AS n FROM case_events WHERE kind = 'escalated'")
        .await;
    // Each escalation raises its case one level: a doubled one would leave more events than
    // levels, a lost one fewer.
    assert_eq!(
        escalated,
        app.count("SELECT COALESCE(SUM(escalation_level), 0) AS n FROM cases")
            .await
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM cases WHERE escalation_level < 3")
            .await,
        0,
        "every case reached non-cooperation"
    );
    assert_eq!(escalated, 900);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM (SELECT event_id, recipient_email, kind FROM notifications \
             WHERE event_id IS NOT NULL GROUP BY event_id, recipient_email, kind \
             HAVING COUNT(*) > 1) d"
        )
        .await,
        0,
        "a notification written twice"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM case_events e WHERE e.kind = 'escalated' AND NOT EXISTS \
             (SELECT 1 FROM notifications n WHERE n.event_id = e.id)"
        )
        .await,
        0,
        "an escalation without its notifications"
    );
}

on_both_backends!(two_instances_sweep_each_escalation_once);
