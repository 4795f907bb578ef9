//! Step 4: delete API Gateway APIs: REST APIs (v1) and HTTP/WebSocket APIs (v2).
//!
//! `discover` turns the selection into a plan, in the order things are deleted: custom-domain
//! mappings that point to the APIs, usage plans that reference their stages (updated, or
//! deleted when left with no stage, with the API keys nothing else uses), then the APIs.
//! `delete` carries it out, pacing DeleteRestApi (`pacing`). AWS-NOTES.md ("API Gateway") lists
//! the quirks handled here.

mod delete;
mod discover;
mod pacing;

use std::time::Duration;

use aws_sdk_apigateway::Client as RestClient;
use aws_sdk_apigateway::config::retry::RetryConfig;
use aws_sdk_apigatewayv2::Client as HttpClient;
use common::names::{NameRule, shorten};
use common::{ApplyContext, MatchArgs, Plan, Selection, Session, Step, bad_input};

/// Kinds of resource in this step's plan.
pub const REST_API: &str = "rest api";
pub const HTTP_API: &str = "http api";
pub const BASE_PATH_MAPPING: &str = "base path mapping";
pub const API_MAPPING: &str = "api mapping";
pub const USAGE_PLAN: &str = "usage plan";
pub const API_KEY: &str = "api key";

/// Detail keys that `delete` reads back from the plan.
pub(crate) const DETAIL_DOMAIN: &str = "domain";
pub(crate) const DETAIL_BASE_PATH: &str = "base path";
pub(crate) const DETAIL_API_ID: &str = "api id";
pub(crate) const DETAIL_REMOVE_STAGES: &str = "stages removed";
pub(crate) const DETAIL_PLANS: &str = "usage plans";

/// API names as the API Gateway console accepts them in practice. Names are matched exactly,
/// so the rule only has to catch typos and shell accidents.
pub const API_NAME: NameRule = NameRule {
    what: "API",
    min_len: 1,
    max_len: 128,
    allowed: |c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '(' | ')'),
    allowed_text: "letters, digits, spaces, '-', '_', '.', '(' and ')'",
};

/// Opt-in behaviour and bounds.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Longest wait for one DeleteRestApi while AWS answers TooManyRequestsException.
    pub max_rate_wait: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_rate_wait: Duration::from_secs(10 * 60),
        }
    }
}

/// Step 4 of the chapter.
#[derive(Clone, Debug)]
pub struct ApiGatewayStep {
    rest_apis: Vec<String>,
    http_apis: Vec<String>,
    selection: Selection,
    options: Options,
}

impl ApiGatewayStep {
    /// Validates the selection; bad names and patterns are bad input.
    pub fn new(
        rest_apis: &[String],
        http_apis: &[String],
        matching: &MatchArgs,
        options: Options,
    ) -> anyhow::Result<Self> {
        for (flag, value) in rest_apis
            .iter()
            .map(|v| ("--rest-api", v))
            .chain(http_apis.iter().map(|v| ("--http-api", v)))
        {
            // A glob given to a name flag would match nothing and exit 0: say what was meant.
            if value.contains(['*', '?', '[']) {
                return Err(bad_input(format!(
                    "{flag} {} looks like a pattern: use --match for patterns",
                    shorten(value)
                )));
            }
        }
        let selection = Selection::from_parts(
            &[
                ("--rest-api", rest_apis, &API_NAME),
                ("--http-api", http_apis, &API_NAME),
            ],
            matching,
        )?;
        Ok(ApiGatewayStep {
            rest_apis: dedup(rest_apis),
            http_apis: dedup(http_apis),
            selection,
            options,
        })
    }
}

fn dedup(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        if !out.contains(value) {
            out.push(value.clone());
        }
    }
    out
}

/// The clients this step talks through.
pub(crate) struct Clients {
    pub rest: RestClient,
    /// For the calls that change something: no SDK retries. Every TooManyRequestsException
    /// reaches our pacing instead of being retried blindly (AWS-NOTES.md, "API Gateway"), and
    /// after a lost answer or a server error we look whether the change happened before trying
    /// again (the emulator answers a repeated delete with a 500, which the SDK would retry ten
    /// times).
    pub rest_once: RestClient,
    pub http: HttpClient,
    /// For v2 deletes, for the same reasons as `rest_once`.
    pub http_once: HttpClient,
}

impl Clients {
    fn new(session: &Session) -> Clients {
        let rest_once = aws_sdk_apigateway::config::Builder::from(&session.config)
            .retry_config(RetryConfig::disabled())
            .build();
        let http_once = aws_sdk_apigatewayv2::config::Builder::from(&session.config)
            .retry_config(aws_sdk_apigatewayv2::config::retry::RetryConfig::disabled())
            .build();
        Clients {
            rest: RestClient::new(&session.config),
            rest_once: RestClient::from_conf(rest_once),
            http: HttpClient::new(&session.config),
            http_once: HttpClient::from_conf(http_once),
        }
    }
}

impl Step for ApiGatewayStep {
    const TOOL: &'static str = "rm-apigateway";
    const STEP: u8 = 4;
    const TITLE: &'static str = "Delete Amazon API Gateway";

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        discover::plan(
            &Clients::new(session),
            &self.rest_apis,
            &self.http_apis,
            &self.selection,
        )
        .await
    }

    async fn apply(
        &self,
        session: &Session,
        plan: &mut Plan,
        ctx: &ApplyContext,
    ) -> anyhow::Result<()> {
        delete::apply(&Clients::new(session), plan, self.options, ctx).await;
        Ok(())
    }
}
