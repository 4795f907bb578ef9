//! Which credentials a run uses: an explicit `--profile` wins over the environment's keys (as in
//! aws-cli and boto3), and a profile that does not exist is bad input, not a silent fallback.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::process::Output;

use testkit::{command, sdk_config, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_rm-dynamodb");

/// A user of the emulator's IAM with an access key, written as profile `workshop` into a config
/// file. Returns (the config file's directory, the user's name).
async fn profile_for_new_user() -> (tempfile::TempDir, String) {
    let iam = aws_sdk_iam::Client::new(&sdk_config().await);
    let user = unique_name("profile-user");
    iam.create_user().user_name(&user).send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name(&user)
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config"),
        format!(
            "[profile workshop]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = us-east-1\n",
            key.access_key_id(),
            key.secret_access_key()
        ),
    )
    .unwrap();
    (dir, user)
}

/// A dry run at -vv (the session's debug line names the caller), with the environment's dummy
/// keys still set and the profile file in place.
fn dry_run(config_dir: &tempfile::TempDir, extra: &[&str]) -> Output {
    command(BIN)
        .env("AWS_CONFIG_FILE", config_dir.path().join("config"))
        .args(["--table", "NoSuchTable", "--dry-run", "-vv"])
        .args(extra)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_profile_wins_over_environment_credentials() {
    let (dir, user) = profile_for_new_user().await;
    let caller = format!(":user/{user}");

    let with_profile = dry_run(&dir, &["--profile", "workshop"]);
    let stderr = String::from_utf8_lossy(&with_profile.stderr);
    assert_eq!(with_profile.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&caller),
        "--profile workshop did not run as {user}: {stderr}"
    );

    // Without the flag the environment's keys are used: the profile is not picked up by accident.
    let without = dry_run(&dir, &[]);
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert_eq!(without.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(&caller), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_that_does_not_exist_is_refused() {
    let (dir, _) = profile_for_new_user().await;
    let output = dry_run(&dir, &["--profile", "worksohp"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("rm-dynamodb: error: profile \"worksohp\" is not defined"),
        "{stderr}"
    );
}
