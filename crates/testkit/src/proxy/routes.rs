//! REST routes -> AWS operation names, for S3, CloudFront, Lambda and API Gateway v1/v2.
//!
//! Each table covers at least the operations the delete tools and their fixtures use; a route
//! that is not here comes back `None` and the caller logs `METHOD /path`.

use http::{HeaderMap, Method};

use super::classify::{Query, name_from_arn, query_get, query_has};

/// An identified REST call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub operation: String,
    pub resource: Option<String>,
}

fn route(operation: impl Into<String>, resource: Option<&String>) -> Route {
    Route {
        operation: operation.into(),
        resource: resource.cloned(),
    }
}

/// Bucket sub-resources: query key, then the GET / PUT / DELETE operation (`""`: none).
const S3_BUCKET_SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
    ("versions", "ListObjectVersions", "", ""),
    ("uploads", "ListMultipartUploads", "", ""),
    ("location", "GetBucketLocation", "", ""),
    (
        "versioning",
        "GetBucketVersioning",
        "PutBucketVersioning",
        "",
    ),
    (
        "policy",
        "GetBucketPolicy",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
    ),
    ("policyStatus", "GetBucketPolicyStatus", "", ""),
    (
        "lifecycle",
        "GetBucketLifecycleConfiguration",
        "PutBucketLifecycleConfiguration",
        "DeleteBucketLifecycle",
    ),
    (
        "object-lock",
        "GetObjectLockConfiguration",
        "PutObjectLockConfiguration",
        "",
    ),
    (
        "tagging",
        "GetBucketTagging",
        "PutBucketTagging",
        "DeleteBucketTagging",
    ),
    (
        "website",
        "GetBucketWebsite",
        "PutBucketWebsite",
        "DeleteBucketWebsite",
    ),
    ("cors", "GetBucketCors", "PutBucketCors", "DeleteBucketCors"),
    ("acl", "GetBucketAcl", "PutBucketAcl", ""),
    (
        "encryption",
        "GetBucketEncryption",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
    ),
    (
        "publicAccessBlock",
        "GetPublicAccessBlock",
        "PutPublicAccessBlock",
        "DeletePublicAccessBlock",
    ),
    (
        "ownershipControls",
        "GetBucketOwnershipControls",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
    ),
    (
        "notification",
        "GetBucketNotificationConfiguration",
        "PutBucketNotificationConfiguration",
        "",
    ),
    ("logging", "GetBucketLogging", "PutBucketLogging", ""),
    (
        "replication",
        "GetBucketReplication",
        "PutBucketReplication",
        "DeleteBucketReplication",
    ),
    (
        "accelerate",
        "GetBucketAccelerateConfiguration",
        "PutBucketAccelerateConfiguration",
        "",
    ),
    (
        "requestPayment",
        "GetBucketRequestPayment",
        "PutBucketRequestPayment",
        "",
    ),
    (
        "intelligent-tiering",
        "GetBucketIntelligentTieringConfiguration",
        "PutBucketIntelligentTieringConfiguration",
        "DeleteBucketIntelligentTieringConfiguration",
    ),
    (
        "inventory",
        "GetBucketInventoryConfiguration",
        "PutBucketInventoryConfiguration",
        "DeleteBucketInventoryConfiguration",
    ),
    (
        "metrics",
        "GetBucketMetricsConfiguration",
        "PutBucketMetricsConfiguration",
        "DeleteBucketMetricsConfiguration",
    ),
    (
        "analytics",
        "GetBucketAnalyticsConfiguration",
        "PutBucketAnalyticsConfiguration",
        "DeleteBucketAnalyticsConfiguration",
    ),
];

/// Object sub-resources: query key, then the GET / PUT / DELETE operation.
const S3_OBJECT_SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
    (
        "tagging",
        "GetObjectTagging",
        "PutObjectTagging",
        "DeleteObjectTagging",
    ),
    ("retention", "GetObjectRetention", "PutObjectRetention", ""),
    ("legal-hold", "GetObjectLegalHold", "PutObjectLegalHold", ""),
    ("acl", "GetObjectAcl", "PutObjectAcl", ""),
    ("attributes", "GetObjectAttributes", "", ""),
];

fn subresource(
    table: &[(&str, &'static str, &'static str, &'static str)],
    method: &Method,
    query: &Query,
) -> Option<&'static str> {
    table
        .iter()
        .find(|(key, ..)| query_has(query, key))
        .and_then(|(_, get, put, delete)| {
            let op = match *method {
                Method::GET => *get,
                Method::PUT => *put,
                Method::DELETE => *delete,
                _ => "",
            };
            (!op.is_empty()).then_some(op)
        })
}

/// S3, path-style: `/{bucket}` and `/{bucket}/{key+}`. The resource is the bucket. The Rust SDK
/// names most operations itself in an `x-id` query parameter; that wins when present.
pub(crate) fn s3(method: &Method, segs: &[String], query: &Query, headers: &HeaderMap) -> Route {
    let bucket = segs.first().filter(|b| !b.is_empty());
    let Some(bucket) = bucket else {
        return route("ListBuckets", None);
    };
    if let Some(op) = query_get(query, "x-id") {
        return route(op, Some(bucket));
    }
    let has_key = segs.len() > 1 && !segs[1..].iter().all(|s| s.is_empty());
    let op: &str = if !has_key {
        if *method == Method::POST && query_has(query, "delete") {
            "DeleteObjects"
        } else if let Some(op) = subresource(S3_BUCKET_SUBRESOURCES, method, query) {
            op
        } else {
            match *method {
                Method::GET if query_get(query, "list-type") == Some("2") => "ListObjectsV2",
                Method::GET => "ListObjects",
                Method::HEAD => "HeadBucket",
                Method::PUT => "CreateBucket",
                Method::DELETE => "DeleteBucket",
                _ => return route(format!("{method} /{bucket}"), Some(bucket)),
            }
        }
    } else if query_has(query, "uploadId") {
        match *method {
            Method::GET => "ListParts",
            Method::PUT if headers.contains_key("x-amz-copy-source") => "UploadPartCopy",
            Method::PUT => "UploadPart",
            Method::POST => "CompleteMultipartUpload",
            Method::DELETE => "AbortMultipartUpload",
            _ => "UploadPart",
        }
    } else if *method == Method::POST && query_has(query, "uploads") {
        "CreateMultipartUpload"
    } else if *method == Method::POST && query_has(query, "restore") {
        "RestoreObject"
    } else if let Some(op) = subresource(S3_OBJECT_SUBRESOURCES, method, query) {
        op
    } else {
        match *method {
            Method::GET => "GetObject",
            Method::HEAD => "HeadObject",
            Method::PUT if headers.contains_key("x-amz-copy-source") => "CopyObject",
            Method::PUT => "PutObject",
            Method::DELETE => "DeleteObject",
            _ => return route(format!("{method} /{bucket}/..."), Some(bucket)),
        }
    };
    route(op, Some(bucket))
}

/// CloudFront collections under `/2020-05-31/`: path segment, singular and plural nouns.
const CLOUDFRONT_COLLECTIONS: &[(&str, &str, &str)] = &[
    ("distribution", "Distribution", "Distributions"),
    (
        "origin-access-control",
        "OriginAccessControl",
        "OriginAccessControls",
    ),
    ("cache-policy", "CachePolicy", "CachePolicies"),
    (
        "origin-request-policy",
        "OriginRequestPolicy",
        "OriginRequestPolicies",
    ),
    (
        "response-headers-policy",
        "ResponseHeadersPolicy",
        "ResponseHeadersPolicies",
    ),
    ("key-group", "KeyGroup", "KeyGroups"),
    ("public-key", "PublicKey", "PublicKeys"),
    (
        "realtime-log-config",
        "RealtimeLogConfig",
        "RealtimeLogConfigs",
    ),
    ("function", "Function", "Functions"),
];

/// CloudFront: `/2020-05-31/{collection}[/{id}[/config|/...]]`. The resource is the id.
pub(crate) fn cloudfront(method: &Method, segs: &[String], query: &Query) -> Option<Route> {
    let (version, rest) = segs.split_first()?;
    if !version.starts_with("20") {
        return None;
    }
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    if rest.first() == Some(&"tagging") {
        let resource = query_get(query, "Resource").map(name_from_arn);
        let op = match (method, query_get(query, "Operation")) {
            (&Method::POST, Some("Tag")) => "TagResource",
            (&Method::POST, Some("Untag")) => "UntagResource",
            (&Method::GET, _) => "ListTagsForResource",
            _ => return None,
        };
        return Some(Route {
            operation: op.to_owned(),
            resource,
        });
    }
    // Origin access identities live under `origin-access-identity/cloudfront`.
    let (singular, plural, tail) = match rest.as_slice() {
        ["origin-access-identity", "cloudfront", tail @ ..] => (
            "CloudFrontOriginAccessIdentity",
            "CloudFrontOriginAccessIdentities",
            tail,
        ),
        [collection, tail @ ..] => {
            let (_, singular, plural) = CLOUDFRONT_COLLECTIONS
                .iter()
                .find(|(seg, ..)| seg == collection)?;
            (*singular, *plural, tail)
        }
        [] => return None,
    };
    let id = tail.first().map(|id| (*id).to_owned());
    let op = match (method, tail) {
        (&Method::POST, []) if singular == "Distribution" && query_has(query, "WithTags") => {
            "CreateDistributionWithTags".to_owned()
        }
        (&Method::POST, []) => format!("Create{singular}"),
        (&Method::GET, []) => format!("List{plural}"),
        (&Method::GET, [_]) => format!("Get{singular}"),
        (&Method::PUT, [_]) => format!("Update{singular}"),
        (&Method::DELETE, [_]) => format!("Delete{singular}"),
        (&Method::GET, [_, "config"]) => format!("Get{singular}Config"),
        (&Method::PUT, [_, "config"]) => format!("Update{singular}"),
        (&Method::GET, [_, "describe"]) => format!("Describe{singular}"),
        (&Method::POST, [_, "publish"]) => format!("Publish{singular}"),
        (&Method::POST, [_, "test"]) => format!("Test{singular}"),
        (&Method::POST, [_, "copy"]) => format!("Copy{singular}"),
        (&Method::POST, [_, "invalidation"]) => "CreateInvalidation".to_owned(),
        (&Method::GET, [_, "invalidation"]) => "ListInvalidations".to_owned(),
        (&Method::GET, [_, "invalidation", _]) => "GetInvalidation".to_owned(),
        _ => return None,
    };
    Some(Route {
        operation: op,
        resource: id,
    })
}

/// Lambda: `/{version}/functions/{name}/...`, `/{version}/event-source-mappings/...`,
/// `/{version}/tags/{arn}`, `/{version}/layers/...`. The resource is the function name (from an
/// ARN too), the mapping UUID or the layer name.
pub(crate) fn lambda(method: &Method, segs: &[String], query: &Query) -> Option<Route> {
    let (version, rest) = segs.split_first()?;
    if !version.starts_with("20") {
        return None;
    }
    let rest: Vec<&str> = rest
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let name = |s: &str| Some(name_from_arn(s));
    let (op, resource): (&str, Option<String>) = match (method, rest.as_slice()) {
        (&Method::POST, ["functions"]) => ("CreateFunction", None),
        (&Method::GET, ["functions"]) => ("ListFunctions", None),
        (m, ["functions", f, tail @ ..]) => {
            let op = match (m, tail) {
                (&Method::GET, []) => "GetFunction",
                (&Method::DELETE, []) => "DeleteFunction",
                (&Method::GET, ["configuration"]) => "GetFunctionConfiguration",
                (&Method::PUT, ["configuration"]) => "UpdateFunctionConfiguration",
                (&Method::PUT, ["code"]) => "UpdateFunctionCode",
                (&Method::POST, ["versions"]) => "PublishVersion",
                (&Method::GET, ["versions"]) => "ListVersionsByFunction",
                (&Method::POST, ["aliases"]) => "CreateAlias",
                (&Method::GET, ["aliases"]) => "ListAliases",
                (&Method::GET, ["aliases", _]) => "GetAlias",
                (&Method::PUT, ["aliases", _]) => "UpdateAlias",
                (&Method::DELETE, ["aliases", _]) => "DeleteAlias",
                (&Method::POST, ["invocations"]) => "Invoke",
                (&Method::POST, ["invoke-async"]) => "InvokeAsync",
                (&Method::GET, ["policy"]) => "GetPolicy",
                (&Method::POST, ["policy"]) => "AddPermission",
                (&Method::DELETE, ["policy", _]) => "RemovePermission",
                (&Method::GET, ["concurrency"]) => "GetFunctionConcurrency",
                (&Method::PUT, ["concurrency"]) => "PutFunctionConcurrency",
                (&Method::DELETE, ["concurrency"]) => "DeleteFunctionConcurrency",
                (&Method::GET, ["event-invoke-config", "list"]) => "ListFunctionEventInvokeConfigs",
                (&Method::GET, ["event-invoke-config"]) => "GetFunctionEventInvokeConfig",
                (&Method::PUT, ["event-invoke-config"]) => "PutFunctionEventInvokeConfig",
                (&Method::POST, ["event-invoke-config"]) => "UpdateFunctionEventInvokeConfig",
                (&Method::DELETE, ["event-invoke-config"]) => "DeleteFunctionEventInvokeConfig",
                (&Method::GET, ["url"]) => "GetFunctionUrlConfig",
                (&Method::POST, ["url"]) => "CreateFunctionUrlConfig",
                (&Method::PUT, ["url"]) => "UpdateFunctionUrlConfig",
                (&Method::DELETE, ["url"]) => "DeleteFunctionUrlConfig",
                (&Method::GET, ["urls"]) => "ListFunctionUrlConfigs",
                (&Method::GET, ["provisioned-concurrency"]) if query_has(query, "List") => {
                    "ListProvisionedConcurrencyConfigs"
                }
                (&Method::GET, ["provisioned-concurrency"]) => "GetProvisionedConcurrencyConfig",
                (&Method::PUT, ["provisioned-concurrency"]) => "PutProvisionedConcurrencyConfig",
                (&Method::DELETE, ["provisioned-concurrency"]) => {
                    "DeleteProvisionedConcurrencyConfig"
                }
                (&Method::GET, ["code-signing-config"]) => "GetFunctionCodeSigningConfig",
                (&Method::PUT, ["code-signing-config"]) => "PutFunctionCodeSigningConfig",
                (&Method::DELETE, ["code-signing-config"]) => "DeleteFunctionCodeSigningConfig",
                _ => return None,
            };
            (op, name(f))
        }
        (&Method::POST, ["event-source-mappings"]) => ("CreateEventSourceMapping", None),
        (&Method::GET, ["event-source-mappings"]) => (
            "ListEventSourceMappings",
            query_get(query, "FunctionName").and_then(name),
        ),
        (m, ["event-source-mappings", id]) => {
            let op = match *m {
                Method::GET => "GetEventSourceMapping",
                Method::PUT => "UpdateEventSourceMapping",
                Method::DELETE => "DeleteEventSourceMapping",
                _ => return None,
            };
            (op, Some((*id).to_owned()))
        }
        (m, ["tags", arn]) => {
            let op = match *m {
                Method::GET => "ListTags",
                Method::POST => "TagResource",
                Method::DELETE => "UntagResource",
                _ => return None,
            };
            (op, name(arn))
        }
        (&Method::GET, ["layers"]) => ("ListLayers", None),
        (m, ["layers", layer, "versions", tail @ ..]) => {
            let op = match (m, tail) {
                (&Method::POST, []) => "PublishLayerVersion",
                (&Method::GET, []) => "ListLayerVersions",
                (&Method::GET, [_]) => "GetLayerVersion",
                (&Method::DELETE, [_]) => "DeleteLayerVersion",
                _ => return None,
            };
            (op, name(layer))
        }
        (&Method::GET, ["account-settings"]) => ("GetAccountSettings", None),
        _ => return None,
    };
    Some(Route {
        operation: op.to_owned(),
        resource,
    })
}

/// API Gateway v1 collections: path segment, singular and plural nouns.
const APIGATEWAY_COLLECTIONS: &[(&str, &str, &str)] = &[
    ("restapis", "RestApi", "RestApis"),
    ("resources", "Resource", "Resources"),
    ("methods", "Method", "Methods"),
    ("deployments", "Deployment", "Deployments"),
    ("stages", "Stage", "Stages"),
    ("authorizers", "Authorizer", "Authorizers"),
    ("models", "Model", "Models"),
    ("requestvalidators", "RequestValidator", "RequestValidators"),
    ("gatewayresponses", "GatewayResponse", "GatewayResponses"),
    ("usageplans", "UsagePlan", "UsagePlans"),
    ("keys", "UsagePlanKey", "UsagePlanKeys"),
    ("apikeys", "ApiKey", "ApiKeys"),
    ("domainnames", "DomainName", "DomainNames"),
    ("basepathmappings", "BasePathMapping", "BasePathMappings"),
    (
        "clientcertificates",
        "ClientCertificate",
        "ClientCertificates",
    ),
    ("vpclinks", "VpcLink", "VpcLinks"),
];

/// API Gateway v1. Nested collections name the operation by their last collection segment:
/// `DELETE /restapis/{id}/stages/{name}` is DeleteStage. The resource is the REST API id (or,
/// outside `/restapis`, the first id: usage plan, API key, domain name).
pub(crate) fn apigateway(method: &Method, segs: &[String]) -> Option<Route> {
    let segs: Vec<&str> = segs
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let resource = segs.get(1).map(|s| (*s).to_owned());
    match segs.as_slice() {
        ["tags", arn] => {
            let op = match *method {
                Method::GET => "GetTags",
                Method::PUT => "TagResource",
                Method::DELETE => "UntagResource",
                _ => return None,
            };
            return Some(Route {
                operation: op.to_owned(),
                resource: Some(name_from_arn(arn)),
            });
        }
        ["account"] => {
            let op = if *method == Method::PATCH {
                "UpdateAccount"
            } else {
                "GetAccount"
            };
            return Some(Route {
                operation: op.to_owned(),
                resource: None,
            });
        }
        _ => {}
    }
    let op = nested_rest_operation(method, &segs, APIGATEWAY_COLLECTIONS, "Get", true)?;
    Some(Route {
        operation: op,
        resource,
    })
}

/// API Gateway v2 collections under `/v2/`.
const APIGATEWAYV2_COLLECTIONS: &[(&str, &str, &str)] = &[
    ("apis", "Api", "Apis"),
    ("stages", "Stage", "Stages"),
    ("routes", "Route", "Routes"),
    ("routeresponses", "RouteResponse", "RouteResponses"),
    ("integrations", "Integration", "Integrations"),
    (
        "integrationresponses",
        "IntegrationResponse",
        "IntegrationResponses",
    ),
    ("authorizers", "Authorizer", "Authorizers"),
    ("deployments", "Deployment", "Deployments"),
    ("models", "Model", "Models"),
    ("domainnames", "DomainName", "DomainNames"),
    ("apimappings", "ApiMapping", "ApiMappings"),
    ("vpclinks", "VpcLink", "VpcLinks"),
];

/// API Gateway v2: `/v2/apis/{id}/...`, `/v2/domainnames/{name}/apimappings/...`. The resource
/// is the API id or the domain name.
pub(crate) fn apigatewayv2(method: &Method, segs: &[String]) -> Option<Route> {
    let segs: Vec<&str> = segs
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let ["v2", rest @ ..] = segs.as_slice() else {
        return None;
    };
    let resource = rest.get(1).map(|s| (*s).to_owned());
    if let ["tags", arn] = rest {
        let op = match *method {
            Method::GET => "GetTags",
            Method::POST => "TagResource",
            Method::DELETE => "UntagResource",
            _ => return None,
        };
        return Some(Route {
            operation: op.to_owned(),
            resource: Some(name_from_arn(arn)),
        });
    }
    let op = match (method, rest) {
        (&Method::PUT, ["apis"]) => "ImportApi".to_owned(),
        (&Method::PUT, ["apis", _]) => "ReimportApi".to_owned(),
        _ => nested_rest_operation(method, rest, APIGATEWAYV2_COLLECTIONS, "Get", false)?,
    };
    Some(Route {
        operation: op,
        resource,
    })
}

/// The operation of a nested REST path `coll/{id}/coll/{id}/...`: the last collection gives the
/// noun; with an id after it the method gives Get/Delete/Update/Put, without one POST creates
/// and GET lists (`list_verb` + plural). API Gateway v1 has two quirks: the singleton
/// `integration` segment, and `responses` meaning method or integration responses.
fn nested_rest_operation(
    method: &Method,
    segs: &[&str],
    collections: &[(&str, &str, &str)],
    list_verb: &str,
    v1_quirks: bool,
) -> Option<String> {
    // Walk to the last collection segment, remembering whether an id follows it.
    let mut noun: Option<(String, String)> = None;
    let mut has_id = false;
    let mut previous: Option<&str> = None;
    let mut i = 0;
    while i < segs.len() {
        let seg = segs[i];
        if v1_quirks && seg == "integration" {
            noun = Some(("Integration".to_owned(), "Integrations".to_owned()));
            has_id = true; // a singleton: addressed without an id
            previous = Some(seg);
            i += 1;
            continue;
        }
        if v1_quirks && seg == "responses" {
            let singular = if previous == Some("integration") {
                "IntegrationResponse"
            } else {
                "MethodResponse"
            };
            noun = Some((singular.to_owned(), format!("{singular}s")));
        } else {
            let (_, singular, plural) = collections.iter().find(|(s, ..)| *s == seg)?;
            noun = Some(((*singular).to_owned(), (*plural).to_owned()));
        }
        has_id = i + 1 < segs.len();
        previous = Some(seg);
        i += 2;
    }
    let (singular, plural) = noun?;
    let op = match (method, has_id) {
        (&Method::POST, false) => format!("Create{singular}"),
        (&Method::GET, false) => format!("{list_verb}{plural}"),
        (&Method::GET, true) => format!("Get{singular}"),
        (&Method::DELETE, true) => format!("Delete{singular}"),
        (&Method::PATCH, true) => format!("Update{singular}"),
        (&Method::PUT, true) => format!("Put{singular}"),
        // API Gateway v1 creates resources with POST on the parent resource's id.
        (&Method::POST, true) if singular == "Resource" => "CreateResource".to_owned(),
        _ => return None,
    };
    Some(op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::classify::segments;

    fn q(s: &str) -> Query {
        form_urlencoded::parse(s.as_bytes()).into_owned().collect()
    }

    fn s3_op(method: Method, path: &str, query: &str) -> String {
        s3(&method, &segments(path), &q(query), &HeaderMap::new()).operation
    }

    #[test]
    fn s3_routes() {
        assert_eq!(s3_op(Method::GET, "/", ""), "ListBuckets");
        assert_eq!(s3_op(Method::PUT, "/b", ""), "CreateBucket");
        assert_eq!(s3_op(Method::DELETE, "/b", ""), "DeleteBucket");
        assert_eq!(s3_op(Method::HEAD, "/b", ""), "HeadBucket");
        assert_eq!(s3_op(Method::POST, "/b", "delete"), "DeleteObjects");
        assert_eq!(
            s3_op(Method::GET, "/b", "versions&prefix=a"),
            "ListObjectVersions"
        );
        assert_eq!(s3_op(Method::GET, "/b", "list-type=2"), "ListObjectsV2");
        assert_eq!(s3_op(Method::GET, "/b", "location"), "GetBucketLocation");
        assert_eq!(s3_op(Method::DELETE, "/b", "policy"), "DeleteBucketPolicy");
        assert_eq!(
            s3_op(Method::PUT, "/b", "versioning"),
            "PutBucketVersioning"
        );
        assert_eq!(s3_op(Method::GET, "/b", "uploads"), "ListMultipartUploads");
        assert_eq!(s3_op(Method::PUT, "/b/k/x.txt", ""), "PutObject");
        assert_eq!(s3_op(Method::DELETE, "/b/k", "versionId=1"), "DeleteObject");
        assert_eq!(
            s3_op(Method::DELETE, "/b/k", "uploadId=1"),
            "AbortMultipartUpload"
        );
        assert_eq!(
            s3_op(Method::PUT, "/b/k", "legal-hold"),
            "PutObjectLegalHold"
        );
        assert_eq!(
            s3_op(Method::POST, "/b/k", "uploads"),
            "CreateMultipartUpload"
        );
        assert_eq!(s3_op(Method::PUT, "/b/k", "x-id=PutObject"), "PutObject");
    }

    fn cf_op(method: Method, path: &str, query: &str) -> Option<Route> {
        cloudfront(&method, &segments(path), &q(query))
    }

    #[test]
    fn cloudfront_routes() {
        let r = cf_op(Method::GET, "/2020-05-31/distribution/E1/config", "").expect("route");
        assert_eq!(r.operation, "GetDistributionConfig");
        assert_eq!(r.resource.as_deref(), Some("E1"));
        let op = |m, p, qs| cf_op(m, p, qs).map(|r| r.operation);
        assert_eq!(
            op(Method::PUT, "/2020-05-31/distribution/E1/config", "").as_deref(),
            Some("UpdateDistribution")
        );
        assert_eq!(
            op(Method::DELETE, "/2020-05-31/distribution/E1", "").as_deref(),
            Some("DeleteDistribution")
        );
        assert_eq!(
            op(Method::GET, "/2020-05-31/distribution", "").as_deref(),
            Some("ListDistributions")
        );
        assert_eq!(
            op(Method::POST, "/2020-05-31/distribution", "WithTags").as_deref(),
            Some("CreateDistributionWithTags")
        );
        assert_eq!(
            op(Method::DELETE, "/2020-05-31/origin-access-control/X", "").as_deref(),
            Some("DeleteOriginAccessControl")
        );
        assert_eq!(
            op(
                Method::DELETE,
                "/2020-05-31/origin-access-identity/cloudfront/X",
                ""
            )
            .as_deref(),
            Some("DeleteCloudFrontOriginAccessIdentity")
        );
        assert_eq!(
            op(Method::GET, "/2020-05-31/function/f/describe", "").as_deref(),
            Some("DescribeFunction")
        );
        assert_eq!(
            op(
                Method::POST,
                "/2020-05-31/tagging",
                "Operation=Tag&Resource=arn"
            )
            .as_deref(),
            Some("TagResource")
        );
    }

    #[test]
    fn lambda_routes() {
        let r = lambda(
            &Method::DELETE,
            &segments("/2015-03-31/functions/my-fn"),
            &q(""),
        )
        .expect("route");
        assert_eq!(r.operation, "DeleteFunction");
        assert_eq!(r.resource.as_deref(), Some("my-fn"));
        let arn = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/policy";
        let r = lambda(&Method::GET, &segments(arn), &q("")).expect("route");
        assert_eq!(r.operation, "GetPolicy");
        assert_eq!(r.resource.as_deref(), Some("f"));
        let r = lambda(
            &Method::DELETE,
            &segments("/2015-03-31/event-source-mappings/u-1"),
            &q(""),
        )
        .expect("route");
        assert_eq!(r.operation, "DeleteEventSourceMapping");
        let r = lambda(
            &Method::GET,
            &segments("/2017-03-31/tags/arn%3Aaws%3Alambda%3Ar%3A1%3Afunction%3Ag"),
            &q(""),
        )
        .expect("route");
        assert_eq!(
            (r.operation.as_str(), r.resource.as_deref()),
            ("ListTags", Some("g"))
        );
    }

    #[test]
    fn apigateway_routes() {
        let op = |m, p: &str| apigateway(&m, &segments(p)).map(|r| r.operation);
        assert_eq!(
            op(Method::DELETE, "/restapis/a1").as_deref(),
            Some("DeleteRestApi")
        );
        assert_eq!(op(Method::GET, "/restapis").as_deref(), Some("GetRestApis"));
        assert_eq!(
            op(Method::POST, "/restapis").as_deref(),
            Some("CreateRestApi")
        );
        assert_eq!(
            op(Method::DELETE, "/restapis/a1/stages/prod").as_deref(),
            Some("DeleteStage")
        );
        assert_eq!(
            op(Method::POST, "/restapis/a1/resources/r1").as_deref(),
            Some("CreateResource")
        );
        assert_eq!(
            op(Method::PUT, "/restapis/a1/resources/r1/methods/GET").as_deref(),
            Some("PutMethod")
        );
        assert_eq!(
            op(
                Method::PUT,
                "/restapis/a1/resources/r1/methods/GET/integration"
            )
            .as_deref(),
            Some("PutIntegration")
        );
        assert_eq!(
            op(
                Method::PUT,
                "/restapis/a1/resources/r1/methods/GET/integration/responses/200"
            )
            .as_deref(),
            Some("PutIntegrationResponse")
        );
        assert_eq!(
            op(
                Method::PUT,
                "/restapis/a1/resources/r1/methods/GET/responses/200"
            )
            .as_deref(),
            Some("PutMethodResponse")
        );
        assert_eq!(
            op(Method::POST, "/restapis/a1/deployments").as_deref(),
            Some("CreateDeployment")
        );
        assert_eq!(
            op(Method::PATCH, "/usageplans/u1").as_deref(),
            Some("UpdateUsagePlan")
        );
        assert_eq!(
            op(Method::DELETE, "/usageplans/u1/keys/k1").as_deref(),
            Some("DeleteUsagePlanKey")
        );
        assert_eq!(
            op(Method::DELETE, "/domainnames/d/basepathmappings/%28none%29").as_deref(),
            Some("DeleteBasePathMapping")
        );
        let r = apigateway(&Method::DELETE, &segments("/restapis/a1")).expect("route");
        assert_eq!(r.resource.as_deref(), Some("a1"));
    }

    #[test]
    fn apigatewayv2_routes() {
        let op = |m, p: &str| apigatewayv2(&m, &segments(p)).map(|r| r.operation);
        assert_eq!(
            op(Method::DELETE, "/v2/apis/a1").as_deref(),
            Some("DeleteApi")
        );
        assert_eq!(op(Method::GET, "/v2/apis").as_deref(), Some("GetApis"));
        assert_eq!(op(Method::POST, "/v2/apis").as_deref(), Some("CreateApi"));
        assert_eq!(
            op(Method::DELETE, "/v2/apis/a1/stages/s").as_deref(),
            Some("DeleteStage")
        );
        assert_eq!(
            op(Method::DELETE, "/v2/domainnames/d/apimappings/m").as_deref(),
            Some("DeleteApiMapping")
        );
    }
}
