//! The proxy's injected faults and latency, each shown with a plain SDK client (one attempt,
//! so the fault reaches the test as is) against moto.

mod proxy_support;

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use proxy_support::{code, moto, once, status, unique};
use testkit::proxy::{FaultConfig, FaultKind, Proxy, ProxyConfig};

fn proxy_with(faults: FaultConfig) -> Proxy {
    Proxy::start(ProxyConfig::passthrough(moto()).faults(faults)).expect("start the proxy")
}

fn always(kind: FaultKind) -> FaultConfig {
    FaultConfig::new(1, 1.0).kinds([kind])
}

fn create_table(
    ddb: &aws_sdk_dynamodb::Client,
    name: &str,
) -> aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder {
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
}

async fn table_exists(ddb: &aws_sdk_dynamodb::Client, name: &str) -> bool {
    match ddb.describe_table().table_name(name).send().await {
        Ok(_) => true,
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(err) => panic!("describe table: {err:?}"),
    }
}

#[tokio::test]
async fn throttling_comes_in_each_protocols_own_shape() {
    let proxy = proxy_with(always(FaultKind::Throttle));
    let conf = once(proxy.endpoint()).await;

    // awsJson (DynamoDB, Cognito): 400 ThrottlingException.
    let err = aws_sdk_dynamodb::Client::new(&conf)
        .list_tables()
        .send()
        .await
        .expect_err("fault");
    assert_eq!(
        (status(&err), code(&err).as_str()),
        (Some(400), "ThrottlingException")
    );
    let err = aws_sdk_cognitoidentityprovider::Client::new(&conf)
        .list_user_pools()
        .max_results(10)
        .send()
        .await
        .expect_err("fault");
    assert_eq!(
        (status(&err), code(&err).as_str()),
        (Some(400), "ThrottlingException")
    );
    // awsQuery (IAM, STS): 400 Throttling.
    let err = aws_sdk_iam::Client::new(&conf)
        .list_roles()
        .send()
        .await
        .expect_err("fault");
    assert_eq!(
        (status(&err), code(&err).as_str()),
        (Some(400), "Throttling")
    );
    let err = aws_sdk_sts::Client::new(&conf)
        .get_caller_identity()
        .send()
        .await
        .expect_err("fault");
    assert_eq!(
        (status(&err), code(&err).as_str()),
        (Some(400), "Throttling")
    );
    // S3: 503 SlowDown.
    let err = proxy_support::s3(&conf)
        .list_buckets()
        .send()
        .await
        .expect_err("fault");
    assert_eq!((status(&err), code(&err).as_str()), (Some(503), "SlowDown"));
    // restJson (Lambda, API Gateway): 429 TooManyRequestsException.
    let err = aws_sdk_lambda::Client::new(&conf)
        .list_functions()
        .send()
        .await
        .expect_err("fault");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_too_many_requests_exception()),
        "{err:?}"
    );
    assert_eq!(status(&err), Some(429));
    let err = aws_sdk_apigateway::Client::new(&conf)
        .get_rest_apis()
        .send()
        .await
        .expect_err("fault");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_too_many_requests_exception()),
        "{err:?}"
    );
    // CloudFront's REST XML: 400 Throttling.
    let err = aws_sdk_cloudfront::Client::new(&conf)
        .list_distributions()
        .send()
        .await
        .expect_err("fault");
    assert_eq!(
        (status(&err), code(&err).as_str()),
        (Some(400), "Throttling")
    );

    let log = proxy.log();
    assert_eq!(log.len(), 8);
    assert!(
        log.iter()
            .all(|r| r.fault == Some(FaultKind::Throttle) && !r.forwarded),
        "{log:?}"
    );
}

#[tokio::test]
async fn server_errors_are_500_and_503() {
    let internal = proxy_with(always(FaultKind::InternalError));
    let unavailable = proxy_with(always(FaultKind::ServiceUnavailable));

    let ddb = aws_sdk_dynamodb::Client::new(&once(internal.endpoint()).await);
    let err = ddb.list_tables().send().await.expect_err("fault");
    assert_eq!(
        (status(&err), code(&err).as_str()),
        (Some(500), "InternalServerError")
    );
    let s3 = proxy_support::s3(&once(internal.endpoint()).await);
    let err = s3.list_buckets().send().await.expect_err("fault");
    assert_eq!(
        (status(&err), code(&err).as_str()),
        (Some(500), "InternalError")
    );

    let iam = aws_sdk_iam::Client::new(&once(unavailable.endpoint()).await);
    let err = iam.list_roles().send().await.expect_err("fault");
    assert_eq!(
        (status(&err), code(&err).as_str()),
        (Some(503), "ServiceUnavailable")
    );
    assert!(
        unavailable
            .log()
            .iter()
            .all(|r| r.status == Some(503) && !r.forwarded)
    );
}

#[tokio::test]
async fn a_connection_dropped_before_forwarding_never_reaches_moto() {
    let proxy = proxy_with(always(FaultKind::DropBeforeForward).operations(["CreateTable"]));
    let ddb = aws_sdk_dynamodb::Client::new(&once(proxy.endpoint()).await);
    let table = unique("proxy-drop-before");

    let err = create_table(&ddb, &table)
        .send()
        .await
        .expect_err("the connection is dropped");
    assert_eq!(status(&err), None, "no answer at all: {err:?}");
    assert!(
        !table_exists(&ddb, &table).await,
        "moto never saw the request"
    );

    let creates = proxy.calls_of("CreateTable");
    assert_eq!(creates.len(), 1);
    let record = &creates[0];
    assert_eq!(record.fault, Some(FaultKind::DropBeforeForward));
    assert_eq!((record.forwarded, record.status), (false, None));
    assert_eq!(record.resource.as_deref(), Some(table.as_str()));
}

#[tokio::test]
async fn a_connection_dropped_after_forwarding_leaves_moto_changed() {
    let proxy =
        proxy_with(always(FaultKind::DropAfterForward).operations(["dynamodb:CreateTable"]));
    let ddb = aws_sdk_dynamodb::Client::new(&once(proxy.endpoint()).await);
    let table = unique("proxy-drop-after");

    let err = create_table(&ddb, &table)
        .send()
        .await
        .expect_err("the answer is lost");
    assert_eq!(status(&err), None, "no answer at all: {err:?}");
    assert!(
        table_exists(&ddb, &table).await,
        "the table was created all the same"
    );
    ddb.delete_table()
        .table_name(&table)
        .send()
        .await
        .expect("clean up");

    let record = &proxy.calls_of("CreateTable")[0];
    assert_eq!(record.fault, Some(FaultKind::DropAfterForward));
    assert_eq!((record.forwarded, record.status), (true, None));
}

#[tokio::test]
async fn faults_can_be_limited_to_mutating_operations() {
    let proxy = proxy_with(always(FaultKind::Throttle).only_mutating());
    let ddb = aws_sdk_dynamodb::Client::new(&once(proxy.endpoint()).await);
    ddb.list_tables().send().await.expect("reads are spared");
    let err = create_table(&ddb, &unique("proxy-mutating"))
        .send()
        .await
        .expect_err("a write");
    assert_eq!(code(&err), "ThrottlingException");
    let faulted: Vec<_> = proxy.faults().into_iter().map(|r| r.operation).collect();
    assert_eq!(faulted, ["CreateTable"]);
}

#[tokio::test]
async fn the_same_seed_replays_the_same_faults() {
    async fn fault_pattern(seed: u64) -> Vec<Option<FaultKind>> {
        let proxy = proxy_with(
            FaultConfig::new(seed, 0.5).kinds([FaultKind::Throttle, FaultKind::InternalError]),
        );
        let ddb = aws_sdk_dynamodb::Client::new(&once(proxy.endpoint()).await);
        for _ in 0..24 {
            let _ = ddb.list_tables().send().await;
        }
        proxy.log().into_iter().map(|r| r.fault).collect()
    }
    let first = fault_pattern(7).await;
    let again = fault_pattern(7).await;
    let other = fault_pattern(8).await;
    assert_eq!(first, again, "seed 7 twice");
    assert_ne!(first, other, "seed 8 differs");
    let faults = first.iter().filter(|f| f.is_some()).count();
    assert!(
        (1..24).contains(&faults),
        "rate 0.5 gives some faults, not all: {faults}"
    );
    assert!(
        first.contains(&Some(FaultKind::Throttle))
            && first.contains(&Some(FaultKind::InternalError))
    );
}

#[tokio::test]
async fn sdk_retries_get_past_a_limited_number_of_faults() {
    let proxy = proxy_with(always(FaultKind::ServiceUnavailable).max_faults(2));
    // Three attempts, as the SDK's standard retry mode makes by default.
    let ddb = aws_sdk_dynamodb::Client::new(
        &proxy_support::config(proxy.endpoint(), "us-east-1", 3).await,
    );
    ddb.list_tables()
        .send()
        .await
        .expect("the third attempt gets through");
    let statuses: Vec<_> = proxy
        .log()
        .into_iter()
        .map(|r| (r.status, r.fault))
        .collect();
    assert_eq!(
        statuses,
        [
            (Some(503), Some(FaultKind::ServiceUnavailable)),
            (Some(503), Some(FaultKind::ServiceUnavailable)),
            (Some(200), None)
        ]
    );
}

#[tokio::test]
async fn latency_is_added_to_every_request_and_per_key() {
    let fixed = Duration::from_millis(300);
    let keyed = Duration::from_millis(500);
    let proxy = Proxy::start(
        ProxyConfig::passthrough(moto())
            .latency(fixed)
            .latency_for("dynamodb:ListTables", keyed),
    )
    .expect("start the proxy");
    let conf = once(proxy.endpoint()).await;
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    let sts = aws_sdk_sts::Client::new(&conf);

    let started = Instant::now();
    sts.get_caller_identity().send().await.expect("identity");
    assert!(
        started.elapsed() >= fixed,
        "every request waits the fixed latency"
    );

    let started = Instant::now();
    ddb.list_tables().send().await.expect("list tables");
    assert!(
        started.elapsed() >= fixed + keyed,
        "ListTables also waits its own"
    );
}
