//! `cargo xtask bench CASE`: performance against the reference clients, measured in the same run
//! and printed as ratios. Benchmarks are never timed tests.

mod proxy;
mod s3;
mod workshop;

use std::process::ExitCode;

use anyhow::bail;
use xshell::Shell;

pub fn run(sh: &Shell, args: &[String]) -> anyhow::Result<ExitCode> {
    match args.split_first() {
        Some((case, rest)) if case == "s3" => s3::run(sh, rest),
        Some((case, rest)) if case == "proxy" => proxy::run(sh, rest),
        Some((case, rest)) if case == "workshop" => workshop::run(sh, rest),
        _ => bail!(
            "usage: cargo xtask bench s3 [--objects N] | proxy [--requests N] | workshop [--copies K]"
        ),
    }
}
