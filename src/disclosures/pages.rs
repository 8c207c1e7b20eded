//! The contractor's upload page: send the list, read the dry run's report as a table, commit.

use actix_web::web;

pub fn routes(_cfg: &mut web::ServiceConfig) {}
