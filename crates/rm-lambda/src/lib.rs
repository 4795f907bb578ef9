//! Step 2: delete Lambda functions, their event source mappings and their log groups.
//!
//! `discover` turns the selection into a plan: the event source mappings of the selected
//! functions first, then the functions, then their log groups (in the order they are deleted).
//! `delete` carries it out. AWS-NOTES.md ("Lambda") lists the quirks handled here: event source
//! mappings and log groups outlive the function, ResourceConflictException while an update is in
//! progress, and Lambda@Edge functions that cannot be deleted until CloudFront has removed their
//! replicas. The execution roles are left for step 7 and listed as left behind.

mod arn;
mod delete;
mod discover;

use aws_sdk_cloudfront::Client as CloudFrontClient;
use aws_sdk_cloudwatchlogs::Client as LogsClient;
use aws_sdk_lambda::Client as LambdaClient;
use common::names::NameRule;
use common::{ApplyContext, MatchArgs, Plan, Selection, Session, Step};

/// Kinds of resource in this step's plan.
pub const FUNCTION: &str = "function";
pub const EVENT_SOURCE_MAPPING: &str = "event source mapping";
pub const LOG_GROUP: &str = "log group";
/// Left behind for step 7.
pub const ROLE: &str = "role";

/// Detail keys that `delete` reads back from the plan.
pub(crate) const DETAIL_FUNCTION: &str = "function";
pub(crate) const DETAIL_USED_BY: &str = "used by";
pub(crate) const DETAIL_STATE: &str = "state";

/// Lambda's function naming rule (the name, not an ARN): 1 to 64 letters, digits, '-' and '_'.
pub const FUNCTION_NAME: NameRule = NameRule {
    what: "function",
    min_len: 1,
    max_len: 64,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'),
    allowed_text: "letters, digits, '-' and '_'",
};

/// Opt-in behaviour.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Keep the functions' log groups (listed as left behind).
    pub keep_logs: bool,
}

/// Step 2 of the chapter.
#[derive(Clone, Debug)]
pub struct LambdaStep {
    selection: Selection,
    options: Options,
}

impl LambdaStep {
    /// Validates the selection; bad names and patterns are bad input.
    pub fn new(
        functions: &[String],
        matching: &MatchArgs,
        options: Options,
    ) -> anyhow::Result<Self> {
        // An ARN is what the console copies; say what to give instead of "':' is not allowed".
        if let Some(arn) = functions.iter().find(|f| f.starts_with("arn:")) {
            let hint = arn::function_name(arn).unwrap_or("create-product");
            return Err(common::bad_input(format!(
                "invalid function name {}: give the function's name (--function {hint}), not its ARN",
                common::names::shorten(arn)
            )));
        }
        let selection = Selection::new("--function", functions, matching, &FUNCTION_NAME)?;
        Ok(LambdaStep { selection, options })
    }
}

/// The clients this step talks through.
pub(crate) struct Clients {
    pub lambda: LambdaClient,
    pub logs: LogsClient,
    /// CloudFront is global: its client always talks to us-east-1.
    pub cloudfront: CloudFrontClient,
    pub region: String,
}

impl Clients {
    fn new(session: &Session) -> Clients {
        Clients {
            lambda: LambdaClient::new(&session.config),
            logs: LogsClient::new(&session.config),
            cloudfront: CloudFrontClient::new(&session.config_for_region("us-east-1")),
            region: session.region.clone(),
        }
    }
}

impl Step for LambdaStep {
    const TOOL: &'static str = "rm-lambda";
    const STEP: u8 = 2;
    const TITLE: &'static str = "Delete Lambda Functions";

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        discover::plan(&Clients::new(session), &self.selection, self.options).await
    }

    async fn apply(
        &self,
        session: &Session,
        plan: &mut Plan,
        ctx: &ApplyContext,
    ) -> anyhow::Result<()> {
        delete::apply(&Clients::new(session), plan, ctx).await;
        Ok(())
    }
}
