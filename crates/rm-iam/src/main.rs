//! rm-iam: step 7 of the EasyShop teardown, "Delete IAM Roles and Policies".

use std::process::ExitCode;

use clap::Parser;
use common::exit::EXIT_CODES_HELP;
use common::{AwsArgs, MatchArgs};
use rm_iam::{IamStep, Options, orphans};

/// Step 7/7 of the EasyShop teardown: delete IAM roles (lambda-dynamodb-role, ...) and the
/// customer-managed policies only they used.
///
/// Shows each selected role (path, created, last used, attached and inline policies, instance
/// profiles, permissions boundary), asks once, then for each role: removes it from its instance
/// profiles (deleting the profile made with it), detaches managed policies, deletes inline
/// policies, and deletes the role. Customer-managed policies that only the deleted roles used
/// (such as the console's /service-role/AWSLambdaBasicExecutionRole-<uuid>) are deleted too,
/// old versions first; policies anything else uses, and permissions boundaries, are kept and
/// listed. AWS-managed policies are only detached.
///
/// Never deleted: the role the running credentials belong to, and service-linked roles unless
/// --service-linked. IAM is global: --region does not matter.
#[derive(Parser, Debug)]
#[command(name = "rm-iam", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// Role to delete, by exact name (repeatable), e.g. --role lambda-dynamodb-role
    #[arg(long = "role", value_name = "NAME")]
    roles: Vec<String>,

    /// Customer-managed policy to delete, by name or ARN (repeatable): it is detached from every
    /// role, user and group (and removed where it is a permissions boundary) first
    #[arg(long = "policy", value_name = "NAME|ARN")]
    policies: Vec<String>,

    #[command(flatten)]
    matching: MatchArgs,

    /// Also delete unattached policies under /service-role/ that are only about this function's
    /// log group /aws/lambda/NAME, such as the console's AWSLambdaBasicExecutionRole-<uuid> left
    /// by a role deleted by hand (repeatable)
    #[arg(
        long = "unattached-policies-for-function",
        value_name = "NAME",
        help_heading = "Leftover console policies"
    )]
    orphans_for_functions: Vec<String>,

    /// The same for policies only about this DynamoDB table (repeatable)
    #[arg(
        long = "unattached-policies-for-table",
        value_name = "NAME",
        help_heading = "Leftover console policies"
    )]
    orphans_for_tables: Vec<String>,

    /// The same for policies only about this S3 bucket (repeatable)
    #[arg(
        long = "unattached-policies-for-bucket",
        value_name = "NAME",
        help_heading = "Leftover console policies"
    )]
    orphans_for_buckets: Vec<String>,

    /// Keep the customer-managed policies that only the deleted roles used (listed as left behind)
    #[arg(long)]
    keep_policies: bool,

    /// Also delete service-linked roles (path /aws-service-role/) with DeleteServiceLinkedRole
    #[arg(long)]
    service_linked: bool,

    #[command(flatten)]
    aws: AwsArgs,
}

fn main() -> ExitCode {
    let cli: Cli = common::cli::parse();
    common::run(&cli.aws, env!("CARGO_CRATE_NAME"), || {
        IamStep::with_orphans(
            &cli.roles,
            &cli.policies,
            orphans::Selectors::new(
                &cli.orphans_for_functions,
                &cli.orphans_for_tables,
                &cli.orphans_for_buckets,
            )?,
            &cli.matching,
            Options {
                keep_policies: cli.keep_policies,
                service_linked: cli.service_linked,
            },
        )
    })
}
