//! Deleting something that does not exist answers AWS's "not found" error.
//!
//! moto gets a few of these wrong, which hides bugs in idempotent re-runs (where "not found"
//! must count as already deleted): DeleteRestApi and DeleteUsagePlan of an unknown id crash
//! with a 500, apigatewayv2 DeleteApi and Lambda DeleteEventSourceMapping answer success, and
//! DeleteOriginAccessControl crashes / DeleteCloudFrontOriginAccessIdentity answers a bare 404
//! without an error code. The proxy first reads the resource from moto (GET on the same path,
//! which moto answers correctly) and, on a 404, answers the delete with AWS's error. Origin
//! access identities are the exception: with the `cloudfront-origin-access` rule on the proxy
//! serves them itself, so its own store says whether one exists.

use http::{Method, StatusCode};

use super::{Exchange, Verdict};
use crate::proxy::config::Rule;
use crate::proxy::server::State;
use crate::proxy::shape;

/// (service, delete operation, AWS error code, message).
const PROBED: &[(&str, &str, &str, &str)] = &[
    (
        "apigateway",
        "DeleteRestApi",
        "NotFoundException",
        "Invalid API identifier specified",
    ),
    (
        "apigateway",
        "DeleteUsagePlan",
        "NotFoundException",
        "Invalid Usage Plan ID specified",
    ),
    (
        "apigatewayv2",
        "DeleteApi",
        "NotFoundException",
        "Invalid API identifier specified",
    ),
    (
        "cloudfront",
        "DeleteOriginAccessControl",
        "NoSuchOriginAccessControl",
        "The specified origin access control does not exist.",
    ),
    (
        "cloudfront",
        "DeleteCloudFrontOriginAccessIdentity",
        "NoSuchCloudFrontOriginAccessIdentity",
        "The specified origin access identity does not exist.",
    ),
    (
        "lambda",
        "DeleteEventSourceMapping",
        "ResourceNotFoundException",
        "The resource you requested does not exist.",
    ),
];

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    if !state.config.is_enabled(Rule::MissingNotFound) {
        return Verdict::Forward;
    }
    let call = ex.call;
    let Some((.., code, message)) = PROBED
        .iter()
        .find(|(service, op, ..)| *service == call.service && *op == call.operation)
    else {
        return Verdict::Forward;
    };
    let message = match &call.resource {
        Some(id) if code == &"NotFoundException" => format!("{message} {id}"),
        _ => (*message).to_owned(),
    };
    let not_found = Verdict::Respond(
        shape::error(call, StatusCode::NOT_FOUND, code, &message),
        Rule::MissingNotFound,
    );
    if call.operation == "DeleteCloudFrontOriginAccessIdentity"
        && state.config.is_enabled(Rule::CloudFrontOriginAccess)
    {
        let known = call
            .resource
            .as_deref()
            .is_some_and(|id| super::cloudfront_access::oai_exists(state, id));
        return if known { Verdict::Forward } else { not_found };
    }
    let path = ex.parts.uri.path();
    let Ok(probe) = state
        .call_upstream(Method::GET, path, &ex.parts.headers, &[], "")
        .await
    else {
        return Verdict::Forward;
    };
    if probe.status != StatusCode::NOT_FOUND {
        return Verdict::Forward;
    }
    not_found
}
