//! The operator's view of the outbox: pending, sent and failed mails with their attempts and
//! last error, filtered by status. It shows what `GET /api/v1/notifications` shows (never a
//! mail's body: a sign-in mail carries a link that signs its reader in).

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::service::{self, NotificationStatus};
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::values::OrgKind;
use crate::web::{Page, Viewer};

pub async fn outbox(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    viewer
        .caller
        .require(&[OrgKind::Admin], "read the outbox")?;
    let page = q.page()?;
    // "All" in the filter sends an empty status.
    let status = match q.raw("status").filter(|s| !s.is_empty()) {
        Some(raw) => Some(
            raw.parse::<NotificationStatus>()
                .map_err(|e| Error::bad_param("status", format!("status: {e}")))?,
        ),
        None => None,
    };
    let caller = viewer.caller;
    let list = state
        .db
        .read(move |c| service::list(c, &caller, status, None, &page))
        .await?;
    Page::new(
        "admin/outbox.html",
        json!({
            "notifications": list.items,
            "next_cursor": list.next_cursor,
            "status": status,
            "statuses": ["pending", "sent", "failed", "suppressed", "cancelled"],
        }),
    )
    .render(&viewer)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/admin/outbox").get(outbox));
}
