//! Which service, operation, resource and region a request is for.
//!
//! The SigV4 credential scope names the service and region (`Credential=AKID/20250101/
//! us-east-1/dynamodb/aws4_request`); the operation comes from `X-Amz-Target` (JSON
//! protocols), the `Action` form field (query protocols) or the method and path (REST
//! protocols, see `routes`).

use http::request::Parts;
use http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;

use super::routes;

/// How a service frames its requests and, above all, its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// awsJson 1.0 / 1.1: `X-Amz-Target`, errors `{"__type": ..., "message": ...}`.
    Json,
    /// awsQuery (IAM, STS): `Action=` form, errors `<ErrorResponse><Error><Code>`.
    Query,
    /// S3's REST XML: errors `<Error><Code>`.
    S3,
    /// CloudFront's (and Route 53's) REST XML: errors `<ErrorResponse><Error><Code>`.
    RestXml,
    /// restJson1 (Lambda, API Gateway): errors carry `x-amzn-ErrorType` and `{"message"}`.
    RestJson,
}

/// A request, identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    pub service: String,
    pub operation: String,
    pub resource: Option<String>,
    pub region: Option<String>,
    pub protocol: Protocol,
}

/// Decoded query string pairs, in order.
pub(crate) type Query = Vec<(String, String)>;

pub(crate) fn query_pairs(parts: &Parts) -> Query {
    parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

pub(crate) fn query_get<'a>(query: &'a Query, key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(crate) fn query_has(query: &Query, key: &str) -> bool {
    query.iter().any(|(k, _)| k == key)
}

/// Path segments after the leading `/`, percent-decoded. `/a/b%2Fc/` gives `["a", "b/c", ""]`.
pub(crate) fn segments(path: &str) -> Vec<String> {
    let path = path.strip_prefix('/').unwrap_or(path);
    if path.is_empty() {
        return Vec::new();
    }
    path.split('/')
        .map(|seg| percent_decode_str(seg).decode_utf8_lossy().into_owned())
        .collect()
}

/// `(region, service)` from the SigV4 credential scope of the `Authorization` header or of a
/// presigned URL's `X-Amz-Credential`. SigV4a scopes have no region.
pub(crate) fn credential_scope(
    headers: &HeaderMap,
    query: &Query,
) -> Option<(Option<String>, String)> {
    let credential = match headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(auth) => {
            let start = auth.find("Credential=")? + "Credential=".len();
            let rest = &auth[start..];
            let end = rest.find([',', ' ']).unwrap_or(rest.len());
            rest[..end].to_owned()
        }
        None => query_get(query, "X-Amz-Credential")?.to_owned(),
    };
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [_key, _date, region, service, "aws4_request"] => {
            Some((Some((*region).to_owned()), (*service).to_owned()))
        }
        [_key, _date, service, "aws4_request"] => Some((None, (*service).to_owned())),
        _ => None,
    }
}

/// JSON-protocol target prefixes and the service each belongs to.
const TARGET_PREFIXES: &[(&str, &str)] = &[
    ("DynamoDB_20120810", "dynamodb"),
    ("DynamoDBStreams_20120810", "dynamodb"),
    ("AWSCognitoIdentityProviderService", "cognito-idp"),
    ("AWSCognitoIdentityService", "cognito-identity"),
    ("Logs_20140328", "logs"),
];

/// JSON body keys that name the resource, most specific first.
const JSON_RESOURCE_KEYS: &[&str] = &[
    "TableName",
    "UserPoolId",
    "IdentityPoolId",
    "logGroupName",
    "FunctionName",
    "BackupArn",
    "ResourceArn",
    "GlobalTableName",
];

/// Query-protocol form fields that name the resource, most specific first.
const FORM_RESOURCE_KEYS: &[&str] = &[
    "RoleName",
    "UserName",
    "GroupName",
    "InstanceProfileName",
    "PolicyArn",
    "PolicyName",
    "OpenIDConnectProviderArn",
    "SAMLProviderArn",
    "RoleArn",
];

pub(crate) fn classify(parts: &Parts, body: &[u8]) -> Call {
    let query = query_pairs(parts);
    let scope = credential_scope(&parts.headers, &query);
    let region = scope.as_ref().and_then(|(region, _)| region.clone());
    let path = parts.uri.path();

    // JSON protocols: the target names the operation (and, unsigned, the service).
    if let Some(target) = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
    {
        let (prefix, operation) = target.rsplit_once('.').unwrap_or(("", target));
        let service = scope
            .map(|(_, service)| service)
            .or_else(|| {
                TARGET_PREFIXES
                    .iter()
                    .find(|(p, _)| *p == prefix)
                    .map(|(_, s)| (*s).to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let resource = json_resource(body);
        return Call {
            service,
            operation: operation.to_owned(),
            resource,
            region,
            protocol: Protocol::Json,
        };
    }

    let service = match scope {
        Some((_, service)) if service == "apigateway" && path.starts_with("/v2/") => {
            "apigatewayv2".to_owned()
        }
        Some((_, service)) => service,
        None => service_from_path(path).to_owned(),
    };

    // Query protocols: the `Action` field, in the form body or (GET) the query string.
    let is_form = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if service != "s3" {
        let form: Query = if is_form {
            form_urlencoded::parse(body).into_owned().collect()
        } else {
            Vec::new()
        };
        let action = query_get(&form, "Action").or_else(|| query_get(&query, "Action"));
        if let Some(action) = action {
            let resource = FORM_RESOURCE_KEYS
                .iter()
                .find_map(|key| query_get(&form, key).or_else(|| query_get(&query, key)))
                .map(name_from_arn);
            return Call {
                service,
                operation: action.to_owned(),
                resource,
                region,
                protocol: Protocol::Query,
            };
        }
    }

    let segs = segments(path);
    let (protocol, route) = match service.as_str() {
        "s3" => (
            Protocol::S3,
            Some(routes::s3(&parts.method, &segs, &query, &parts.headers)),
        ),
        "cloudfront" => (
            Protocol::RestXml,
            routes::cloudfront(&parts.method, &segs, &query),
        ),
        "route53" => (Protocol::RestXml, None),
        "lambda" => (
            Protocol::RestJson,
            routes::lambda(&parts.method, &segs, &query),
        ),
        "apigateway" => (Protocol::RestJson, routes::apigateway(&parts.method, &segs)),
        "apigatewayv2" => (
            Protocol::RestJson,
            routes::apigatewayv2(&parts.method, &segs),
        ),
        _ => (Protocol::RestJson, None),
    };
    let (operation, resource) = match route {
        Some(route) => (route.operation, route.resource),
        None => (fallback_operation(&parts.method, parts), None),
    };
    Call {
        service,
        operation,
        resource,
        region,
        protocol,
    }
}

/// `METHOD /path?query`, for REST calls no route table knows.
fn fallback_operation(method: &Method, parts: &Parts) -> String {
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    format!("{method} {target}")
}

/// Unsigned requests: guess the service from the path.
fn service_from_path(path: &str) -> &'static str {
    if path.starts_with("/moto-api") {
        "moto"
    } else if path.starts_with("/2020-05-31/") {
        "cloudfront"
    } else if path.starts_with("/2015-03-31/") || path.starts_with("/2017-03-31/tags") {
        "lambda"
    } else if path.starts_with("/restapis") {
        "apigateway"
    } else if path.starts_with("/v2/") {
        "apigatewayv2"
    } else {
        "unknown"
    }
}

fn json_resource(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    for key in JSON_RESOURCE_KEYS {
        if let Some(name) = object.get(*key).and_then(|v| v.as_str()) {
            return Some(name_from_arn(name));
        }
    }
    // BatchWriteItem / BatchGetItem: the first table named.
    object
        .get("RequestItems")?
        .as_object()?
        .keys()
        .next()
        .cloned()
}

/// The name at the end of an ARN (`arn:aws:iam::1:policy/path/Name` -> `Name`,
/// `arn:aws:dynamodb:r:1:table/T` -> `T`, `arn:aws:lambda:r:1:function:F` -> `F`); anything
/// that is not an ARN comes back unchanged.
pub(crate) fn name_from_arn(value: &str) -> String {
    if !value.starts_with("arn:") {
        return value.to_owned();
    }
    let fields: Vec<&str> = value.splitn(6, ':').collect();
    let Some(resource) = fields.get(5) else {
        return value.to_owned();
    };
    // Lambda: `function:NAME[:QUALIFIER]`.
    if let Some(rest) = resource.strip_prefix("function:") {
        return rest.split(':').next().unwrap_or(rest).to_owned();
    }
    // `type/path/name` (IAM, DynamoDB `table/T/backup/B` keeps the table).
    if let Some(rest) = resource.strip_prefix("table/") {
        return rest.split('/').next().unwrap_or(rest).to_owned();
    }
    resource.rsplit('/').next().unwrap_or(resource).to_owned()
}

#[cfg(test)]
mod tests {
    use http::Request;

    use super::*;

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).expect("valid request").into_parts().0
    }

    fn auth(service: &str, region: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=testing/20250101/{region}/{service}/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=abc"
        )
    }

    #[test]
    fn json_target_names_operation_and_table() {
        let auth = auth("dynamodb", "eu-west-1");
        let p = parts(
            "POST",
            "/",
            &[
                ("authorization", &auth),
                ("x-amz-target", "DynamoDB_20120810.DeleteTable"),
            ],
        );
        let call = classify(&p, br#"{"TableName":"orders"}"#);
        assert_eq!(call.service, "dynamodb");
        assert_eq!(call.operation, "DeleteTable");
        assert_eq!(call.resource.as_deref(), Some("orders"));
        assert_eq!(call.region.as_deref(), Some("eu-west-1"));
        assert_eq!(call.protocol, Protocol::Json);
    }

    #[test]
    fn unsigned_json_target_finds_service_from_prefix() {
        let p = parts(
            "POST",
            "/",
            &[("x-amz-target", "AWSCognitoIdentityService.GetId")],
        );
        let call = classify(&p, br#"{"IdentityPoolId":"us-east-1:abc"}"#);
        assert_eq!(call.service, "cognito-identity");
        assert_eq!(call.operation, "GetId");
        assert_eq!(call.resource.as_deref(), Some("us-east-1:abc"));
    }

    #[test]
    fn query_action_names_operation_and_policy() {
        let auth = auth("iam", "us-east-1");
        let p = parts(
            "POST",
            "/",
            &[
                ("authorization", &auth),
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
            ],
        );
        let body = b"Action=DeletePolicy&Version=2010-05-08&PolicyArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fsvc%2FMyPolicy";
        let call = classify(&p, body);
        assert_eq!(call.service, "iam");
        assert_eq!(call.operation, "DeletePolicy");
        assert_eq!(call.resource.as_deref(), Some("MyPolicy"));
        assert_eq!(call.protocol, Protocol::Query);
    }

    #[test]
    fn apigateway_v2_is_reported_apart() {
        let auth = auth("apigateway", "us-east-1");
        let p = parts("DELETE", "/v2/apis/abc123", &[("authorization", &auth)]);
        let call = classify(&p, b"");
        assert_eq!(call.service, "apigatewayv2");
        assert_eq!(call.operation, "DeleteApi");
        assert_eq!(call.resource.as_deref(), Some("abc123"));
    }

    #[test]
    fn presigned_url_scope_is_read() {
        let p = parts(
            "GET",
            "/bucket/key?X-Amz-Credential=testing%2F20250101%2Fus-west-2%2Fs3%2Faws4_request",
            &[],
        );
        let call = classify(&p, b"");
        assert_eq!(call.service, "s3");
        assert_eq!(call.operation, "GetObject");
        assert_eq!(call.region.as_deref(), Some("us-west-2"));
    }

    #[test]
    fn unknown_rest_call_falls_back_to_method_and_path() {
        let auth = auth("lambda", "us-east-1");
        let p = parts("POST", "/2099-01-01/novel?x=1", &[("authorization", &auth)]);
        let call = classify(&p, b"");
        assert_eq!(call.operation, "POST /2099-01-01/novel?x=1");
    }

    #[test]
    fn arn_names() {
        assert_eq!(name_from_arn("arn:aws:iam::1:policy/a/b/Name"), "Name");
        assert_eq!(
            name_from_arn("arn:aws:lambda:us-east-1:1:function:f:3"),
            "f"
        );
        assert_eq!(
            name_from_arn("arn:aws:dynamodb:us-east-1:1:table/T/backup/B"),
            "T"
        );
        assert_eq!(name_from_arn("plain"), "plain");
    }
}
