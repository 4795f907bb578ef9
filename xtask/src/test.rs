//! `cargo xtask test`: the project's test command. Starts the emulator, runs every test of the
//! workspace against it, and stops it again even when tests fail (unless it was already running
//! before, then it is left as found). Exits with the tests' status.

use std::process::ExitCode;

use xshell::{Shell, cmd};

use crate::emulator;

pub fn run(sh: &Shell, args: &[String]) -> anyhow::Result<ExitCode> {
    let already_running = emulator::status(sh);
    let endpoint = match &already_running {
        Some(endpoint) => {
            eprintln!("xtask: using the running emulator at {endpoint}");
            endpoint.clone()
        }
        None => emulator::start(sh)?,
    };
    eprintln!("xtask: running the tests against {endpoint}");
    let tests = {
        let _env = [
            sh.push_env("AWS_ENDPOINT_URL", &endpoint),
            sh.push_env("AWS_ACCESS_KEY_ID", "testing"),
            sh.push_env("AWS_SECRET_ACCESS_KEY", "testing"),
            sh.push_env("AWS_REGION", "us-east-1"),
            sh.push_env("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        crate::plain_cargo(cmd!(sh, "cargo test --workspace --no-fail-fast {args...}")).run()
    };
    if already_running.is_none()
        && let Err(error) = emulator::stop(sh)
    {
        eprintln!("xtask: warning: {error:#}");
    }
    Ok(match tests {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => {
            eprintln!("xtask: tests failed");
            ExitCode::from(1)
        }
    })
}
