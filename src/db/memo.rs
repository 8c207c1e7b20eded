//! Work kept between requests, one store per database (held by its `Db`, shared by every
//! connection of the pool): what is kept is only ever used under the `change_counters` value it
//! was read under (`db::change_counter`), so a change by any process, this one or another
//! instance, is seen at the next read of the counter.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
