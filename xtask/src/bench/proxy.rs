//! `cargo xtask bench proxy [--requests N] [--warmup N]`: what the real-AWS behaviour proxy
//! adds to a request when no rule or fault applies (issue 3: shown by a bench, not a timed
//! test).
//!
//! Builds and runs testkit's `proxy-bench` (release, so that the proxy is measured and not
//! debug code) against the emulator, starting it first when it is not running and stopping it
//! afterwards if this run started it. `proxy-bench` sends the same small requests (DynamoDB
//! DescribeTable and ListTables, S3 HeadObject) straight to moto, through a passthrough proxy
//! and through an aws-profile proxy, interleaved, and prints mean, p50 and p95 per path, the
//! differences, and the proxy's own time from its log. Figures: crates/testkit/BENCH.md.

use std::process::ExitCode;

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

use crate::{emulator, local_env};

const USAGE: &str = "usage: cargo xtask bench proxy [--requests N] [--warmup N]";

pub fn run(sh: &Shell, args: &[String]) -> anyhow::Result<ExitCode> {
    let options = parse(args)?;
    let (endpoint, started) = match emulator::status(sh) {
        Some(endpoint) => (endpoint, false),
        None => {
            eprintln!("bench: starting the emulator");
            (emulator::start(sh)?, true)
        }
    };
    let result = bench(sh, &endpoint, &options);
    if started {
        eprintln!("bench: stopping the emulator this run started");
        if let Err(err) = emulator::stop(sh) {
            eprintln!("bench: {err:#}");
        }
    }
    result
}

fn bench(sh: &Shell, endpoint: &str, options: &[String]) -> anyhow::Result<ExitCode> {
    eprintln!("bench: building and running proxy-bench (release)");
    // Dummy credentials and no instance metadata: nothing may leave the machine.
    let status = crate::plain_cargo(local_env::apply_xshell(cmd!(
        sh,
        "cargo run --quiet --release -p testkit --bin proxy-bench -- --endpoint {endpoint} {options...}"
    )))
    .run();
    match status {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(err) => Err(err).context("proxy-bench failed"),
    }
}

/// The arguments passed on to proxy-bench, checked here so a typo fails before the build.
fn parse(args: &[String]) -> anyhow::Result<Vec<String>> {
    let mut options = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--requests" | "--warmup" => {
                let value = args
                    .next()
                    .with_context(|| format!("{arg} needs a number; {USAGE}"))?;
                let n: u32 = value
                    .parse()
                    .with_context(|| format!("{arg} {value:?}: expected a number; {USAGE}"))?;
                if arg == "--requests" && n == 0 {
                    bail!("--requests must be at least 1; {USAGE}");
                }
                options.push(arg.clone());
                options.push(n.to_string());
            }
            other => bail!("unknown argument {other:?}; {USAGE}"),
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn passes_the_counts_on() {
        assert_eq!(
            parse(&args(&["--requests", "200", "--warmup", "10"])).expect("valid"),
            args(&["--requests", "200", "--warmup", "10"])
        );
        assert!(parse(&[]).expect("valid").is_empty());
    }

    #[test]
    fn refuses_bad_arguments() {
        assert!(parse(&args(&["--requests"])).is_err());
        assert!(parse(&args(&["--requests", "many"])).is_err());
        assert!(parse(&args(&["--requests", "0"])).is_err());
        assert!(parse(&args(&["--objects", "5"])).is_err());
    }
}
