//! Command-line parsing with the project's error convention: one clear line, exit status 2.

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::exit::Exit;

/// Parses the command line. `--help` and `--version` print as usual and exit 0; any other parse
/// error prints one line (`TOOL: error: ...`) and exits 2, before anything else happens.
pub fn parse<P: Parser>() -> P {
    parse_from(std::env::args_os())
}

/// [`parse`] over given arguments (the first is the program name).
pub fn parse_from<P, I, T>(args: I) -> P
where
    P: Parser,
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match P::try_parse_from(args) {
        Ok(parsed) => parsed,
        Err(error) => match error.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
            _ => {
                let tool = P::command().get_name().to_string();
                eprintln!("{tool}: error: {}", one_line(&error.render().to_string()));
                std::process::exit(i32::from(Exit::BadInput.code()));
            }
        },
    }
}

/// Folds clap's multi-line message into one line: the message, plus its hint in parentheses.
fn one_line(rendered: &str) -> String {
    let mut lines = rendered
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .filter(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"));
    let first = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    let rest: Vec<&str> = lines.map(|l| l.trim_start_matches("tip: ")).collect();
    if rest.is_empty() {
        first
    } else {
        format!("{first} ({})", rest.join("; ").trim_matches(['[', ']']))
    }
}

/// Prints an error the project's way (`TOOL: error: chain`) and returns the exit code to use.
pub fn report_error(tool: &str, error: &anyhow::Error) -> ExitCode {
    let exit = if crate::errors::is_bad_input(error) {
        Exit::BadInput
    } else {
        Exit::Incomplete
    };
    eprintln!("{tool}: error: {error:#}");
    exit.into()
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn folds_clap_errors_into_one_line() {
        let rendered = "error: invalid value 'xml' for '--output <FORMAT>'\n  [possible values: text, json]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "invalid value 'xml' for '--output <FORMAT>' (possible values: text, json)"
        );
    }

    #[test]
    fn drops_usage_lines() {
        let rendered = "error: unexpected argument '--tabel' found\n\n  tip: a similar argument exists: '--table'\n\nUsage: rm-dynamodb --table <NAME>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "unexpected argument '--tabel' found (a similar argument exists: '--table')"
        );
    }
}
