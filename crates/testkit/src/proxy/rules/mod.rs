//! The realism rules: real-AWS refusals and asynchronous states that moto does not reproduce.
//!
//! Each service's module has a `before` (may answer instead of moto, may ask moto about the
//! resource first) and an `after` (sees moto's answer to every forwarded request: keeps the
//! rule's state and may rewrite the answer). Each checks its own `Rule` switch.

mod apigateway;
mod cloudfront;
mod cloudfront_access;
mod cloudfront_memory;
mod cognito;
mod cognito_identity;
mod dynamodb;
mod iam;
mod iam_boundary;
mod lambda;
mod missing;
mod s3;

pub(crate) use s3::S3Settings;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::request::Parts;

use super::classify::Call;
use super::config::Rule;
use super::server::{Answer, State};
use super::shape::Resp;

/// A request on its way through the rules.
pub(crate) struct Exchange<'a> {
    pub parts: &'a Parts,
    pub body: &'a Bytes,
    pub call: &'a Call,
}

impl Exchange<'_> {
    /// The request's JSON body, if it is JSON.
    pub fn json_body(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(self.body).ok()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What `before` decided.
pub(crate) enum Verdict {
    Forward,
    Respond(Resp, Rule),
}

/// The per-service state of the rules.
pub(crate) struct RuleState {
    cloudfront: Mutex<cloudfront::Tracker>,
    /// What moto forgets of CloudFront distributions, and the OAIs the proxy serves: shared by
    /// every proxy of the process in front of the same emulator.
    cloudfront_memory: Arc<Mutex<cloudfront_memory::Memory>>,
    apigateway: Mutex<apigateway::Tracker>,
    dynamodb: Mutex<dynamodb::Tracker>,
    lambda: Mutex<lambda::Tracker>,
    s3: Mutex<s3::Tracker>,
    iam: Mutex<iam::Tracker>,
    /// Permissions boundaries set through a proxy: shared like `cloudfront_memory`.
    iam_boundaries: Arc<Mutex<iam_boundary::Memory>>,
    /// Identity pools' roles, which the proxy serves: shared like `cloudfront_memory`.
    identity_pools: Arc<Mutex<cognito_identity::Memory>>,
}

impl RuleState {
    /// The rules' state for a proxy in front of `upstream`.
    pub fn new(upstream: &str) -> Self {
        RuleState {
            cloudfront: Mutex::default(),
            cloudfront_memory: cloudfront_access::memory_for(upstream),
            apigateway: Mutex::default(),
            dynamodb: Mutex::default(),
            lambda: Mutex::default(),
            s3: Mutex::default(),
            iam: Mutex::default(),
            iam_boundaries: iam_boundary::memory_for(upstream),
            identity_pools: cognito_identity::memory_for(upstream),
        }
    }
}

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    match ex.call.service.as_str() {
        "cloudfront" => match missing::before(state, ex).await {
            Verdict::Forward => match cloudfront_access::before(state, ex).await {
                Verdict::Forward => cloudfront::before(state, ex).await,
                answered => answered,
            },
            refused => refused,
        },
        "apigatewayv2" => missing::before(state, ex).await,
        "cognito-idp" => cognito::before(state, ex).await,
        "cognito-identity" => cognito_identity::before(state, ex).await,
        "iam" => iam::before(state, ex).await,
        "apigateway" => apigateway::before(state, ex).await,
        "dynamodb" => dynamodb::before(state, ex),
        "lambda" => match missing::before(state, ex).await {
            Verdict::Forward => lambda::before(state, ex).await,
            refused => refused,
        },
        "s3" => s3::before(state, ex).await,
        _ => Verdict::Forward,
    }
}

/// Moto's answer to a forwarded request (`None`: moto could not be reached). Returns the rule
/// that changed the answer, if one did.
pub(crate) fn after(state: &State, ex: &Exchange<'_>, answer: Option<&mut Answer>) -> Option<Rule> {
    match ex.call.service.as_str() {
        "cloudfront" => {
            let answer = answer?;
            // The deploy and ETag rules first: their rule is the one a reader of the log
            // looks for on a distribution's reads.
            let rule = cloudfront::after(state, ex, answer);
            let restored = cloudfront_access::after(state, ex, answer);
            rule.or(restored)
        }
        "apigateway" => apigateway::after(state, ex, answer),
        "dynamodb" => dynamodb::after(state, ex, answer?),
        "lambda" => lambda::after(state, ex, answer?),
        "s3" => s3::after(state, ex, answer?),
        "iam" => iam::after(state, ex, answer?),
        "cognito-identity" => cognito_identity::after(state, ex, answer?),
        _ => None,
    }
}
