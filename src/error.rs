//! The one place for errors. Services return `Error`; this module turns each variant into an
//! RFC 9457 `application/problem+json` answer.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::DatabaseErrorKind;
use serde::Serialize;
use utoipa::ToSchema;

/// One failing input field. `field` is a JSON path into the request (`notification_emails[1]`)
/// or the name of a query or path parameter.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist or is outside the caller's reach; the two are not told apart.
    #[error("no {0} with this id is visible to you")]
    NotFound(&'static str),
    #[error("{detail}")]
    BadRequest {
        detail: String,
        field: Option<String>,
    },
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),
    #[error("{detail}")]
    Conflict {
        detail: String,
        extra: Option<serde_json::Value>,
    },
    #[error("{0}")]
    PreconditionFailed(String),
    /// `allow` lists the methods the resource takes, for the `Allow` header.
    #[error("this endpoint does not take {method}; it takes {allow}")]
    MethodNotAllowed { method: String, allow: String },
    #[error("the request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// Over a limit other than the body's (the total of a case's files).
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{detail}")]
    TooManyRequests { retry_after: u64, detail: String },
    /// A concurrent request won a race; the whole operation may be retried as it is.
    #[error("a concurrent request changed the same data; retry")]
    Retry,
    /// A bug or a failure the caller cannot act on. The detail and its cause go to the log;
    /// the caller is told only that something went wrong.
    #[error("{detail}")]
    Internal {
        detail: String,
        #[source]
        source: Option<BoxError>,
    },
}

/// The cause an error keeps.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error and its causes, outermost first: `a: b: c`.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl Error {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Validation(vec![FieldError::new(field, message)])
    }

    pub fn bad_param(field: impl Into<String>, detail: impl Into<String>) -> Error {
        Error::BadRequest {
            detail: detail.into(),
            field: Some(field.into()),
        }
    }

    pub fn conflict(detail: impl Into<String>) -> Error {
        Error::Conflict {
            detail: detail.into(),
            extra: None,
        }
    }

    pub fn internal(detail: impl Into<String>) -> Error {
        Error::Internal {
            detail: detail.into(),
            source: None,
        }
    }

    /// An internal error that keeps its cause, for the log.
    pub fn internal_from(
        detail: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::Internal {
            detail: detail.into(),
            source: Some(Box::new(source)),
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Error::Unauthorized(_) => ("unauthorized", "Authentication required"),
            Error::Forbidden(_) => ("forbidden", "Not allowed for your role"),
            Error::NotFound(_) => ("not-found", "Not found"),
            Error::BadRequest { .. } => ("bad-request", "Malformed request"),
            Error::Validation(_) => ("validation", "Invalid input"),
            Error::Conflict { .. } => ("conflict", "Conflict with the current state"),
            Error::PreconditionFailed(_) => ("precondition-failed", "The object has changed"),
            Error::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            Error::PayloadTooLarge(_) | Error::TooLarge(_) => {
                ("payload-too-large", "Request body too large")
            }
            Error::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Error::Unavailable(_) | Error::Retry => {
                ("unavailable", "Service temporarily unavailable")
            }
            Error::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Error::Internal { .. } => ("internal", "Internal error"),
        }
    }

    /// The problem document, also used by the OpenAPI examples and tests.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let detail = match self {
            // Internal details go to the log, not to the caller.
            Error::Internal { .. } => {
                "an unexpected error occurred; it has been logged".to_string()
            }
            other => other.to_string(),
        };
        let errors = match self {
            Error::Validation(errors) => Some(errors.clone()),
            Error::BadRequest {
                field: Some(field), ..
            } => Some(vec![FieldError::new(field.clone(), detail.clone())]),
            _ => None,
        };
        let extra = match self {
            Error::Conflict { extra, .. } => extra.clone(),
            _ => None,
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_string(),
            status: self.status_code().as_u16(),
            detail,
            errors,
            extra,
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem (see docs/api.md).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong, in words a person can act on.
    pub detail: String,
    /// The failing fields, for invalid input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// Extension members specific to the problem (for example the allowed actions).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub extra: Option<serde_json::Value>,
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::PayloadTooLarge(_) | Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Unavailable(_) | Error::Retry => StatusCode::SERVICE_UNAVAILABLE,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Error::Internal { .. } => tracing::error!(error = %chain(self), "internal error"),
            Error::Unavailable(detail) => tracing::warn!(error = %detail, "service unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            Error::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"ketenzorg\""));
            }
            Error::Unavailable(_) | Error::Retry => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            Error::TooManyRequests { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Error::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        use diesel::result::Error as D;
        match e {
            D::NotFound => Error::NotFound("object"),
            D::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => Error::Conflict {
                detail: format!(
                    "this would duplicate an existing record ({})",
                    info.message()
                ),
                extra: None,
            },
            D::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Error::Unavailable(format!("database connection lost: {}", info.message()))
            }
            D::DatabaseError(_, ref info)
                if info.message().contains("database is locked")
                    || info.message().contains("database is busy") =>
            {
                Error::Unavailable("the database is busy; retry shortly".into())
            }
            D::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
                Error::Unavailable(format!("database unreachable: {}", info.message()))
            }
            // A connection cut under a running query (server restart, a terminated backend, a
            // network failure) is an outage, not a bug.
            D::DatabaseError(_, ref info)
                if [
                    "terminating connection",
                    "server closed the connection",
                    "connection to server",
                    "no connection to the server",
                    "could not receive data",
                    "could not send data",
                    "SSL SYSCALL",
                ]
                .iter()
                .any(|m| info.message().contains(m)) =>
            {
                Error::Unavailable(format!("database connection lost: {}", info.message()))
            }
            D::BrokenTransactionManager => {
                Error::Unavailable("database connection lost mid-transaction".into())
            }
            other => Error::internal_from("database error", other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(e: diesel::r2d2::PoolError) -> Error {
        Error::Unavailable(format!("no database connection available: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::internal_from("JSON", e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_cause_for_the_log_not_the_caller() {
        let cause = diesel::result::Error::DeserializationError("bad state \"clsoed\"".into());
        let e = Error::from(cause);
        let source = std::error::Error::source(&e).expect("the cause is kept");
        assert!(source.to_string().contains("clsoed"));
        assert_eq!(chain(&e), format!("database error: {source}"));
        assert!(!e.problem().detail.contains("clsoed"));
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        assert!(chain(&Error::from(json)).starts_with("JSON: EOF"));
    }
}
