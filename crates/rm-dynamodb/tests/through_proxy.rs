//! rm-dynamodb through the real-AWS behaviour proxy: asynchronous table states moto skips,
//! lost answers, and proof from the proxy's log of which calls were (not) made.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use serde_json::Value;
use testkit::proxy::{FaultConfig, FaultKind, Proxy, ProxyConfig};
use testkit::{command, endpoint, sdk_config, sdk_config_for, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_rm-dynamodb");

async fn create_table(client: &Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
}

async fn exists(name: &str) -> bool {
    let client = Client::new(&sdk_config().await);
    client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .is_ok()
}

fn report(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_creating_table_is_waited_for_and_a_deleting_one_waited_out() {
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint())
            .dynamodb_creating_time(Duration::from_secs(2))
            .dynamodb_deleting_time(Duration::from_secs(2)),
    )
    .unwrap();
    let name = unique_name("Creating");
    // Created through the proxy, so it reads CREATING for a while, as on AWS.
    create_table(&Client::new(&sdk_config_for(proxy.endpoint()).await), &name).await;

    let output = command(BIN)
        .args([
            "--table",
            &name,
            "-y",
            "--output",
            "json",
            "--endpoint-url",
            proxy.endpoint(),
        ])
        .output()
        .unwrap();

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        report(&output)["actions"][0]["outcome"]["status"],
        "deleted"
    );
    assert!(!exists(&name).await);
    // DeleteTable was only sent once the table was ACTIVE: no ResourceInUseException was needed,
    // and the deletion was awaited until DescribeTable said the table was gone.
    let deletes = proxy.calls_of("DeleteTable");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(deletes[0].succeeded());
    let describes_after: Vec<_> = proxy
        .calls_of("DescribeTable")
        .into_iter()
        .filter(|r| r.seq > deletes[0].seq)
        .collect();
    assert!(
        describes_after.iter().any(|r| r.status == Some(400)),
        "the run did not wait until the table was gone: {describes_after:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_makes_no_mutating_call() {
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();
    let name = unique_name("DryRunProxy");
    create_table(&Client::new(&sdk_config().await), &name).await;

    let output = command(BIN)
        .args([
            "--table",
            &name,
            "--with-backups",
            "--disable-deletion-protection",
            "--dry-run",
        ])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0));
    assert!(
        !proxy.calls_to("dynamodb").is_empty(),
        "the dry run did not look at the table"
    );
    assert_eq!(
        proxy.mutating_calls(),
        vec![],
        "a dry run changed something"
    );
    assert!(exists(&name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_account_mismatch_stops_before_any_dynamodb_call() {
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();
    let name = unique_name("WrongAccount");
    create_table(&Client::new(&sdk_config().await), &name).await;

    let output = command(BIN)
        .args(["--table", &name, "-y", "--expect-account", "111111111111"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("account mismatch"));
    assert_eq!(
        proxy.calls_to("dynamodb"),
        vec![],
        "DynamoDB was called before the account check"
    );
    assert_eq!(proxy.calls_of("GetCallerIdentity").len(), 1);
    assert!(exists(&name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_to_delete_table_still_ends_deleted() {
    // The first DeleteTable reaches moto, which deletes the table, but the connection drops
    // before the answer: the SDK retries and hears ResourceNotFoundException.
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint()).faults(
            FaultConfig::new(7, 1.0)
                .kinds([FaultKind::DropAfterForward])
                .operations(["DeleteTable"])
                .max_faults(1),
        ),
    )
    .unwrap();
    let name = unique_name("LostAnswer");
    create_table(&Client::new(&sdk_config().await), &name).await;

    let output = command(BIN)
        .args([
            "--table",
            &name,
            "-y",
            "--output",
            "json",
            "--endpoint-url",
            proxy.endpoint(),
        ])
        .output()
        .unwrap();

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        report(&output)["actions"][0]["outcome"]["status"],
        "deleted"
    );
    assert_eq!(proxy.faults().len(), 1, "the fault was not injected");
    assert!(!exists(&name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_and_server_errors_are_retried() {
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint()).faults(
            FaultConfig::new(11, 0.3)
                .kinds([
                    FaultKind::Throttle,
                    FaultKind::InternalError,
                    FaultKind::ServiceUnavailable,
                ])
                .services(["dynamodb"]),
        ),
    )
    .unwrap();
    let names = [unique_name("Flaky"), unique_name("Flaky")];
    let client = Client::new(&sdk_config().await);
    for name in &names {
        create_table(&client, name).await;
    }

    let output = command(BIN)
        .args([
            "--table",
            &names[0],
            "--table",
            &names[1],
            "-y",
            "--endpoint-url",
            proxy.endpoint(),
        ])
        .output()
        .unwrap();

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!proxy.faults().is_empty(), "no fault was injected");
    for name in &names {
        assert!(!exists(name).await);
    }
}

/// rm-dynamodb deleting `name` through `proxy`.
fn delete_through(proxy: &Proxy, name: &str) -> std::process::Output {
    command(BIN)
        .args(["--table", name, "-y", "--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn passing_faults_on_the_identity_check_are_retried() {
    // Every kind once: throttling, 500, 503, and connections dropped before and after the
    // request reached STS. None of them says the configuration is wrong.
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint()).faults(
            FaultConfig::new(5, 1.0)
                .services(["sts"])
                .max_faults(FaultKind::ALL.len() as u64),
        ),
    )
    .unwrap();
    let name = unique_name("StsFlaky");
    create_table(&Client::new(&sdk_config().await), &name).await;

    let output = delete_through(&proxy, &name);

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(proxy.faults().len(), FaultKind::ALL.len());
    assert!(!exists(&name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lasting_sts_outage_is_exit_1_with_advice_not_bad_input() {
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint()).faults(
            FaultConfig::new(9, 1.0)
                .kinds([FaultKind::ServiceUnavailable])
                .services(["sts"]),
        ),
    )
    .unwrap();
    let name = unique_name("StsDown");
    create_table(&Client::new(&sdk_config().await), &name).await;

    let output = delete_through(&proxy, &name);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("run the same command again"), "{stderr}");
    assert!(proxy.faults().len() > 3, "STS was not retried");
    assert!(proxy.calls_to("dynamodb").is_empty());
    assert!(exists(&name).await, "the table was deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fault_that_outlasts_the_retries_is_exit_1_with_a_report_and_a_rerun_finishes() {
    // DeleteTable answers 503 every time: the SDK's ten attempts run out.
    let outage = Proxy::start(
        ProxyConfig::aws(endpoint()).faults(
            FaultConfig::new(3, 1.0)
                .kinds([FaultKind::ServiceUnavailable])
                .operations(["DeleteTable"]),
        ),
    )
    .unwrap();
    let name = unique_name("Outage");
    create_table(&Client::new(&sdk_config().await), &name).await;

    let failed = command(BIN)
        .args([
            "--table",
            &name,
            "-y",
            "--output",
            "json",
            "--endpoint-url",
            outage.endpoint(),
        ])
        .output()
        .unwrap();

    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    let outcome = &report(&failed)["actions"][0]["outcome"];
    assert_eq!(outcome["status"], "failed", "{outcome}");
    assert!(
        outcome.to_string().contains("ServiceUnavailable"),
        "the report does not say why: {outcome}"
    );
    assert!(exists(&name).await);

    // The same command once the outage is over.
    let healthy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();
    let rerun = delete_through(&healthy, &name);
    assert_eq!(
        rerun.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    assert!(!exists(&name).await);
}
