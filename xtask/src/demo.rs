//! `cargo xtask demo`: the whole teardown on a local emulator, for a reader without an AWS
//! account. Starts the emulator, creates the workshop's resources there (and decoys that must
//! survive), runs clean-all, runs verify, and stops the emulator again.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use xshell::{Shell, cmd};

use crate::clean_all::{self, CleanAllArgs, ManifestArgs};
use crate::emulator;
use crate::verify::{self, VerifyArgs};

/// `cargo xtask demo`
#[derive(Parser, Debug)]
#[command(name = "cargo xtask demo", about = "Create the workshop in a local emulator, tear it down, verify")]
pub struct DemoArgs {
    /// Build the step binaries in the debug profile (faster to build)
    #[arg(long)]
    pub debug: bool,

    /// Use the step binaries in this directory instead of building them
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,

    /// Keep the emulator running afterwards (to look around with the step binaries)
    #[arg(long)]
    pub keep_emulator: bool,
}

pub fn run(sh: &Shell, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let already_running = emulator::status(sh);
    let endpoint = match &already_running {
        Some(endpoint) => endpoint.clone(),
        None => emulator::start(sh)?,
    };
    // A shared, already running emulator may hold an earlier demo's names: use fresh ones.
    let suffix = match already_running {
        Some(_) => format!("-demo{}", std::process::id()),
        None => String::new(),
    };
    let result = run_demo(sh, &args, &endpoint, &suffix);
    if already_running.is_none() && !args.keep_emulator {
        emulator::stop(sh)?;
    }
    result
}

fn run_demo(sh: &Shell, args: &DemoArgs, endpoint: &str, suffix: &str) -> anyhow::Result<ExitCode> {
    let dir = sh.current_dir().join("target/demo");
    std::fs::create_dir_all(&dir)?;
    let manifest = dir.join("cleanup.toml");
    println!("demo: creating the EasyShop workshop (and decoys) in the emulator at {endpoint}");
    seed(sh, endpoint, suffix, true, Some(&manifest))?;
    println!("demo: the manifest naming exactly what was created: {}\n", manifest.display());

    let manifest_args = ManifestArgs {
        config: manifest,
        bin_dir: args.bin_dir.clone(),
        debug: args.debug,
        region: None,
        profile: None,
        endpoint_url: None,
        expect_account: None,
    };
    let cleaned = clean_all::clean_all(
        sh,
        CleanAllArgs {
            manifest: manifest_args.clone(),
            yes: true,
            dry_run: false,
            from_step: None,
            only: None,
            fail_fast: false,
            report: Some(dir.join("report.json")),
        },
    )?;
    println!("\ndemo: verifying that nothing the manifest names remains");
    let verified = verify::run(sh, VerifyArgs { manifest: manifest_args })?;
    let decoys = check_decoys(sh, endpoint, suffix);
    let ok = cleaned == ExitCode::SUCCESS && verified == ExitCode::SUCCESS && decoys.is_ok();
    match &decoys {
        Ok(()) => println!("demo: every decoy is intact"),
        Err(error) => println!("demo: {error:#}"),
    }
    println!(
        "\ndemo: {} (the combined report is in target/demo/report.json)",
        if ok { "done: the workshop is gone, the decoys are intact" } else { "FAILED: see above" }
    );
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Runs scripts/demo/workshop.py with the emulator's Python (which has boto3).
pub fn seed(
    sh: &Shell,
    endpoint: &str,
    suffix: &str,
    decoys: bool,
    manifest: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let python = emulator::python(sh);
    let mut extra = Vec::new();
    if decoys {
        extra.push("--decoys".to_string());
    }
    if let Some(path) = manifest {
        extra.push(format!("--manifest={}", path.display()));
    }
    cmd!(sh, "{python} scripts/demo/workshop.py --endpoint {endpoint} --suffix={suffix} {extra...}")
        .quiet()
        .ignore_stdout()
        .run()
        .context("creating the workshop in the emulator (scripts/demo/workshop.py)")
}

fn check_decoys(sh: &Shell, endpoint: &str, suffix: &str) -> anyhow::Result<()> {
    let python = emulator::python(sh);
    cmd!(sh, "{python} scripts/demo/workshop.py --endpoint {endpoint} --suffix={suffix} --check-decoys")
        .quiet()
        .run()
        .context("some decoys were touched")
}
