//! Bad input: one clear line on stderr, exit status 2, nothing deleted.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use support::{Account, BIN};
use testkit::{command, unique_name};

/// Runs the binary with `args` (a `{}` in an argument becomes the function's name) and checks
/// the contract: exit 2, exactly one line on stderr containing `expected`, the function there.
async fn assert_bad_input(args: &[&str], expected: &str) {
    let account = Account::new().await;
    let (_, role_arn) = account.role("bad-input-role").await;
    let function = unique_name("bad-input");
    account.function(&function, &role_arn, false, &[]).await;
    let args: Vec<String> = args.iter().map(|a| a.replace("{}", &function)).collect();

    let output = command(BIN).args(&args).output().unwrap();

    testkit::assert_bad_input("rm-lambda", &format!("{args:?}"), &output, expected);
    assert!(
        account.function_exists(&function).await,
        "{args:?}: the function was deleted"
    );
    account.forget_function(&function).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_function_name() {
    assert_bad_input(
        &["--function", "", "--function", "{}", "-y"],
        "empty function name",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn function_name_with_bad_characters() {
    assert_bad_input(&["--function", "{}; rm -rf /", "-y"], "is not allowed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn function_arn_instead_of_a_name() {
    assert_bad_input(
        &[
            "--function",
            "arn:aws:lambda:us-east-1:123456789012:function:{}",
            "-y",
        ],
        "not its ARN",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn function_name_too_long() {
    let long = "f".repeat(65);
    assert_bad_input(
        &["--function", &long, "--function", "{}", "-y"],
        "1 to 64 characters",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn match_everything_without_all() {
    assert_bad_input(&["--match", "*", "-y"], "--all").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_match_pattern() {
    assert_bad_input(&["--match", "[abc", "-y"], "invalid --match pattern").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_selected() {
    assert_bad_input(&["-y"], "nothing selected: give --function NAME").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_flag() {
    assert_bad_input(&["--functions", "{}", "-y"], "--function").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_yes_on_a_non_terminal_stdin() {
    assert_bad_input(&["--function", "{}"], "pass --yes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_account_mismatch() {
    assert_bad_input(
        &["--function", "{}", "-y", "--expect-account", "111111111111"],
        "account mismatch",
    )
    .await;
}
