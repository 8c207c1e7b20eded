//! Unknown query parameters are refused, as unknown body fields are: `?stat=open` (for
//! `state`) must not quietly list every case. The parameters each operation knows are read
//! from the OpenAPI document the server is mounted with, so the document, the fuzzer and
//! this check cannot disagree.

use std::sync::Arc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::ResponseError;
use futures_util::future::LocalBoxFuture;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{OpenApi, RefOr};

use crate::error::Error;

/// One documented operation: its method, its path split into segments (`None` where the
/// path has a `{placeholder}`) and its query parameters.
struct Known {
    method: Method,
    segments: Vec<Option<String>>,
    query: Vec<String>,
}

/// The query parameters of every documented operation.
#[derive(Clone)]
pub struct KnownParams(Arc<Vec<Known>>);

impl KnownParams {
    pub fn new(doc: &OpenApi) -> Self {
        Self(Arc::new(operations(doc)))
    }

    /// The first parameter of `query` the operation does not know, as a 400 naming it.
    pub fn check(&self, method: &Method, path: &str, query: &str) -> Result<(), Error> {
        check(&self.0, method, path, query)
    }

    /// Middleware: answers 400 before the handler runs when a query parameter is unknown.
    pub fn refuse_unknown<S, B>(
        &self,
        req: ServiceRequest,
        srv: &S,
    ) -> LocalBoxFuture<'static, Result<ServiceResponse<EitherBody<B>>, actix_web::Error>>
    where
        S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
        S::Future: 'static,
        B: 'static,
    {
        match self.check(req.method(), req.path(), req.query_string()) {
            Ok(()) => {
                let fut = srv.call(req);
                Box::pin(async move { fut.await.map(ServiceResponse::map_into_left_body) })
            }
            Err(e) => {
                let res = req.into_response(e.error_response()).map_into_right_body();
                Box::pin(async move { Ok(res) })
            }
        }
    }
}

fn operations(doc: &OpenApi) -> Vec<Known> {
    let mut known = Vec::new();
    for (path, item) in &doc.paths.paths {
        if !path.starts_with("/api/") {
            continue;
        }
        let segments: Vec<Option<String>> = path
            .split('/')
            .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
            .collect();
        let shared = names(item.parameters.as_deref());
        for (method, op) in [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ] {
            let Some(op) = op else { continue };
            let mut query = shared.clone();
            query.extend(op_names(op));
            known.push(Known {
                method,
                segments: segments.clone(),
                query,
            });
        }
    }
    known
}

fn names(params: Option<&[RefOr<utoipa::openapi::path::Parameter>]>) -> Vec<String> {
    params
        .unwrap_or_default()
        .iter()
        .filter_map(|p| match p {
            RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query) => Some(p.name.clone()),
            _ => None,
        })
        .collect()
}

fn op_names(op: &Operation) -> Vec<String> {
    names(op.parameters.as_deref())
}

/// The query parameters of the operation a request is for; `None` when no documented
/// operation matches (routing then answers 404 or 405). A literal segment beats a
/// placeholder, as in the router, whatever the method: `PATCH /factories/export.csv` is for
/// the export's resource (a 405), not for `PATCH /factories/{id}`.
fn known_for<'k>(operations: &'k [Known], method: &Method, path: &str) -> Option<&'k [String]> {
    let parts: Vec<&str> = path.split('/').collect();
    let matching = || {
        operations
            .iter()
            .filter(|k| k.segments.len() == parts.len())
            .filter(|k| {
                k.segments.iter().zip(&parts).all(|(s, p)| match s {
                    Some(literal) => literal == p,
                    None => !p.is_empty(),
                })
            })
    };
    let best = matching().max_by_key(|k| k.segments.iter().filter(|s| s.is_some()).count())?;
    matching()
        .find(|k| k.segments == best.segments && k.method == *method)
        .map(|k| k.query.as_slice())
}

fn check(operations: &[Known], method: &Method, path: &str, query: &str) -> Result<(), Error> {
    if query.is_empty() || !path.starts_with("/api/") {
        return Ok(());
    }
    let Some(known) = known_for(operations, method, path) else {
        return Ok(());
    };
    // A query string that does not parse is left to the handler, which says so.
    let Ok(given) = actix_web::web::Query::<Vec<(String, String)>>::from_query(query) else {
        return Ok(());
    };
    match given.iter().find(|(name, _)| !known.contains(name)) {
        None => Ok(()),
        Some((name, _)) if known.is_empty() => Err(Error::bad_param(
            name.as_str(),
            format!("unknown query parameter {name:?}: this endpoint takes none"),
        )),
        Some((name, _)) => Err(Error::bad_param(
            name.as_str(),
            format!(
                "unknown query parameter {name:?}; this endpoint knows: {}",
                known.join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check of the document the server is mounted with.
    fn check(method: &Method, path: &str, query: &str) -> Result<(), Error> {
        KnownParams::new(&crate::routes::document()).check(method, path, query)
    }

    #[test]
    fn unknown_names_are_refused_and_the_known_listed() {
        assert!(check(&Method::GET, "/api/v1/cases", "state=open&limit=5").is_ok());
        let e = check(&Method::GET, "/api/v1/cases", "stat=open").unwrap_err();
        let p = e.problem();
        assert_eq!(p.errors.unwrap()[0].field, "stat");
        assert!(p.detail.contains("state, severity"), "{}", p.detail);
        // A literal segment wins over a placeholder; a path's own placeholder is no query name.
        let id = uuid::Uuid::nil();
        assert!(check(&Method::GET, &format!("/api/v1/cases/{id}"), "id=1").is_err());
        assert!(check(&Method::GET, "/api/v1/nothing-here", "x=1").is_ok());
        // ... whatever the method: a method the literal path does not take is left to the
        // router's 405, not checked against the placeholder path's parameters.
        assert!(check(&Method::PATCH, "/api/v1/factories/export.csv", "country=BE").is_ok());
        assert!(check(
            &Method::PATCH,
            &format!("/api/v1/factories/{id}"),
            "country=BE"
        )
        .is_err());
        // A literal path that does not take the method is left to the router's 405.
        assert!(check(&Method::POST, "/api/v1/contracts/import", "dry_run=true").is_ok());
        assert!(check(&Method::POST, "/api/v1/contracts/import", "dryrun=1").is_err());
        assert!(check(&Method::GET, "/api/v1/contracts/import", "dry_run=true").is_ok());
        assert!(check(&Method::GET, "/healthz", "x=1").is_ok());
    }
}
