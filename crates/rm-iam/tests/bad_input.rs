//! Bad input: one clear line on stderr, exit status 2, nothing deleted.

// Fixtures and runs panic on failure: that is how a test reports it.
#![allow(clippy::unwrap_used)]

mod support;

use support::*;
use testkit::command;

/// Runs the binary with `args` (a `{}` in an argument becomes a fresh role's name) and checks
/// the contract: exit 2, exactly one line on stderr containing `expected`, the role still there.
async fn assert_bad_input(args: &[&str], expected: &str) {
    let iam = iam().await;
    let role = unique("bad-input");
    create_role(&iam, &role, "/", TRUST_LAMBDA).await;
    let args: Vec<String> = args.iter().map(|a| a.replace("{}", &role)).collect();

    let output = command(BIN).args(&args).output().unwrap();

    testkit::assert_bad_input("rm-iam", &format!("{args:?}"), &output, expected);
    assert!(
        role_exists(&iam, &role).await,
        "{args:?}: the role was deleted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_role_name() {
    assert_bad_input(&["--role", "", "--role", "{}", "-y"], "empty role name").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn role_name_with_shell_metacharacters() {
    assert_bad_input(&["--role", "{}; rm -rf /", "-y"], "is not allowed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn role_name_too_long() {
    let long = "r".repeat(65);
    assert_bad_input(
        &["--role", &long, "--role", "{}", "-y"],
        "1 to 64 characters",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_managed_policy_arn() {
    assert_bad_input(
        &[
            "--policy",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "--role",
            "{}",
            "-y",
        ],
        "AWS-managed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_policy_arn() {
    assert_bad_input(
        &[
            "--policy",
            "arn:aws:iam::123456789012:role/{}",
            "--role",
            "{}",
            "-y",
        ],
        "invalid policy ARN",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn match_everything_without_all() {
    assert_bad_input(&["--match", "*", "-y"], "--all").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_selected() {
    assert_bad_input(&["-y", "--keep-policies"], "nothing selected").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_flag() {
    assert_bad_input(&["--rol", "{}", "-y"], "--role").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_yes_on_a_non_terminal_stdin() {
    assert_bad_input(&["--role", "{}"], "pass --yes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_account_mismatch() {
    assert_bad_input(
        &["--role", "{}", "-y", "--expect-account", "111111111111"],
        "account mismatch",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_endpoint() {
    assert_bad_input(
        &["--role", "{}", "-y", "--endpoint-url", "localhost:4566"],
        "--endpoint-url",
    )
    .await;
}
