//! What every aws-teardown step binary shares.
//!
//! A step binary parses its own flags plus [`AwsArgs`], builds a [`Selection`] of what the user
//! named, and hands a [`Step`] to [`run`]. `run` owns the flow that must be the same everywhere:
//! validate input, load the AWS config, check the account, discover, show the plan, confirm,
//! apply, report, and turn the result into an exit status.

pub mod args;
pub mod aws;
pub mod backoff;
pub mod cli;
pub mod confirm;
pub mod errors;
pub mod exit;
pub mod format;
pub mod interrupt;
pub mod logging;
pub mod names;
pub mod plan;
pub mod progress;
pub mod runner;
pub mod selection;
pub mod wait;

pub use args::{AwsArgs, MatchArgs, OutputFormat};
pub use aws::Session;
pub use errors::{BadInput, bad_input, bad_input_from};
pub use exit::Exit;
pub use interrupt::Interrupt;
pub use plan::{Action, Leftover, Operation, Outcome, Plan, Report, Summary};
pub use progress::Progress;
pub use runner::{ApplyContext, Step, run};
pub use selection::Selection;
