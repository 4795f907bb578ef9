//! `cargo xtask verify`: after a teardown, re-list everything the manifest names (through the
//! step binaries' dry runs) and what they report as left behind; exit 1 if anything remains.

use std::process::ExitCode;

use clap::Parser;
use common::Outcome;
use xshell::Shell;

use crate::clean_all::{ManifestArgs, account_and_region, gather_plans, related_not_selected};
use crate::runner::StepRunner;
use crate::steps::{STEPS, StepInfo};

/// `cargo xtask verify`
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask verify",
    about = "List what the manifest names that still exists, and what was left behind"
)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
}

pub fn run(sh: &Shell, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let manifest = args.manifest.manifest()?;
    let steps: Vec<StepInfo> = STEPS
        .iter()
        .copied()
        .filter(|s| manifest.step_args(s.number).is_some())
        .collect();
    let runner = StepRunner::new(
        sh,
        &args.manifest.binaries(),
        manifest,
        &steps,
        args.manifest.child_env.clone(),
    )?;
    let plans = gather_plans(&runner, &steps)?;
    let mut remaining = Vec::new();
    for (info, report) in &plans {
        for action in &report.actions {
            if action.outcome != Some(Outcome::AlreadyAbsent) {
                remaining.push(format!(
                    "step {}: {} {} still exists",
                    info.number, action.kind, action.name
                ));
            }
        }
        for item in &report.left_behind {
            remaining.push(format!(
                "step {}: {} {} left behind: {}",
                info.number, item.kind, item.name, item.reason
            ));
        }
    }
    for line in related_not_selected(runner.manifest(), &plans) {
        remaining.push(line);
    }
    let (account, region) = account_and_region(&plans);
    if remaining.is_empty() {
        println!(
            "verify: account {account}, region {region}: nothing the manifest names remains, and nothing was left behind ({} step(s) checked)",
            plans.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "verify: account {account}, region {region}: {} item(s) remain:",
            remaining.len()
        );
        for line in &remaining {
            println!("  {line}");
        }
        Ok(ExitCode::from(1))
    }
}
