//! `cargo xtask chaos`: the reliability figures, measured on the emulator through the test proxy.
//!
//! Three parts, each optional:
//! - faults: for each seed, the demo workshop (with its 50-odd decoys) is torn down by clean-all
//!   through `aws-proxy` injecting every fault kind at `--rate`; a run that exits 1 is re-run
//!   once as is; then verify must find nothing left and every decoy must be intact;
//! - kills: clean-all is killed (SIGKILL to its process group: clean-all and the step binary it
//!   is running) right after the Nth mutating call, N drawn from a seed; a plain re-run must exit
//!   0, verify must find nothing left and every decoy must be intact;
//! - interrupts: SIGINT during S3 emptying, the CloudFront deploy wait and the API Gateway pacing
//!   wait: exit 130 with a partial report, and the time from the signal to the exit.
//!
//! It prints a table per part and writes them as markdown (`--out`, default docs/CHAOS.md), and
//! as JSON with `--json FILE` (the tests read it).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use comfy_table::Table;
use comfy_table::presets::UTF8_BORDERS_ONLY;
use serde::Serialize;
use serde_json::Value;
use xshell::{Shell, cmd};

use crate::{emulator, local_env};

/// The step binaries and the proxy, as built for a run.
const BINARIES: [&str; 7] = [
    "rm-dynamodb",
    "rm-lambda",
    "rm-s3",
    "rm-apigateway",
    "rm-cognito",
    "rm-cloudfront",
    "rm-iam",
];

/// Mutating calls in one undisturbed clean-all of the demo workshop (measured: 48 with
/// `--images 5`); kill points are spread over a little less, so that each is reached.
const MUTATING_CALLS: u64 = 44;

/// How long after a faulted request the same request may come again and still count as its
/// retry: longer than the SDK's longest backoff (20 s).
const RETRY_HORIZON_MS: f64 = 25_000.0;

/// `cargo xtask chaos`
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask chaos",
    about = "Fault, SIGKILL and SIGINT figures for clean-all on the emulator, through the test proxy"
)]
pub struct ChaosArgs {
    /// Fault runs with seeds 1..=N (0: no fault runs)
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub seeds: u64,

    /// Fault runs with exactly these seeds (repeatable; instead of --seeds)
    #[arg(long = "seed", value_name = "S", conflicts_with = "seeds")]
    pub seed: Vec<u64>,

    /// The share of requests that get a fault (0.0 to 1.0)
    #[arg(long, default_value_t = 0.2)]
    pub rate: f64,

    /// Only these services get faults (comma-separated signing names; default: every service)
    #[arg(long, value_delimiter = ',', value_name = "SERVICES")]
    pub fault_services: Vec<String>,

    /// SIGKILL clean-all at this many points (0: none)
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub kills: u64,

    /// Seed of the kill points
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub kill_seed: u64,

    /// Skip the three SIGINT measurements
    #[arg(long)]
    pub no_interrupts: bool,

    /// Images per bucket in the seeded workshop
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub images: u32,

    /// Write the tables as markdown to this file (a relative path is taken from the workspace)
    #[arg(long, default_value = "docs/CHAOS.md", value_name = "FILE")]
    pub out: PathBuf,

    /// Also write the results as JSON to this file
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Build the binaries in the debug profile (faster to build)
    #[arg(long)]
    pub debug: bool,

    /// Use the step binaries and aws-proxy in this directory instead of building them
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,

    /// Use this running emulator (default: the one `cargo xtask emulator` manages, started
    /// and stopped again if it is not running)
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
}

/// One fault run.
#[derive(Debug, Default, Serialize)]
pub struct SeedResult {
    pub seed: u64,
    pub suffix: String,
    pub requests: usize,
    /// Injected faults by kind (the proxy's names).
    pub faults: BTreeMap<String, usize>,
    /// Faulted requests that came again (see `RETRY_HORIZON_MS`).
    pub retries: usize,
    /// Resources the runs reported deleted (both runs, when there was a re-run).
    pub deleted: u64,
    pub decoys_intact: usize,
    pub decoys_total: usize,
    /// Exit status of each clean-all run, in order.
    pub clean_all_exits: Vec<u8>,
    pub reruns: usize,
    pub verify_exit: u8,
    pub passed: bool,
    /// Why it failed, or what was worth noting.
    pub note: String,
}

/// One SIGKILL point.
#[derive(Debug, Default, Serialize)]
pub struct KillResult {
    pub point: u64,
    pub suffix: String,
    /// Killed right after this many mutating calls.
    pub after_mutating_calls: u64,
    /// Whether the kill happened (false: the run ended first).
    pub killed: bool,
    /// Which step was running, and the call that was the last one answered.
    pub step: String,
    pub last_call: String,
    pub rerun_exit: u8,
    pub verify_exit: u8,
    pub decoys_intact: usize,
    pub decoys_total: usize,
    pub passed: bool,
    pub note: String,
}

/// One SIGINT case.
#[derive(Debug, Default, Serialize)]
pub struct InterruptResult {
    pub case: String,
    pub exit: u8,
    /// From the signal to the process's exit.
    pub stop_ms: u128,
    /// The report's own words: what was done and what was not.
    pub report: String,
    pub passed: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct ChaosReport {
    pub rate: f64,
    pub seeds: Vec<SeedResult>,
    pub kills: Vec<KillResult>,
    pub interrupts: Vec<InterruptResult>,
}

pub fn run(sh: &Shell, args: ChaosArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.rate) {
        return Err(common::bad_input(format!(
            "--rate must be between 0.0 and 1.0, got {}",
            args.rate
        )));
    }
    let bin_dir = binaries(sh, &args)?;
    let already_running = match &args.endpoint {
        Some(endpoint) => Some(endpoint.clone()),
        None => emulator::status(sh),
    };
    let endpoint = match &already_running {
        Some(endpoint) => endpoint.clone(),
        None => emulator::start(sh)?,
    };
    let tag = format!("{}", std::process::id() % 100_000);
    let dir = sh.current_dir().join("target/chaos").join(&tag);
    let chaos = Chaos {
        sh,
        bin_dir: snapshot(&bin_dir, &dir.join("bin"))?,
        endpoint,
        images: args.images,
        dir,
        tag,
    };
    let result = chaos.run_all(&args);
    if already_running.is_none() {
        emulator::stop(sh)?;
    }
    let report = result?;
    // Relative to the workspace, as the default is.
    let out = sh.current_dir().join(&args.out);

    let markdown = markdown(&report, &args);
    println!("\n{}", text_tables(&report));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).ok();
    }
    std::fs::write(&out, &markdown).with_context(|| format!("writing {}", out.display()))?;
    println!("chaos: the tables are in {}", out.display());
    if let Some(path) = &args.json {
        let path = sh.current_dir().join(path);
        std::fs::write(&path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let passed = report.seeds.iter().all(|s| s.passed)
        && report.kills.iter().all(|k| k.passed)
        && report.interrupts.iter().all(|i| i.passed);
    println!(
        "chaos: {}",
        if passed {
            "every run passed"
        } else {
            "FAILED: see the tables"
        }
    );
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Builds the binaries (unless given) and returns their directory.
fn binaries(sh: &Shell, args: &ChaosArgs) -> anyhow::Result<PathBuf> {
    let dir = match &args.bin_dir {
        Some(dir) => dir.clone(),
        None => {
            let profile: &[&str] = if args.debug { &[] } else { &["--release"] };
            let packages: Vec<String> = BINARIES.iter().map(|b| format!("--package={b}")).collect();
            eprintln!("chaos: building the step binaries and aws-proxy");
            crate::plain_cargo(cmd!(sh, "cargo build --quiet {profile...} {packages...}"))
                .run()
                .context("building the step binaries")?;
            crate::plain_cargo(cmd!(
                sh,
                "cargo build --quiet {profile...} -p testkit --bin aws-proxy"
            ))
            .run()
            .context("building aws-proxy")?;
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| sh.current_dir().join("target"));
            target.join(if args.debug { "debug" } else { "release" })
        }
    };
    for binary in BINARIES.iter().chain(&["aws-proxy"]) {
        if !dir.join(binary).exists() {
            bail!("{binary} not found in {}: build it first", dir.display());
        }
    }
    Ok(dir)
}

/// Links (or copies) the binaries, this one included, into `to`: a build that replaces them
/// while chaos runs (another cargo command in the same tree) must not change them under it.
fn snapshot(bin_dir: &Path, to: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for binary in BINARIES.iter().chain(&["aws-proxy"]) {
        let (from, copy) = (bin_dir.join(binary), to.join(binary));
        let _ = std::fs::remove_file(&copy);
        if std::fs::hard_link(&from, &copy).is_err() {
            std::fs::copy(&from, &copy).with_context(|| format!("copying {}", from.display()))?;
        }
    }
    // /proc/self/exe still reads this program after its file was replaced.
    let me = Path::new("/proc/self/exe");
    let me = if me.exists() {
        me.to_path_buf()
    } else {
        std::env::current_exe().context("finding the xtask binary")?
    };
    std::fs::copy(&me, to.join("xtask")).context("copying the xtask binary")?;
    Ok(to.to_path_buf())
}

struct Chaos<'a> {
    sh: &'a Shell,
    bin_dir: PathBuf,
    endpoint: String,
    images: u32,
    dir: PathBuf,
    /// Part of every suffix: runs of chaos on one shared emulator do not collide.
    tag: String,
}

impl Chaos<'_> {
    fn run_all(&self, args: &ChaosArgs) -> anyhow::Result<ChaosReport> {
        let mut report = ChaosReport {
            rate: args.rate,
            ..ChaosReport::default()
        };
        let seeds: Vec<u64> = if args.seed.is_empty() {
            (1..=args.seeds).collect()
        } else {
            args.seed.clone()
        };
        for seed in seeds {
            println!("chaos: fault run, seed {seed}, rate {}", args.rate);
            let result = self.fault_run(seed, args.rate, &args.fault_services)?;
            println!(
                "chaos:   {} requests, {} faults, exits {:?}, verify {}, decoys {}/{}: {}",
                result.requests,
                result.faults.values().sum::<usize>(),
                result.clean_all_exits,
                result.verify_exit,
                result.decoys_intact,
                result.decoys_total,
                if result.passed { "pass" } else { "FAIL" }
            );
            report.seeds.push(result);
        }
        let mut rng = SplitMix(args.kill_seed);
        for point in 0..args.kills {
            // Stratified: point i is drawn from the i-th of `kills` equal slices of the run.
            let width = (MUTATING_CALLS as f64 / args.kills as f64).max(1.0);
            let after = 1 + ((point as f64 + rng.unit()) * width) as u64;
            let after = after.min(MUTATING_CALLS);
            println!("chaos: SIGKILL point {point}: after mutating call {after}");
            let result = self.kill_run(point, after)?;
            println!(
                "chaos:   killed during {} ({}); re-run exit {}, verify {}, decoys {}/{}: {}",
                result.step,
                result.last_call,
                result.rerun_exit,
                result.verify_exit,
                result.decoys_intact,
                result.decoys_total,
                if result.passed { "pass" } else { "FAIL" }
            );
            report.kills.push(result);
        }
        if !args.no_interrupts {
            for case in [Interrupt::S3, Interrupt::CloudFront, Interrupt::ApiGateway] {
                println!("chaos: SIGINT {}", case.label());
                let result = self.interrupt_run(case)?;
                println!(
                    "chaos:   exit {} after {} ms: {}",
                    result.exit,
                    result.stop_ms,
                    if result.passed { "pass" } else { "FAIL" }
                );
                report.interrupts.push(result);
            }
        }
        Ok(report)
    }

    fn python(&self) -> PathBuf {
        emulator::python(self.sh)
    }

    /// Creates the workshop with decoys; returns the manifest.
    fn seed_workshop(&self, suffix: &str, dir: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let manifest = dir.join("cleanup.toml");
        let output = Command::new(self.python())
            .current_dir(self.sh.current_dir())
            .args(["scripts/demo/workshop.py", "--endpoint", &self.endpoint])
            .arg(format!("--suffix={suffix}"))
            .arg(format!("--images={}", self.images))
            .arg("--decoys")
            .arg(format!("--manifest={}", manifest.display()))
            .output()
            .context("running scripts/demo/workshop.py")?;
        if !output.status.success() {
            bail!(
                "seeding the workshop failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(manifest)
    }

    /// (intact, total) from `workshop.py --check-decoys`.
    fn check_decoys(&self, suffix: &str) -> anyhow::Result<(usize, usize, String)> {
        let output = Command::new(self.python())
            .current_dir(self.sh.current_dir())
            .args(["scripts/demo/workshop.py", "--endpoint", &self.endpoint])
            .arg(format!("--suffix={suffix}"))
            .arg("--check-decoys")
            .output()
            .context("running workshop.py --check-decoys")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let counts = stdout
            .lines()
            .find_map(|l| l.strip_prefix("workshop.py: "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.split_once('/'))
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            .with_context(|| format!("no decoy count from workshop.py: {stdout}"))?;
        let missing = String::from_utf8_lossy(&output.stderr)
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("; ");
        Ok((counts.0, counts.1, missing))
    }

    /// `xtask clean-all` (this very binary) as a child, in its own process group.
    fn clean_all(&self, manifest: &Path, proxy: &str, report: &Path, log: &Path) -> Command {
        let mut command = self.xtask("clean-all", manifest, proxy);
        command
            .arg("--yes")
            .arg("--report")
            .arg(report)
            .process_group(0);
        if let Ok(file) = std::fs::File::create(log) {
            if let Ok(copy) = file.try_clone() {
                command.stderr(copy);
            }
            command.stdout(file);
        }
        command
    }

    fn xtask(&self, subcommand: &str, manifest: &Path, proxy: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join("xtask"));
        command
            .current_dir(self.sh.current_dir())
            .arg(subcommand)
            .arg("--config")
            .arg(manifest)
            .arg("--bin-dir")
            .arg(&self.bin_dir)
            .args(["--endpoint-url", proxy])
            .stdin(Stdio::null());
        hermetic(&mut command);
        command
    }

    /// verify through a proxy without faults; its exit status.
    fn verify(&self, manifest: &Path, log: &Path) -> anyhow::Result<u8> {
        let proxy = AwsProxy::start(&self.bin_dir, &self.endpoint, &[], None)?;
        let output = self
            .xtask("verify", manifest, &proxy.endpoint)
            .output()
            .context("running verify")?;
        std::fs::write(log, [output.stdout, output.stderr].concat()).ok();
        Ok(exit_code(output.status))
    }

    fn fault_run(&self, seed: u64, rate: f64, services: &[String]) -> anyhow::Result<SeedResult> {
        let suffix = format!("-chaos{}s{seed}", self.tag);
        let dir = self.dir.join(format!("seed-{seed}"));
        let manifest = self.seed_workshop(&suffix, &dir)?;
        let mut extra = vec![
            "--fault-rate".to_string(),
            rate.to_string(),
            "--seed".to_string(),
            seed.to_string(),
        ];
        if !services.is_empty() {
            extra.push(format!("--fault-services={}", services.join(",")));
        }
        extra.extend(jitter(seed));
        let proxy = AwsProxy::start(&self.bin_dir, &self.endpoint, &extra, None)?;
        let mut result = SeedResult {
            seed,
            suffix: suffix.clone(),
            ..SeedResult::default()
        };
        for attempt in 1..=2 {
            let report = dir.join(format!("report-{attempt}.json"));
            let _ = std::fs::remove_file(&report);
            let status = self
                .clean_all(
                    &manifest,
                    &proxy.endpoint,
                    &report,
                    &dir.join(format!("clean-all-{attempt}.log")),
                )
                .status()
                .context("running clean-all")?;
            let exit = exit_code(status);
            result.clean_all_exits.push(exit);
            result.deleted += deleted(&report);
            if exit == 0 {
                break;
            }
            if attempt == 1 {
                result.reruns += 1;
            }
        }
        let records = proxy.stop();
        result.requests = records.len();
        for record in &records {
            if let Some(kind) = record["fault"].as_str() {
                *result.faults.entry(kind.to_string()).or_default() += 1;
            }
        }
        result.retries = retries(&records);
        result.verify_exit = self.verify(&manifest, &dir.join("verify.log"))?;
        let (intact, total, missing) = self.check_decoys(&suffix)?;
        result.decoys_intact = intact;
        result.decoys_total = total;
        let last = result.clean_all_exits.last().copied().unwrap_or(1);
        result.passed = last == 0 && result.verify_exit == 0 && intact == total && total > 0;
        result.note = if !missing.is_empty() {
            missing
        } else if last != 0 {
            format!(
                "clean-all exited {:?}{}: {} (logs in {})",
                result.clean_all_exits,
                if last == 2 {
                    " (2: bad input, yet the cause was an injected fault)"
                } else {
                    ""
                },
                first_failure(&dir.join(format!("clean-all-{}.log", result.clean_all_exits.len()))),
                dir.display()
            )
        } else if result.verify_exit != 0 {
            format!("verify found something left; see {}", dir.display())
        } else if result.clean_all_exits.first() == Some(&2) {
            format!(
                "first run exited 2 (bad input), yet its cause was an injected fault: {}",
                first_failure(&dir.join("clean-all-1.log"))
            )
        } else if result.reruns > 0 {
            format!(
                "first run exited {}: {}",
                result.clean_all_exits[0],
                first_failure(&dir.join("clean-all-1.log"))
            )
        } else {
            String::new()
        };
        Ok(result)
    }

    fn kill_run(&self, point: u64, after: u64) -> anyhow::Result<KillResult> {
        let suffix = format!("-chaos{}k{point}", self.tag);
        let dir = self.dir.join(format!("kill-{point}"));
        let manifest = self.seed_workshop(&suffix, &dir)?;
        let group = Arc::new(AtomicU32::new(0));
        let hit: Arc<Mutex<Option<Value>>> = Arc::new(Mutex::new(None));
        let trigger = {
            let group = group.clone();
            let hit = hit.clone();
            let mut seen = 0u64;
            let mut head_start_done = false;
            Box::new(move |record: &Value| {
                let operation = record["operation"].as_str().unwrap_or_default();
                if !is_mutating(operation) {
                    return;
                }
                if record["service"] != "cloudfront" {
                    head_start_done = true;
                }
                seen += 1;
                let pgid = group.load(Ordering::SeqCst);
                if seen == after && pgid != 0 {
                    // Noted before the kill: the main thread reads it as soon as clean-all dies.
                    let mut record = record.clone();
                    record["head_start"] = Value::Bool(!head_start_done);
                    if let Ok(mut slot) = hit.lock() {
                        *slot = Some(record);
                    }
                    let _ = Command::new("kill")
                        .args(["-KILL", "--", &format!("-{pgid}")])
                        .status();
                }
            }) as Hook
        };
        let proxy = AwsProxy::start(&self.bin_dir, &self.endpoint, &[], Some(trigger))?;
        let mut child: Child = self
            .clean_all(
                &manifest,
                &proxy.endpoint,
                &dir.join("report-killed.json"),
                &dir.join("clean-all-killed.log"),
            )
            .spawn()
            .context("starting clean-all")?;
        group.store(child.id(), Ordering::SeqCst);
        let first = child.wait()?;
        let killed = hit.lock().ok().and_then(|slot| slot.clone());
        let mut result = KillResult {
            point,
            suffix: suffix.clone(),
            after_mutating_calls: after,
            killed: killed.is_some(),
            ..KillResult::default()
        };
        match &killed {
            Some(record) => {
                result.step = step_of(record);
                result.last_call = format!(
                    "{} {}",
                    record["operation"].as_str().unwrap_or("?"),
                    record["resource"].as_str().unwrap_or("")
                )
                .trim()
                .to_string();
            }
            None => {
                result.step = "(not reached)".into();
                result.note = format!(
                    "clean-all finished (exit {}) before mutating call {after}",
                    exit_code(first)
                );
            }
        }
        let rerun = self
            .clean_all(
                &manifest,
                &proxy.endpoint,
                &dir.join("report-rerun.json"),
                &dir.join("clean-all-rerun.log"),
            )
            .status()
            .context("re-running clean-all")?;
        result.rerun_exit = exit_code(rerun);
        drop(proxy.stop());
        result.verify_exit = self.verify(&manifest, &dir.join("verify.log"))?;
        let (intact, total, missing) = self.check_decoys(&suffix)?;
        result.decoys_intact = intact;
        result.decoys_total = total;
        result.passed = result.killed
            && result.rerun_exit == 0
            && result.verify_exit == 0
            && intact == total
            && total > 0;
        if !missing.is_empty() {
            result.note = missing;
        } else if result.rerun_exit != 0 || result.verify_exit != 0 {
            result.note = format!("see {}", dir.display());
        }
        Ok(result)
    }

    fn interrupt_run(&self, case: Interrupt) -> anyhow::Result<InterruptResult> {
        let name = format!("chaos{}-int-{}", self.tag, case.short());
        let (proxy_args, binary, args, ready): (Vec<&str>, &str, Vec<String>, Ready) = match case {
            Interrupt::S3 => {
                self.boto(&format!(
                    "s3 = c('s3')\ns3.create_bucket(Bucket='{name}')\n\
                     [s3.put_object(Bucket='{name}', Key=f'k{{i}}', Body=b'x') for i in range(50)]\n"
                ))?;
                (
                    // Each DeleteObjects takes 30 s to answer: Ctrl-C comes in the middle of one.
                    vec!["--latency-for", "s3:DeleteObjects=30s"],
                    "rm-s3",
                    vec!["--bucket".into(), name.clone()],
                    // Apply begins by reading the versioning a second time.
                    Box::new(|r: &[Value]| {
                        r.iter()
                            .filter(|r| r["operation"] == "GetBucketVersioning")
                            .count()
                            >= 2
                    }),
                )
            }
            Interrupt::CloudFront => {
                let id = self.boto(&format!(
                    "cf = c('cloudfront')\nd = cf.create_distribution(DistributionConfig={{'CallerReference': '{name}', \
                     'Comment': '{name}', 'Enabled': True, 'Origins': {{'Quantity': 1, 'Items': [{{'Id': 'o', \
                     'DomainName': '{name}.s3.us-east-1.amazonaws.com', 'S3OriginConfig': {{'OriginAccessIdentity': ''}}}}]}}, \
                     'DefaultCacheBehavior': {{'TargetOriginId': 'o', 'ViewerProtocolPolicy': 'allow-all', \
                     'CachePolicyId': '658327ea-f89d-4fab-a63d-7e88639e58f6'}}}})\nprint(d['Distribution']['Id'])\n"
                ))?;
                (
                    // A ten-minute deploy: only Ctrl-C ends the wait.
                    vec!["--cloudfront-deploy-time", "10m"],
                    "rm-cloudfront",
                    vec![
                        "--distribution".into(),
                        id.trim().to_string(),
                        "--max-wait".into(),
                        "15m".into(),
                    ],
                    Box::new(|r: &[Value]| {
                        r.iter().any(|r| {
                            r["operation"] == "GetDistribution" && r["rule"] == "cloudfront-deploy"
                        })
                    }),
                )
            }
            Interrupt::ApiGateway => {
                self.boto(&format!(
                    "api = c('apigateway')\n[api.create_rest_api(name='{name}-' + x) for x in 'abc']\n"
                ))?;
                (
                    // One DeleteRestApi a minute: the second waits for the window.
                    vec!["--rest-api-delete-window", "60s"],
                    "rm-apigateway",
                    ["a", "b", "c"]
                        .iter()
                        .flat_map(|x| ["--rest-api".to_string(), format!("{name}-{x}")])
                        .collect(),
                    Box::new(|r: &[Value]| {
                        r.iter().any(|r| {
                            r["operation"] == "DeleteRestApi" && r["rule"] == "rest-api-delete-rate"
                        })
                    }),
                )
            }
        };
        let proxy_args: Vec<String> = proxy_args.into_iter().map(String::from).collect();
        let proxy = AwsProxy::start(&self.bin_dir, &self.endpoint, &proxy_args, None)?;
        let mut command = Command::new(self.bin_dir.join(binary));
        command
            .args(&args)
            .args(["--yes", "--endpoint-url", &proxy.endpoint])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        hermetic(&mut command);
        let child = command
            .spawn()
            .with_context(|| format!("starting {binary}"))?;
        let started = Instant::now();
        while !ready(&proxy.records()) {
            if started.elapsed() > Duration::from_secs(120) {
                bail!("{binary} never reached the wait to interrupt");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Well inside the wait (or the slow request), not at its very start.
        std::thread::sleep(Duration::from_millis(500));
        let sent = Instant::now();
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .context("sending SIGINT")?;
        let output = child.wait_with_output()?;
        let stop_ms = sent.elapsed().as_millis();
        drop(proxy.stop());
        let stdout = String::from_utf8_lossy(&output.stdout);
        let exit = exit_code(output.status);
        let summary = stdout
            .lines()
            .filter(|l| {
                l.contains("interrupted") || l.contains("deleted,") || l.contains("run the same")
            })
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" / ");
        // Clean up what the case left, without the proxy's waits.
        let rest: Vec<String> = args.clone();
        let _ = Command::new(self.bin_dir.join(binary))
            .args(&rest)
            .args(["--yes", "--endpoint-url", &self.endpoint])
            .stdin(Stdio::null())
            .output();
        Ok(InterruptResult {
            case: case.label().to_string(),
            exit,
            stop_ms,
            passed: exit == 130 && stdout.contains("interrupted"),
            report: summary,
        })
    }

    /// Runs a boto3 snippet against the emulator (`c(service)` makes a client); its stdout.
    fn boto(&self, body: &str) -> anyhow::Result<String> {
        let script = format!(
            "import boto3\ns = boto3.session.Session(aws_access_key_id='testing', aws_secret_access_key='testing', region_name='us-east-1')\n\
             c = lambda name: s.client(name, endpoint_url='{}')\n{body}",
            self.endpoint
        );
        let output = Command::new(self.python())
            .args(["-c", &script])
            .output()
            .context("running python")?;
        if !output.status.success() {
            bail!(
                "creating a fixture: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

type Hook = Box<dyn FnMut(&Value) + Send>;
type Ready = Box<dyn Fn(&[Value]) -> bool>;

#[derive(Clone, Copy, Debug)]
enum Interrupt {
    S3,
    CloudFront,
    ApiGateway,
}

impl Interrupt {
    fn label(self) -> &'static str {
        match self {
            Interrupt::S3 => "rm-s3 while emptying a bucket (a DeleteObjects in flight)",
            Interrupt::CloudFront => "rm-cloudfront while waiting for a disable to deploy",
            Interrupt::ApiGateway => "rm-apigateway while pacing DeleteRestApi (60 s window)",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Interrupt::S3 => "s3",
            Interrupt::CloudFront => "cf",
            Interrupt::ApiGateway => "apigw",
        }
    }
}

/// The step binaries' environment: the local emulator's (dummy credentials, the user's AWS
/// configuration hidden) and fast CloudFront polling.
fn hermetic(command: &mut Command) {
    local_env::apply(command).env("RM_CLOUDFRONT_POLL_INTERVAL", "1s");
}

/// Latency jitter for one seed: each service gets its own delay of 0 to 40 ms, and a few
/// deletes one of up to 150 ms (aws-proxy adds a fixed delay per service or operation; drawing
/// them per seed varies the timing between services and between runs).
fn jitter(seed: u64) -> Vec<String> {
    let mut rng = SplitMix(seed ^ 0x6a09_e667_f3bc_c908);
    let mut args = Vec::new();
    for service in [
        "dynamodb",
        "lambda",
        "logs",
        "s3",
        "apigateway",
        "cognito-idp",
        "cognito-identity",
        "cloudfront",
        "iam",
        "sts",
    ] {
        args.push(format!(
            "--latency-for={service}={}ms",
            (rng.unit() * 40.0) as u64
        ));
    }
    for operation in [
        "DeleteTable",
        "DeleteFunction",
        "DeleteObjects",
        "DeleteRole",
    ] {
        args.push(format!(
            "--latency-for={operation}={}ms",
            (rng.unit() * 150.0) as u64
        ));
    }
    args
}

/// Faulted requests that came again: a request with the same service, operation, resource,
/// method and path within `RETRY_HORIZON_MS` after the fault. The proxy cannot tell an SDK
/// retry from a new call; a fault followed by the same call is what a retry looks like.
fn retries(records: &[Value]) -> usize {
    let key = |r: &Value| {
        (
            r["service"].to_string(),
            r["operation"].to_string(),
            r["resource"].to_string(),
            r["method"].to_string(),
            r["path"].to_string(),
        )
    };
    let mut sorted: Vec<&Value> = records.iter().collect();
    sorted.sort_by_key(|r| r["seq"].as_u64().unwrap_or(0));
    sorted
        .iter()
        .enumerate()
        .filter(|(_, r)| !r["fault"].is_null())
        .filter(|(i, r)| {
            let at = r["elapsed_ms"].as_f64().unwrap_or(0.0);
            sorted[i + 1..].iter().any(|later| {
                key(later) == key(r)
                    && later["elapsed_ms"].as_f64().unwrap_or(0.0) - at <= RETRY_HORIZON_MS
            })
        })
        .count()
}

/// Which step a mutating call belongs to.
fn step_of(record: &Value) -> String {
    let service = record["service"].as_str().unwrap_or_default();
    if service == "cloudfront" && record["head_start"] == true {
        return "head start (rm-cloudfront --disable-only)".into();
    }
    let step = match service {
        "dynamodb" => "1 (rm-dynamodb)",
        "lambda" | "logs" => "2 (rm-lambda)",
        "s3" => "3 (rm-s3)",
        "apigateway" | "apigatewayv2" => "4 (rm-apigateway)",
        "cognito-idp" | "cognito-identity" => "5 (rm-cognito)",
        "cloudfront" => "6 (rm-cloudfront)",
        "iam" => "7 (rm-iam)",
        other => return format!("({other})"),
    };
    format!("step {step}")
}

/// The read verbs of `testkit::proxy::is_mutating` (testkit is only a dev-dependency here).
const READ_PREFIXES: &[&str] = &[
    "Get",
    "List",
    "Describe",
    "Head",
    "Query",
    "Scan",
    "BatchGet",
    "TransactGet",
    "Lookup",
    "Search",
    "Select",
    "Test",
    "Validate",
    "Check",
    "Estimate",
    "Filter",
    "Simulate",
    "Preview",
    "Verify",
    "Generate",
    "Decode",
    "Poll",
];

fn is_mutating(operation: &str) -> bool {
    if let Some((method, _)) = operation.split_once(' ') {
        return !matches!(method, "GET" | "HEAD" | "OPTIONS");
    }
    let verb = operation.strip_prefix("Admin").unwrap_or(operation);
    !verb.is_empty() && !READ_PREFIXES.iter().any(|p| verb.starts_with(p))
}

/// The resources a combined clean-all report says were deleted.
fn deleted(report: &Path) -> u64 {
    std::fs::read(report)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .map(|report| {
            report["steps"]
                .as_array()
                .map(|steps| {
                    steps
                        .iter()
                        .filter_map(|s| s["summary"]["deleted"].as_u64())
                        .sum()
                })
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// The first line of a clean-all log that says what failed.
fn first_failure(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .find(|l| l.contains("error") || l.contains("failed:") || l.contains("FAILED"))
        .map(|l| {
            let l = l.trim();
            l.chars().take(160).collect::<String>()
        })
        .unwrap_or_else(|| "see the log".into())
}

/// The exit status as the binaries define it; a signal death is reported as 128 + signal.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(255),
        _ => 1,
    }
}

/// A small seeded generator (SplitMix64): the kill points and the jitter must replay.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// aws-proxy's timings for every run: the demo's (CloudFront deploys in 5 s, one DeleteRestApi
/// per 2 s, DynamoDB tables never CREATING or DELETING for long).
const PROXY_TIMINGS: [(&str, &str); 4] = [
    ("--cloudfront-deploy-time", "5s"),
    ("--rest-api-delete-window", "2s"),
    ("--dynamodb-creating-time", "0s"),
    ("--dynamodb-deleting-time", "0s"),
];

/// The `aws-proxy` binary with `--verbose`: every record arrives on its stderr as a JSON line,
/// is kept, and is shown to `hook` as it comes.
struct AwsProxy {
    child: Child,
    endpoint: String,
    records: Arc<Mutex<Vec<Value>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl AwsProxy {
    fn start(
        bin_dir: &Path,
        upstream: &str,
        extra: &[String],
        hook: Option<Hook>,
    ) -> anyhow::Result<AwsProxy> {
        let mut command = Command::new(bin_dir.join("aws-proxy"));
        command.args(["--upstream", upstream, "--verbose"]);
        // The demo's timings (AWS's waits, shortened to seconds), unless `extra` sets them.
        for (flag, value) in PROXY_TIMINGS {
            if !extra.iter().any(|e| e.split('=').next() == Some(flag)) {
                command.args([flag, value]);
            }
        }
        let mut child = command
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting aws-proxy")?;
        let stdout = child.stdout.take().context("no stdout from aws-proxy")?;
        let mut first_line = String::new();
        BufReader::new(stdout).read_line(&mut first_line)?;
        let endpoint = first_line.trim().to_string();
        if !endpoint.starts_with("http://") {
            let _ = child.kill();
            let _ = child.wait();
            bail!("aws-proxy did not print its endpoint (got {endpoint:?})");
        }
        let stderr = child.stderr.take().context("no stderr from aws-proxy")?;
        let records = Arc::new(Mutex::new(Vec::new()));
        let kept = records.clone();
        let mut hook = hook;
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !line.starts_with('{') {
                    continue;
                }
                let Ok(record) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if let Some(hook) = hook.as_mut() {
                    hook(&record);
                }
                if let Ok(mut records) = kept.lock() {
                    records.push(record);
                }
            }
        });
        Ok(AwsProxy {
            child,
            endpoint,
            records,
            reader: Some(reader),
        })
    }

    fn records(&self) -> Vec<Value> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Stops the proxy and returns every record.
    fn stop(mut self) -> Vec<Value> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.records()
    }
}

impl Drop for AwsProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn table(header: &[&str], rows: Vec<Vec<String>>) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header(header);
    for row in rows {
        table.add_row(row);
    }
    table
}

const FAULT_KINDS: [(&str, &str); 5] = [
    ("throttle", "throttle"),
    ("internal-error", "500"),
    ("service-unavailable", "503"),
    ("drop-before-forward", "drop before"),
    ("drop-after-forward", "drop after"),
];

fn seed_header() -> Vec<&'static str> {
    let mut header = vec!["seed", "requests"];
    header.extend(FAULT_KINDS.iter().map(|(_, label)| *label));
    header.extend([
        "retries",
        "deleted",
        "decoys intact",
        "re-runs",
        "exits",
        "verify",
        "result",
    ]);
    header
}

fn seed_rows(report: &ChaosReport) -> Vec<Vec<String>> {
    report
        .seeds
        .iter()
        .map(|s| {
            let mut row = vec![s.seed.to_string(), s.requests.to_string()];
            row.extend(
                FAULT_KINDS
                    .iter()
                    .map(|(kind, _)| s.faults.get(*kind).copied().unwrap_or(0).to_string()),
            );
            row.extend([
                s.retries.to_string(),
                s.deleted.to_string(),
                format!("{}/{}", s.decoys_intact, s.decoys_total),
                s.reruns.to_string(),
                s.clean_all_exits
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                s.verify_exit.to_string(),
                pass(s.passed),
            ]);
            row
        })
        .collect()
}

const KILL_HEADER: [&str; 8] = [
    "point",
    "killed after mutating call",
    "step running",
    "last call answered",
    "re-run exit",
    "verify",
    "decoys intact",
    "result",
];

fn kill_rows(report: &ChaosReport) -> Vec<Vec<String>> {
    report
        .kills
        .iter()
        .map(|k| {
            vec![
                k.point.to_string(),
                k.after_mutating_calls.to_string(),
                k.step.clone(),
                k.last_call.clone(),
                k.rerun_exit.to_string(),
                k.verify_exit.to_string(),
                format!("{}/{}", k.decoys_intact, k.decoys_total),
                pass(k.passed),
            ]
        })
        .collect()
}

const INTERRUPT_HEADER: [&str; 4] = ["SIGINT during", "exit", "stopped after", "result"];

fn interrupt_rows(report: &ChaosReport) -> Vec<Vec<String>> {
    report
        .interrupts
        .iter()
        .map(|i| {
            vec![
                i.case.clone(),
                i.exit.to_string(),
                format!("{} ms", i.stop_ms),
                pass(i.passed),
            ]
        })
        .collect()
}

fn pass(passed: bool) -> String {
    if passed { "pass" } else { "FAIL" }.to_string()
}

fn text_tables(report: &ChaosReport) -> String {
    let mut out = String::new();
    if !report.seeds.is_empty() {
        out += &format!(
            "Faults at {:.0}%:\n{}\n",
            report.rate * 100.0,
            table(&seed_header(), seed_rows(report))
        );
    }
    if !report.kills.is_empty() {
        out += &format!(
            "\nSIGKILL, then a plain re-run:\n{}\n",
            table(&KILL_HEADER, kill_rows(report))
        );
    }
    if !report.interrupts.is_empty() {
        out += &format!(
            "\nSIGINT (Ctrl-C):\n{}\n",
            table(&INTERRUPT_HEADER, interrupt_rows(report))
        );
    }
    out
}

fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    out += &format!("|{}\n", " --- |".repeat(header.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        out += &format!("| {} |\n", cells.join(" | "));
    }
    out
}

fn markdown(report: &ChaosReport, args: &ChaosArgs) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Chaos figures\n\nWritten by `cargo xtask chaos` (rate {}, {} fault seed(s), {} SIGKILL point(s) from kill seed {}). \
         Everything runs on the local emulator (moto) through the test proxy (`aws-proxy`, the \
         AWS profile: CloudFront deploys take 5 s, DeleteRestApi is limited to one per 2 s).",
        args.rate,
        report.seeds.len(),
        report.kills.len(),
        args.kill_seed
    );
    if !report.seeds.is_empty() {
        let _ = writeln!(
            out,
            "\n## Faults\n\nFor each seed: the demo workshop and its decoys are created, then \
             `cargo xtask clean-all --yes` runs with every request (reads included, STS included{}) \
             drawing a fault at {:.0}%: throttling in the service's own shape (JSON \
             `ThrottlingException`, query `Throttling`, S3 `SlowDown` 503, CloudFront `Throttling`, \
             REST `TooManyRequestsException` 429), 500 and 503 in the service's shape, the \
             connection dropped before the request is forwarded, or dropped after moto acted on it. \
             Each service (and a few deletes) also gets its own latency, drawn per seed (0-40 ms, \
             up to 150 ms for the deletes). A clean-all that does not exit 0 is run once more as \
             is (re-runs; *exits* shows each run's status, and a first run's failure is quoted \
             below the table); then `cargo xtask verify` (without faults) must find nothing the manifest \
             names, and `workshop.py --check-decoys` must find every decoy as it was created.\n",
            if args.fault_services.is_empty() {
                String::new()
            } else {
                format!("; only {}", args.fault_services.join(", "))
            },
            args.rate * 100.0
        );
        out += &markdown_table(&seed_header(), &seed_rows(report));
        let _ = writeln!(
            out,
            "\n*requests*: every request the proxy answered (or dropped) during the clean-all \
             runs, dry runs included. *retries*: faulted requests that came again, i.e. a request \
             with the same service, operation, resource, method and path within 25 s of the fault \
             (the proxy cannot tell an SDK retry from a new call). *deleted*: what the clean-all \
             reports say was deleted (both runs). *exits*: clean-all's exit status, per run."
        );
        for s in report.seeds.iter().filter(|s| !s.note.is_empty()) {
            let _ = writeln!(out, "\n- seed {}: {}", s.seed, s.note);
        }
    }
    if !report.kills.is_empty() {
        let _ = writeln!(
            out,
            "\n## SIGKILL\n\nFor each point: a fresh workshop with decoys; clean-all starts \
             (no faults) and its process group (clean-all and the step binary it runs) gets \
             SIGKILL right after the proxy answered the Nth mutating call (N drawn from the kill \
             seed, spread over the run's {MUTATING_CALLS} first mutating calls). Then a plain \
             re-run of clean-all must exit 0, verify must find nothing left, and every decoy must \
             be intact.\n"
        );
        out += &markdown_table(&KILL_HEADER, &kill_rows(report));
        for k in report.kills.iter().filter(|k| !k.note.is_empty()) {
            let _ = writeln!(out, "\n- point {}: {}", k.point, k.note);
        }
    }
    if !report.interrupts.is_empty() {
        let _ = writeln!(
            out,
            "\n## SIGINT\n\nCtrl-C (SIGINT) sent to the step binary in the middle of its longest \
             wait; the time is from the signal to the process's exit, as measured by xtask.\n"
        );
        out += &markdown_table(&INTERRUPT_HEADER, &interrupt_rows(report));
        for i in &report.interrupts {
            let _ = writeln!(out, "\n- {}: {}", i.case, i.report);
        }
    }
    let _ = writeln!(
        out,
        "\nRun it again with `cargo xtask chaos` (`--seeds N`, `--seed S`, `--rate R`, \
         `--kills N`, `--kill-seed S`, `--no-interrupts`); its working files (logs, manifests, \
         reports) are under target/chaos/."
    );
    out
}
