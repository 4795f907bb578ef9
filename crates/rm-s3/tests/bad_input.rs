//! Bad input: one clear line on stderr, exit status 2, nothing deleted.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use support::*;
use testkit::command;

/// Runs the binary with `args` (a `{}` in an argument becomes a real bucket's name) and checks
/// the contract: exit 2, exactly one line on stderr containing `expected`, the bucket and its
/// objects still there.
async fn assert_bad_input(args: &[&str], expected: &str) {
    let s3 = s3().await;
    let bucket = bucket_with_objects(&s3, "bad-input", 3).await;
    let args: Vec<String> = args.iter().map(|a| a.replace("{}", &bucket)).collect();

    let output = command(BIN).args(&args).output().unwrap();

    testkit::assert_bad_input("rm-s3", &format!("{args:?}"), &output, expected);
    assert_eq!(
        object_count(&s3, &bucket).await,
        3,
        "{args:?}: objects were deleted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_bucket_name() {
    assert_bad_input(
        &["--bucket", "", "--bucket", "{}", "-y"],
        "empty bucket name",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn uppercase_bucket_name() {
    assert_bad_input(
        &["--bucket", "{}", "--bucket", "Upload-Originals-FCJ", "-y"],
        "'U' is not allowed (lowercase letters, digits, '.' and '-')",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_name_with_shell_metacharacters() {
    assert_bad_input(&["--bucket", "{};rm", "-y"], "';' is not allowed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_name_too_short() {
    assert_bad_input(
        &["--bucket", "ab", "--bucket", "{}", "-y"],
        "3 to 63 characters, not 2",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_name_too_long() {
    let long = "b".repeat(64);
    assert_bad_input(
        &["--bucket", "{}", "--bucket", &long, "-y"],
        "3 to 63 characters",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_name_starting_with_a_hyphen() {
    assert_bad_input(
        &["--bucket=-images", "--bucket", "{}", "-y"],
        "start and end",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_name_with_adjacent_periods() {
    assert_bad_input(
        &["--bucket", "{}", "--bucket", "my..bucket", "-y"],
        "two adjacent periods",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_name_shaped_like_an_ip_address() {
    assert_bad_input(
        &["--bucket", "{}", "--bucket", "192.168.1.10", "-y"],
        "IP address",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_zero() {
    assert_bad_input(
        &["--bucket", "{}", "-y", "--concurrency", "0"],
        "--concurrency",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_not_a_number() {
    assert_bad_input(
        &["--bucket", "{}", "-y", "--concurrency", "lots"],
        "--concurrency",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_strategy() {
    assert_bad_input(
        &["--bucket", "{}", "-y", "--strategy", "nuke"],
        "possible values: delete, lifecycle",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn match_everything_without_all() {
    assert_bad_input(&["--match", "*", "-y"], "--all").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_selected() {
    assert_bad_input(
        &["-y"],
        "nothing selected: give --bucket NAME or --match GLOB",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_flag() {
    assert_bad_input(&["--buckets", "{}", "-y"], "--bucket").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_yes_on_a_non_terminal_stdin() {
    assert_bad_input(&["--bucket", "{}"], "pass --yes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_account_mismatch() {
    assert_bad_input(
        &["--bucket", "{}", "-y", "--expect-account", "111111111111"],
        "account mismatch",
    )
    .await;
}
