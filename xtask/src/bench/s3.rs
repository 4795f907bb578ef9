//! `cargo xtask bench s3 [--objects N] [--sweep]`: rm-s3 against what a user would pick instead.
//!
//! Seeds identical buckets in the emulator (scripts/bench/seed_s3.py, with the emulator's
//! python), then times, in the same run and on the same data: rm-s3 (release build);
//! `aws s3 rb --force` (aws-cli from PyPI, in its own virtualenv under target/bench/); and a
//! boto3 reference that lists and DeleteObjects-batches serially
//! (scripts/bench/boto3_reference.py). Cases: a plain bucket; a versioned bucket with two
//! versions per key and a delete marker on top (aws-cli cannot empty it: it is shown failing on
//! a small one); and both again through the test proxy with 50 ms added to every request, as a
//! real network would. Also rm-s3's peak memory at N and 4N objects. `--sweep` adds runs of
//! rm-s3 at several `--concurrency` values, which is how the default was chosen.
//!
//! Each run is measured by scripts/bench/measure.py (wall time, exit status, peak RSS, and the
//! CPU time the emulator spent meanwhile).
//!
//! The runs go to the bench's own emulator (a moto server from the shared emulator's
//! virtualenv, on a free port, stopped at the end): moto works on one core, and other sessions'
//! test suites use the shared emulator, so sharing it would time their requests too.
//! `--shared-emulator` uses the shared one instead. The machine's load average is printed with
//! the figures.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

use crate::{emulator, local_env};

/// Objects per bucket unless `--objects` says otherwise: enough for a few DeleteObjects
/// batches, few enough that seeding (about 200 PutObject per second on the emulator) and the
/// whole bench take a few minutes.
const DEFAULT_OBJECTS: usize = 2000;

/// The aws-cli release the bench installs (v1 is the one on PyPI).
const AWSCLI_VERSION: &str = "1.46.3";

/// Keys in the small versioned bucket that shows `aws s3 rb --force` failing.
const CLI_VERSIONED_KEYS: usize = 100;

/// Latency the proxy adds to every request in the "network" cases.
const LATENCY: &str = "50ms";

/// `--concurrency` values tried by `--sweep`.
const SWEEP: [usize; 6] = [1, 2, 4, 8, 16, 32];

pub fn run(sh: &Shell, args: &[String]) -> anyhow::Result<ExitCode> {
    let options = Options::parse(args)?;
    let bench = Bench::prepare(sh, options.objects, options.shared_emulator)?;
    bench.run(options.sweep)?;
    Ok(ExitCode::SUCCESS)
}

struct Options {
    objects: usize,
    sweep: bool,
    shared_emulator: bool,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Options> {
        let mut options = Options {
            objects: DEFAULT_OBJECTS,
            sweep: false,
            shared_emulator: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--objects" => {
                    let value = args.next().context("--objects needs a number")?;
                    options.objects = value.parse().ok().filter(|n| *n > 0).with_context(|| {
                        format!("--objects {value:?}: expected a positive number")
                    })?;
                }
                "--sweep" => options.sweep = true,
                "--shared-emulator" => options.shared_emulator = true,
                other => bail!(
                    "unknown argument {other:?}; usage: cargo xtask bench s3 [--objects N] [--sweep] [--shared-emulator]"
                ),
            }
        }
        Ok(options)
    }
}

/// One measured run.
#[derive(Debug, Clone)]
struct Measured {
    seconds: f64,
    exit: i32,
    max_rss_kib: u64,
    /// CPU seconds the emulator spent during the run (its work for this client, plus whatever
    /// else uses it meanwhile).
    server_cpu: f64,
    stderr: String,
}

/// One row of the results.
struct Row {
    case: String,
    client: String,
    entries: usize,
    result: Result<Measured, String>,
}

struct Bench<'a> {
    sh: &'a Shell,
    endpoint: String,
    objects: usize,
    /// The emulator's python (it has boto3).
    python: PathBuf,
    aws: PathBuf,
    rm_s3: PathBuf,
    proxy: PathBuf,
    out: PathBuf,
    run_id: String,
    /// The emulator's process, whose CPU time each run reports.
    server_pid: Option<u32>,
    /// The bench's own emulator, stopped when the bench ends (`None`: the shared one).
    own_emulator: Option<OwnEmulator>,
    /// The 1-minute load average when the bench started.
    load_at_start: String,
}

impl<'a> Bench<'a> {
    fn prepare(sh: &'a Shell, objects: usize, shared: bool) -> anyhow::Result<Bench<'a>> {
        let root = sh.current_dir();
        let load_at_start = load_average();
        // The shared emulator is started if needed even for a bench with its own: starting it
        // installs moto into the virtualenv the bench's emulator runs from.
        let shared_endpoint = match emulator::status(sh) {
            Some(endpoint) => endpoint,
            None => {
                eprintln!("bench: starting the emulator");
                emulator::start(sh)?
            }
        };
        let own = if shared {
            None
        } else {
            eprintln!("bench: starting the bench's own emulator");
            Some(OwnEmulator::start(&root)?)
        };
        let endpoint = own
            .as_ref()
            .map_or(shared_endpoint, |own| own.endpoint.clone());
        eprintln!("bench: building rm-s3 and aws-proxy (release)");
        crate::plain_cargo(cmd!(
            sh,
            "cargo build --release --quiet -p rm-s3 -p testkit --bin rm-s3 --bin aws-proxy"
        ))
        .run()
        .context("building rm-s3 and the proxy")?;
        let out = root.join("target/bench");
        let aws = awscli(sh)?;
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        Ok(Bench {
            sh,
            endpoint,
            objects,
            python: root.join("target/emulator/venv/bin/python"),
            aws,
            rm_s3: root.join("target/release/rm-s3"),
            proxy: root.join("target/release/aws-proxy"),
            out,
            run_id: format!("{:x}", stamp % 0xffffff),
            server_pid: match &own {
                Some(own) => Some(own.child.id()),
                None => sh
                    .read_file(root.join("target/emulator/moto.pid"))
                    .ok()
                    .and_then(|pid| pid.trim().parse().ok()),
            },
            own_emulator: own,
            load_at_start,
        })
    }

    fn bucket(&self, name: &str) -> String {
        format!("bench-{}-{name}", self.run_id)
    }

    fn run(&self, sweep: bool) -> anyhow::Result<()> {
        if sweep {
            self.run_sweep()
        } else {
            self.run_cases()
        }
    }

    fn run_cases(&self) -> anyhow::Result<()> {
        let n = self.objects;
        let plain: Vec<String> = ["rm", "ref", "cli", "net-rm", "net-ref", "net-cli", "mem-rm"]
            .iter()
            .map(|b| self.bucket(&format!("plain-{b}")))
            .collect();
        let versioned: Vec<String> = ["rm", "ref", "net-rm", "net-ref"]
            .iter()
            .map(|b| self.bucket(&format!("versioned-{b}")))
            .collect();
        let cli_versioned = self.bucket("versioned-cli");
        let big = self.bucket("plain-mem-4n");

        eprintln!(
            "bench: seeding {} plain buckets of {n} objects, 1 of {}, {} versioned of {n} keys (x2 versions + marker)",
            plain.len(),
            4 * n,
            versioned.len()
        );
        self.seed(&plain, n, false)?;
        self.seed(std::slice::from_ref(&big), 4 * n, false)?;
        self.seed(&versioned, n, true)?;
        self.seed(
            std::slice::from_ref(&cli_versioned),
            CLI_VERSIONED_KEYS,
            true,
        )?;

        let direct = self.endpoint.clone();
        let mut rows = Vec::new();
        eprintln!("bench: plain bucket");
        rows.push(self.row(
            "plain",
            "rm-s3",
            n,
            self.rm_s3_run(&direct, &plain[0], None),
        ));
        rows.push(self.row(
            "plain",
            "boto3 reference",
            n,
            self.reference(&direct, &plain[1]),
        ));
        rows.push(self.row(
            "plain",
            "aws s3 rb --force",
            n,
            self.aws_cli(&direct, &plain[2]),
        ));
        eprintln!("bench: versioned bucket");
        rows.push(self.row(
            "versioned",
            "rm-s3",
            3 * n,
            self.rm_s3_run(&direct, &versioned[0], None),
        ));
        rows.push(self.row(
            "versioned",
            "boto3 reference",
            3 * n,
            self.reference(&direct, &versioned[1]),
        ));
        let cli = self.aws_cli(&direct, &cli_versioned);
        rows.push(Row {
            case: "versioned".into(),
            client: "aws s3 rb --force".into(),
            entries: 3 * CLI_VERSIONED_KEYS,
            result: Err(cli_versioned_verdict(&cli)),
        });
        // Clean up after aws-cli with the tool that can.
        let _ = self.rm_s3_run(&direct, &cli_versioned, None);

        eprintln!("bench: through the proxy, {LATENCY} per request");
        let proxy = ProxyProcess::start(&self.proxy, &self.endpoint)?;
        let net = proxy.endpoint.clone();
        let case = format!("plain, +{LATENCY}");
        rows.push(self.row(&case, "rm-s3", n, self.rm_s3_run(&net, &plain[3], None)));
        rows.push(self.row(&case, "boto3 reference", n, self.reference(&net, &plain[4])));
        rows.push(self.row(&case, "aws s3 rb --force", n, self.aws_cli(&net, &plain[5])));
        let case = format!("versioned, +{LATENCY}");
        rows.push(self.row(
            &case,
            "rm-s3",
            3 * n,
            self.rm_s3_run(&net, &versioned[2], None),
        ));
        rows.push(self.row(
            &case,
            "boto3 reference",
            3 * n,
            self.reference(&net, &versioned[3]),
        ));
        drop(proxy);

        eprintln!("bench: memory at {n} and {} objects", 4 * n);
        let at_n = self.rm_s3_run(&direct, &plain[6], None);
        let at_4n = self.rm_s3_run(&direct, &big, None);

        self.print_heading();
        print_table(&rows);
        println!();
        print_memory(n, &at_n, &at_4n);
        println!();
        print_targets(&rows, &at_n, &at_4n);
        Ok(())
    }

    /// rm-s3 alone at several `--concurrency` values, through the proxy.
    fn run_sweep(&self) -> anyhow::Result<()> {
        let n = self.objects;
        let plain: Vec<String> = SWEEP
            .iter()
            .map(|c| self.bucket(&format!("sweep-plain-c{c}")))
            .collect();
        let versioned: Vec<String> = SWEEP
            .iter()
            .map(|c| self.bucket(&format!("sweep-versioned-c{c}")))
            .collect();
        eprintln!(
            "bench: seeding {} plain buckets of {n} objects and {} versioned",
            plain.len(),
            versioned.len()
        );
        self.seed(&plain, n, false)?;
        self.seed(&versioned, n, true)?;
        let proxy = ProxyProcess::start(&self.proxy, &self.endpoint)?;
        let net = proxy.endpoint.clone();
        let mut rows = Vec::new();
        for ((concurrency, plain), versioned) in SWEEP.iter().zip(&plain).zip(&versioned) {
            eprintln!("bench: --concurrency {concurrency}");
            let client = format!("rm-s3 --concurrency {concurrency}");
            rows.push(self.row(
                &format!("plain, +{LATENCY}"),
                &client,
                n,
                self.rm_s3_run(&net, plain, Some(*concurrency)),
            ));
            rows.push(self.row(
                &format!("versioned, +{LATENCY}"),
                &client,
                3 * n,
                self.rm_s3_run(&net, versioned, Some(*concurrency)),
            ));
        }
        drop(proxy);
        self.print_heading();
        print_table(&rows);
        Ok(())
    }

    fn print_heading(&self) {
        println!();
        println!(
            "rm-s3 bench: {} objects per bucket, emulator {} ({}), rm-s3 --concurrency {} (default)",
            self.objects,
            self.endpoint,
            if self.own_emulator.is_some() {
                "the bench's own"
            } else {
                "shared"
            },
            default_concurrency(self.sh, &self.rm_s3)
        );
        println!(
            "machine: {} cores; load average (1, 5, 15 min) at the start {}, at the end {}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            self.load_at_start,
            load_average()
        );
        println!();
    }

    fn row(
        &self,
        case: &str,
        client: &str,
        entries: usize,
        result: anyhow::Result<Measured>,
    ) -> Row {
        let result = match result {
            Ok(m) if m.exit == 0 => Ok(m),
            Ok(m) => Err(format!("exit {}: {}", m.exit, last_line(&m.stderr))),
            Err(e) => Err(format!("{e:#}")),
        };
        if let Err(error) = &result {
            eprintln!("bench: {case} / {client}: {error}");
        }
        Row {
            case: case.to_string(),
            client: client.to_string(),
            entries,
            result,
        }
    }

    fn seed(&self, buckets: &[String], objects: usize, versioned: bool) -> anyhow::Result<()> {
        let python = &self.python;
        let endpoint = &self.endpoint;
        let objects = objects.to_string();
        let flag = versioned.then_some("--versioned");
        cmd!(self.sh, "{python} scripts/bench/seed_s3.py --endpoint {endpoint} --objects {objects} {flag...} {buckets...}")
            .run()
            .context("seeding buckets (scripts/bench/seed_s3.py)")
    }

    /// Runs `program args` under measure.py with dummy credentials.
    fn measure(&self, label: &str, program: &Path, args: &[String]) -> anyhow::Result<Measured> {
        let python = &self.python;
        let stdout = self.out.join(format!("{label}.stdout"));
        let stderr = self.out.join(format!("{label}.stderr"));
        let server = self
            .server_pid
            .iter()
            .flat_map(|pid| ["--server-pid".to_string(), pid.to_string()]);
        let line = local_env::apply_xshell(cmd!(
            self.sh,
            "{python} scripts/bench/measure.py --stdout {stdout} --stderr {stderr} {server...} -- {program} {args...}"
        ))
        .read()
        .with_context(|| format!("running {label}"))?;
        Ok(Measured {
            seconds: json_number(&line, "seconds").context("measure.py: no seconds")?,
            exit: json_number(&line, "exit").context("measure.py: no exit")? as i32,
            max_rss_kib: json_number(&line, "max_rss_kib").context("measure.py: no max_rss_kib")?
                as u64,
            server_cpu: json_number(&line, "server_cpu_seconds").unwrap_or(0.0),
            stderr: self.sh.read_file(&stderr).unwrap_or_default(),
        })
    }

    fn rm_s3_run(
        &self,
        endpoint: &str,
        bucket: &str,
        concurrency: Option<usize>,
    ) -> anyhow::Result<Measured> {
        let mut args: Vec<String> = [
            "--bucket",
            bucket,
            "--yes",
            "--no-progress",
            "--endpoint-url",
            endpoint,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(c) = concurrency {
            args.extend(["--concurrency".to_string(), c.to_string()]);
        }
        self.measure(bucket, &self.rm_s3.clone(), &args)
    }

    fn reference(&self, endpoint: &str, bucket: &str) -> anyhow::Result<Measured> {
        let args = [
            "scripts/bench/boto3_reference.py".to_string(),
            "--endpoint".to_string(),
            endpoint.to_string(),
            bucket.to_string(),
        ];
        self.measure(bucket, &self.python.clone(), &args)
    }

    fn aws_cli(&self, endpoint: &str, bucket: &str) -> anyhow::Result<Measured> {
        let args = [
            "s3".to_string(),
            "rb".to_string(),
            format!("s3://{bucket}"),
            "--force".to_string(),
            "--endpoint-url".to_string(),
            endpoint.to_string(),
        ];
        self.measure(bucket, &self.aws.clone(), &args)
    }
}

/// aws-cli from PyPI, in its own virtualenv under target/bench/ (installed on first use);
/// returns the path of its `aws` command. The workshop bench uses it too.
pub(crate) fn awscli(sh: &Shell) -> anyhow::Result<PathBuf> {
    let out = sh.current_dir().join("target/bench");
    sh.create_dir(&out)?;
    let venv = out.join("venv");
    let aws = venv.join("bin/aws");
    let marker = venv.join(format!(".awscli-{AWSCLI_VERSION}"));
    if !marker.exists() {
        eprintln!(
            "bench: installing awscli=={AWSCLI_VERSION} into {}",
            venv.display()
        );
        cmd!(sh, "python3 -m venv {venv}")
            .run()
            .context("creating the aws-cli virtualenv (is python3-venv installed?)")?;
        let pip = venv.join("bin/pip");
        let spec = format!("awscli=={AWSCLI_VERSION}");
        cmd!(
            sh,
            "{pip} install --quiet --disable-pip-version-check {spec}"
        )
        .run()
        .context("installing aws-cli from PyPI")?;
        sh.write_file(&marker, "")?;
    }
    Ok(aws)
}

/// What `aws s3 rb --force` did to a versioned bucket: it deletes current objects only (adding
/// delete markers), so the bucket stays non-empty and `rb` fails.
fn cli_versioned_verdict(run: &anyhow::Result<Measured>) -> String {
    match run {
        Ok(m) if m.exit != 0 && m.stderr.contains("BucketNotEmpty") => {
            "cannot empty it: rb fails with BucketNotEmpty, every version left behind".to_string()
        }
        Ok(m) if m.exit != 0 => format!("fails (exit {}): {}", m.exit, last_line(&m.stderr)),
        Ok(_) => "deleted it (unexpected)".to_string(),
        Err(e) => format!("could not run: {e:#}"),
    }
}

/// The machine's load averages, from /proc/loadavg ("1.02 0.87 0.66").
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_string())
}

/// The bench's own moto server (started here, from the shared emulator's virtualenv, on a free
/// port; stopped by its own pid when dropped).
struct OwnEmulator {
    child: Child,
    endpoint: String,
}

impl OwnEmulator {
    fn start(root: &Path) -> anyhow::Result<OwnEmulator> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("finding a free port")?
            .port();
        let binary = root.join("target/emulator/venv/bin/moto_server");
        let mut child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                bail!("the bench's emulator exited at start ({status})");
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the bench's emulator did not listen within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(OwnEmulator {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        })
    }
}

impl Drop for OwnEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running aws-proxy (ours: started here, stopped by its own pid when dropped).
struct ProxyProcess {
    child: Child,
    endpoint: String,
}

impl ProxyProcess {
    fn start(binary: &Path, upstream: &str) -> anyhow::Result<ProxyProcess> {
        let mut child = Command::new(binary)
            .args([
                "--upstream",
                upstream,
                "--profile",
                "passthrough",
                "--latency",
                LATENCY,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("the proxy's stdout")?;
        let mut endpoint = String::new();
        BufReader::new(stdout)
            .read_line(&mut endpoint)
            .context("reading the proxy's endpoint")?;
        let endpoint = endpoint.trim().to_string();
        if !endpoint.starts_with("http://") {
            let _ = child.kill();
            bail!("aws-proxy did not print its endpoint (got {endpoint:?})");
        }
        Ok(ProxyProcess { child, endpoint })
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "| {:<18} | {:<24} | {:>7} | {:>7} | {:>9} | {:>12} | {:>13} | {:>14} | {:>15} |",
        "case",
        "client",
        "entries",
        "seconds",
        "entries/s",
        "rm-s3 is",
        "delete phase",
        "emulator CPU s",
        "beyond emulator"
    );
    println!(
        "|{:-<20}|{:-<26}|{:->9}|{:->9}|{:->11}|{:->14}|{:->15}|{:->16}|{:->17}|",
        "", "", "", "", "", "", "", "", ""
    );
    for row in rows {
        match &row.result {
            Ok(m) => {
                let speedup = rm_s3_seconds(rows, &row.case)
                    .filter(|_| !row.client.starts_with("rm-s3"))
                    .map(|rm| format!("{:.1}x faster", m.seconds / rm))
                    .unwrap_or_else(|| "-".to_string());
                let phase = delete_phase(&m.stderr)
                    .map(|s| format!("{s:.2} s"))
                    .unwrap_or_else(|| "-".to_string());
                println!(
                    "| {:<18} | {:<24} | {:>7} | {:>7.2} | {:>9.0} | {:>12} | {:>13} | {:>14.2} | {:>13.2} s |",
                    row.case,
                    row.client,
                    row.entries,
                    m.seconds,
                    row.entries as f64 / m.seconds,
                    speedup,
                    phase,
                    m.server_cpu,
                    (m.seconds - m.server_cpu).max(0.0)
                );
            }
            Err(why) => println!(
                "| {:<18} | {:<24} | {:>7} | {why} |",
                row.case, row.client, row.entries
            ),
        }
    }
    println!(
        "(delete phase: rm-s3's own figure for emptying and deleting, after its plan; emulator CPU: \
         what moto spent meanwhile, a floor for any client's time since moto works on one core; \
         beyond emulator: seconds minus emulator CPU, the time the client itself adds: start-up, \
         round trips and latency not overlapped, its own CPU)"
    );
}

fn print_memory(n: usize, at_n: &anyhow::Result<Measured>, at_4n: &anyhow::Result<Measured>) {
    match (at_n, at_4n) {
        (Ok(a), Ok(b)) if a.exit == 0 && b.exit == 0 => {
            let growth =
                (b.max_rss_kib as f64 - a.max_rss_kib as f64) / a.max_rss_kib as f64 * 100.0;
            println!(
                "rm-s3 peak memory (RSS): {:.1} MiB at {n} objects, {:.1} MiB at {} objects ({growth:+.0}%)",
                a.max_rss_kib as f64 / 1024.0,
                b.max_rss_kib as f64 / 1024.0,
                4 * n
            );
        }
        _ => println!("rm-s3 peak memory: a run failed ({at_n:?} / {at_4n:?})"),
    }
}

fn print_targets(rows: &[Row], at_n: &anyhow::Result<Measured>, at_4n: &anyhow::Result<Measured>) {
    let ratio = |case: &str, client: &str| -> Option<f64> {
        let rm = rm_s3_seconds(rows, case)?;
        let other = rows
            .iter()
            .find(|r| r.case == case && r.client == client)?
            .result
            .as_ref()
            .ok()?;
        Some(other.seconds / rm)
    };
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!("targets:");
    if let Some(r) = ratio("plain", "aws s3 rb --force") {
        println!(
            "  >= 8x faster than aws s3 rb --force (plain): {r:.1}x, {}",
            verdict(r >= 8.0)
        );
    }
    for case in ["plain", "versioned"] {
        if let Some(r) = ratio(case, "boto3 reference") {
            println!(
                "  never slower than the boto3 reference ({case}): {r:.2}x, {}",
                verdict(r >= 1.0)
            );
        }
    }
    for case in [
        format!("plain, +{LATENCY}"),
        format!("versioned, +{LATENCY}"),
    ] {
        if let Some(r) = ratio(&case, "boto3 reference") {
            println!(
                "  >= 4x faster than the boto3 reference ({case}): {r:.2}x, {}",
                verdict(r >= 4.0)
            );
        }
    }
    if let (Ok(a), Ok(b)) = (at_n, at_4n) {
        let growth = (b.max_rss_kib as f64 - a.max_rss_kib as f64) / a.max_rss_kib as f64;
        println!(
            "  memory flat, < 20% growth from N to 4N: {:+.0}%, {}",
            growth * 100.0,
            verdict(growth < 0.2)
        );
    }
}

fn rm_s3_seconds(rows: &[Row], case: &str) -> Option<f64> {
    rows.iter()
        .find(|r| r.case == case && r.client == "rm-s3")
        .and_then(|r| r.result.as_ref().ok())
        .map(|m| m.seconds)
}

/// The seconds rm-s3 reports for its delete phase ("... deleted in 1.2 s (...)"), summed.
fn delete_phase(stderr: &str) -> Option<f64> {
    let seconds: Vec<f64> = stderr
        .lines()
        .filter_map(|line| line.split(" deleted in ").nth(1))
        .filter_map(|rest| rest.split(" s").next()?.trim().parse().ok())
        .collect();
    (!seconds.is_empty()).then(|| seconds.iter().sum())
}

/// `"key": 12.5` from measure.py's one-line JSON (a flat object of numbers).
fn json_number(line: &str, key: &str) -> Option<f64> {
    let rest = line.split(&format!("\"{key}\":")).nth(1)?;
    let number: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+'))
        .collect();
    number.parse().ok()
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// rm-s3's default `--concurrency`, from its `--help` ("[default: 8]").
fn default_concurrency(sh: &Shell, rm_s3: &Path) -> String {
    let help = cmd!(sh, "{rm_s3} --help").read().unwrap_or_default();
    help.split("--concurrency")
        .nth(1)
        .and_then(|rest| rest.split("[default: ").nth(1))
        .and_then(|rest| rest.split(']').next())
        .unwrap_or("?")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_measure_output() {
        let line = r#"{"seconds": 1.25, "exit": 0, "max_rss_kib": 14336}"#;
        assert_eq!(json_number(line, "seconds"), Some(1.25));
        assert_eq!(json_number(line, "exit"), Some(0.0));
        assert_eq!(json_number(line, "max_rss_kib"), Some(14336.0));
    }

    #[test]
    fn reads_rm_s3_delete_phase() {
        let stderr = " INFO bucket b: 2000 object(s) and version(s) deleted in 1.5 s (1333/s)\n";
        assert_eq!(delete_phase(stderr), Some(1.5));
        assert_eq!(delete_phase("nothing"), None);
    }
}
