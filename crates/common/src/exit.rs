//! Exit statuses, the same for every binary and for xtask.

use std::process::ExitCode;

/// Help text appended to every binary's `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit status:
  0    every selected resource is gone (deleted now or already absent)
  1    at least one resource could not be deleted; the report says which and why
  2    bad input or configuration; nothing was changed
  130  interrupted (Ctrl-C); the report shows what was done";

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Every selected resource is gone.
    Done = 0,
    /// At least one resource is still there (refused, failed, or pending).
    Incomplete = 1,
    /// Bad input or configuration: nothing was changed.
    BadInput = 2,
    /// Stopped by Ctrl-C.
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}
