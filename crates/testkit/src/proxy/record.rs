//! The operation log: one record per request the proxy answered (or dropped).

use std::time::Duration;

use serde::{Serialize, Serializer};

use super::config::{FaultKind, Rule};

/// One request as the proxy saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Arrival order, from 0. [`Proxy::log`](super::Proxy::log) is sorted by it.
    pub seq: u64,
    /// The SigV4 signing name (`dynamodb`, `s3`, `cloudfront`, `cognito-idp`, `iam`, ...), except
    /// API Gateway v2, which signs as `apigateway` and is reported as `apigatewayv2`. `unknown`
    /// for unsigned requests the proxy could not place.
    pub service: String,
    /// The AWS operation name (`DeleteTable`, `DeleteObjects`, `UpdateDistribution`), or
    /// `METHOD /path` for a REST call the proxy does not know.
    pub operation: String,
    /// Best effort: table, bucket, function, distribution id, REST API id, user pool id, role or
    /// policy name.
    pub resource: Option<String>,
    /// The region of the SigV4 credential scope.
    pub region: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path and query as received.
    pub path: String,
    /// The status code the client received; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// Arrival time, counted from the proxy's start.
    #[serde(rename = "elapsed_ms", serialize_with = "as_millis")]
    pub elapsed: Duration,
    /// The fault injected into this request, if any.
    pub fault: Option<FaultKind>,
    /// The realism rule that answered instead of moto (or rewrote moto's answer), if any.
    pub rule: Option<Rule>,
    /// Whether the request reached moto.
    pub forwarded: bool,
    /// How long the proxy took over the request, from its arrival until the answer was ready
    /// (or the connection was dropped); moto's time included.
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
    /// Of [`duration`](Self::duration), the time spent waiting for moto: the forwarded request
    /// and the rules' own questions. `duration - upstream` is the proxy's own time.
    #[serde(rename = "upstream_ms", serialize_with = "as_millis")]
    pub upstream: Duration,
}

impl Record {
    /// Whether the operation changes something ([`is_mutating`]).
    pub fn is_mutating(&self) -> bool {
        is_mutating(&self.operation)
    }

    /// The proxy's own time: [`duration`](Self::duration) less the time waiting for moto.
    pub fn own_time(&self) -> Duration {
        self.duration.saturating_sub(self.upstream)
    }

    /// Whether the client received a 2xx answer.
    pub fn succeeded(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }
}

fn as_millis<S: Serializer>(elapsed: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(elapsed.as_secs_f64() * 1000.0)
}

/// Verbs that read. Everything else that is a known operation name is taken as mutating, so a
/// new write verb cannot slip through a "no mutating calls" assertion unnoticed.
const READ_PREFIXES: &[&str] = &[
    "Get",
    "List",
    "Describe",
    "Head",
    "Query",
    "Scan",
    "BatchGet",
    "TransactGet",
    "Lookup",
    "Search",
    "Select",
    "Test",
    "Validate",
    "Check",
    "Estimate",
    "Filter",
    "Simulate",
    "Preview",
    "Verify",
    "Generate",
    "Decode",
    "Poll",
];

/// Whether an operation name changes state in AWS.
///
/// Read verbs (`Get*`, `List*`, `Describe*`, `Head*`, `Query`, `Scan`, `BatchGet*`, ...) and
/// the identity calls (`GetCallerIdentity`) are not mutating; everything else is (`Delete*`,
/// `Update*`, `Put*`, `Create*`, `Remove*`, `Detach*`, `Abort*`, `Disable*`, `Tag*`, `Untag*`,
/// `Attach*`, `Invoke`, ...). Cognito's `Admin*` operations are judged by the verb after
/// `Admin`. For the `METHOD /path` fallback, GET and HEAD read and every other method writes.
pub fn is_mutating(operation: &str) -> bool {
    if let Some((method, _)) = operation.split_once(' ') {
        return !matches!(method, "GET" | "HEAD" | "OPTIONS");
    }
    let verb = operation.strip_prefix("Admin").unwrap_or(operation);
    if verb.is_empty() {
        return false;
    }
    !READ_PREFIXES.iter().any(|prefix| verb.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_verbs_are_mutating() {
        for op in [
            "DeleteTable",
            "UpdateDistribution",
            "PutObject",
            "CreateBucket",
            "RemoveRoleFromInstanceProfile",
            "DetachRolePolicy",
            "AbortMultipartUpload",
            "DisableKey",
            "TagResource",
            "UntagResource",
            "AttachRolePolicy",
            "DeleteObjects",
            "BatchWriteItem",
            "TransactWriteItems",
            "AdminDeleteUser",
            "Invoke",
            "PUT /2015-03-31/unknown",
        ] {
            assert!(is_mutating(op), "{op} should be mutating");
        }
    }

    #[test]
    fn read_verbs_are_not_mutating() {
        for op in [
            "GetDistributionConfig",
            "ListObjectVersions",
            "DescribeTable",
            "HeadBucket",
            "Query",
            "Scan",
            "BatchGetItem",
            "GetCallerIdentity",
            "AdminGetUser",
            "GET /2015-03-31/unknown",
        ] {
            assert!(!is_mutating(op), "{op} should not be mutating");
        }
    }
}
