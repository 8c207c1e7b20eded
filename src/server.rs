//! Starting the HTTP server; also used by the integration tests, which bind port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{web, App, HttpServer};

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
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
    let state = web::Data::new(AppState {
        db,
        config: Arc::new(config),
        clock,
        policy: Arc::new(crate::escalation::Policy::default()),
    });
    let server = HttpServer::new(move || {
        App::new()
            .wrap_fn(http::log_request)
            .configure(http::configure(state.clone()))
            .default_service(web::to(http::no_route))
    })
    .workers(workers)
    .listen(listener)?
    .run();
    Ok(Server { server, port })
}
