//! rm-apigateway: step 4 of the EasyShop teardown, "Delete Amazon API Gateway".

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use common::exit::EXIT_CODES_HELP;
use common::{AwsArgs, MatchArgs};
use rm_apigateway::{ApiGatewayStep, Options};

/// Step 4/7 of the EasyShop teardown: delete API Gateway APIs (easyshop-api, ...).
///
/// Shows each selected API (id, created date, stages, custom-domain mappings, usage plans and
/// API keys that reference it), asks once, then removes the mappings, takes its stages out of
/// usage plans (deleting plans left empty, with API keys nothing else uses), and deletes the
/// API. DeleteRestApi is limited by AWS to one call per 30 seconds per account: the deletes are
/// paced, and the wait is shown. APIs that are not named or matched are never touched.
#[derive(Parser, Debug)]
#[command(name = "rm-apigateway", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// REST API (v1) to delete, by exact name or id (repeatable), e.g. --rest-api easyshop-api;
    /// a name selects every REST API with that name
    #[arg(long = "rest-api", value_name = "NAME|ID")]
    rest_apis: Vec<String>,

    /// HTTP or WebSocket API (v2) to delete, by exact name or id (repeatable)
    #[arg(long = "http-api", value_name = "NAME|ID")]
    http_apis: Vec<String>,

    #[command(flatten)]
    matching: MatchArgs,

    /// Longest wait for one REST API deletion while AWS answers TooManyRequestsException
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10m",
        value_parser = humantime::parse_duration,
        env = "RM_APIGATEWAY_MAX_RATE_WAIT",
        hide = true
    )]
    max_rate_wait: Duration,

    #[command(flatten)]
    aws: AwsArgs,
}

fn main() -> ExitCode {
    let cli: Cli = common::cli::parse();
    common::run(&cli.aws, env!("CARGO_CRATE_NAME"), || {
        ApiGatewayStep::new(
            &cli.rest_apis,
            &cli.http_apis,
            &cli.matching,
            Options {
                max_rate_wait: cli.max_rate_wait,
            },
        )
    })
}
