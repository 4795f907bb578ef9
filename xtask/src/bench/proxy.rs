//! `cargo xtask bench proxy`: being written.

use std::process::ExitCode;

use xshell::Shell;

pub fn run(_sh: &Shell, _args: &[String]) -> anyhow::Result<ExitCode> {
    anyhow::bail!("bench proxy is not written yet")
}
