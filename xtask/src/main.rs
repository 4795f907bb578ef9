//! The project's runner, behind `cargo xtask`. One flat match over subcommands; each task lives
//! in its own module. Run bare to see the list.

mod bench;
mod chaos;
mod clean_all;
mod demo;
mod discover;
mod emulator;
mod local_env;
mod manifest;
mod runner;
mod steps;
mod test;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use xshell::Shell;

const USAGE: &str = "\
cargo xtask <command>

Tearing down (each reads cleanup.toml; --help for options):
  clean-all               delete everything the manifest names, in the chapter's order
  plan                    show clean-all's combined plan; change nothing
  step N                  run step N (1-7) alone with the manifest's settings
  verify                  list what the manifest names that still exists, and leftovers
  discover [--prefix P]   find what looks like the workshop; write cleanup.proposed.toml
  demo                    without an AWS account: create the workshop in a local emulator,
                          tear it down with clean-all, verify, stop the emulator

Development:
  test [ARGS...]          start the emulator, run every test against it, stop it
                          (ARGS go to `cargo test`, e.g. `-p rm-dynamodb`)
  emulator start|stop|status
                          manage the local AWS emulator (moto) under target/emulator/
  bench s3 [--objects N]  time rm-s3 against `aws s3 rb --force` and a boto3 reference
  bench proxy             the test proxy's overhead per request
  bench workshop [--copies K]
                          time clean-all against the chapter scripted with aws-cli (K copies)
  chaos [--seeds N] [--rate R] [--kills N]
                          clean-all on the emulator under injected faults, SIGKILL and
                          SIGINT; writes the figures to docs/CHAOS.md";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(error) => common::cli::report_error("xtask", &error),
    }
}

/// A cargo command as if started from the shell. `cargo xtask` starts us through `cargo run`,
/// which describes the xtask package in our environment (`CARGO_PKG_NAME=xtask`,
/// `CARGO_MANIFEST_DIR=.../xtask`, ...). Passed on to a cargo command, those values differ from a
/// plain `cargo build`'s, and a build script that watches them (ring's does, and rustls and every
/// AWS SDK crate sit above ring) reruns: each switch between `cargo test` and `cargo xtask test`
/// recompiled all the SDK crates. Every cargo command xtask runs goes through here.
pub(crate) fn plain_cargo(mut command: xshell::Cmd<'_>) -> xshell::Cmd<'_> {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo_run) {
            command = command.env_remove(name);
        }
    }
    command
}

/// The variables `cargo run` sets to describe the package it runs (not cargo's own settings,
/// such as `CARGO_HOME` or `CARGO_TARGET_DIR`, which the user may have set and must keep).
fn set_by_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || matches!(
            name,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
        )
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let with_name = |name: &str| std::iter::once(name.to_string()).chain(rest.iter().cloned());
    match command {
        "clean-all" => clean_all::clean_all(&sh, common::cli::parse_from(with_name("clean-all"))),
        "plan" => clean_all::plan(&sh, common::cli::parse_from(with_name("plan"))),
        "step" => clean_all::run_step(&sh, common::cli::parse_from(with_name("step"))),
        "verify" => verify::run(&sh, common::cli::parse_from(with_name("verify"))),
        "discover" => discover::run(&sh, common::cli::parse_from(with_name("discover"))),
        "demo" => demo::run(&sh, common::cli::parse_from(with_name("demo"))),
        "test" => test::run(&sh, rest),
        "emulator" => emulator::run(&sh, rest),
        "bench" => bench::run(&sh, rest),
        "chaos" => chaos::run(&sh, common::cli::parse_from(with_name("chaos"))),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprintln!("xtask: error: unknown command {other:?} (run `cargo xtask` for the list)");
            Ok(ExitCode::from(2))
        }
    }
}

/// The workspace root: xtask's manifest lives one level below it.
fn project_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

#[cfg(test)]
mod tests {
    use super::set_by_cargo_run;

    #[test]
    fn only_the_outer_packages_description_is_dropped_from_our_cargo_commands() {
        for name in [
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_CRATE_NAME",
            "CARGO_BIN_NAME",
        ] {
            assert!(set_by_cargo_run(name), "{name} should be dropped");
        }
        // The user's cargo settings stay: dropping them would build somewhere else, or differently.
        for name in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_JOBS",
            "CARGO_INCREMENTAL",
            "RUSTFLAGS",
        ] {
            assert!(!set_by_cargo_run(name), "{name} should be kept");
        }
    }
}
