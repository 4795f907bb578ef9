//! `cargo xtask emulator start|stop|status`: the same as `scripts/emulator.sh`, which does the
//! work (one implementation, usable without cargo).

use std::process::ExitCode;

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

pub fn run(sh: &Shell, args: &[String]) -> anyhow::Result<ExitCode> {
    match args.first().map(String::as_str) {
        Some("start") => {
            println!("{}", start(sh)?);
            Ok(ExitCode::SUCCESS)
        }
        Some("stop") => {
            stop(sh)?;
            Ok(ExitCode::SUCCESS)
        }
        Some("status") => Ok(match status(sh) {
            Some(endpoint) => {
                println!("{endpoint}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("emulator: not running");
                ExitCode::from(1)
            }
        }),
        _ => bail!("usage: cargo xtask emulator start|stop|status"),
    }
}

/// Starts the emulator (installing moto on first use) and returns its endpoint.
pub fn start(sh: &Shell) -> anyhow::Result<String> {
    let endpoint = cmd!(sh, "bash scripts/emulator.sh start")
        .read()
        .context("starting the emulator (scripts/emulator.sh start)")?;
    Ok(endpoint.trim().to_string())
}

pub fn stop(sh: &Shell) -> anyhow::Result<()> {
    cmd!(sh, "bash scripts/emulator.sh stop")
        .run()
        .context("stopping the emulator")
}

/// The endpoint of a running emulator, if one is running.
pub fn status(sh: &Shell) -> Option<String> {
    cmd!(sh, "bash scripts/emulator.sh status")
        .quiet()
        .ignore_stderr()
        .read()
        .ok()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
}

/// The emulator virtualenv's Python, which has boto3 (a dependency of moto).
pub fn python(sh: &Shell) -> std::path::PathBuf {
    sh.current_dir().join("target/emulator/venv/bin/python")
}
