//! The proxy's operation log and passthrough: identification of service, operation and
//! resource, the mutating-call view, the HTTP log endpoint, unchanged S3 bodies, the binary.

mod proxy_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_s3::primitives::ByteStream;
use proxy_support::{moto, once, unique};
use testkit::proxy::{Proxy, ProxyConfig, Record, is_mutating};

fn passthrough() -> Proxy {
    Proxy::start(ProxyConfig::passthrough(moto())).expect("start the proxy")
}

fn summary(log: &[Record]) -> Vec<(String, String, Option<String>)> {
    log.iter()
        .map(|r| (r.service.clone(), r.operation.clone(), r.resource.clone()))
        .collect()
}

fn entry(
    service: &str,
    operation: &str,
    resource: Option<&str>,
) -> (String, String, Option<String>) {
    (
        service.to_owned(),
        operation.to_owned(),
        resource.map(str::to_owned),
    )
}

async fn create_table(ddb: &aws_sdk_dynamodb::Client, name: &str) {
    ddb.create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect("create table");
}

#[tokio::test]
async fn records_service_operation_and_resource_of_each_protocol() {
    let proxy = passthrough();
    let conf = once(proxy.endpoint()).await;
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    let s3 = proxy_support::s3(&conf);
    let iam = aws_sdk_iam::Client::new(&conf);
    let sts = aws_sdk_sts::Client::new(&conf);
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&conf);
    let apigw = aws_sdk_apigateway::Client::new(&conf);
    let apigwv2 = aws_sdk_apigatewayv2::Client::new(&conf);
    let cf = aws_sdk_cloudfront::Client::new(&conf);
    let lambda = aws_sdk_lambda::Client::new(&conf);

    let table = unique("proxy-log");
    create_table(&ddb, &table).await;
    ddb.delete_table()
        .table_name(&table)
        .send()
        .await
        .expect("delete table");

    let bucket = unique("proxy-log");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    s3.put_object()
        .bucket(&bucket)
        .key("a/b.txt")
        .body(ByteStream::from_static(b"hi"))
        .send()
        .await
        .expect("put");
    s3.list_object_versions()
        .bucket(&bucket)
        .send()
        .await
        .expect("list versions");
    let objects = aws_sdk_s3::types::Delete::builder()
        .objects(
            aws_sdk_s3::types::ObjectIdentifier::builder()
                .key("a/b.txt")
                .build()
                .expect("id"),
        )
        .build()
        .expect("delete");
    s3.delete_objects()
        .bucket(&bucket)
        .delete(objects)
        .send()
        .await
        .expect("delete objects");
    s3.delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("delete bucket");

    let role = unique("proxy-log-role");
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .expect("create role");
    iam.delete_role()
        .role_name(&role)
        .send()
        .await
        .expect("delete role");
    sts.get_caller_identity().send().await.expect("identity");

    let pool = idp
        .create_user_pool()
        .pool_name(unique("proxy-log"))
        .send()
        .await
        .expect("pool");
    let pool_id = pool
        .user_pool()
        .and_then(|p| p.id())
        .expect("id")
        .to_owned();
    idp.delete_user_pool()
        .user_pool_id(&pool_id)
        .send()
        .await
        .expect("delete pool");

    let api = apigw
        .create_rest_api()
        .name(unique("proxy-log"))
        .send()
        .await
        .expect("rest api");
    let api_id = api.id().expect("id").to_owned();
    apigw
        .delete_rest_api()
        .rest_api_id(&api_id)
        .send()
        .await
        .expect("delete rest api");
    let http_api = apigwv2
        .create_api()
        .name(unique("proxy-log"))
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .expect("http api");
    let http_api_id = http_api.api_id().expect("id").to_owned();
    apigwv2
        .delete_api()
        .api_id(&http_api_id)
        .send()
        .await
        .expect("delete http api");

    cf.list_distributions()
        .send()
        .await
        .expect("list distributions");
    let _ = lambda
        .get_function()
        .function_name("proxy-log-absent")
        .send()
        .await;

    let expected = vec![
        entry("dynamodb", "CreateTable", Some(&table)),
        entry("dynamodb", "DeleteTable", Some(&table)),
        entry("s3", "CreateBucket", Some(&bucket)),
        entry("s3", "PutObject", Some(&bucket)),
        entry("s3", "ListObjectVersions", Some(&bucket)),
        entry("s3", "DeleteObjects", Some(&bucket)),
        entry("s3", "DeleteBucket", Some(&bucket)),
        entry("iam", "CreateRole", Some(&role)),
        entry("iam", "DeleteRole", Some(&role)),
        entry("sts", "GetCallerIdentity", None),
        entry("cognito-idp", "CreateUserPool", None),
        entry("cognito-idp", "DeleteUserPool", Some(&pool_id)),
        entry("apigateway", "CreateRestApi", None),
        entry("apigateway", "DeleteRestApi", Some(&api_id)),
        entry("apigatewayv2", "CreateApi", None),
        entry("apigatewayv2", "DeleteApi", Some(&http_api_id)),
        entry("cloudfront", "ListDistributions", None),
        entry("lambda", "GetFunction", Some("proxy-log-absent")),
    ];
    let log = proxy.log();
    assert_eq!(summary(&log), expected);
    assert!(
        log.iter()
            .all(|r| r.forwarded && r.fault.is_none() && r.rule.is_none())
    );
    assert_eq!(log.last().and_then(|r| r.status), Some(404));
    assert!(log.iter().all(|r| r.region.as_deref() == Some("us-east-1")));
    assert!(
        log.windows(2)
            .all(|w| w[0].seq < w[1].seq && w[0].elapsed <= w[1].elapsed)
    );
    assert_eq!(proxy.calls_to("s3").len(), 5);
    assert_eq!(proxy.calls_to("apigatewayv2").len(), 2);
    // Each forwarded request waited for moto, within the proxy's own handling of it.
    assert!(
        log.iter()
            .all(|r| !r.upstream.is_zero() && r.upstream <= r.duration),
        "{log:#?}"
    );
    assert!(log.iter().all(|r| r.own_time() == r.duration - r.upstream));
}

#[tokio::test]
async fn mutating_calls_show_only_writes() {
    let proxy = passthrough();
    let ddb = aws_sdk_dynamodb::Client::new(&once(proxy.endpoint()).await);
    let table = unique("proxy-mutating");

    ddb.list_tables().send().await.expect("list tables");
    let _ = ddb.describe_table().table_name(&table).send().await;
    assert!(
        proxy.mutating_calls().is_empty(),
        "reads only: {:?}",
        proxy.mutating_calls()
    );

    create_table(&ddb, &table).await;
    ddb.delete_table()
        .table_name(&table)
        .send()
        .await
        .expect("delete table");
    let writes: Vec<_> = proxy
        .mutating_calls()
        .into_iter()
        .map(|r| r.operation)
        .collect();
    assert_eq!(writes, ["CreateTable", "DeleteTable"]);
    assert!(is_mutating("DeleteTable") && !is_mutating("DescribeTable"));

    proxy.clear_log();
    assert!(proxy.log().is_empty());
}

/// A bare HTTP/1.1 GET, so the test depends on no HTTP client library.
fn http_get(endpoint: &str, path: &str) -> (u16, String) {
    let address = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect to the proxy");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// From a plain `#[test]`: the proxy needs no runtime of the caller's.
#[test]
fn the_log_is_served_over_http() {
    let proxy = passthrough();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let table = unique("proxy-http-log");
    runtime.block_on(async {
        let ddb = aws_sdk_dynamodb::Client::new(&once(proxy.endpoint()).await);
        create_table(&ddb, &table).await;
        ddb.describe_table()
            .table_name(&table)
            .send()
            .await
            .expect("describe");
        ddb.delete_table()
            .table_name(&table)
            .send()
            .await
            .expect("delete");
    });

    let (status, body) = http_get(proxy.endpoint(), "/_proxy/log");
    assert_eq!(status, 200);
    let log: serde_json::Value = serde_json::from_str(&body).expect("JSON log");
    let ops: Vec<&str> = log
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| r["operation"].as_str().expect("operation"))
        .collect();
    assert_eq!(ops, ["CreateTable", "DescribeTable", "DeleteTable"]);
    assert_eq!(log[0]["service"], "dynamodb");
    assert_eq!(log[0]["resource"], table.as_str());
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["forwarded"], true);
    assert!(log[0]["elapsed_ms"].is_f64());
    assert!(log[0]["duration_ms"].is_f64());
    assert!(log[0]["upstream_ms"].is_f64());

    let (_, body) = http_get(proxy.endpoint(), "/_proxy/log?mutating=true");
    let writes: serde_json::Value = serde_json::from_str(&body).expect("JSON log");
    assert_eq!(writes.as_array().map(Vec::len), Some(2));
    assert_eq!(http_get(proxy.endpoint(), "/_proxy/health").0, 200);
    assert_eq!(http_get(proxy.endpoint(), "/_proxy/nothing").0, 404);
    assert_eq!(
        proxy.log().len(),
        3,
        "the proxy's own endpoints are not logged"
    );
}

#[tokio::test]
async fn s3_bodies_pass_through_unchanged() {
    let proxy = passthrough();
    let s3 = proxy_support::s3(&once(proxy.endpoint()).await);
    let direct = proxy_support::s3(&once(&moto()).await);
    let bucket = unique("proxy-bodies");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");

    // Small and large bodies; the SDK sends them aws-chunked with a trailing checksum.
    let small = b"hello through the proxy".to_vec();
    let large: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    for (key, data) in [("small.txt", &small), ("dir/large.bin", &large)] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .expect("put object");
        let head = s3
            .head_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .expect("head");
        assert_eq!(
            head.content_length(),
            Some(data.len() as i64),
            "HEAD keeps Content-Length"
        );
        let got = s3
            .get_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .expect("get");
        let got = got.body.collect().await.expect("read body").into_bytes();
        assert_eq!(&got[..], &data[..], "{key} reads back unchanged");
        let stored = direct
            .get_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .expect("get");
        let stored = stored.body.collect().await.expect("read body").into_bytes();
        assert_eq!(&stored[..], &data[..], "moto stored {key} decoded, as sent");
        s3.delete_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .expect("delete object");
    }
    s3.delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("delete bucket");
    assert!(
        proxy.log().iter().all(|r| r.succeeded()),
        "{:?}",
        proxy.log()
    );
}

#[tokio::test]
async fn the_binary_prints_its_endpoint_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aws-proxy"))
        .args(["--upstream", &moto(), "--profile", "passthrough"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aws-proxy");
    let stdout = child.stdout.take().expect("stdout");
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .expect("read the endpoint");
    let endpoint = first_line.trim().to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint:?}");

    let sts = aws_sdk_sts::Client::new(&once(&endpoint).await);
    let identity = sts
        .get_caller_identity()
        .send()
        .await
        .expect("identity through the binary");
    assert_eq!(identity.account(), Some("123456789012"));
    let (status, body) = http_get(&endpoint, "/_proxy/log");

    child.kill().expect("stop aws-proxy");
    let _ = child.wait();
    assert_eq!(status, 200);
    assert!(
        body.contains("\"operation\":\"GetCallerIdentity\""),
        "{body}"
    );
}
