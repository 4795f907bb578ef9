//! Lambda: Lambda@Edge replicas cannot be deleted until CloudFront removes them.
//!
//! moto has no Lambda@Edge. Fixtures mark a function as a replicated one with the tag
//! `testkit:edge-replica=true`; the proxy then refuses its DeleteFunction with AWS's
//! "replicated function" error for `edge_replica_time`, counted from the first refusal (so the
//! time a fixture takes to set up does not eat into the window), and lets it through after.

use std::collections::HashMap;
use std::time::Instant;

use http::{Method, StatusCode};
use serde_json::Value;

use super::{Exchange, Verdict};
use crate::proxy::config::Rule;
use crate::proxy::server::{Answer, State, lock};
use crate::proxy::{EDGE_REPLICA_TAG, shape};

/// Refusal windows by "region/function name": until when, and the ARN for the message.
#[derive(Default)]
pub(crate) struct Tracker {
    refusing: HashMap<String, (Instant, String)>,
}

fn key(ex: &Exchange<'_>) -> Option<String> {
    let name = ex.call.resource.as_deref()?;
    Some(format!(
        "{}/{name}",
        ex.call.region.as_deref().unwrap_or("us-east-1")
    ))
}

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    if ex.call.operation != "DeleteFunction" || !state.config.is_enabled(Rule::LambdaEdgeReplica) {
        return Verdict::Forward;
    }
    let Some(key) = key(ex) else {
        return Verdict::Forward;
    };
    let known = lock(&state.rules.lambda).refusing.get(&key).cloned();
    let arn = match known {
        Some((until, arn)) if Instant::now() < until => arn,
        // The window has passed: the replicas are gone.
        Some(_) => return Verdict::Forward,
        None => {
            let Some(arn) = edge_replica_arn(state, ex).await else {
                return Verdict::Forward;
            };
            let until = Instant::now() + state.config.timings.edge_replica;
            lock(&state.rules.lambda)
                .refusing
                .insert(key, (until, arn.clone()));
            arn
        }
    };
    Verdict::Respond(
        shape::error(
            ex.call,
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            &format!(
                "Lambda was unable to delete {arn}:1 because it is a replicated function. \
                 Please see our documentation for Deleting Lambda@Edge Functions and Replicas."
            ),
        ),
        Rule::LambdaEdgeReplica,
    )
}

/// The function's ARN if moto's GetFunction shows the edge-replica tag.
async fn edge_replica_arn(state: &State, ex: &Exchange<'_>) -> Option<String> {
    let path = ex.parts.uri.path();
    let answer = state
        .call_upstream(Method::GET, path, &ex.parts.headers, &[], "")
        .await
        .ok()?;
    if !answer.is_success() {
        return None;
    }
    let function: Value = serde_json::from_slice(&answer.body).ok()?;
    let tagged = function.get("Tags")?.get(EDGE_REPLICA_TAG)?.as_str()? == "true";
    if !tagged {
        return None;
    }
    let arn = function
        .get("Configuration")?
        .get("FunctionArn")?
        .as_str()?;
    Some(arn.to_owned())
}

pub(crate) fn after(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    if ex.call.operation == "DeleteFunction"
        && answer.is_success()
        && let Some(key) = key(ex)
    {
        lock(&state.rules.lambda).refusing.remove(&key);
    }
    None
}
