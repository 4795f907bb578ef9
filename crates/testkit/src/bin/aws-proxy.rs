//! `aws-proxy`: the real-AWS behaviour proxy as a program, for scripts and manual runs.
//!
//! Prints its endpoint on the first line of stdout, then serves until interrupted. The log is
//! at `GET <endpoint>/_proxy/log`.
//!
//!   aws-proxy --upstream http://127.0.0.1:5000 --profile aws --fault-rate 0.2 --seed 7

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use testkit::proxy::{FaultConfig, FaultKind, Proxy, ProxyConfig, Rule};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Profile {
    /// Every realism rule on, AWS-like timings.
    Aws,
    /// No rules: record only (faults and latency still apply when asked for).
    Passthrough,
}

/// An HTTP proxy in front of moto that behaves like real AWS, injects faults and records calls.
#[derive(Debug, Parser)]
#[command(name = "aws-proxy", version)]
struct Args {
    /// The emulator's endpoint.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    upstream: String,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[arg(long, value_enum, default_value_t = Profile::Aws)]
    profile: Profile,
    /// Turn a rule off (repeatable): cloudfront-not-disabled, cloudfront-deploy,
    /// cloudfront-if-match, cloudfront-deployed-not-disabled, cloudfront-origin-access,
    /// cloudfront-lambda-associations, cognito-domain, cognito-deletion-protection,
    /// cognito-update-verification, cognito-identity-pool-roles, iam-delete-conflict,
    /// iam-eventual-consistency, iam-service-linked-role, iam-entities-boundary,
    /// rest-api-delete-rate, dynamodb-creating, dynamodb-deleting, lambda-edge-replica,
    /// s3-region-redirect, s3-location-denied, s3-delete-objects-errors, missing-not-found.
    #[arg(long = "disable-rule", value_name = "RULE")]
    disable_rules: Vec<Rule>,
    /// Turn a rule on (repeatable), e.g. on top of the passthrough profile.
    #[arg(long = "enable-rule", value_name = "RULE")]
    enable_rules: Vec<Rule>,
    /// How long a distribution reads InProgress after UpdateDistribution.
    #[arg(long, value_parser = humantime::parse_duration)]
    cloudfront_deploy_time: Option<Duration>,
    /// How long DeleteDistribution still answers DistributionNotDisabled after a disabled
    /// distribution first reads Deployed (0s turns it off).
    #[arg(long, value_parser = humantime::parse_duration)]
    cloudfront_settle_time: Option<Duration>,
    /// Minimum time between two DeleteRestApi calls.
    #[arg(long, value_parser = humantime::parse_duration)]
    rest_api_delete_window: Option<Duration>,
    /// How long a new DynamoDB table reads CREATING.
    #[arg(long, value_parser = humantime::parse_duration)]
    dynamodb_creating_time: Option<Duration>,
    /// How long a deleted DynamoDB table reads DELETING.
    #[arg(long, value_parser = humantime::parse_duration)]
    dynamodb_deleting_time: Option<Duration>,
    /// How long a Lambda@Edge replica refuses deletion after the first refusal.
    #[arg(long, value_parser = humantime::parse_duration)]
    edge_replica_time: Option<Duration>,
    /// How long after a detach IAM DeleteRole / DeletePolicy still answer DeleteConflict
    /// (0s turns it off).
    #[arg(long, value_parser = humantime::parse_duration)]
    iam_consistency_window: Option<Duration>,
    /// Probability (0.0 to 1.0) that a request gets a fault.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Seed of the fault RNG (default: from the clock; printed to stderr for replay).
    #[arg(long)]
    seed: Option<u64>,
    /// Fault kinds to draw from (comma-separated): throttle, 500, 503, drop-before, drop-after.
    #[arg(long, value_delimiter = ',')]
    fault_kinds: Vec<FaultKind>,
    /// Only mutating operations get faults.
    #[arg(long)]
    fault_only_mutating: bool,
    /// Only these operations get faults (comma-separated; `DeleteTable` or `dynamodb:DeleteTable`).
    #[arg(long, value_delimiter = ',')]
    fault_operations: Vec<String>,
    /// Only these services get faults (comma-separated signing names).
    #[arg(long, value_delimiter = ',')]
    fault_services: Vec<String>,
    /// Latency added to every request (e.g. 50ms).
    #[arg(long, value_parser = humantime::parse_duration)]
    latency: Option<Duration>,
    /// Latency for one service or operation (repeatable): KEY=DURATION, e.g. s3=20ms or
    /// dynamodb:DeleteTable=1s.
    #[arg(long, value_name = "KEY=DURATION", value_parser = parse_keyed_latency)]
    latency_for: Vec<(String, Duration)>,
    /// Print every record to stderr as a JSON line.
    #[arg(short, long)]
    verbose: bool,
}

fn parse_keyed_latency(s: &str) -> Result<(String, Duration), String> {
    let (key, duration) = s
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=DURATION, got {s:?}"))?;
    let duration = humantime::parse_duration(duration).map_err(|e| format!("{duration:?}: {e}"))?;
    Ok((key.to_owned(), duration))
}

impl Args {
    /// The validated proxy configuration.
    fn config(self) -> anyhow::Result<(ProxyConfig, Option<u64>)> {
        let mut config = match self.profile {
            Profile::Aws => ProxyConfig::aws(self.upstream),
            Profile::Passthrough => ProxyConfig::passthrough(self.upstream),
        }
        .port(self.port);
        for rule in self.enable_rules {
            config = config.enable(rule);
        }
        for rule in self.disable_rules {
            config = config.disable(rule);
        }
        if let Some(time) = self.cloudfront_deploy_time {
            config = config.cloudfront_deploy_time(time);
        }
        if let Some(time) = self.cloudfront_settle_time {
            config = config.cloudfront_settle_time(time);
        }
        if let Some(window) = self.rest_api_delete_window {
            config = config.rest_api_delete_window(window);
        }
        if let Some(time) = self.dynamodb_creating_time {
            config = config.dynamodb_creating_time(time);
        }
        if let Some(time) = self.dynamodb_deleting_time {
            config = config.dynamodb_deleting_time(time);
        }
        if let Some(time) = self.edge_replica_time {
            config = config.edge_replica_time(time);
        }
        if let Some(window) = self.iam_consistency_window {
            config = config.iam_consistency_window(window);
        }
        if let Some(latency) = self.latency {
            config = config.latency(latency);
        }
        for (key, latency) in self.latency_for {
            config = config.latency_for(key, latency);
        }
        if !(0.0..=1.0).contains(&self.fault_rate) {
            anyhow::bail!(
                "--fault-rate must be between 0.0 and 1.0, got {}",
                self.fault_rate
            );
        }
        let mut seed_used = None;
        if self.fault_rate > 0.0 {
            let seed = self.seed.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
            });
            seed_used = Some(seed);
            let mut faults = FaultConfig::new(seed, self.fault_rate)
                .services(self.fault_services)
                .operations(self.fault_operations);
            if !self.fault_kinds.is_empty() {
                faults = faults.kinds(self.fault_kinds);
            }
            if self.fault_only_mutating {
                faults = faults.only_mutating();
            }
            config = config.faults(faults);
        }
        Ok((config, seed_used))
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let verbose = args.verbose;
    let (config, seed) = args.config()?;
    let proxy = if verbose {
        Proxy::start_echoing(config)
    } else {
        Proxy::start(config)
    }?;

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", proxy.endpoint()).context("writing the endpoint to stdout")?;
    stdout.flush().context("flushing stdout")?;
    drop(stdout);
    if let Some(seed) = seed {
        eprintln!("aws-proxy: fault seed {seed}");
    }
    eprintln!(
        "aws-proxy: serving on {} (log: {}/_proxy/log)",
        proxy.endpoint(),
        proxy.endpoint()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting a runtime to wait for signals")?;
    runtime.block_on(wait_for_stop())?;
    eprintln!("aws-proxy: stopping after {} requests", proxy.log().len());
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
async fn wait_for_stop() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("listening for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("listening for Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("listening for Ctrl-C")?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("aws-proxy: {err:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_help_names_every_rule() {
        let help = Args::command().render_long_help().to_string();
        // clap wraps the list; compare without line breaks and indentation.
        let help: String = help.split_whitespace().collect::<Vec<_>>().join(" ");
        for rule in Rule::ALL {
            assert!(
                help.contains(rule.name()),
                "--disable-rule help lacks {rule}"
            );
        }
    }

    #[test]
    fn the_settle_time_reaches_the_config() {
        let args = Args::parse_from([
            "aws-proxy",
            "--upstream",
            "http://127.0.0.1:9",
            "--cloudfront-settle-time",
            "0s",
            "--disable-rule",
            "cloudfront-origin-access",
        ]);
        let (config, _) = args.config().expect("valid");
        assert!(!config.is_enabled(Rule::CloudFrontOriginAccess));
        assert!(config.is_enabled(Rule::CloudFrontLambdaAssociations));
        assert!(config.is_enabled(Rule::DistributionNotDisabled));
    }
}
