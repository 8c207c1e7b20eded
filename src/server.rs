//! Starting the HTTP server; also used by the integration tests, which bind port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use utoipa_actix_web::AppExt;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::http::known_params::KnownParams;
use crate::http::{self, AppState};

/// A bound, not yet running server.
pub struct Server {
    pub server: actix_web::dev::Server,
    pub port: u16,
}

/// Opens the database (migrating it) and binds the listener. The returned server runs when
/// awaited or spawned.
pub fn build(config: Config, clock: Clock, listener: TcpListener) -> std::io::Result<Server> {
    let db = Db::connect(&config.database, config.pool_size).map_err(std::io::Error::other)?;
    build_with_db(config, clock, db, listener)
}

pub fn build_with_db(
    config: Config,
    clock: Clock,
    db: Db,
    listener: TcpListener,
) -> std::io::Result<Server> {
    let port = listener.local_addr()?.port();
    let workers = config.workers;
    let policy = Arc::new(config.policy.clone());
    {
        let mut conn = db.get().map_err(std::io::Error::other)?;
        crate::escalation::register_policy(&mut conn, &policy, clock.now_naive())
            .map_err(std::io::Error::other)?;
    }
    if let Some(every) = config.sweep_interval {
        spawn_sweeper(db.clone(), clock.clone(), policy.clone(), every);
    }
    // The templates are checked here too: a broken one stops the start, not a mail.
    let sender =
        crate::notifications::sender::Sender::new(db.clone(), config.mail.clone(), clock.clone())
            .map_err(std::io::Error::other)?;
    if let Some(every) = config.mail.interval {
        sender.spawn(every);
    }
    let auth_limiter = Arc::new(crate::auth::limiter::FailedAuthLimiter::new(
        config.auth_failures_per_minute,
        std::time::Duration::from_secs(60),
    ));
    let files =
        crate::files::store::FileStore::open(&config.files.store).map_err(std::io::Error::other)?;
    let state = web::Data::new(AppState {
        db,
        config: Arc::new(config),
        clock,
        policy,
        auth_limiter,
        sign_in_limits: Arc::new(crate::auth::limiter::SignInLimits::default()),
        files,
    });
    let doc = crate::routes::document();
    let known = KnownParams::new(&doc);
    let served = crate::openapi::Served::new(&doc).map_err(std::io::Error::other)?;
    drop(doc);
    let doc = web::Data::new(served);
    let server = HttpServer::new(move || {
        let known = known.clone();
        let (app, _) = crate::routes::mount(App::new().into_utoipa_app()).split_for_parts();
        app.app_data(state.clone())
            .app_data(doc.clone())
            .wrap_fn(move |req, srv| known.refuse_unknown(req, srv))
            .wrap(actix_web::middleware::from_fn(crate::web::guard::pages))
            // The last wrap runs first: the request's span covers everything below it.
            .wrap_fn(http::log_request)
            .default_service(web::to(http::no_route))
    })
    .workers(workers)
    .listen(listener)?
    .run();
    // Building the routes with their OpenAPI paths (above, and again in each worker) leaves
    // megabytes freed in the allocator's heap: once the workers are up, hand them back.
    tokio::spawn(async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let _ = tokio::task::spawn_blocking(crate::memory::release).await;
    });
    Ok(Server { server, port })
}

/// The background sweeper: reminders and escalations as they fall due. Several instances may
/// run it at once (see `escalation::sweep`).
fn spawn_sweeper(
    db: Db,
    clock: Clock,
    policy: Arc<crate::escalation::Policy>,
    every: std::time::Duration,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = clock.now_naive();
            match crate::escalation::sweep::run_async(
                &db,
                now,
                policy.clone(),
                crate::escalation::sweep::DEFAULT_BATCH,
            )
            .await
            {
                Ok(r) if r.cases > 0 || r.failed > 0 => tracing::info!(
                    cases = r.cases,
                    reminders = r.reminders,
                    escalations = r.escalations,
                    skipped = r.skipped,
                    failed = r.failed,
                    "sweep"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweep failed; retrying at the next tick"),
            }
        }
    });
}
