//! rm-cognito: step 5 of the EasyShop teardown, "Delete Amazon Cognito".

use std::process::ExitCode;

use clap::Parser;
use common::exit::EXIT_CODES_HELP;
use common::{AwsArgs, MatchArgs};
use rm_cognito::{CognitoStep, Options};

/// Step 5/7 of the EasyShop teardown: delete Cognito user pools, app clients and identity pools.
///
/// Shows each selected user pool (id, estimated users, domain, deletion protection, app
/// clients) and identity pool (id, its IAM roles, which are left for step 7), asks once, then
/// deletes: a pool's domain first, then the pool (its app clients go with it).
///
/// Names are not unique in Cognito: a name that several pools share is refused, each pool
/// shown with its id; give the ids of the ones to delete. --match selects every pool whose name
/// matches (user pools and identity pools).
#[derive(Parser, Debug)]
#[command(name = "rm-cognito", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// User pool to delete, by exact name or id (repeatable), e.g. --user-pool easyshop-user-pool
    #[arg(long = "user-pool", value_name = "NAME|ID")]
    user_pools: Vec<String>,

    /// App client to delete on its own (repeatable): CLIENT (name or id) is searched in every
    /// user pool and refused if found in more than one; POOL/CLIENT (pool name or id) looks
    /// only in that pool
    #[arg(long = "app-client", value_name = "[POOL/]CLIENT")]
    app_clients: Vec<String>,

    /// Identity pool to delete, by exact name or id (repeatable), e.g. --identity-pool easyshop_identity_pool
    #[arg(long = "identity-pool", value_name = "NAME|ID")]
    identity_pools: Vec<String>,

    #[command(flatten)]
    matching: MatchArgs,

    /// Turn deletion protection off on protected user pools (keeping every other setting), then delete them
    #[arg(long)]
    disable_deletion_protection: bool,

    #[command(flatten)]
    aws: AwsArgs,
}

fn main() -> ExitCode {
    let cli: Cli = common::cli::parse();
    common::run(&cli.aws, env!("CARGO_CRATE_NAME"), || {
        CognitoStep::new(
            &cli.user_pools,
            &cli.app_clients,
            &cli.identity_pools,
            &cli.matching,
            Options {
                disable_deletion_protection: cli.disable_deletion_protection,
            },
        )
    })
}
