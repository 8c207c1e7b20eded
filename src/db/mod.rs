//! Database access for both backends: the connection enum, the pool, migrations and the one
//! way to run a write transaction. Everything above this module is backend-agnostic.

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::Error;

pub mod memo;
pub mod url;
pub use url::{Backend, DatabaseTarget};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The backend type queries are built for; boxed filters name it.
pub type DbBackend = <DbConnection as Connection>::Backend;

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Pg(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any 64-bit constant works; it only has to be the same for every instance of the service.
const MIGRATION_LOCK_KEY: i64 = 0x6b65_7465_6e7a_6f72;

/// The derived `MultiConnection::establish` tries every backend in turn and would silently
/// open a SQLite file named like a PostgreSQL URL when PostgreSQL is down, so connections are
/// made here, explicitly, for the backend the URL names.
#[derive(Debug, Clone)]
pub struct DbManager {
    target: DatabaseTarget,
}

impl ManageConnection for DbManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let mut conn = self.open()?;
        if let Some(limit) = self.target.slow_statement_ms {
            conn.set_instrumentation(slow_statements(limit));
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map(|_| ()).map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

impl DbManager {
    fn open(&self) -> Result<DbConnection, r2d2::Error> {
        match self.target.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.target.url)
                .map(DbConnection::Pg)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.target.url)
                    .map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the single writer; NORMAL is durable in WAL mode
                // except for the last transactions on power loss, which is the usual trade-off;
                // the busy timeout covers other processes on the same file.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                     PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// An instrumentation that logs each statement slower than `limit_ms` with its text (target
/// `ketenzorg::db::slow`): where a request's time goes, on a live server.
fn slow_statements(limit_ms: u64) -> impl diesel::connection::Instrumentation {
    let mut began = std::time::Instant::now();
    move |event: diesel::connection::InstrumentationEvent<'_>| {
        use diesel::connection::InstrumentationEvent as E;
        match event {
            E::StartQuery { .. } => began = std::time::Instant::now(),
            E::FinishQuery { query, .. } => {
                let ms = began.elapsed().as_secs_f64() * 1000.0;
                if ms > limit_ms as f64 {
                    tracing::warn!(target: "ketenzorg::db::slow", ms, statement = %query, "slow statement");
                }
            }
            _ => {}
        }
    }
}

pub type DbPool = Pool<DbManager>;
pub type PooledDb = PooledConnection<DbManager>;

/// The handle the rest of the service uses. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    backend: Backend,
    /// SQLite allows one writer at a time; queueing writers here, in order, is fairer and
    /// faster than letting them spin on SQLITE_BUSY. PostgreSQL needs no such lock.
    write_lock: Option<Arc<tokio::sync::Mutex<()>>>,
    /// Work kept between requests while the data it was read from stands (memo.rs).
    memo: Arc<memo::Memo>,
    /// Turns for large reads (`Db::large_read`).
    large: Arc<tokio::sync::Semaphore>,
}

/// A turn for a large read (a yearly report and its CSV or printable page). Hold it until the
/// answer is built: when it is dropped, the next large read may start and the memory this one
/// freed goes back to the system (`memory::release`).
pub struct LargeRead {
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for LargeRead {
    fn drop(&mut self) {
        // Off the async worker: trimming a heap can take a few milliseconds.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn_blocking(crate::memory::release);
        } else {
            crate::memory::release();
        }
    }
}

impl Db {
    /// Opens the pool, creating the SQLite file's folder if needed, and applies migrations.
    pub fn connect(target: &DatabaseTarget, pool_size: u32) -> Result<Db, String> {
        Db::connect_with(target, pool_size, Duration::from_secs(5))
    }

    /// As `connect`, waiting at most `timeout` for a connection before a request gets 503.
    pub fn connect_with(
        target: &DatabaseTarget,
        pool_size: u32,
        timeout: Duration,
    ) -> Result<Db, String> {
        if let Some(dir) = target.sqlite_dir() {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create database folder {}: {e}", dir.display()))?;
        }
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(timeout)
            .build(DbManager {
                target: target.clone(),
            })
            .map_err(|e| format!("cannot connect to the {} database: {e}", target.backend))?;
        let db = Db {
            pool,
            backend: target.backend,
            write_lock: match target.backend {
                Backend::Sqlite => Some(Arc::new(tokio::sync::Mutex::new(()))),
                Backend::Postgres => None,
            },
            memo: Arc::default(),
            large: Arc::new(tokio::sync::Semaphore::new(crate::memory::large_reads())),
        };
        let mut conn = db
            .pool
            .get()
            .map_err(|e| format!("database unreachable: {e}"))?;
        run_migrations(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// This database's store of kept work (memo.rs).
    pub fn memo(&self) -> Arc<memo::Memo> {
        self.memo.clone()
    }

    /// Waits for a turn to run a large read. Large reads beyond `memory::large_reads()` wait
    /// here, in order, rather than all holding their rows at once (or timing out in the pool).
    pub async fn large_read(&self) -> Result<LargeRead, Error> {
        let permit = self.large.clone().acquire_owned().await;
        Ok(LargeRead {
            _permit: permit.map_err(|e| Error::internal_from("large-read turns closed", e))?,
        })
    }

    /// A connection for synchronous callers (command line, benchmarks).
    pub fn get(&self) -> Result<PooledDb, Error> {
        Ok(self.pool.get()?)
    }

    /// Runs read-only work on the blocking thread pool so that actix workers never wait on
    /// the database.
    pub async fn read<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        // The caller's span (a handler's `case_id`, say) follows the work to the blocking thread.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _span = span.enter();
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| Error::internal_from("database task failed", e))?
    }

    /// Runs `f` in one write transaction: all of it commits or none of it does.
    pub async fn write<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let _guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _span = span.enter();
            let mut conn = pool.get()?;
            write_tx(&mut conn, f)
        })
        .await
        .map_err(|e| Error::internal_from("database task failed", e))?
    }

    /// Readiness: the database answers and no migration is pending.
    pub async fn ready(&self) -> Result<(), Error> {
        self.read(|conn| {
            let pending = match conn {
                DbConnection::Pg(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
                DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
            }
            .map_err(|e| Error::Unavailable(format!("cannot read migration state: {e}")))?;
            if pending {
                Err(Error::Unavailable("database migrations are pending".into()))
            } else {
                Ok(())
            }
        })
        .await
    }
}

/// One write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, which takes the write
/// lock up front: a deferred transaction that reads first and writes later can fail with
/// SQLITE_BUSY at its first write, which no busy timeout can cure.
pub fn write_tx<T, F>(conn: &mut DbConnection, f: F) -> Result<T, Error>
where
    F: FnOnce(&mut DbConnection) -> Result<T, Error>,
{
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Pg(c) => {
            <diesel::PgConnection as Connection>::TransactionManager::begin_transaction(c)?
        }
    }
    match f(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The original error matters more than a failed rollback, which only happens when
            // the connection is gone (and the pool will discard it).
            if let Err(rollback) =
                <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)
            {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

fn run_migrations(conn: &mut DbConnection) -> Result<(), String> {
    match conn {
        DbConnection::Sqlite(c) => {
            // The immediate lock keeps two processes starting on one file from racing.
            c.batch_execute("BEGIN IMMEDIATE; COMMIT;")
                .map_err(|e| e.to_string())?;
            let applied = c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| e.to_string())?;
            log_applied(applied.len());
        }
        DbConnection::Pg(c) => {
            // Several instances may start together; the advisory lock makes them take turns.
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .map_err(|e| e.to_string())?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| e.to_string());
            let unlock =
                c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"));
            let applied = result?;
            unlock.map_err(|e| e.to_string())?;
            log_applied(applied);
        }
    }
    Ok(())
}

fn log_applied(n: usize) {
    if n > 0 {
        tracing::info!(applied = n, "database migrations applied");
    }
}

/// A counter bumped, by triggers, with every committed change to what it counts (the sum of
/// its rows: on PostgreSQL each transaction bumps the row of its server process, so that
/// writers do not queue on one row). Read it before the data it guards: the data read after
/// is then as new as the counter or newer, so a value kept under it is never older than the
/// counter says.
pub fn change_counter(conn: &mut DbConnection, name: &str) -> Result<i64, Error> {
    #[derive(QueryableByName)]
    struct Total {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    // PostgreSQL sums BIGINTs as NUMERIC: cast back.
    let total: Total = diesel::sql_query(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM change_counters WHERE name = $1",
    )
    .bind::<diesel::sql_types::Text, _>(name)
    .get_result(conn)?;
    Ok(total.n)
}
