//! Bad input: one clear line on stderr, exit status 2, nothing deleted.

// Fixtures and runs panic on failure: that is how a test reports it.
#![allow(clippy::unwrap_used)]

mod support;

use support::*;
use testkit::command;

/// Runs the binary with `args` (a `{}` in an argument becomes a fresh pool's name) and checks
/// the contract: exit 2, exactly one line on stderr containing `expected`, the pool still there.
async fn assert_bad_input(args: &[&str], expected: &str) {
    let idp = idp().await;
    let name = unique("bad-input");
    let pool = create_pool(&idp, &name, false).await;
    let args: Vec<String> = args.iter().map(|a| a.replace("{}", &name)).collect();

    let output = command(BIN).args(&args).output().unwrap();

    testkit::assert_bad_input("rm-cognito", &format!("{args:?}"), &output, expected);
    assert!(
        pool_exists(&idp, &pool).await,
        "{args:?}: the pool was deleted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_user_pool_name() {
    assert_bad_input(
        &["--user-pool", "", "--user-pool", "{}", "-y"],
        "empty user pool name",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn user_pool_name_with_shell_metacharacters() {
    assert_bad_input(&["--user-pool", "{}; rm -rf /", "-y"], "is not allowed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn user_pool_name_too_long() {
    let long = "p".repeat(200);
    assert_bad_input(
        &["--user-pool", &long, "--user-pool", "{}", "-y"],
        "1 to 128 characters",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn app_client_with_two_slashes() {
    assert_bad_input(
        &["--app-client", "{}/web/extra", "--user-pool", "{}", "-y"],
        "POOL/CLIENT",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn app_client_with_an_empty_side() {
    assert_bad_input(
        &["--app-client", "{}/", "--user-pool", "{}", "-y"],
        "POOL/CLIENT",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_identity_pool_id() {
    assert_bad_input(
        &[
            "--identity-pool",
            "us-east-1:not-a-guid",
            "--user-pool",
            "{}",
            "-y",
        ],
        "REGION:GUID",
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
async fn unknown_flag() {
    assert_bad_input(&["--user-poll", "{}", "-y"], "--user-pool").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_yes_on_a_non_terminal_stdin() {
    assert_bad_input(&["--user-pool", "{}"], "pass --yes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_account_mismatch() {
    assert_bad_input(
        &[
            "--user-pool",
            "{}",
            "-y",
            "--expect-account",
            "111111111111",
        ],
        "account mismatch",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_region() {
    assert_bad_input(
        &["--user-pool", "{}", "-y", "--region", "moon-1"],
        "invalid region",
    )
    .await;
}
