//! The emulator the tests run against: moto in server mode, started by `cargo xtask test` (or
//! `scripts/emulator.sh start`), whose address arrives in `AWS_ENDPOINT_URL`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;

/// The account moto answers for.
pub const ACCOUNT: &str = "123456789012";
/// The region the tests use unless they say otherwise.
pub const REGION: &str = "us-east-1";

/// The emulator's endpoint. Panics with the fix when it is not set: a test that silently skips
/// proves nothing.
pub fn endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: run the tests with `cargo xtask test` (it starts the emulator), \
             or start it with `scripts/emulator.sh start` and export AWS_ENDPOINT_URL"
        ),
    }
}

/// SDK config for fixtures, talking to the emulator directly.
pub async fn sdk_config() -> SdkConfig {
    sdk_config_for(&endpoint()).await
}

/// SDK config for fixtures, talking to `endpoint` (the emulator or a proxy in front of it) with
/// dummy credentials, so nothing on the developer's machine (profiles, SSO) is used.
pub async fn sdk_config_for(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "testkit",
        ))
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .load()
        .await
}

/// A name no other test uses: `prefix` plus the process id, a counter and the time, cut to fit
/// `max_len`. Tests share one emulator and run in parallel.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let count = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{}{count}{:x}",
        std::process::id() % 100_000,
        nanos % 0xfffff
    )
}

/// A command for one of our binaries (`env!("CARGO_BIN_EXE_rm-dynamodb")`) that talks to the
/// emulator with dummy credentials and never to a real account: profiles and config files of
/// the developer's machine are hidden from it.
pub fn command(binary: &str) -> assert_cmd::Command {
    let mut command = std::process::Command::new(binary);
    hermetic(&mut command).env("AWS_ENDPOINT_URL", endpoint());
    assert_cmd::Command::from_std(command)
}

/// The environment of [`command`] for a `std::process::Command` (a test that spawns the binary
/// to interrupt it, or runs another program): dummy credentials only the emulator accepts, the
/// developer's profiles, config files, session token and instance metadata out of reach, no
/// colour, no `RUST_LOG`. The endpoint is the caller's to set (`AWS_ENDPOINT_URL` or
/// `--endpoint-url`). Later `env` calls on the command override these.
pub fn hermetic(command: &mut std::process::Command) -> &mut std::process::Command {
    command
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("RUST_LOG")
}

/// Ctrl-C for a binary a test started in the background: SIGINT, as the terminal sends it.
pub fn send_ctrl_c(child: &std::process::Child) {
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -INT {} failed", child.id());
}
