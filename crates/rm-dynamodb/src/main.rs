//! rm-dynamodb: step 1 of the EasyShop teardown, "Delete DynamoDB Tables".

use std::process::ExitCode;

use clap::Parser;
use common::exit::EXIT_CODES_HELP;
use common::{AwsArgs, MatchArgs};
use rm_dynamodb::{DynamoDbStep, Options};

/// Step 1/7 of the EasyShop teardown: delete DynamoDB tables (Product, Category, ...).
///
/// Shows each selected table (status, items, size, deletion protection, backups), asks once,
/// deletes, and waits until each table is gone. Tables that are not named or matched are never
/// touched.
#[derive(Parser, Debug)]
#[command(name = "rm-dynamodb", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// Table to delete, by exact name (repeatable), e.g. --table Product --table Category
    #[arg(long = "table", value_name = "NAME")]
    tables: Vec<String>,

    #[command(flatten)]
    matching: MatchArgs,

    /// Turn deletion protection off on protected tables, then delete them
    #[arg(long)]
    disable_deletion_protection: bool,

    /// Also delete the on-demand backups of the selected tables (by default they are kept and listed)
    #[arg(long)]
    with_backups: bool,

    #[command(flatten)]
    aws: AwsArgs,
}

fn main() -> ExitCode {
    let cli: Cli = common::cli::parse();
    common::run(&cli.aws, env!("CARGO_CRATE_NAME"), || {
        DynamoDbStep::new(
            &cli.tables,
            &cli.matching,
            Options {
                disable_deletion_protection: cli.disable_deletion_protection,
                with_backups: cli.with_backups,
            },
        )
    })
}
