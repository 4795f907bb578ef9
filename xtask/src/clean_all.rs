//! `cargo xtask clean-all`, `plan` and `step N`: the chapter as one command.
//!
//! clean-all gathers every step's plan from the binaries' dry runs, shows one combined plan,
//! asks once, gives CloudFront a head start (disabling takes minutes to deploy), then runs the
//! steps in the chapter's order and ends with one summary table.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::Parser;
use comfy_table::Table;
use comfy_table::presets::UTF8_BORDERS_ONLY;
use common::plan::render_plan;
use common::{Plan, Report};
use globset::Glob;
use serde::Serialize;
use xshell::Shell;

use crate::manifest::Manifest;
use crate::runner::{Binaries, StepRun, StepRunner};
use crate::steps::{CLOUDFRONT, IAM, STEPS, StepInfo, step};

/// Options shared by clean-all, plan, step, verify and discover.
#[derive(clap::Args, Clone, Debug)]
pub struct ManifestArgs {
    /// The manifest: what to delete, step by step
    #[arg(long, default_value = "cleanup.toml", value_name = "FILE")]
    pub config: PathBuf,

    /// Use the step binaries in this directory instead of building them
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,

    /// Build the step binaries in the debug profile (faster to build, slower to run)
    #[arg(long)]
    pub debug: bool,

    /// Region for every step (overrides the manifest's [aws] region)
    #[arg(long)]
    pub region: Option<String>,

    /// Profile for every step (overrides the manifest's [aws] profile)
    #[arg(long)]
    pub profile: Option<String>,

    /// Endpoint for every step, e.g. an emulator (overrides the manifest's [aws] endpoint_url)
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Refuse to run against any other account (overrides the manifest's [aws] expect_account)
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub expect_account: Option<String>,

    /// Environment for the step binaries (set by the demo, not a flag)
    #[arg(skip)]
    pub child_env: Vec<(String, String)>,
}

impl ManifestArgs {
    /// Loads the manifest with the command line's overrides applied.
    pub fn manifest(&self) -> anyhow::Result<Manifest> {
        let mut manifest = Manifest::load(&self.config).map_err(common::bad_input_from)?;
        let aws = &mut manifest.aws;
        for (target, value) in [
            (&mut aws.region, &self.region),
            (&mut aws.profile, &self.profile),
            (&mut aws.endpoint_url, &self.endpoint_url),
            (&mut aws.expect_account, &self.expect_account),
        ] {
            if value.is_some() {
                target.clone_from(value);
            }
        }
        Ok(manifest)
    }

    pub fn binaries(&self) -> Binaries {
        match &self.bin_dir {
            Some(dir) => Binaries::In(dir.clone()),
            None => Binaries::Build { debug: self.debug },
        }
    }
}

/// `cargo xtask clean-all`
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask clean-all",
    about = "Delete everything the manifest names, in the chapter's order"
)]
pub struct CleanAllArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Do not ask: go ahead after showing the plan (needed when stdin is not a terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Show the combined plan only (the same as `cargo xtask plan`)
    #[arg(long)]
    pub dry_run: bool,

    /// Start at this step (1-7), e.g. to resume
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=7))]
    pub from_step: Option<u8>,

    /// Run only this step (1-7)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=7), conflicts_with = "from_step")]
    pub only: Option<u8>,

    /// Stop at the first step that does not end with exit status 0
    #[arg(long)]
    pub fail_fast: bool,

    /// Write the combined JSON report (every step's report) to this file
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// `cargo xtask plan`
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask plan",
    about = "Show clean-all's combined plan; change nothing"
)]
pub struct PlanArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
}

/// `cargo xtask step N`
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask step",
    about = "Run one step with the manifest's settings (it asks before deleting)"
)]
pub struct StepArgs {
    /// The chapter's step number, 1 to 7
    #[arg(value_parser = clap::value_parser!(u8).range(1..=7))]
    pub number: u8,

    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// More flags for the step binary, after `--` (e.g. `-- --dry-run`)
    #[arg(last = true)]
    pub rest: Vec<String>,
}

/// The combined report of a clean-all run (`--report FILE`).
#[derive(Debug, Serialize)]
pub struct CombinedReport {
    pub schema: u32,
    pub account: String,
    pub region: String,
    pub steps: Vec<Report>,
    pub exit_code: u8,
}

pub fn clean_all(sh: &Shell, args: CleanAllArgs) -> anyhow::Result<ExitCode> {
    let manifest = args.manifest.manifest()?;
    let steps: Vec<StepInfo> = STEPS
        .iter()
        .copied()
        .filter(|s| args.only.is_none_or(|only| s.number == only))
        .filter(|s| args.from_step.is_none_or(|from| s.number >= from))
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
    print_combined_plan(&runner, &args.manifest, &plans);
    let to_do: usize = plans.iter().map(|(_, r)| Plan::from(r).to_do()).sum();
    if args.dry_run {
        return Ok(ExitCode::from(plan_exit(&plans)));
    }
    if to_do == 0 {
        println!("\nNothing to delete: everything the manifest names is already gone.");
        return Ok(ExitCode::from(plan_exit(&plans)));
    }
    let (account, region) = account_and_region(&plans);
    confirm_account(&account, to_do, args.yes)?;

    // Ctrl-C reaches the running step binary too (same process group): it stops with a
    // partial report and exit 130, and clean-all then stops before the next step.
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }

    let by_step = |n: u8| plans.iter().find(|(s, _)| s.number == n).map(|(_, r)| r);
    if let Some(report) = by_step(CLOUDFRONT).filter(|r| Plan::from(*r).to_do() > 0) {
        let _ = report;
        give_cloudfront_a_head_start(&runner);
    }

    let mut results: Vec<(StepInfo, StepRun)> = Vec::new();
    for (info, planned) in &plans {
        println!();
        if Plan::from(planned).to_do() == 0 {
            println!(
                "Step {}/7: {}: nothing to delete ({} already absent)",
                info.number, info.heading, planned.summary.already_absent
            );
            results.push((
                *info,
                StepRun {
                    exit: planned.exit_code,
                    report: Some(planned.clone()),
                    stderr: String::new(),
                },
            ));
            continue;
        }
        let run = runner.run(info, &[], false)?;
        let exit = run.exit;
        results.push((*info, run));
        if exit == 130 || interrupted.load(Ordering::SeqCst) {
            println!(
                "\nInterrupted: run `cargo xtask clean-all --from-step {}` to continue.",
                info.number
            );
            break;
        }
        if exit != 0 && args.fail_fast {
            println!("\nStopped after step {} (--fail-fast).", info.number);
            break;
        }
    }

    let exit = overall_exit(&results);
    print_summary(&results, &account, &region);
    if let Some(path) = &args.report {
        let combined = CombinedReport {
            schema: common::plan::REPORT_SCHEMA,
            account,
            region,
            steps: results
                .iter()
                .filter_map(|(_, r)| r.report.clone())
                .collect(),
            exit_code: exit,
        };
        std::fs::write(path, serde_json::to_string_pretty(&combined)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::from(exit))
}

pub fn plan(sh: &Shell, args: PlanArgs) -> anyhow::Result<ExitCode> {
    clean_all(
        sh,
        CleanAllArgs {
            manifest: args.manifest,
            yes: false,
            dry_run: true,
            from_step: None,
            only: None,
            fail_fast: false,
            report: None,
        },
    )
}

pub fn run_step(sh: &Shell, args: StepArgs) -> anyhow::Result<ExitCode> {
    let manifest = args.manifest.manifest()?;
    let info = step(args.number).context("no such step")?;
    let runner = StepRunner::new(
        sh,
        &args.manifest.binaries(),
        manifest,
        &[info],
        args.manifest.child_env.clone(),
    )?;
    Ok(ExitCode::from(runner.run_interactive(&info, &args.rest)?))
}

/// Every selected step's dry run, in order. A step that rejects its flags (exit 2) stops
/// everything: the manifest needs fixing before anything is deleted.
pub fn gather_plans(
    runner: &StepRunner,
    steps: &[StepInfo],
) -> anyhow::Result<Vec<(StepInfo, Report)>> {
    let mut plans = Vec::new();
    for info in steps {
        let Some(run) = runner.dry_run(info)? else {
            continue;
        };
        match (run.exit, run.report) {
            (0 | 1, Some(report)) => plans.push((*info, report)),
            (exit, _) => {
                let message = run
                    .stderr
                    .trim()
                    .lines()
                    .last()
                    .unwrap_or("no report")
                    .to_string();
                let error = anyhow::anyhow!(
                    "step {} ([{}] in the manifest): {message}",
                    info.number,
                    info.section
                );
                return Err(if exit == 2 {
                    common::bad_input_from(error)
                } else {
                    error
                });
            }
        }
    }
    Ok(plans)
}

fn print_combined_plan(runner: &StepRunner, args: &ManifestArgs, plans: &[(StepInfo, Report)]) {
    let (account, region) = account_and_region(plans);
    println!(
        "Plan from {}: account {account}, region {region}",
        args.config.display()
    );
    for info in STEPS {
        println!();
        match plans.iter().find(|(s, _)| s.number == info.number) {
            Some((_, report)) => {
                println!("Step {}/7: {}", info.number, info.heading);
                print!("{}", render_plan(&Plan::from(report)));
            }
            None if runner.selects(&info) => {
                println!("Step {}/7: {}: not in this run", info.number, info.heading)
            }
            None => println!(
                "Step {}/7: {}: nothing selected ([{}] in the manifest names nothing)",
                info.number, info.heading, info.section
            ),
        }
    }
    let related = related_not_selected(runner.manifest(), plans);
    if !related.is_empty() {
        println!("\nRelated, not selected (nothing unnamed is deleted):");
        for line in related {
            println!("  {line}");
        }
    }
    let mut totals = (0, 0, 0);
    for (_, report) in plans {
        for action in &report.actions {
            match &action.outcome {
                None => totals.0 += 1,
                Some(common::Outcome::AlreadyAbsent) => totals.1 += 1,
                Some(_) => totals.2 += 1,
            }
        }
    }
    println!(
        "\nTotal: {} to delete, {} already absent, {} refused, in {} step(s).",
        totals.0,
        totals.1,
        totals.2,
        plans.len()
    );
}

/// Roles that other steps found (execution roles of functions, identity-pool roles) and that
/// the manifest's [iam] table does not select, with the line that would select each.
pub fn related_not_selected(manifest: &Manifest, plans: &[(StepInfo, Report)]) -> Vec<String> {
    let globs: Vec<_> = manifest
        .iam
        .globs
        .iter()
        .filter_map(|g| Glob::new(g).ok())
        .map(|g| g.compile_matcher())
        .collect();
    let selected = |name: &str| {
        manifest.iam.roles.iter().any(|r| r == name) || globs.iter().any(|g| g.is_match(name))
    };
    let mut lines = Vec::new();
    let mut seen = Vec::new();
    for (info, report) in plans.iter().filter(|(s, _)| s.number != IAM) {
        for item in report.left_behind.iter().filter(|l| l.kind == "role") {
            if selected(&item.name) || seen.contains(&item.name) {
                continue;
            }
            seen.push(item.name.clone());
            lines.push(format!(
                "role {} (found in step {}: {}): to delete it in step 7, add \"{}\" to roles in [iam]",
                item.name, info.number, item.reason, item.name
            ));
        }
    }
    lines
}

/// The account and region the steps ran in (all steps share the manifest's `[aws]` table).
pub fn account_and_region(plans: &[(StepInfo, Report)]) -> (String, String) {
    plans
        .first()
        .map(|(_, r)| (r.account.clone(), r.region.clone()))
        .unwrap_or_else(|| ("(unknown)".into(), "(unknown)".into()))
}

/// 1 if some step's plan already refuses something, else 0.
fn plan_exit(plans: &[(StepInfo, Report)]) -> u8 {
    if plans.iter().any(|(_, r)| r.exit_code != 0) {
        1
    } else {
        0
    }
}

/// Asks the user to type the account id: a deliberate act, harder to do by reflex than "y".
fn confirm_account(account: &str, to_do: usize, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(common::bad_input(
            "refusing to delete without confirmation: stdin is not a terminal; pass --yes to go ahead",
        ));
    }
    print!(
        "\nThis deletes {to_do} resource(s) in account {account}. Type the account id to go ahead: "
    );
    std::io::stdout().flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if line.trim() == account {
        Ok(())
    } else {
        Err(common::bad_input(
            "aborted: the answer was not the account id; nothing was deleted",
        ))
    }
}

/// Disables the step-6 distributions now, so their deployment runs while steps 1-5 work.
fn give_cloudfront_a_head_start(runner: &StepRunner) {
    let Some(info) = step(CLOUDFRONT) else { return };
    println!(
        "\nHead start: disabling the CloudFront distributions now; step 6 deletes them once the change has deployed."
    );
    match runner.run(&info, &["--disable-only", "--no-progress"], true) {
        Ok(run) if run.exit == 0 => {}
        Ok(run) => println!(
            "  (the head start did not finish: {}; step 6 will try again)",
            run.stderr.trim().lines().last().unwrap_or("no detail")
        ),
        Err(error) => println!("  (the head start did not run: {error:#}; step 6 will try again)"),
    }
}

fn overall_exit(results: &[(StepInfo, StepRun)]) -> u8 {
    if results.iter().any(|(_, r)| r.exit == 130) {
        130
    } else if results.iter().all(|(_, r)| r.exit == 0) {
        0
    } else {
        1
    }
}

fn print_summary(results: &[(StepInfo, StepRun)], account: &str, region: &str) {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header([
        "step",
        "deleted",
        "already absent",
        "skipped",
        "pending",
        "failed",
        "exit",
    ]);
    for (info, run) in results {
        let s = run.report.as_ref().map(|r| r.summary).unwrap_or_default();
        let cells: Vec<String> = if run.report.is_some() {
            vec![s.deleted, s.already_absent, s.skipped, s.pending, s.failed]
                .into_iter()
                .map(|n| n.to_string())
                .collect()
        } else {
            vec!["?".into(); 5]
        };
        let mut row = vec![format!("{}. {}", info.number, info.heading)];
        row.extend(cells);
        row.push(run.exit.to_string());
        table.add_row(row);
    }
    println!("\nSummary (account {account}, region {region}):\n{table}");
    for (info, run) in results {
        if run.exit != 0 && run.report.is_none() {
            println!(
                "  step {} ended with status {} before writing a report: {}",
                info.number,
                run.exit,
                run.stderr
                    .trim()
                    .lines()
                    .last()
                    .unwrap_or("see its output above")
            );
        }
    }
}
