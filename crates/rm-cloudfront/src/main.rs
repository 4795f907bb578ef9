//! rm-cloudfront: step 6 of the EasyShop teardown, "Delete Amazon CloudFront (if used)".

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use common::exit::EXIT_CODES_HELP;
use common::{AwsArgs, MatchArgs};
use rm_cloudfront::{CloudFrontStep, DEFAULT_POLL_INTERVAL, Options, UnusedAccess, parse_duration};

/// Step 6/7 of the EasyShop teardown: disable, then delete CloudFront distributions.
///
/// Shows each selected distribution (domain, aliases, comment, state, origins, origin access),
/// asks once, disables the enabled ones, waits until CloudFront has deployed that (5 to 40
/// minutes), and deletes them. Origin access controls and identities that only the deleted
/// distributions used go too. `--match GLOB` is matched against each distribution's comment and
/// aliases. Distributions that are not selected are never touched.
#[derive(Parser, Debug)]
#[command(name = "rm-cloudfront", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// Distribution to delete, by id (repeatable), e.g. --distribution E2QWRUHAPOMQZL
    #[arg(long = "distribution", value_name = "ID")]
    distributions: Vec<String>,

    /// Also select every distribution with an origin in this S3 bucket (repeatable), e.g. --origin-bucket easyshop-frontend
    #[arg(long = "origin-bucket", value_name = "NAME")]
    origin_buckets: Vec<String>,

    /// Also select the origin access controls and identities that no distribution uses and that
    /// were made for this S3 bucket (repeatable): an OAC named after the bucket's S3 domain, as
    /// the console names it (NAME.s3.REGION.amazonaws.com), an OAI with the console's comment
    /// access-identity-NAME.s3.amazonaws.com. For leftovers of distributions already deleted
    #[arg(
        long = "unused-origin-access-for-bucket",
        value_name = "NAME",
        help_heading = "Leftover origin access"
    )]
    unused_for_buckets: Vec<String>,

    /// Also select this origin access control (by exact name) or identity (by id), if no
    /// distribution uses it (repeatable)
    #[arg(
        long = "unused-origin-access",
        value_name = "NAME|ID",
        help_heading = "Leftover origin access"
    )]
    unused_names: Vec<String>,

    #[command(flatten)]
    matching: MatchArgs,

    /// Disable the distributions and stop: no wait, no delete (a head start for a later run)
    #[arg(long, conflicts_with = "no_wait", help_heading = "Disable and wait")]
    disable_only: bool,

    /// Disable, but do not wait for the change to deploy: those distributions are reported as
    /// pending (exit 1); run the same command again later to delete them
    #[arg(long, help_heading = "Disable and wait")]
    no_wait: bool,

    /// Longest wait for disabled distributions to deploy, e.g. 45m, 1h30m; then they are reported as pending
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "45m",
        value_parser = parse_duration,
        help_heading = "Disable and wait"
    )]
    max_wait: Duration,

    /// Time between two status reads while waiting (for tests)
    #[arg(
        long,
        hide = true,
        env = "RM_CLOUDFRONT_POLL_INTERVAL",
        value_name = "DURATION",
        value_parser = parse_duration
    )]
    poll_interval: Option<Duration>,

    #[command(flatten)]
    aws: AwsArgs,
}

fn main() -> ExitCode {
    let cli: Cli = common::cli::parse();
    common::run(&cli.aws, env!("CARGO_CRATE_NAME"), || {
        CloudFrontStep::new(
            &cli.distributions,
            &cli.origin_buckets,
            &UnusedAccess {
                buckets: cli.unused_for_buckets.clone(),
                names: cli.unused_names.clone(),
            },
            &cli.matching,
            Options {
                disable_only: cli.disable_only,
                no_wait: cli.no_wait,
                max_wait: cli.max_wait,
                poll_interval: cli.poll_interval.unwrap_or(DEFAULT_POLL_INTERVAL),
            },
        )
    })
}
