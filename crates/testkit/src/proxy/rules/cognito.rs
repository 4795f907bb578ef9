//! Cognito user pools: what blocks DeleteUserPool, and the UpdateUserPool trap.
//!
//! moto deletes pools with a domain or with deletion protection, and accepts any
//! UpdateUserPool (AWS-NOTES.md, "Cognito"). The proxy asks moto (DescribeUserPool) for the
//! pool's state before deciding; it keeps no state of its own.

use http::{Method, StatusCode};
use serde_json::Value;

use super::{Exchange, Verdict};
use crate::proxy::config::Rule;
use crate::proxy::server::State;
use crate::proxy::shape;

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    match ex.call.operation.as_str() {
        "DeleteUserPool" => delete_user_pool(state, ex).await,
        "UpdateUserPool" if state.config.is_enabled(Rule::CognitoUpdateVerification) => {
            update_user_pool(state, ex).await
        }
        _ => Verdict::Forward,
    }
}

fn invalid_parameter(ex: &Exchange<'_>, message: &str, rule: Rule) -> Verdict {
    Verdict::Respond(
        shape::error(
            ex.call,
            StatusCode::BAD_REQUEST,
            "InvalidParameterException",
            message,
        ),
        rule,
    )
}

async fn delete_user_pool(state: &State, ex: &Exchange<'_>) -> Verdict {
    let protection = state.config.is_enabled(Rule::CognitoDeletionProtection);
    let domain = state.config.is_enabled(Rule::CognitoDomain);
    if !protection && !domain {
        return Verdict::Forward;
    }
    let Some(pool) = describe_user_pool(state, ex).await else {
        return Verdict::Forward;
    };
    if protection && pool.get("DeletionProtection").and_then(Value::as_str) == Some("ACTIVE") {
        return invalid_parameter(
            ex,
            "The user pool cannot be deleted because deletion protection is activated. \
             Deletion protection must be inactivated first.",
            Rule::CognitoDeletionProtection,
        );
    }
    let has_domain = ["Domain", "CustomDomain"].iter().any(|key| {
        pool.get(*key)
            .and_then(Value::as_str)
            .is_some_and(|d| !d.is_empty())
    });
    if domain && has_domain {
        return invalid_parameter(
            ex,
            "User pool cannot be deleted. It has a domain configured that should be deleted first.",
            Rule::CognitoDomain,
        );
    }
    Verdict::Forward
}

/// AWS checks the attributes that require verification before an update (the request's, or
/// the pool's when the request does not send `UserAttributeUpdateSettings`) against the
/// request's `AutoVerifiedAttributes`. A pool made in the console has `email` in both, so an
/// UpdateUserPool that sends only `DeletionProtection` fails there (aws-nuke #477).
async fn update_user_pool(state: &State, ex: &Exchange<'_>) -> Verdict {
    let Some(request) = ex.json_body() else {
        return Verdict::Forward;
    };
    let required: Vec<String> = match request.get("UserAttributeUpdateSettings") {
        Some(settings) => strings(settings.get("AttributesRequireVerificationBeforeUpdate")),
        None => {
            let Some(pool) = describe_user_pool(state, ex).await else {
                return Verdict::Forward;
            };
            strings(
                pool.get("UserAttributeUpdateSettings")
                    .and_then(|s| s.get("AttributesRequireVerificationBeforeUpdate")),
            )
        }
    };
    let auto_verified = strings(request.get("AutoVerifiedAttributes"));
    if required.iter().all(|attr| auto_verified.contains(attr)) {
        return Verdict::Forward;
    }
    invalid_parameter(
        ex,
        "All attributes in AttributesRequireVerificationBeforeUpdate must exist in \
         AutoVerifiedAttributes",
        Rule::CognitoUpdateVerification,
    )
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// moto's DescribeUserPool of the request's `UserPoolId` (`None` when there is no such pool:
/// then moto answers the original request with its own error).
async fn describe_user_pool(state: &State, ex: &Exchange<'_>) -> Option<Value> {
    let pool_id = ex.json_body()?.get("UserPoolId")?.as_str()?.to_owned();
    let body = serde_json::json!({ "UserPoolId": pool_id }).to_string();
    let answer = state
        .call_upstream(
            Method::POST,
            "/",
            &ex.parts.headers,
            &[
                (
                    "x-amz-target",
                    "AWSCognitoIdentityProviderService.DescribeUserPool",
                ),
                ("content-type", "application/x-amz-json-1.1"),
            ],
            body,
        )
        .await
        .ok()?;
    if !answer.is_success() {
        return None;
    }
    let mut value: Value = serde_json::from_slice(&answer.body).ok()?;
    Some(value.get_mut("UserPool")?.take())
}
