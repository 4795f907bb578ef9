//! The bad-input contract every binary keeps (ARCHITECTURE.md): exit status 2 and exactly one
//! line on stderr, `TOOL: error: ...`, saying what is wrong. What must not have changed is each
//! test's own fixture to check.

use std::process::Output;

/// Panics (the test's failure report) unless `output` keeps the contract for `tool` and its one
/// line mentions `expected`. `what` names the input in the message, e.g. the arguments.
pub fn assert_bad_input(tool: &str, what: &str, output: &Output, expected: &str) {
    if let Err(problem) = check_bad_input(tool, output, expected) {
        panic!("{what}: {problem}");
    }
}

/// [`assert_bad_input`] as a value, for tables of cases that report every failure at once.
pub fn check_bad_input(tool: &str, output: &Output, expected: &str) -> Result<(), String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let problem = if output.status.code() != Some(2) {
        format!("exit status {:?}, not 2", output.status.code())
    } else if stderr.trim_end().lines().count() != 1 {
        "not exactly one line on stderr".to_string()
    } else if !stderr.starts_with(&format!("{tool}: error: ")) {
        format!("the line does not start with {tool:?}: error:")
    } else if !stderr.contains(expected) {
        format!("the line does not mention {expected:?}")
    } else {
        return Ok(());
    };
    Err(format!(
        "{problem}\n--- stderr\n{stderr}--- stdout\n{}",
        String::from_utf8_lossy(&output.stdout)
    ))
}
