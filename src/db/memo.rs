//! Work kept between requests, one store per database (held by its `Db`, shared by every
//! connection of the pool): what is kept is only ever used under the `change_counters` value it
//! was read under, so a change by any process, this one or another instance, is seen at the next
//! read of the counter.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::DbConnection;
use crate::error::Error;

/// One value of each type, made on first use.
#[derive(Default)]
pub struct Memo {
    slots: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Memo {
    pub fn slot<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let any = slots
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()))
            .clone();
        // The map holds under each type's id a value of that type.
        any.downcast::<T>()
            .unwrap_or_else(|_| Arc::new(T::default()))
    }
}

/// A counter bumped, by triggers, with every committed change to what it counts (the sum of
/// its rows: on PostgreSQL each transaction bumps the row of its server process, so that
/// writers do not queue on one row). Read it before the data it guards: the data read after
/// is then as new as the counter or newer, so a value kept under it is never older than the
/// counter says.
pub fn counter(conn: &mut DbConnection, name: &str) -> Result<i64, Error> {
    #[derive(QueryableByName)]
    struct Total {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    // PostgreSQL sums BIGINTs as NUMERIC: cast back.
    let total: Total = diesel::sql_query(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM change_counters WHERE name = $1",
    )
    .bind::<Text, _>(name)
    .get_result(conn)?;
    Ok(total.n)
}
