//! Bad input: one clear line on stderr, exit status 2, nothing deleted.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use testkit::{command, sdk_config, unique_name};

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

/// Runs the binary with `args` (a `{}` in an argument becomes the table's name) and checks the
/// contract: exit 2, exactly one line on stderr containing `expected`, the table still there.
async fn assert_bad_input(args: &[&str], expected: &str) {
    let client = Client::new(&sdk_config().await);
    let table = unique_name("BadInput");
    create_table(&client, &table).await;
    let args: Vec<String> = args.iter().map(|a| a.replace("{}", &table)).collect();

    let output = command(BIN).args(&args).output().unwrap();

    testkit::assert_bad_input("rm-dynamodb", &format!("{args:?}"), &output, expected);
    assert!(
        client
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .is_ok(),
        "{args:?}: the table was deleted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_table_name() {
    assert_bad_input(&["--table", "", "--table", "{}", "-y"], "empty table name").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn table_name_with_shell_metacharacters() {
    assert_bad_input(&["--table", "{}; rm -rf /", "-y"], "is not allowed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn table_name_too_long() {
    let long = "T".repeat(300);
    assert_bad_input(
        &["--table", &long, "--table", "{}", "-y"],
        "3 to 255 characters",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn match_everything_without_all() {
    assert_bad_input(&["--match", "*", "-y"], "--all").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_selected() {
    assert_bad_input(&["-y"], "nothing selected").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_output_format() {
    assert_bad_input(
        &["--table", "{}", "-y", "--output", "xml"],
        "possible values: text, json",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_flag() {
    assert_bad_input(&["--tabel", "{}", "-y"], "--table").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_yes_on_a_non_terminal_stdin() {
    assert_bad_input(&["--table", "{}"], "pass --yes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_region() {
    assert_bad_input(
        &["--table", "{}", "-y", "--region", "moon-1"],
        "invalid region",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_account_id() {
    assert_bad_input(
        &["--table", "{}", "-y", "--expect-account", "12345"],
        "12 digits",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_account_mismatch() {
    assert_bad_input(
        &["--table", "{}", "-y", "--expect-account", "111111111111"],
        "account mismatch",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_endpoint() {
    // Port 9 on loopback (discard) has no listener here: the connection is refused at once.
    assert_bad_input(
        &[
            "--table",
            "{}",
            "-y",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
        "cannot reach",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_endpoint() {
    assert_bad_input(
        &["--table", "{}", "-y", "--endpoint-url", "localhost:4566"],
        "--endpoint-url",
    )
    .await;
}
