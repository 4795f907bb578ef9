//! Running the step binaries for clean-all, plan, step, verify and discover: build them once,
//! call them with the manifest's flags, and read their JSON reports.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use common::Report;
use xshell::{Shell, cmd};

use crate::manifest::Manifest;
use crate::steps::StepInfo;

/// Where the binaries come from.
#[derive(Clone, Debug)]
pub enum Binaries {
    /// Build them with cargo (release, unless `debug`).
    Build { debug: bool },
    /// Use binaries already built in this directory (tests, or a second run).
    In(PathBuf),
}

/// The step binaries, ready to run with one manifest.
pub struct StepRunner {
    dir: PathBuf,
    manifest: Manifest,
    /// Environment variables set for every call (the demo: dummy credentials, faster polling);
    /// an empty value removes the variable.
    env: Vec<(String, String)>,
    scratch: PathBuf,
}

/// What one call of a step binary gave.
#[derive(Clone, Debug)]
pub struct StepRun {
    pub exit: u8,
    /// The JSON report, when the binary got far enough to write one.
    pub report: Option<Report>,
    /// What it printed on stderr (captured for dry runs only).
    pub stderr: String,
}

impl StepRunner {
    /// Builds the binaries the selected steps need (once) and prepares a scratch directory for
    /// their reports.
    pub fn new(
        sh: &Shell,
        binaries: &Binaries,
        manifest: Manifest,
        steps: &[StepInfo],
        env: Vec<(String, String)>,
    ) -> anyhow::Result<StepRunner> {
        let dir = match binaries {
            Binaries::In(dir) => dir.clone(),
            Binaries::Build { debug } => build(sh, steps, *debug)?,
        };
        for step in steps {
            let path = dir.join(step.binary);
            if !path.exists() {
                bail!(
                    "{} not found in {}: build it first",
                    step.binary,
                    dir.display()
                );
            }
        }
        let scratch = std::env::temp_dir().join(format!("aws-teardown-{}", std::process::id()));
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("creating {}", scratch.display()))?;
        Ok(StepRunner {
            dir,
            manifest,
            env,
            scratch,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The binary's flags for a step: the manifest's selection and `[aws]`.
    fn args(&self, step: &StepInfo) -> Option<Vec<String>> {
        let mut args = self.manifest.step_args(step.number)?;
        args.extend(self.manifest.aws_args());
        Some(args)
    }

    fn command(&self, step: &StepInfo) -> Command {
        let mut command = Command::new(self.dir.join(step.binary));
        for (key, value) in &self.env {
            if value.is_empty() {
                command.env_remove(key);
            } else {
                command.env(key, value);
            }
        }
        command
    }

    pub fn selects(&self, step: &StepInfo) -> bool {
        self.manifest.step_args(step.number).is_some()
    }

    /// A dry run of one step with a JSON report; stdout and stderr are captured.
    pub fn dry_run(&self, step: &StepInfo) -> anyhow::Result<Option<StepRun>> {
        let Some(mut args) = self.args(step) else {
            return Ok(None);
        };
        args.extend(["--dry-run", "--output", "json", "--no-progress"].map(String::from));
        let output = self
            .command(step)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", step.binary))?;
        let exit = exit_code(output.status);
        let report = serde_json::from_slice::<Report>(&output.stdout).ok();
        Ok(Some(StepRun {
            exit,
            report,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }))
    }

    /// A dry run of one step with these selection flags instead of the manifest's (its `[aws]`
    /// flags still apply), e.g. verify's look for leftovers; stdout and stderr are captured.
    pub fn dry_run_with(&self, step: &StepInfo, selection: &[String]) -> anyhow::Result<StepRun> {
        let mut args = selection.to_vec();
        args.extend(self.manifest.aws_args());
        args.extend(["--dry-run", "--output", "json", "--no-progress"].map(String::from));
        let output = self
            .command(step)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", step.binary))?;
        Ok(StepRun {
            exit: exit_code(output.status),
            report: serde_json::from_slice::<Report>(&output.stdout).ok(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Runs one step for real with `--yes`, its output streaming to the terminal, and reads
    /// its report from a file. `more` adds flags (`--disable-only`).
    pub fn run(&self, step: &StepInfo, more: &[&str], quiet: bool) -> anyhow::Result<StepRun> {
        let Some(mut args) = self.args(step) else {
            bail!("the manifest selects nothing for step {}", step.number);
        };
        let report_path = self.scratch.join(format!("step-{}.json", step.number));
        let _ = std::fs::remove_file(&report_path);
        args.push("--yes".into());
        args.extend(more.iter().map(|s| s.to_string()));
        args.push("--json-report".into());
        args.push(report_path.display().to_string());
        let mut command = self.command(step);
        command.args(&args).stdin(Stdio::null());
        if quiet {
            command.stdout(Stdio::null()).stderr(Stdio::piped());
        }
        let output = command
            .spawn()
            .with_context(|| format!("starting {}", step.binary))?
            .wait_with_output()
            .with_context(|| format!("running {}", step.binary))?;
        let report = std::fs::read(&report_path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Report>(&bytes).ok());
        Ok(StepRun {
            exit: exit_code(output.status),
            report,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Runs one step interactively: the binary asks for confirmation itself.
    pub fn run_interactive(&self, step: &StepInfo, more: &[String]) -> anyhow::Result<u8> {
        let Some(mut args) = self.args(step) else {
            bail!(
                "the manifest selects nothing for step {} ([{}] has no names or patterns)",
                step.number,
                step.section
            );
        };
        args.extend(more.iter().cloned());
        let status = self
            .command(step)
            .args(&args)
            .status()
            .with_context(|| format!("running {}", step.binary))?;
        Ok(exit_code(status))
    }
}

impl Drop for StepRunner {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// `cargo build` of the selected steps' packages, once; returns the directory of the binaries.
fn build(sh: &Shell, steps: &[StepInfo], debug: bool) -> anyhow::Result<PathBuf> {
    let mut packages = Vec::new();
    for step in steps {
        packages.push("-p".to_string());
        packages.push(step.binary.to_string());
    }
    let profile: &[&str] = if debug { &[] } else { &["--release"] };
    eprintln!(
        "xtask: building the step binaries ({})",
        if debug { "debug" } else { "release" }
    );
    crate::plain_cargo(cmd!(sh, "cargo build --quiet {profile...} {packages...}"))
        .run()
        .context("building the step binaries")?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| sh.current_dir().join("target"));
    Ok(target.join(if debug { "debug" } else { "release" }))
}

/// The exit status as the binaries define it; a signal death counts as interrupted (130).
fn exit_code(status: std::process::ExitStatus) -> u8 {
    match status.code() {
        Some(code) => u8::try_from(code).unwrap_or(1),
        None => 130,
    }
}
