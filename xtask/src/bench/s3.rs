//! `cargo xtask bench s3`: being written (issue 4).

use std::process::ExitCode;

use xshell::Shell;

pub fn run(_sh: &Shell, _args: &[String]) -> anyhow::Result<ExitCode> {
    anyhow::bail!("bench s3 is not written yet")
}
