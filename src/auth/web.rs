//! The sign-in routes, outside `/api/v1` because a browser follows them: ask for a link,
//! follow it, sign out. Each answers JSON to an API client and a short page to a browser (the
//! web interface builds its pages on the same service functions).
//!
//! Following a link takes two steps: `GET /auth/link?token=` only shows a button, and the
//! button's `POST` uses the link. Mail scanners and link previews fetch every URL in a mail,
//! and a link used up by a scanner would be no use to the person it was sent to.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::sessions::{self, Opened, COOKIE};
use super::{passwords, sign_in, Caller};
use crate::error::Error;
use crate::http::caller::SessionOf;
use crate::http::extract::{parse_json, QueryParams};
use crate::http::{resource, AppState};
use crate::values::{Email, Language};
use crate::web::{i18n, public_page};

/// Asks for a sign-in link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub email: Email,
    /// For a person who set a password: signs in at once (200 with the session) instead of
    /// mailing a link.
    #[schema(format = Password, max_length = 200)]
    pub password: Option<String>,
    /// The page to go on to once signed in: a path of this service of at most 500 characters.
    /// Anything else is ignored (the person lands on their start page), so a crafted link
    /// cannot send anyone off-site; that is why no length is enforced as a schema limit.
    pub next: Option<String>,
    /// The language of the pages shown to a browser.
    pub lang: Option<Language>,
}

/// Uses a sign-in link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The `token` of the link in the mail.
    pub token: String,
    /// The page to go on to once signed in: a path of this service of at most 500 characters.
    /// Anything else is ignored (the person lands on their start page), so a crafted link
    /// cannot send anyone off-site; that is why no length is enforced as a schema limit.
    pub next: Option<String>,
}

/// The answer to a sign-in request: the same whether or not the address is known.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignInAnswer {
    pub detail: String,
}

/// A session just opened. The session token itself is only in the `Set-Cookie` header.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOpened {
    /// Send it as `X-CSRF-Token` with every request that changes something.
    pub csrf_token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

const SENT: &str = "If this address belongs to an active user, a sign-in link is on its way. It works once, for 15 minutes.";

fn is_form(req: &HttpRequest) -> bool {
    req.content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// Reads a JSON or form body into `T`, naming the field at fault.
fn body<T: serde::de::DeserializeOwned>(req: &HttpRequest, bytes: &[u8]) -> Result<T, Error> {
    if is_form(req) {
        serde_urlencoded::from_bytes(bytes).map_err(|e| {
            let msg = e.to_string();
            let field = ["email", "token"]
                .into_iter()
                .find(|f| msg.contains(f))
                .unwrap_or("body");
            Error::field(field, msg)
        })
    } else {
        parse_json(bytes)
    }
}

/// The language of a page shown before sign-in: asked for, else the browser's.
fn page_lang(req: &HttpRequest, asked: Option<Language>) -> Language {
    asked.unwrap_or_else(|| {
        i18n::from_accept_language(
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    })
}

fn safe_next(next: Option<&str>) -> Option<String> {
    next.and_then(crate::web::local_path).map(str::to_string)
}

fn too_many(retry_after: u64) -> Error {
    Error::TooManyRequests {
        retry_after,
        detail: "too many sign-in requests; wait before asking again".into(),
    }
}

/// The sign-in page; `email`, `problem` and `notice` fill it again after a refusal.
fn sign_in_page_for(
    lang: Language,
    status: StatusCode,
    email: &str,
    problem: Option<&str>,
    notice: Option<&str>,
    next: Option<String>,
) -> Result<HttpResponse, Error> {
    public_page(
        lang,
        status,
        "auth/sign_in.html",
        serde_json::json!({ "email": email, "problem": problem, "notice": notice, "next": next }),
    )
}

#[utoipa::path(get, path = "/auth/sign-in", tag = "sign-in",
    params(
        ("next" = Option<String>, Query, description = "The page to go on to once signed in"),
        ("lang" = Option<Language>, Query, description = "The page's language (else the browser's)"),
    ),
    responses((status = 200, description = "The sign-in page: an email field that asks for a link", content_type = "text/html")))]
pub async fn sign_in_page(req: HttpRequest, q: QueryParams) -> Result<HttpResponse, Error> {
    let lang = page_lang(&req, q.get::<Language>("lang")?);
    sign_in_page_for(
        lang,
        StatusCode::OK,
        "",
        None,
        None,
        safe_next(q.raw("next")),
    )
}

#[utoipa::path(post, path = "/auth/sign-in", tag = "sign-in",
    request_body(content = SignInRequest, content_type = "application/json",
        description = "Also accepted as a form (`application/x-www-form-urlencoded`)"),
    responses(
        (status = 200, description = "Signed in with a password: the session cookie is set", body = SessionOpened),
        (status = 202, description = "A link is sent if the address belongs to an active user; the answer is the same either way", body = SignInAnswer),
        (status = 303, description = "Signed in with a password from the form: the cookie is set, on to the home page"),
        (status = 403, description = "A password sign-in sent from another site"),
        (status = 401, description = "With a password: the address or the password is wrong (one answer for every reason)"),
        (status = 422, description = "Not an email address (to a form, the form again with the problem beside the field)"),
        (status = 429, description = "Too many requests for this address or from this client"),
    ))]
pub async fn request_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    bytes: web::Bytes,
) -> Result<HttpResponse, Error> {
    let input: SignInRequest = match body(&req, &bytes) {
        Ok(input) => input,
        // A browser gets the form again, with the address kept and the problem beside it.
        Err(Error::Validation(errors)) if is_form(&req) => {
            let sent: std::collections::HashMap<String, String> =
                serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
            let problem = errors.first().map(|e| e.message.as_str());
            let lang = page_lang(&req, sent.get("lang").and_then(|l| l.parse().ok()));
            return sign_in_page_for(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                sent.get("email").map_or("", String::as_str),
                problem,
                None,
                safe_next(sent.get("next").map(String::as_str)),
            );
        }
        Err(e) => return Err(e),
    };
    if let Some(ip) = req.peer_addr().map(|a| a.ip()) {
        state.sign_in_limits.per_client.take(ip).map_err(too_many)?;
    }
    state
        .sign_in_limits
        .per_email
        .take(input.email.normalized())
        .map_err(too_many)?;
    let now = state.clock.now_naive();
    let lang = page_lang(&req, input.lang);
    let next = safe_next(input.next.as_deref());
    // An empty password field of the form means "send me a link".
    if let Some(password) = input.password.filter(|p| !p.is_empty()) {
        return with_password(&state, &req, input.email, password, lang, next).await;
    }
    let config = state.config.clone();
    state
        .db
        .write(move |c| {
            sign_in::request(
                c,
                &input.email,
                &config.mail.public_url,
                next.as_deref(),
                now,
            )
        })
        .await?;
    if is_form(&req) {
        return public_page(lang, StatusCode::ACCEPTED, "auth/sent.html", ());
    }
    Ok(HttpResponse::Accepted().json(SignInAnswer {
        detail: SENT.into(),
    }))
}

/// Another site must not sign a visitor in as someone else (login CSRF): a browser marks such
/// a request `Sec-Fetch-Site: cross-site`.
fn refuse_cross_site(req: &HttpRequest) -> Result<(), Error> {
    let cross_site = req
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    if cross_site {
        return Err(Error::Forbidden(
            "signing in is done from ketenzorg's own pages".into(),
        ));
    }
    Ok(())
}

/// Signs in with a password: the slow hash is checked outside any transaction, then the session
/// is written.
async fn with_password(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    email: Email,
    password: String,
    lang: Language,
    next: Option<String>,
) -> Result<HttpResponse, Error> {
    refuse_cross_site(req)?;
    let candidate = state
        .db
        .read(move |c| passwords::candidate(c, &email))
        .await?;
    let checked = web::block(move || passwords::check(candidate, &password))
        .await
        .map_err(|e| Error::internal(format!("checking a password: {e}")))?;
    let user = match checked {
        Ok(user) => user,
        Err(Error::Unauthorized(why)) if is_form(req) => {
            return sign_in_page_for(lang, StatusCode::UNAUTHORIZED, "", None, Some(&why), next);
        }
        Err(e) => return Err(e),
    };
    let now = state.clock.now_naive();
    let config = state.config.session;
    let opened = state
        .db
        .write(move |c| sessions::open(c, user, now, &config))
        .await?;
    Ok(signed_in(req, &opened, state, next.as_deref()))
}

/// The answer that opens a session: to a form, on to the home page; to an API client, the
/// CSRF token. The cookie either way.
fn signed_in(
    req: &HttpRequest,
    opened: &Opened,
    state: &AppState,
    next: Option<&str>,
) -> HttpResponse {
    let cookie = session_cookie(opened, state);
    if is_form(req) {
        return HttpResponse::SeeOther()
            .cookie(cookie)
            .insert_header((header::LOCATION, next.unwrap_or("/home")))
            .finish();
    }
    HttpResponse::Ok().cookie(cookie).json(SessionOpened {
        csrf_token: opened.csrf_token.clone(),
        expires_at: crate::clock::utc(opened.expires_at),
    })
}

#[utoipa::path(get, path = "/auth/link", tag = "sign-in",
    params(
        ("token" = String, Query, description = "The token of the link in the mail"),
        ("next" = Option<String>, Query, description = "The page to go on to once signed in"),
        ("lang" = Option<Language>, Query, description = "The page's language (else the browser's)"),
    ),
    responses((status = 200, description = "A page with the button that signs in (the link is not used yet)", content_type = "text/html")))]
pub async fn show_link(req: HttpRequest, q: QueryParams) -> Result<HttpResponse, Error> {
    let token = q
        .raw("token")
        .ok_or_else(|| Error::bad_param("token", "the link has no token"))?;
    public_page(
        page_lang(&req, q.get::<Language>("lang")?),
        StatusCode::OK,
        "auth/link.html",
        serde_json::json!({
            "token": token,
            "next": safe_next(q.raw("next")),
            // The language switch keeps the link's token.
            "keep_query": format!("token={}", url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()),
        }),
    )
}

#[utoipa::path(post, path = "/auth/link", tag = "sign-in",
    request_body(content = LinkRequest, content_type = "application/json",
        description = "Also accepted as a form (`application/x-www-form-urlencoded`), as the page of `GET /auth/link` sends it"),
    responses(
        (status = 200, description = "Signed in: the session cookie is set", body = SessionOpened),
        (status = 303, description = "Signed in from the form: the cookie is set, on to the home page"),
        (status = 401, description = "The link is unknown, used, expired, or its user deactivated (to a form, a page saying so)"),
        (status = 403, description = "Sent from another site"),
    ))]
pub async fn use_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    bytes: web::Bytes,
) -> Result<HttpResponse, Error> {
    refuse_cross_site(&req)?;
    let input: LinkRequest = body(&req, &bytes)?;
    let next = safe_next(input.next.as_deref());
    let now = state.clock.now_naive();
    let config = state.config.session;
    let opened = match state
        .db
        .write(move |c| sign_in::redeem(c, &input.token, now, &config))
        .await
    {
        Ok(opened) => opened,
        // A person who clicked the button gets a page that says why and how to go on.
        Err(Error::Unauthorized(why)) if is_form(&req) => {
            return sign_in_page_for(
                page_lang(&req, None),
                StatusCode::UNAUTHORIZED,
                "",
                None,
                Some(&why),
                next,
            );
        }
        Err(e) => return Err(e),
    };
    Ok(signed_in(&req, &opened, &state, next.as_deref()))
}

fn session_cookie(opened: &Opened, state: &AppState) -> Cookie<'static> {
    let config = state.config.session;
    Cookie::build(COOKIE, opened.token.clone())
        .path("/")
        .http_only(true)
        // Lax, not Strict: a person who follows a case link from a mail arrives signed in.
        .same_site(SameSite::Lax)
        .secure(config.secure_cookie)
        .max_age(CookieDuration::seconds(config.absolute.num_seconds()))
        .finish()
}

#[utoipa::path(post, path = "/auth/sign-out", tag = "sign-in",
    params(("everywhere" = Option<bool>, Query, description = "End every session of this person, on every device")),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, description = "No session, or it has ended already"),
        (status = 403, description = "Without the CSRF token, or called with an API token (which has no session to end)"),
        (status = 429, description = "Too many failed authentications from this address"),
    ))]
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let everywhere = q.get::<bool>("everywhere")?.unwrap_or(false);
    let session = req.extensions().get::<SessionOf>().cloned();
    let (Some(SessionOf(current)), Some(user)) = (session, caller.user) else {
        return Err(Error::Forbidden(
            "sign-out ends a session; this request came with an API token (revoke it with DELETE /api/v1/tokens/{id})".into(),
        ));
    };
    let now = state.clock.now_naive();
    state
        .db
        .write(move |c| {
            if everywhere {
                sessions::revoke_all(c, user.id, now).map(|_| ())
            } else {
                sessions::revoke(c, current.session_id, now)
            }
        })
        .await?;
    let mut gone = Cookie::build(COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

/// Mounted at the root; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(sign_in_page, __path_sign_in_page).and(request_link, __path_request_link));
    cfg.service(resource(show_link, __path_show_link).and(use_link, __path_use_link));
    cfg.service(resource(sign_out, __path_sign_out));
}
