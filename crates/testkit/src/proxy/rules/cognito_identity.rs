//! Cognito identity pools' IAM roles (`cognito-identity-pool-roles`).
//!
//! moto has no SetIdentityPoolRoles nor GetIdentityPoolRoles (both answer a 500 HTML page), so
//! an identity pool's authenticated and unauthenticated roles, which a teardown must report as
//! left for the IAM step, cannot be seen through it. The proxy serves both: SetIdentityPoolRoles
//! stores `Roles` (and `RoleMappings`) per identity pool id, GetIdentityPoolRoles answers from
//! that store in AWS's shape, and a successful DeleteIdentityPool forgets the pool. Both answer
//! `ResourceNotFoundException` for a pool moto does not have (asked with DescribeIdentityPool).
//!
//! Like the CloudFront memory, the store is kept per emulator for the whole process: roles set
//! through one proxy are seen through every proxy in front of the same emulator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode};
use http_body_util::Full;
use serde_json::{Map, Value, json};

use super::{Exchange, Verdict};
use crate::proxy::config::Rule;
use crate::proxy::server::{Answer, State, lock};
use crate::proxy::shape::{self, Resp};

/// Identity pool id -> `{"Roles": {...}, "RoleMappings": {...}}` as last set.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    pools: HashMap<String, Map<String, Value>>,
}

/// The memory of the emulator at `upstream`, shared by every proxy of this process.
pub(crate) fn memory_for(upstream: &str) -> Arc<Mutex<Memory>> {
    static MEMORIES: OnceLock<Mutex<HashMap<String, Arc<Mutex<Memory>>>>> = OnceLock::new();
    let memories = MEMORIES.get_or_init(Mutex::default);
    Arc::clone(lock(memories).entry(upstream.to_owned()).or_default())
}

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    let operation = ex.call.operation.as_str();
    if !matches!(operation, "SetIdentityPoolRoles" | "GetIdentityPoolRoles")
        || !state.config.is_enabled(Rule::CognitoIdentityPoolRoles)
    {
        return Verdict::Forward;
    }
    let request = ex.json_body().unwrap_or(Value::Null);
    let Some(id) = request
        .get("IdentityPoolId")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return respond(shape::error(
            ex.call,
            StatusCode::BAD_REQUEST,
            "InvalidParameterException",
            "1 validation error detected: Value null at 'identityPoolId' failed to satisfy \
             constraint: Member must not be null",
        ));
    };
    match pool_exists(state, ex, &id).await {
        Some(true) => {}
        Some(false) => {
            return respond(shape::error(
                ex.call,
                StatusCode::BAD_REQUEST,
                "ResourceNotFoundException",
                &format!("IdentityPool '{id}' not found."),
            ));
        }
        // moto did not answer: let the request find out.
        None => return Verdict::Forward,
    }
    let memory = &state.rules.identity_pools;
    if operation == "SetIdentityPoolRoles" {
        let Some(roles) = request.get("Roles").and_then(Value::as_object) else {
            return respond(shape::error(
                ex.call,
                StatusCode::BAD_REQUEST,
                "InvalidParameterException",
                "1 validation error detected: Value null at 'roles' failed to satisfy \
                 constraint: Member must not be null",
            ));
        };
        let mut stored = Map::new();
        stored.insert("Roles".to_owned(), Value::Object(roles.clone()));
        if let Some(mappings) = request.get("RoleMappings").filter(|m| m.is_object()) {
            stored.insert("RoleMappings".to_owned(), mappings.clone());
        }
        lock(memory).pools.insert(id, stored);
        return respond(json_answer("{}".to_owned()));
    }
    let mut answer = Map::new();
    answer.insert("IdentityPoolId".to_owned(), Value::String(id.clone()));
    answer.insert("Roles".to_owned(), json!({}));
    if let Some(stored) = lock(memory).pools.get(&id) {
        answer.extend(stored.clone());
    }
    respond(json_answer(Value::Object(answer).to_string()))
}

fn respond(resp: Resp) -> Verdict {
    Verdict::Respond(resp, Rule::CognitoIdentityPoolRoles)
}

/// A successful awsJson 1.1 answer.
fn json_answer(body: String) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    shape::with_header(resp, "x-amzn-requestid", &shape::request_id())
}

/// Whether moto has the identity pool (`None`: moto did not answer, or answered an error other
/// than "not found").
async fn pool_exists(state: &State, ex: &Exchange<'_>, id: &str) -> Option<bool> {
    let answer = state
        .call_upstream(
            Method::POST,
            "/",
            &ex.parts.headers,
            &[
                (
                    "x-amz-target",
                    "AWSCognitoIdentityService.DescribeIdentityPool",
                ),
                ("content-type", "application/x-amz-json-1.1"),
            ],
            json!({ "IdentityPoolId": id }).to_string(),
        )
        .await
        .ok()?;
    if answer.is_success() {
        return Some(true);
    }
    let error: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    let code = error.get("__type").and_then(Value::as_str).unwrap_or("");
    code.ends_with("ResourceNotFoundException").then_some(false)
}

/// A successful DeleteIdentityPool forgets the pool's roles (whatever the rules say: the store
/// is shared).
pub(crate) fn after(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    if ex.call.operation == "DeleteIdentityPool"
        && answer.is_success()
        && let Some(id) = ex
            .json_body()
            .and_then(|body| body.get("IdentityPoolId")?.as_str().map(str::to_owned))
    {
        lock(&state.rules.identity_pools).pools.remove(&id);
    }
    None
}
