//! Bounded waits on the SDK's modelled waiters, reduced to what a step needs to decide.

use aws_smithy_runtime_api::client::waiters::error::WaiterError;
use aws_smithy_types::error::display::DisplayErrorContext;

/// How a bounded wait ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Waited {
    /// The resource reached the state waited for.
    Reached,
    /// The maximum wait passed first: the resource may still get there (report it as pending).
    TimedOut,
    /// The waiter hit a failure state or an error.
    Failed(String),
}

impl Waited {
    /// Classifies a waiter's result.
    pub fn from_result<T, O, E>(result: Result<T, WaiterError<O, E>>) -> Waited
    where
        O: std::fmt::Debug,
        E: std::error::Error + std::fmt::Debug + 'static,
    {
        match result {
            Ok(_) => Waited::Reached,
            Err(WaiterError::ExceededMaxWait(_)) => Waited::TimedOut,
            Err(error) => Waited::Failed(DisplayErrorContext(&error).to_string()),
        }
    }
}
