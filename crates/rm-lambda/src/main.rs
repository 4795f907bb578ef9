//! rm-lambda: step 2 of the EasyShop teardown, "Delete Lambda Functions".

use std::process::ExitCode;

use clap::Parser;
use common::exit::EXIT_CODES_HELP;
use common::{AwsArgs, MatchArgs};
use rm_lambda::{LambdaStep, Options};

/// Step 2/7 of the EasyShop teardown: delete Lambda functions (create-product, resize-image, ...).
///
/// Shows each selected function (runtime, last modified, code size, versions and aliases, event
/// source mappings, function URL, log group, Lambda@Edge use), asks once, then deletes its event
/// source mappings, the function with all its versions and aliases, and its log group. The
/// execution roles are left for step 7 (rm-iam) and listed. Functions that are not named or
/// matched are never touched.
#[derive(Parser, Debug)]
#[command(name = "rm-lambda", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// Function to delete, by exact name (repeatable), e.g. --function create-product
    #[arg(long = "function", value_name = "NAME")]
    functions: Vec<String>,

    #[command(flatten)]
    matching: MatchArgs,

    /// Keep the functions' CloudWatch log groups (by default they are deleted with the functions)
    #[arg(long)]
    keep_logs: bool,

    #[command(flatten)]
    aws: AwsArgs,
}

fn main() -> ExitCode {
    let cli: Cli = common::cli::parse();
    common::run(&cli.aws, env!("CARGO_CRATE_NAME"), || {
        LambdaStep::new(
            &cli.functions,
            &cli.matching,
            Options {
                keep_logs: cli.keep_logs,
            },
        )
    })
}
