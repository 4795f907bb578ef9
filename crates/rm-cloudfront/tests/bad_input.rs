//! Bad input: one clear line on stderr, exit status 2, nothing disabled or deleted.

mod support;

use support::*;

/// Runs the binary with `args` (a `{}` in an argument becomes the distribution's id) and checks
/// the contract: exit 2, exactly one line on stderr containing `expected`, the distribution
/// still there and still enabled.
async fn assert_bad_input(args: &[&str], expected: &str) {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    let args: Vec<String> = args.iter().map(|a| a.replace("{}", &id)).collect();

    let output = command().args(&args).output().expect("run the binary");

    testkit::assert_bad_input("rm-cloudfront", &format!("{args:?}"), &output, expected);
    assert_eq!(
        enabled(&cf, &id).await,
        Some(true),
        "{args:?}: the distribution was changed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_distribution_id() {
    assert_bad_input(
        &["--distribution", "", "--distribution", "{}", "-y"],
        "empty --distribution id",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_distribution_id() {
    for bad in ["E123", "e2qwruhapomqzl", "d111111abcdef8.cloudfront.net"] {
        assert_bad_input(
            &["--distribution", bad, "--distribution", "{}", "-y"],
            "invalid distribution id",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn distribution_id_with_shell_metacharacters() {
    assert_bad_input(
        &["--distribution", "{}; rm -rf /", "-y"],
        "invalid distribution id",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_max_wait() {
    assert_bad_input(
        &["--distribution", "{}", "-y", "--max-wait", "soon"],
        "--max-wait",
    )
    .await;
    assert_bad_input(&["--distribution", "{}", "-y", "--max-wait", "45"], "45m").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn zero_max_wait() {
    assert_bad_input(
        &["--distribution", "{}", "-y", "--max-wait", "0s"],
        "more than zero",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_origin_bucket() {
    assert_bad_input(
        &[
            "--origin-bucket",
            "Frontend_FCJ",
            "--distribution",
            "{}",
            "-y",
        ],
        "invalid bucket name",
    )
    .await;
    assert_bad_input(
        &["--origin-bucket", "", "--distribution", "{}", "-y"],
        "empty --origin-bucket",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn match_everything_without_all() {
    assert_bad_input(&["--match", "*", "-y"], "--all").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_match_pattern() {
    assert_bad_input(&["--match", "[easyshop", "-y"], "invalid --match pattern").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_selected() {
    assert_bad_input(&["-y"], "nothing selected").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn disable_only_with_no_wait() {
    assert_bad_input(
        &["--distribution", "{}", "-y", "--disable-only", "--no-wait"],
        "--no-wait",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_yes_on_a_non_terminal_stdin() {
    assert_bad_input(&["--distribution", "{}"], "pass --yes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_flag() {
    assert_bad_input(&["--distributon", "{}", "-y"], "--distribution").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_account_mismatch() {
    assert_bad_input(
        &[
            "--distribution",
            "{}",
            "-y",
            "--expect-account",
            "111111111111",
        ],
        "account mismatch",
    )
    .await;
}
