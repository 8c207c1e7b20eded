//! Request extractors that turn raw input into typed values or a problem naming the field.

use std::collections::HashMap;
use std::str::FromStr;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{Error, FieldError};
use crate::http::AppState;
use crate::pagination::{Cursor, PageRequest};

pub const DEFAULT_MAX_BODY: usize = 256 * 1024;

/// The request's declared `Content-Length`, when it parses.
pub fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// The body, at most `limit` bytes: a 413 as soon as the declared length or the bytes read
/// exceed it, so an oversized body is never held whole.
pub async fn read_limited(
    mut payload: Payload,
    declared: Option<usize>,
    limit: usize,
) -> Result<BytesMut, Error> {
    if declared.is_some_and(|n| n > limit) {
        return Err(Error::PayloadTooLarge(limit));
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| Error::BadRequest {
            detail: format!("could not read the request body: {e}"),
            field: None,
        })?;
        if body.len() + chunk.len() > limit {
            return Err(Error::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The request's declared media type, lower case, without parameters.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// A JSON request body, size-limited, parsed straight into typed values.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(DEFAULT_MAX_BODY, |s| s.config.max_body_bytes);
        let content_type = media_type(req);
        let declared_len = declared_length(req);
        let payload = payload.take();
        Box::pin(async move {
            match content_type.as_deref() {
                Some("application/json") => {}
                Some(ct) if ct.starts_with("application/") && ct.ends_with("+json") => {}
                other => {
                    return Err(Error::UnsupportedMediaType(format!(
                        "send the body as application/json (got {})",
                        other.unwrap_or("no Content-Type")
                    )))
                }
            }
            let body = read_limited(payload, declared_len, limit).await?;
            parse_json(&body).map(JsonBody)
        })
    }
}

/// Parses JSON and names the failing field: 400 for JSON that does not parse, 422 for JSON
/// that parses but does not fit the expected shape or values.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    use serde_json::error::Category;
    // Some editors and Windows tools write a byte-order mark; JSON (RFC 8259) lets a parser
    // ignore it, and it says nothing about the content.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::BadRequest {
            detail: "the request body is empty; send a JSON object".into(),
            field: None,
        });
    }
    // Every request body of this API is an object; serde would otherwise read a struct from
    // an array, positionally.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        return Err(Error::field("body", "the body must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = match result {
        Ok(v) => v,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            // A body can fail on a field before the parser reaches a syntax error further on;
            // malformed JSON is reported as such whatever came first.
            let well_formed = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
            return Err(match inner.classify() {
                Category::Data if well_formed => {
                    let message = strip_position(&inner.to_string());
                    let field = field_of(&path, &message);
                    Error::Validation(vec![FieldError::new(field, message)])
                }
                _ => Error::BadRequest {
                    detail: format!("the body is not valid JSON: {inner}"),
                    field: None,
                },
            });
        }
    };
    de.end().map_err(|e| Error::BadRequest {
        detail: format!("the body is not valid JSON: {e}"),
        field: None,
    })?;
    Ok(value)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// For "missing field `x`" and "unknown field `x`" serde names the field only in the message,
/// with the path pointing at the enclosing object; join the two.
fn field_of(path: &str, message: &str) -> String {
    let base = if path == "." { "" } else { path };
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    match (base, named) {
        (base, Some(name)) if base == name || base.ends_with(&format!(".{name}")) => {
            base.to_string()
        }
        ("", Some(name)) => name.to_string(),
        (base, Some(name)) => format!("{base}.{name}"),
        ("", None) => "body".to_string(),
        (base, None) => base.to_string(),
    }
}

/// Query parameters, parsed one by one so that errors name the parameter.
pub struct QueryParams(HashMap<String, String>);

impl QueryParams {
    pub fn from_request(req: &HttpRequest) -> Result<QueryParams, Error> {
        web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(|q| QueryParams(q.into_inner().into_iter().collect()))
            .map_err(|e| Error::BadRequest {
                detail: format!("the query string cannot be parsed: {e}"),
                field: None,
            })
    }

    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.as_str())
    }

    /// An optional typed parameter; an unparseable value is a 400 naming it.
    pub fn get<T>(&self, name: &str) -> Result<Option<T>, Error>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.0.get(name) {
            None => Ok(None),
            Some(raw) => raw
                .parse::<T>()
                .map(Some)
                .map_err(|e| Error::bad_param(name, format!("{name}: invalid value {raw:?}: {e}"))),
        }
    }

    pub fn page(&self) -> Result<PageRequest, Error> {
        let limit = match self.get::<i64>("limit")? {
            None => PageRequest::DEFAULT_LIMIT,
            Some(n) if (1..=PageRequest::MAX_LIMIT).contains(&n) => n,
            Some(n) => {
                return Err(Error::bad_param(
                    "limit",
                    format!(
                        "limit must be from 1 to {} (got {n})",
                        PageRequest::MAX_LIMIT
                    ),
                ))
            }
        };
        let after = match self.raw("cursor") {
            None | Some("") => None,
            Some(raw) => Some(Cursor::decode(raw).ok_or_else(|| {
                Error::bad_param(
                    "cursor",
                    "cursor is not one this service issued; start without it",
                )
            })?),
        };
        Ok(PageRequest { limit, after })
    }
}

impl FromRequest for QueryParams {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(QueryParams::from_request(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        email: crate::values::Email,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: crate::values::Name,
        contacts: Vec<Inner>,
    }

    fn field(body: &str) -> (u16, String) {
        match parse_json::<Outer>(body.as_bytes()) {
            Ok(_) => (200, String::new()),
            Err(e) => {
                use actix_web::ResponseError;
                let p = e.problem();
                let f = p.errors.and_then(|v| v.first().map(|e| e.field.clone()));
                (e.status_code().as_u16(), f.unwrap_or_default())
            }
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field(r#"{"name": "x", "contacts": []}"#).0, 200);
        assert_eq!(field(r#"{"contacts": []}"#), (422, "name".into()));
        assert_eq!(
            field(r#"{"name": " ", "contacts": []}"#),
            (422, "name".into())
        );
        assert_eq!(
            field(r#"{"name": "x", "contacts": [{"email": "a@b.org"}, {"email": "no"}]}"#),
            (422, "contacts[1].email".into())
        );
        assert_eq!(
            field(r#"{"name": "x", "contacts": [], "extra": 1}"#),
            (422, "extra".into())
        );
        assert_eq!(
            field(r#"{"name": "x", "contacts": [{"email": "a@b.org", "x": 1}]}"#),
            (422, "contacts[0].x".into())
        );
        assert_eq!(field(r#"{"name": "x", "#).0, 400);
        assert_eq!(field(r#"{"name": "x", "contacts": []} trailing"#).0, 400);
        assert_eq!(field("").0, 400);
    }
}
