//! How a command fails: a sentence for the operator, with the cause kept.

use crate::error::BoxError;

/// Why a command failed: a sentence for the operator, with the cause kept (`main` logs the
/// whole chain).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Refused as given, a wrong setup, or a failed check: the message says it all.
    #[error("{0}")]
    Refused(String),
    #[error("{what}")]
    Failed {
        what: &'static str,
        #[source]
        source: BoxError,
    },
}

/// Setup functions (database URL, pool, mail settings) say what is wrong in a sentence.
impl From<String> for CliError {
    fn from(message: String) -> CliError {
        CliError::Refused(message)
    }
}

/// Names the step that failed and keeps its cause.
pub trait Context<T> {
    fn context(self, what: &'static str) -> Result<T, CliError>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for Result<T, E> {
    fn context(self, what: &'static str) -> Result<T, CliError> {
        self.map_err(|e| CliError::Failed {
            what,
            source: Box::new(e),
        })
    }
}
