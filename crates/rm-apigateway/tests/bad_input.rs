//! Bad input: one clear line on stderr, exit status 2, nothing deleted.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use support::{Account, BIN};
use testkit::{command, unique_name};

/// Runs the binary with `args` (a `{}` in an argument becomes the API's name) and checks the
/// contract: exit 2, exactly one line on stderr containing `expected`, the API still there.
async fn assert_bad_input(args: &[&str], expected: &str) {
    let account = Account::new().await;
    let name = unique_name("bad-input");
    let id = account.rest_api(&name).await;
    let args: Vec<String> = args.iter().map(|a| a.replace("{}", &name)).collect();

    let output = command(BIN).args(&args).output().unwrap();

    testkit::assert_bad_input("rm-apigateway", &format!("{args:?}"), &output, expected);
    assert!(
        account.rest_api_exists(&id).await,
        "{args:?}: the API was deleted"
    );
    account.forget(&[&id], &[], &[], &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_rest_api_name() {
    assert_bad_input(
        &["--rest-api", "", "--rest-api", "{}", "-y"],
        "empty API name",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_http_api_name() {
    assert_bad_input(
        &["--http-api", " ", "--rest-api", "{}", "-y"],
        "empty API name",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn api_name_with_bad_characters() {
    assert_bad_input(&["--rest-api", "{}; rm -rf /", "-y"], "is not allowed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn api_name_too_long() {
    let long = "a".repeat(129);
    assert_bad_input(
        &["--rest-api", &long, "--rest-api", "{}", "-y"],
        "1 to 128 characters",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_given_as_a_name() {
    assert_bad_input(&["--rest-api", "bad-input-*", "-y"], "use --match").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn match_everything_without_all() {
    assert_bad_input(&["--match", "*", "-y"], "--all").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_selected() {
    assert_bad_input(
        &["-y"],
        "nothing selected: give --rest-api NAME, --http-api NAME",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_max_rate_wait() {
    assert_bad_input(
        &["--rest-api", "{}", "-y", "--max-rate-wait", "soon"],
        "--max-rate-wait",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_yes_on_a_non_terminal_stdin() {
    assert_bad_input(&["--rest-api", "{}"], "pass --yes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_account_mismatch() {
    assert_bad_input(
        &["--rest-api", "{}", "-y", "--expect-account", "111111111111"],
        "account mismatch",
    )
    .await;
}
