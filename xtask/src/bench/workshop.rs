//! `cargo xtask bench workshop [--copies K]`: clean-all against the chapter scripted with aws-cli.
//!
//! Seeds K copies of the demo workshop (scripts/demo/workshop.py, names suffixed, with decoys)
//! for each contender, then times in the same run, through one aws-proxy in front of the
//! emulator (CloudFront deploys take `--deploy-time`, 20 s by default, for both):
//! - `cargo xtask clean-all --yes` (release binaries) with one manifest naming all K copies;
//! - scripts/bench/workshop_cli.sh, the chapter as a reader would script it with aws-cli (from
//!   PyPI, the s3 bench's virtualenv), copy after copy.
//!
//! Both are left with the same account: afterwards `cargo xtask verify` runs on each
//! contender's manifest and every copy's decoys are checked. Prints both times, per-step times
//! and the ratio (target: clean-all at least 5x faster at K=5). Figures: xtask/BENCH-workshop.md.
//!
//! Seeding goes through the proxy too, so that it knows each distribution's origin access
//! control (moto forgets it; the proxy puts it back, as AWS would show it).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

use crate::steps::STEPS;
use crate::{emulator, local_env};

const USAGE: &str = "usage: cargo xtask bench workshop [--copies K] [--deploy-time DURATION] [--images N] [--debug]";

/// Copies of the workshop per contender unless `--copies` says otherwise.
const DEFAULT_COPIES: usize = 5;

/// How long a CloudFront change takes to deploy behind the proxy (real AWS: 5 to 40 minutes).
const DEFAULT_DEPLOY_TIME: &str = "20s";

/// Images per bucket in each copy (the demo's default).
const DEFAULT_IMAGES: usize = 20;

/// The target of issue 7: clean-all at least this many times faster at K=5.
const TARGET_RATIO: f64 = 5.0;

pub fn run(sh: &Shell, args: &[String]) -> anyhow::Result<ExitCode> {
    let options = Options::parse(args)?;
    let (endpoint, started) = match emulator::status(sh) {
        Some(endpoint) => (endpoint, false),
        None => {
            eprintln!("bench: starting the emulator");
            (emulator::start(sh)?, true)
        }
    };
    let result = bench(sh, &endpoint, &options);
    if started {
        eprintln!("bench: stopping the emulator this run started");
        if let Err(err) = emulator::stop(sh) {
            eprintln!("bench: {err:#}");
        }
    }
    result
}

#[derive(Debug)]
struct Options {
    copies: usize,
    deploy_time: String,
    images: usize,
    /// Debug binaries (faster to build, slower to run: a conservative ratio).
    debug: bool,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Options> {
        let mut options = Options {
            copies: DEFAULT_COPIES,
            deploy_time: DEFAULT_DEPLOY_TIME.to_string(),
            images: DEFAULT_IMAGES,
            debug: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .with_context(|| format!("{arg} needs a value; {USAGE}"))
            };
            match arg.as_str() {
                "--copies" => {
                    let v = value()?;
                    options.copies = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=50).contains(n))
                        .with_context(|| {
                            format!("--copies {v:?}: expected a number from 1 to 50; {USAGE}")
                        })?;
                }
                "--images" => {
                    let v = value()?;
                    options.images = v.parse().ok().filter(|n| *n > 0).with_context(|| {
                        format!("--images {v:?}: expected a positive number; {USAGE}")
                    })?;
                }
                "--deploy-time" => {
                    let v = value()?;
                    if !v.ends_with(['s', 'm']) || v[..v.len() - 1].parse::<u32>().is_err() {
                        bail!(
                            "--deploy-time {v:?}: expected seconds or minutes, e.g. 20s; {USAGE}"
                        );
                    }
                    options.deploy_time = v.clone();
                }
                "--debug" => options.debug = true,
                other => bail!("unknown argument {other:?}; {USAGE}"),
            }
        }
        Ok(options)
    }
}

/// The files and programs of one bench run.
struct Bench<'a> {
    sh: &'a Shell,
    root: PathBuf,
    bin_dir: PathBuf,
    xtask: PathBuf,
    python: PathBuf,
    aws: PathBuf,
    out: PathBuf,
    run_id: String,
    options: &'a Options,
}

/// One contender's run.
struct Timed {
    seconds: f64,
    exit: i32,
    /// Seconds per phase, in order (clean-all: plan, head start, steps; aws-cli: steps summed
    /// over the copies).
    phases: Vec<(String, f64)>,
    log: PathBuf,
}

/// What is left after a contender ran.
struct Checked {
    verify_exit: i32,
    verify_lines: Vec<String>,
    decoys_missing: Vec<String>,
    /// The copies' origin access controls that still exist. verify cannot see them: the demo
    /// names them itself (not after the bucket), so they are checked here by id.
    oacs_left: Vec<String>,
}

/// Lists (with `--list BUCKET...`) the OAC ids of the distributions serving these buckets, or
/// (with `--left ID...`) prints the ids that still exist. Through the proxy, which knows which
/// OAC a distribution uses (moto forgets it).
const OAC_SCRIPT: &str = "
import boto3, json, sys
mode, endpoint, names = sys.argv[1], sys.argv[2], sys.argv[3:]
cf = boto3.session.Session(aws_access_key_id='testing', aws_secret_access_key='testing',
                           region_name='us-east-1').client('cloudfront', endpoint_url=endpoint)
found = []
if mode == '--list':
    domains = {b + '.s3.us-east-1.amazonaws.com' for b in names}
    for page in cf.get_paginator('list_distributions').paginate():
        for d in page['DistributionList'].get('Items', []):
            for o in d['Origins']['Items']:
                if o['DomainName'] in domains and o.get('OriginAccessControlId'):
                    found.append(o['OriginAccessControlId'])
else:
    for oac in names:
        try:
            cf.get_origin_access_control(Id=oac)
            found.append(oac)
        except cf.exceptions.NoSuchOriginAccessControl:
            pass
print(json.dumps(found))
";

fn bench(sh: &Shell, endpoint: &str, options: &Options) -> anyhow::Result<ExitCode> {
    let root = sh.current_dir();
    let profile = if options.debug { "debug" } else { "release" };
    let release: &[&str] = if options.debug { &[] } else { &["--release"] };
    eprintln!("bench: building the step binaries, aws-proxy and xtask ({profile})");
    let mut packages = Vec::new();
    for step in STEPS {
        packages.push("-p".to_string());
        packages.push(step.binary.to_string());
    }
    crate::plain_cargo(cmd!(
        sh,
        "cargo build {release...} --quiet {packages...} -p xtask"
    ))
    .run()
    .context("building the step binaries")?;
    crate::plain_cargo(cmd!(
        sh,
        "cargo build {release...} --quiet -p testkit --bin aws-proxy"
    ))
    .run()
    .context("building aws-proxy")?;
    let aws = super::s3::awscli(sh)?;
    let out = root.join("target/bench/workshop");
    sh.create_dir(&out)?;
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let bench = Bench {
        sh,
        bin_dir: root.join("target").join(profile),
        xtask: root.join("target").join(profile).join("xtask"),
        python: emulator::python(sh),
        aws,
        out,
        run_id: format!("{:x}", stamp % 0xfffff),
        root,
        options,
    };
    let proxy = AwsProxy::start(
        &bench.bin_dir.join("aws-proxy"),
        endpoint,
        &options.deploy_time,
    )?;
    bench.run(&proxy.endpoint, endpoint)
}

impl Bench<'_> {
    fn suffixes(&self, contender: char) -> Vec<String> {
        (1..=self.options.copies)
            .map(|i| format!("-w{}{contender}{i}", self.run_id))
            .collect()
    }

    fn run(&self, proxy: &str, emulator: &str) -> anyhow::Result<ExitCode> {
        let k = self.options.copies;
        let ours = self.suffixes('a');
        let theirs = self.suffixes('c');
        eprintln!(
            "bench: seeding {k} copies of the workshop (with decoys) for each contender, through the proxy"
        );
        let manifest = self.seed_all(proxy, &ours, "clean-all")?;
        let cli_manifest = self.seed_all(proxy, &theirs, "aws-cli")?;
        let our_oacs = self.oacs(proxy, "--list", &origin_buckets(&manifest)?)?;
        let their_oacs = self.oacs(proxy, "--list", &origin_buckets(&cli_manifest)?)?;
        eprintln!(
            "bench: the copies' distributions use {} and {} origin access controls",
            our_oacs.len(),
            their_oacs.len()
        );

        eprintln!("bench: timing cargo xtask clean-all --yes ({k} copies in one manifest)");
        let clean_all = self.clean_all(&manifest, proxy)?;
        let clean_all_left = self.check(&manifest, proxy, &ours, &our_oacs)?;

        eprintln!("bench: timing scripts/bench/workshop_cli.sh ({k} copies, one after another)");
        let cli = self.cli(proxy, &theirs)?;
        let cli_left = self.check(&cli_manifest, proxy, &theirs, &their_oacs)?;

        self.report(
            emulator,
            ("cargo xtask clean-all", &clean_all, &clean_all_left),
            ("aws-cli script", &cli, &cli_left),
        );
        let ok = clean_all.exit == 0 && cli.exit == 0 && clean_all_left.clean() && cli_left.clean();
        Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }

    /// Seeds one copy per suffix and writes one manifest naming all of them.
    fn seed_all(&self, proxy: &str, suffixes: &[String], label: &str) -> anyhow::Result<PathBuf> {
        let mut merged: Option<toml::Table> = None;
        for suffix in suffixes {
            let path = self.out.join(format!("copy{suffix}.toml"));
            let python = &self.python;
            let images = self.options.images.to_string();
            cmd!(
                self.sh,
                "{python} scripts/demo/workshop.py --endpoint {proxy} --suffix={suffix} --images {images} --decoys --manifest={path}"
            )
            .quiet()
            .ignore_stdout()
            .run()
            .with_context(|| format!("seeding the workshop copy {suffix}"))?;
            let text = self.sh.read_file(&path)?;
            let table: toml::Table = toml::from_str(&text)
                .with_context(|| format!("reading the manifest {}", path.display()))?;
            merged = Some(match merged {
                None => table,
                Some(mut all) => {
                    merge(&mut all, table);
                    all
                }
            });
        }
        let path = self.out.join(format!("{label}-{}.toml", self.run_id));
        let text = toml::to_string(&merged.unwrap_or_default())?;
        self.sh.write_file(
            &path,
            format!(
                "# Written by `cargo xtask bench workshop`: {} copies of the demo workshop.\n{text}",
                suffixes.len()
            ),
        )?;
        Ok(path)
    }

    /// `xtask clean-all --yes`, its stdout timestamped line by line for the per-step times.
    fn clean_all(&self, manifest: &Path, proxy: &str) -> anyhow::Result<Timed> {
        let log = self.out.join(format!("clean-all-{}.log", self.run_id));
        let mut command = self.command(&self.xtask);
        command
            .arg("clean-all")
            .arg("--config")
            .arg(manifest)
            .arg("--yes")
            .arg("--bin-dir")
            .arg(&self.bin_dir)
            .args(["--endpoint-url", proxy]);
        let (exit, seconds, lines) = timed(command, &log)?;
        Ok(Timed {
            seconds,
            exit,
            phases: clean_all_phases(&lines, seconds),
            log,
        })
    }

    fn cli(&self, proxy: &str, suffixes: &[String]) -> anyhow::Result<Timed> {
        let log = self.out.join(format!("aws-cli-{}.log", self.run_id));
        let mut command = self.command(Path::new("bash"));
        command
            .arg(self.root.join("scripts/bench/workshop_cli.sh"))
            .args(["--endpoint", proxy])
            .arg("--aws")
            .arg(&self.aws)
            .args(suffixes);
        let (exit, seconds, lines) = timed(command, &log)?;
        Ok(Timed {
            seconds,
            exit,
            phases: cli_phases(&lines, seconds),
            log,
        })
    }

    /// `xtask verify` on the contender's manifest, and every copy's decoys.
    fn check(
        &self,
        manifest: &Path,
        proxy: &str,
        suffixes: &[String],
        oacs: &[String],
    ) -> anyhow::Result<Checked> {
        let output = self
            .command(&self.xtask)
            .arg("verify")
            .arg("--config")
            .arg(manifest)
            .arg("--bin-dir")
            .arg(&self.bin_dir)
            .args(["--endpoint-url", proxy])
            .stdin(Stdio::null())
            .output()
            .context("running xtask verify")?;
        let mut decoys_missing = Vec::new();
        for suffix in suffixes {
            let decoys = self
                .command(&self.python)
                .arg("scripts/demo/workshop.py")
                .args(["--endpoint", proxy])
                .arg(format!("--suffix={suffix}"))
                .arg("--check-decoys")
                .output()
                .context("checking the decoys")?;
            if !decoys.status.success() {
                let stderr = String::from_utf8_lossy(&decoys.stderr);
                decoys_missing.extend(stderr.lines().map(str::to_string));
            }
        }
        Ok(Checked {
            verify_exit: output.status.code().unwrap_or(-1),
            verify_lines: String::from_utf8_lossy(&output.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&output.stderr).lines())
                .map(str::to_string)
                .collect(),
            decoys_missing,
            oacs_left: self.oacs(proxy, "--left", oacs)?,
        })
    }

    /// Runs [`OAC_SCRIPT`].
    fn oacs(&self, proxy: &str, mode: &str, names: &[String]) -> anyhow::Result<Vec<String>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let output = self
            .command(&self.python)
            .args(["-c", OAC_SCRIPT, mode, proxy])
            .args(names)
            .output()
            .context("looking up origin access controls")?;
        if !output.status.success() {
            bail!(
                "looking up origin access controls: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(serde_json::from_slice(&output.stdout)?)
    }

    /// A command in the workspace with dummy credentials: nothing may leave the machine.
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        local_env::apply(&mut command).current_dir(&self.root);
        command
    }

    fn report(
        &self,
        emulator: &str,
        ours: (&str, &Timed, &Checked),
        theirs: (&str, &Timed, &Checked),
    ) {
        let (our_name, our, our_left) = ours;
        let (their_name, their, their_left) = theirs;
        println!();
        println!(
            "workshop bench: {} copies per contender ({} images per bucket, with decoys), {} binaries, emulator {emulator}, \
             through aws-proxy (CloudFront deploy {}, the same for both)",
            self.options.copies,
            self.options.images,
            if self.options.debug {
                "debug"
            } else {
                "release"
            },
            self.options.deploy_time
        );
        println!();
        println!("| contender | seconds | exit | verify afterwards | copies' OACs | decoys |");
        println!("|---|---:|---:|---|---|---|");
        for (name, timed, left) in [(our_name, our, our_left), (their_name, their, their_left)] {
            println!(
                "| {name} | {:.1} | {} | {} | {} | {} |",
                timed.seconds,
                timed.exit,
                left.verify_summary(),
                if left.oacs_left.is_empty() {
                    "all gone".to_string()
                } else {
                    format!("{} left", left.oacs_left.len())
                },
                if left.decoys_missing.is_empty() {
                    "all intact".to_string()
                } else {
                    format!("{} missing", left.decoys_missing.len())
                }
            );
        }
        println!();
        for (name, timed) in [(our_name, our), (their_name, their)] {
            println!("{name}, per phase (log: {}):", timed.log.display());
            for (phase, seconds) in &timed.phases {
                println!("  {phase:<52} {seconds:>7.1} s");
            }
        }
        for (name, left) in [(our_name, our_left), (their_name, their_left)] {
            if left.verify_exit != 0 {
                println!("\n{name}: verify found (exit {}):", left.verify_exit);
                for line in left.verify_lines.iter().take(40) {
                    println!("  {line}");
                }
            }
            for line in &left.decoys_missing {
                println!("{name}: {line}");
            }
            for oac in &left.oacs_left {
                println!("{name}: origin access control {oac} still exists");
            }
        }
        println!();
        let ratio = their.seconds / our.seconds.max(0.001);
        let clean = our_left.clean() && their_left.clean();
        println!(
            "ratio: clean-all is {ratio:.1}x faster than the aws-cli script at K={} (target: at least {TARGET_RATIO:.0}x at K=5): {}",
            self.options.copies,
            if ratio >= TARGET_RATIO {
                "met"
            } else {
                "MISSED"
            }
        );
        println!(
            "account afterwards: {}",
            if clean {
                "both left it clean of every seeded resource (verify exit 0 on both manifests, every copy's OAC gone) and every decoy intact"
            } else {
                "NOT clean: see above"
            }
        );
    }
}

impl Checked {
    fn clean(&self) -> bool {
        self.verify_exit == 0 && self.decoys_missing.is_empty() && self.oacs_left.is_empty()
    }

    fn verify_summary(&self) -> String {
        match self.verify_exit {
            0 => "clean (exit 0)".to_string(),
            code => format!("exit {code}: {} item(s) remain", self.remaining()),
        }
    }

    fn remaining(&self) -> usize {
        self.verify_lines
            .iter()
            .filter(|l| l.starts_with("  "))
            .count()
    }
}

/// `[cloudfront] origin_buckets` of a manifest the bench wrote.
fn origin_buckets(manifest: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(manifest)?;
    let table: toml::Table = toml::from_str(&text)?;
    Ok(table
        .get("cloudfront")
        .and_then(|c| c.get("origin_buckets"))
        .and_then(|b| b.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|b| b.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// Appends every array of `more` to the same array of `all` (the manifests of several copies
/// become one); other values keep the first copy's.
fn merge(all: &mut toml::Table, more: toml::Table) {
    for (key, value) in more {
        match (all.get_mut(&key), value) {
            (Some(toml::Value::Table(mine)), toml::Value::Table(theirs)) => merge(mine, theirs),
            (Some(toml::Value::Array(mine)), toml::Value::Array(theirs)) => mine.extend(theirs),
            (Some(_), _) => {}
            (None, value) => {
                all.insert(key, value);
            }
        }
    }
}

/// Output lines with the seconds since the start at which each was read.
type Lines = Vec<(f64, String)>;

/// Runs the command with its stdout and stderr read line by line, each line written to `log`
/// with its time since the start; returns the exit status, the wall time, and the lines.
fn timed(mut command: Command, log: &Path) -> anyhow::Result<(i32, f64, Lines)> {
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the contender")?;
    let stderr = child.stderr.take().context("no stderr")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let errors = std::thread::spawn(move || read_lines(stderr, start));
    let mut lines = read_lines(stdout, start);
    lines.extend(errors.join().unwrap_or_default());
    let status = child.wait()?;
    let seconds = start.elapsed().as_secs_f64();
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut file = std::fs::File::create(log)?;
    for (at, line) in &lines {
        writeln!(file, "{at:8.2} {line}")?;
    }
    Ok((status.code().unwrap_or(-1), seconds, lines))
}

fn read_lines(stream: impl std::io::Read, start: Instant) -> Vec<(f64, String)> {
    BufReader::new(stream)
        .lines()
        .map_while(Result::ok)
        .map(|line| (start.elapsed().as_secs_f64(), line))
        .collect()
}

/// clean-all's phases from its output: the combined plan (every step's dry run) until the
/// total line, the head start, then each step from its heading to the next, and the summary.
fn clean_all_phases(lines: &[(f64, String)], total: f64) -> Vec<(String, f64)> {
    let mut marks: Vec<(String, f64)> = vec![("plan (7 dry runs)".to_string(), 0.0)];
    let mut running = false;
    for (at, line) in lines {
        let line = line.trim();
        if !running {
            if line.starts_with("Total:") {
                running = true;
                marks.push(("confirm".to_string(), *at));
            }
            continue;
        }
        if line.starts_with("Head start:") {
            marks.push(("head start: disable the distributions".to_string(), *at));
        } else if let Some(heading) = line
            .strip_prefix("Step ")
            .filter(|rest| rest.get(1..3) == Some("/7"))
        {
            // "1/7: Delete DynamoDB Tables - account ..., region ..." or "...: nothing to delete"
            let title = heading.split(" - account").next().unwrap_or(heading);
            let title = title.split(':').take(2).collect::<Vec<_>>().join(":");
            if !marks.iter().any(|(m, _)| m == &format!("step {title}")) {
                marks.push((format!("step {title}"), *at));
            }
        } else if line.starts_with("Summary") {
            marks.push(("summary".to_string(), *at));
        }
    }
    durations(marks, total)
}

/// The aws-cli script's phases: its `[time] copy S: N. what` lines, summed over the copies.
fn cli_phases(lines: &[(f64, String)], total: f64) -> Vec<(String, f64)> {
    let mut marks: Vec<(String, f64)> = vec![("start".to_string(), 0.0)];
    for (at, line) in lines {
        if let Some((_, rest)) = line.split_once("] copy ")
            && let Some((_, phase)) = rest.split_once(": ")
        {
            marks.push((format!("step {phase}"), *at));
        }
    }
    let mut summed: Vec<(String, f64)> = Vec::new();
    for (phase, seconds) in durations(marks, total) {
        match summed.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, s)) => *s += seconds,
            None => summed.push((phase, seconds)),
        }
    }
    summed
}

/// Time from each mark to the next (the last to `total`).
fn durations(marks: Vec<(String, f64)>, total: f64) -> Vec<(String, f64)> {
    let ends: Vec<f64> = marks
        .iter()
        .skip(1)
        .map(|(_, at)| *at)
        .chain(std::iter::once(total))
        .collect();
    marks
        .into_iter()
        .zip(ends)
        .map(|((name, start), end)| (name, (end - start).max(0.0)))
        .collect()
}

/// The `aws-proxy` binary in front of the emulator, with the demo's settings and the bench's
/// CloudFront deploy time; stopped (by its own pid) when dropped.
struct AwsProxy {
    child: Child,
    endpoint: String,
}

impl AwsProxy {
    fn start(binary: &Path, upstream: &str, deploy_time: &str) -> anyhow::Result<AwsProxy> {
        let mut child = Command::new(binary)
            .args(["--upstream", upstream])
            .args(["--cloudfront-deploy-time", deploy_time])
            .args(["--rest-api-delete-window", "2s"])
            .args(["--dynamodb-deleting-time", "0s"])
            .args(["--dynamodb-creating-time", "0s"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout from aws-proxy")?;
        let mut first_line = String::new();
        BufReader::new(stdout).read_line(&mut first_line)?;
        let endpoint = first_line.trim().to_string();
        if !endpoint.starts_with("http://") {
            let _ = child.kill();
            let _ = child.wait();
            bail!("aws-proxy did not print its endpoint (got {endpoint:?})");
        }
        Ok(AwsProxy { child, endpoint })
    }
}

impl Drop for AwsProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_have_defaults_and_refuse_bad_values() {
        let options = Options::parse(&[]).unwrap();
        assert_eq!(options.copies, 5);
        assert_eq!(options.deploy_time, "20s");
        let options = Options::parse(&args(&["--copies", "2", "--deploy-time", "1m"])).unwrap();
        assert_eq!((options.copies, options.deploy_time.as_str()), (2, "1m"));
        for bad in [
            &["--copies"][..],
            &["--copies", "0"],
            &["--copies", "many"],
            &["--deploy-time", "20"],
            &["--images", "-1"],
            &["--objects", "5"],
        ] {
            assert!(Options::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn manifests_of_copies_merge_into_one() {
        let mut all: toml::Table =
            toml::from_str("[aws]\nregion = \"us-east-1\"\n[s3]\nbuckets = [\"a-1\"]\n").unwrap();
        let more: toml::Table = toml::from_str(
            "[aws]\nregion = \"eu-west-1\"\n[s3]\nbuckets = [\"a-2\"]\n[iam]\nroles = [\"r-2\"]\n",
        )
        .unwrap();
        merge(&mut all, more);
        assert_eq!(all["aws"]["region"].as_str(), Some("us-east-1"));
        assert_eq!(all["s3"]["buckets"].as_array().unwrap().len(), 2);
        assert_eq!(all["iam"]["roles"][0].as_str(), Some("r-2"));
    }

    #[test]
    fn phases_come_from_the_headings() {
        let lines: Vec<(f64, String)> = [
            (0.5, "Step 1/7: Delete DynamoDB Tables"),
            (
                1.0,
                "Total: 60 to delete, 0 already absent, 0 refused, in 7 step(s).",
            ),
            (
                1.5,
                "Head start: disabling the CloudFront distributions now; ...",
            ),
            (3.0, "Step 1/7: Delete DynamoDB Tables"),
            (
                4.0,
                "Step 1/7: Delete DynamoDB Tables - account 123456789012, region us-east-1",
            ),
            (5.0, "Step 2/7: Delete Lambda Functions"),
            (9.0, "Summary (account 123456789012, region us-east-1):"),
        ]
        .into_iter()
        .map(|(t, l)| (t, l.to_string()))
        .collect();
        let phases = clean_all_phases(&lines, 10.0);
        let names: Vec<&str> = phases.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "plan (7 dry runs)",
                "confirm",
                "head start: disable the distributions",
                "step 1/7: Delete DynamoDB Tables",
                "step 2/7: Delete Lambda Functions",
                "summary"
            ]
        );
        assert_eq!(phases[3].1, 2.0);
        assert_eq!(phases[5].1, 1.0);

        let cli: Vec<(f64, String)> = [
            (1.0, "[16:00:01] copy -a1: 1. DynamoDB tables"),
            (3.0, "[16:00:03] copy -a1: 2. Lambda functions"),
            (4.0, "[16:00:04] copy -a2: 1. DynamoDB tables"),
            (7.0, "[16:00:07] copy -a2: 2. Lambda functions"),
        ]
        .into_iter()
        .map(|(t, l)| (t, l.to_string()))
        .collect();
        let phases = cli_phases(&cli, 8.0);
        assert_eq!(phases[1], ("step 1. DynamoDB tables".to_string(), 5.0));
        assert_eq!(phases[2], ("step 2. Lambda functions".to_string(), 2.0));
    }
}
