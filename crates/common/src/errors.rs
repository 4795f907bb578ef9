//! Errors that mean "bad input or configuration": they end a run with exit status 2.

use std::fmt;

/// Bad input or configuration, found before anything was changed.
///
/// Anywhere in an `anyhow` chain, it turns the run's exit status into 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Shorthand for an `anyhow::Error` carrying [`BadInput`].
pub fn bad_input(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(message.into()))
}

/// Marks an existing error as bad input, keeping its whole message.
pub fn bad_input_from(error: anyhow::Error) -> anyhow::Error {
    bad_input(format!("{error:#}"))
}

/// Whether an error (or anything in its chain) is bad input.
pub fn is_bad_input(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<BadInput>())
}
