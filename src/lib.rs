//! ketenzorg: supply-chain due diligence for public ICT procurement.
//!
//! Each domain module (`organizations`, `factories`, `components`, `contracts`, `auth`) holds
//! its types, a `service` with the rules, and thin `http` handlers. `db` hides the two
//! backends, `error` turns every failure into problem+json, `values` holds the typed input
//! values that parse at the edge.

pub mod auth;
pub mod cases;
pub mod cli;
pub mod clock;
pub mod components;
pub mod config;
pub mod contracts;
pub mod db;
pub mod demo;
pub mod disclosures;
pub mod due_diligence;
pub mod error;
pub mod escalation;
pub mod export;
pub mod factories;
pub mod files;
pub mod findings;
pub mod http;
pub mod idempotency;
pub mod leverage;
pub mod memory;
pub mod notifications;
pub mod ocds;
pub mod openapi;
pub mod organizations;
pub mod pagination;
pub mod reports;
pub mod routes;
pub mod schema;
pub mod scorecards;
pub mod server;
pub mod users;
pub mod values;
pub mod web;
