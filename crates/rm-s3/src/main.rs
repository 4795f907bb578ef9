//! rm-s3: step 3 of the EasyShop teardown, "Delete S3 Buckets".

use std::process::ExitCode;

use clap::Parser;
use common::exit::EXIT_CODES_HELP;
use common::{AwsArgs, MatchArgs};
use rm_s3::{DEFAULT_CONCURRENCY, MAX_CONCURRENCY, Options, S3Step, Strategy};

/// Step 3/7 of the EasyShop teardown: empty and delete S3 buckets (upload-originals-fcj,
/// resized-image-fcj, the frontend bucket, ...).
///
/// Shows each selected bucket (region, versioning, Object Lock, policy, website, objects,
/// versions, delete markers, size, incomplete uploads), asks once, then deletes every object
/// version, delete marker and incomplete upload in batches of 1000 and deletes the bucket.
/// Buckets that are not named or matched are never touched.
#[derive(Parser, Debug)]
#[command(name = "rm-s3", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// Bucket to delete, by exact name (repeatable), e.g. --bucket upload-originals-fcj
    #[arg(long = "bucket", value_name = "NAME")]
    buckets: Vec<String>,

    /// Remove Object Lock legal holds and bypass governance-mode retention (compliance-mode
    /// retention can never be bypassed)
    #[arg(long)]
    bypass_governance: bool,

    /// How to empty the buckets: delete (list and delete from here) or lifecycle (let S3
    /// expire everything, for buckets too big to delete from one machine; run again later)
    #[arg(long, value_enum, default_value_t = Strategy::Delete, value_name = "STRATEGY")]
    strategy: Strategy,

    /// DeleteObjects requests (1000 keys each) in flight at once
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY as u16,
          value_parser = clap::value_parser!(u16).range(1..=MAX_CONCURRENCY as i64))]
    concurrency: u16,

    #[command(flatten)]
    matching: MatchArgs,

    #[command(flatten)]
    aws: AwsArgs,
}

fn main() -> ExitCode {
    let cli: Cli = common::cli::parse();
    common::run(&cli.aws, env!("CARGO_CRATE_NAME"), || {
        S3Step::new(
            &cli.buckets,
            &cli.matching,
            Options {
                bypass_governance: cli.bypass_governance,
                strategy: cli.strategy,
                concurrency: usize::from(cli.concurrency),
            },
        )
    })
}
