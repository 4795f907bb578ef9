//! `cargo xtask verify`: after a teardown, re-list everything the manifest names (through the
//! step binaries' dry runs) and what they report as left behind; exit 1 if anything remains.
//!
//! It also looks for leftovers whose owners are gone, which no step's own dry run can see once
//! the owner is deleted, through read-only selectors of the step binaries:
//! - origin access controls and identities that no distribution uses and that the console made
//!   for a bucket the manifest names (`[s3] buckets`, `[cloudfront] origin_buckets`):
//!   `rm-cloudfront --unused-origin-access-for-bucket NAME`;
//! - unattached `/service-role/` policies only about the manifest's functions (their log groups),
//!   tables or buckets, such as the console's AWSLambdaBasicExecutionRole-<uuid>:
//!   `rm-iam --unattached-policies-for-function|table|bucket NAME`.
//!
//! Each is listed with the command that deletes exactly what was listed. Globs in the manifest
//! cannot name these (what they matched is gone): only exact names are followed.

use std::process::ExitCode;

use clap::Parser;
use common::Outcome;
use xshell::Shell;

use crate::clean_all::{ManifestArgs, account_and_region, gather_plans, related_not_selected};
use crate::manifest::Manifest;
use crate::runner::StepRunner;
use crate::steps::{CLOUDFRONT, IAM, STEPS, StepInfo, step};

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
    let orphan_checks = orphan_checks(&manifest);
    let mut needed = steps.clone();
    for (info, _) in &orphan_checks {
        if !needed.contains(info) {
            needed.push(*info);
        }
    }
    let runner = StepRunner::new(
        sh,
        &args.manifest.binaries(),
        manifest,
        &needed,
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
    for (info, selection) in &orphan_checks {
        remaining.extend(orphans(&runner, info, selection)?);
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

/// The read-only selectors of leftovers whose owners the manifest names, per step binary.
fn orphan_checks(manifest: &Manifest) -> Vec<(StepInfo, Vec<String>)> {
    let mut checks = Vec::new();
    let mut buckets: Vec<&String> = Vec::new();
    for bucket in manifest
        .s3
        .buckets
        .iter()
        .chain(&manifest.cloudfront.origin_buckets)
    {
        if !buckets.contains(&bucket) {
            buckets.push(bucket);
        }
    }
    let flags = |flag: &str, names: &[&String]| -> Vec<String> {
        names
            .iter()
            .flat_map(|name| [flag.to_string(), name.to_string()])
            .collect()
    };
    if let Some(info) = step(CLOUDFRONT).filter(|_| !buckets.is_empty()) {
        checks.push((info, flags("--unused-origin-access-for-bucket", &buckets)));
    }
    let functions: Vec<&String> = manifest.lambda.functions.iter().collect();
    let tables: Vec<&String> = manifest.dynamodb.tables.iter().collect();
    let mut iam = flags("--unattached-policies-for-function", &functions);
    iam.extend(flags("--unattached-policies-for-table", &tables));
    iam.extend(flags(
        "--unattached-policies-for-bucket",
        &manifest.s3.buckets.iter().collect::<Vec<_>>(),
    ));
    if let Some(info) = step(IAM).filter(|_| !iam.is_empty()) {
        checks.push((info, iam));
    }
    checks
}

/// One line per leftover a selector plans to delete, then the command that deletes them.
fn orphans(
    runner: &StepRunner,
    info: &StepInfo,
    selection: &[String],
) -> anyhow::Result<Vec<String>> {
    let run = runner.dry_run_with(info, selection)?;
    let report = match (run.exit, run.report) {
        (0 | 1, Some(report)) => report,
        (exit, _) => anyhow::bail!(
            "step {} ({}) could not look for leftovers (exit {exit}): {}",
            info.number,
            info.binary,
            run.stderr.trim().lines().last().unwrap_or("no report")
        ),
    };
    let mut lines: Vec<String> = report
        .actions
        .iter()
        .filter(|a| a.is_to_do())
        .map(|a| {
            let id =
                a.id.as_deref()
                    .filter(|id| *id != a.name)
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default();
            let why = a.notes.last().map(String::as_str).unwrap_or("left behind");
            format!(
                "step {}: {} {}{id} left behind, its owner gone: {why}",
                info.number, a.kind, a.name
            )
        })
        .collect();
    if !lines.is_empty() {
        let mut command = vec![info.binary.to_string()];
        command.extend(selection.iter().map(|s| quote(s)));
        command.extend(runner.manifest().aws_args().iter().map(|s| quote(s)));
        lines.push(format!(
            "step {}: to delete the {} above: {}",
            info.number,
            if lines.len() == 1 { "one" } else { "ones" },
            command.join(" ")
        ));
    }
    Ok(lines)
}

/// A shell word: quoted when it holds anything but plain name characters.
fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
