//! Logs go to stderr through `tracing`; results go to stdout. `-v`/`-q` pick the level and
//! `RUST_LOG` overrides them.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::args::AwsArgs;

/// Installs the global subscriber. `crate_name` is the binary's crate (e.g. `rm_dynamodb`), whose
/// logs, with `common`'s, get more detail than the SDK's at each `-v`.
pub fn init(args: &AwsArgs, crate_name: &str) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::new(default_directives(args.verbose, args.quiet, crate_name)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_target(false)
        .without_time()
        .try_init();
}

/// The filter for a `-v`/`-q` count. The SDK's request signing is capped at `debug` even at
/// `-vvv`: at `trace` it logs canonical requests, which carry session tokens.
fn default_directives(verbose: u8, quiet: u8, crate_name: &str) -> String {
    let ours = |level: &str| format!("common={level},{crate_name}={level}");
    match (verbose, quiet) {
        (_, 2..) => "off".to_string(),
        (_, 1) => "error".to_string(),
        // aws-config warns about every place it looked for a region or credentials; when none
        // works our own error says what to do, so its warnings wait for -vv.
        (0, 0) => format!("warn,aws_config=error,{}", ours("info")),
        (1, 0) => format!("warn,aws_config=error,{}", ours("debug")),
        (2, 0) => format!("info,{}", ours("trace")),
        _ => format!("debug,aws_sigv4=debug,{}", ours("trace")),
    }
}

#[cfg(test)]
mod tests {
    use super::default_directives;

    #[test]
    fn verbosity_raises_our_level_first() {
        assert_eq!(
            default_directives(0, 0, "rm_s3"),
            "warn,aws_config=error,common=info,rm_s3=info"
        );
        assert_eq!(
            default_directives(1, 0, "rm_s3"),
            "warn,aws_config=error,common=debug,rm_s3=debug"
        );
        assert_eq!(default_directives(0, 1, "rm_s3"), "error");
        assert_eq!(default_directives(0, 2, "rm_s3"), "off");
    }

    #[test]
    fn signing_never_logs_at_trace() {
        assert!(default_directives(5, 0, "rm_s3").contains("aws_sigv4=debug"));
    }
}
