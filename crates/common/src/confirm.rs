//! Asking before deleting.

use std::io::{BufRead, IsTerminal, Write};

use crate::errors::bad_input;

/// The answer to a confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Go,
    Abort,
}

/// Asks once on the terminal whether to go ahead; only "yes" goes ahead.
///
/// With `--yes` it does not ask. On a non-terminal stdin without `--yes` it refuses with bad
/// input instead of hanging or guessing: a script must say `--yes` explicitly.
pub fn confirm(question: &str, yes: bool) -> anyhow::Result<Answer> {
    if yes {
        return Ok(Answer::Go);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(bad_input(
            "refusing to delete without confirmation: stdin is not a terminal; pass --yes to go ahead",
        ));
    }
    let mut stderr = std::io::stderr();
    write!(stderr, "{question}\nType 'yes' to delete: ")?;
    stderr.flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(if line.trim() == "yes" {
        Answer::Go
    } else {
        Answer::Abort
    })
}
