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
#[command(
    name = "cargo xtask demo",
    about = "Create the workshop in a local emulator, tear it down, verify"
)]
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
    // The emulator deletes an enabled distribution and finishes every change at once; the
    // proxy makes it refuse and take time like AWS (shortened: seconds, not minutes). The
    // workshop is created through it too: it keeps what moto forgets (which OAC a distribution
    // uses, an identity pool's roles), so the teardown meets them as it would on AWS.
    let proxy = AwsProxy::start(sh, args, endpoint)?;
    println!(
        "demo: creating the EasyShop workshop (and decoys) in the emulator at {endpoint}, through the real-AWS behaviour proxy at {}",
        proxy.endpoint
    );
    seed(sh, &proxy.endpoint, suffix, true, Some(&manifest))?;
    println!(
        "demo: the manifest naming exactly what was created: {}",
        manifest.display()
    );
    println!(
        "demo: the step binaries talk to the emulator through the proxy (a CloudFront change takes {} to deploy here, 5 to 40 minutes on AWS)\n",
        DEMO_DEPLOY_TIME
    );

    let manifest_args = ManifestArgs {
        config: manifest,
        bin_dir: args.bin_dir.clone(),
        debug: args.debug,
        region: None,
        profile: None,
        endpoint_url: Some(proxy.endpoint.clone()),
        expect_account: None,
        child_env: demo_env(),
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
    let verified = verify::run(
        sh,
        VerifyArgs {
            manifest: manifest_args,
        },
    )?;
    let decoys = check_decoys(sh, endpoint, suffix);
    let ok = cleaned == ExitCode::SUCCESS && verified == ExitCode::SUCCESS && decoys.is_ok();
    match &decoys {
        Ok(()) => println!("demo: every decoy is intact"),
        Err(error) => println!("demo: {error:#}"),
    }
    println!(
        "\ndemo: {} (the combined report is in target/demo/report.json)",
        if ok {
            "done: the workshop is gone, the decoys are intact"
        } else {
            "FAILED: see above"
        }
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The step binaries' environment in the demo: dummy credentials that only the emulator accepts
/// (a reader without an account has none, and one with an account must not use theirs here),
/// and faster CloudFront polling: on AWS a deploy takes minutes and a poll every 30 s is plenty;
/// here it takes seconds.
fn demo_env() -> Vec<(String, String)> {
    [
        ("AWS_ACCESS_KEY_ID", "demo"),
        ("AWS_SECRET_ACCESS_KEY", "demo"),
        ("AWS_SESSION_TOKEN", ""),
        ("AWS_PROFILE", ""),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("RM_CLOUDFRONT_POLL_INTERVAL", "1s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// How long a CloudFront change takes to deploy in the demo.
const DEMO_DEPLOY_TIME: &str = "10s";

/// The `aws-proxy` binary (crates/testkit), running in front of the emulator until dropped.
struct AwsProxy {
    child: std::process::Child,
    endpoint: String,
}

impl AwsProxy {
    fn start(sh: &Shell, args: &DemoArgs, upstream: &str) -> anyhow::Result<AwsProxy> {
        let binary = match &args.bin_dir {
            Some(dir) => dir.join("aws-proxy"),
            None => {
                let profile: &[&str] = if args.debug { &[] } else { &["--release"] };
                crate::plain_cargo(cmd!(
                    sh,
                    "cargo build --quiet {profile...} -p testkit --bin aws-proxy"
                ))
                .run()
                .context("building the aws-proxy binary")?;
                sh.current_dir()
                    .join("target")
                    .join(if args.debug { "debug" } else { "release" })
                    .join("aws-proxy")
            }
        };
        let mut child = std::process::Command::new(&binary)
            .args([
                "--upstream",
                upstream,
                "--cloudfront-deploy-time",
                DEMO_DEPLOY_TIME,
            ])
            .args([
                "--rest-api-delete-window",
                "2s",
                "--dynamodb-deleting-time",
                "0s",
            ])
            .args(["--dynamodb-creating-time", "0s"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout from aws-proxy")?;
        let mut first_line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first_line)?;
        let endpoint = first_line.trim().to_string();
        if !endpoint.starts_with("http://") {
            let _ = child.kill();
            anyhow::bail!("aws-proxy did not print its endpoint (got {endpoint:?})");
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
    cmd!(
        sh,
        "{python} scripts/demo/workshop.py --endpoint {endpoint} --suffix={suffix} {extra...}"
    )
    .quiet()
    .ignore_stdout()
    .run()
    .context("creating the workshop in the emulator (scripts/demo/workshop.py)")
}

fn check_decoys(sh: &Shell, endpoint: &str, suffix: &str) -> anyhow::Result<()> {
    let python = emulator::python(sh);
    cmd!(
        sh,
        "{python} scripts/demo/workshop.py --endpoint {endpoint} --suffix={suffix} --check-decoys"
    )
    .quiet()
    .run()
    .context("some decoys were touched")
}
