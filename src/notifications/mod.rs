//! Notifications: every case event someone must know about writes outbox rows, one per
//! recipient address, in the same transaction as the event (`outbox::enqueue`). Who is told
//! of what is decided in one place, `rules`.

pub mod compose;
pub mod http;
pub mod mailer;
pub mod outbox;
pub mod pages;
pub mod rules;
pub mod sender;
pub mod service;
pub mod templates;
