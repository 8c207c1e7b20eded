//! The signed-in person behind a page request, and the forms they send.
//!
//! A page is only ever shown to a session (a browser never holds an API token). Without one
//! the request fails with 401, which `guard` turns into a trip to the sign-in page and back.
//! A form that changes something carries the session's CSRF token as the field `csrf_token`
//! (a form cannot send a header), and one sent from another site is refused outright.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;

use crate::auth::sessions::{self, Current};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::AppState;
use crate::schema::{organizations, users};
use crate::values::{Language, UserRole};

/// Who is looking at a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub caller: Caller,
    pub session: Current,
    pub name: String,
    pub email: String,
    pub organization: String,
    pub lang: Language,
    pub tz: chrono_tz::Tz,
    /// The page's own path and query (the language switch comes back to it).
    pub path: String,
    pub now: NaiveDateTime,
}

impl Viewer {
    pub fn csrf(&self) -> String {
        self.session.csrf_token.clone()
    }

    pub fn is_manager(&self) -> bool {
        self.caller
            .user
            .is_some_and(|u| u.role == UserRole::Manager)
    }

    /// Reads a form that changes something: refused unless it came from one of our pages with
    /// this session's CSRF token.
    pub fn form(&self, req: &HttpRequest, body: &[u8]) -> Result<FormData, Error> {
        let form = FormData::parse(body);
        self.check_form(req, form.get("csrf_token"))?;
        Ok(form)
    }

    /// Refuses a form sent from another site or without this session's CSRF token (for forms
    /// read otherwise, such as a multipart upload).
    pub fn check_form(&self, req: &HttpRequest, csrf_token: Option<&str>) -> Result<(), Error> {
        let cross_site = req
            .headers()
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
        if cross_site || !sessions::csrf_matches(&self.session, csrf_token) {
            return Err(Error::Forbidden(
                "this form is out of date or did not come from ketenzorg; reload the page and send it again".into(),
            ));
        }
        Ok(())
    }
}

/// A form's fields in the order sent; a name may repeat (the rows of a table).
#[derive(Debug, Clone, Default)]
pub struct FormData {
    pairs: Vec<(String, String)>,
}

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData {
            pairs: url::form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The fields as they were sent, to fill the form again after a refusal.
    pub fn values(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        for (name, value) in &self.pairs {
            if name != "csrf_token" && !map.contains_key(name) {
                map.insert(name.clone(), serde_json::Value::String(value.clone()));
            }
        }
        map
    }
}

/// Reads a form's fields, gathered into JSON, as the API's request type `T`: a page refuses
/// exactly what the API refuses, naming the same fields.
pub fn typed<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    let bytes = serde_json::to_vec(&value).map_err(|e| Error::internal(format!("form: {e}")))?;
    crate::http::extract::parse_json(&bytes)
}

/// A refusal's messages by field, to show each beside its input (`errors.title`). A problem
/// that names no field is under `""`.
pub fn field_errors(error: &Error) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut map = serde_json::Map::new();
    match error {
        Error::Validation(list) => {
            for e in list {
                map.entry(e.field.clone())
                    .or_insert_with(|| serde_json::Value::String(e.message.clone()));
            }
        }
        Error::BadRequest { detail, field } => {
            map.insert(
                field.clone().unwrap_or_default(),
                serde_json::Value::String(detail.clone()),
            );
        }
        Error::Conflict { detail, .. } | Error::PreconditionFailed(detail) => {
            map.insert(String::new(), serde_json::Value::String(detail.clone()));
        }
        _ => return None,
    }
    Some(map)
}

impl FromRequest for Viewer {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(sessions::COOKIE).map(|c| c.value().to_string());
        let path = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path().to_string(), |p| p.as_str().to_string());
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| Error::internal("application state missing"))?;
            let token =
                token.ok_or_else(|| Error::Unauthorized("sign in to see this page".into()))?;
            let session = crate::http::caller::session(&state, token).await?;
            let user = session
                .caller
                .user
                .ok_or_else(|| Error::internal("a session without its user"))?;
            let profile: (String, String, Language, String, String) = state
                .db
                .read(move |conn| {
                    Ok(users::table
                        .inner_join(organizations::table)
                        .filter(users::id.eq(user.id))
                        .select((
                            users::display_name,
                            users::email,
                            users::language,
                            organizations::name,
                            organizations::timezone,
                        ))
                        .first(conn)?)
                })
                .await?;
            let (name, email, lang, organization, timezone) = profile;
            let viewer = Viewer {
                caller: session.caller,
                session,
                name,
                email,
                organization,
                lang,
                tz: timezone.parse().unwrap_or(chrono_tz::Europe::Brussels),
                path,
                now: state.clock.now_naive(),
            };
            // `guard` shows an error in this person's frame and language.
            req.extensions_mut().insert(viewer.clone());
            Ok(viewer)
        })
    }
}
