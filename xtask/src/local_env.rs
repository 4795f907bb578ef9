//! The environment of the programs xtask runs against the local emulator only (the chaos runs,
//! the benches and their reference clients): dummy credentials only the emulator accepts, and the
//! user's profiles, config files, session token, endpoint and instance metadata out of reach, so
//! that nothing these runs do can reach a real account. Each caller passes the endpoint itself.
//! (The tests' copy is `testkit::hermetic`; xtask does not depend on testkit.)

use std::process::Command;

/// Set for every such program. aws-cli reads `AWS_DEFAULT_REGION`, the SDK `AWS_REGION`.
const SET: [(&str, &str); 8] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_CONFIG_FILE", "/dev/null"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ("NO_COLOR", "1"),
];

/// Removed: the user's own settings, which would otherwise win or leak in.
const REMOVED: [&str; 5] = [
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "RM_CLOUDFRONT_POLL_INTERVAL",
    "RUST_LOG",
];

/// [`SET`] and [`REMOVED`] on a command; later `env` calls override them.
pub fn apply(command: &mut Command) -> &mut Command {
    command.envs(SET);
    for name in REMOVED {
        command.env_remove(name);
    }
    command
}

/// [`apply`] for an xshell command.
pub fn apply_xshell(mut command: xshell::Cmd<'_>) -> xshell::Cmd<'_> {
    command = command.envs(SET);
    for name in REMOVED {
        command = command.env_remove(name);
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_credentials_and_endpoint_never_reach_the_program() {
        let mut command = Command::new("true");
        command
            .env("AWS_PROFILE", "prod")
            .env("AWS_ENDPOINT_URL", "https://s3.amazonaws.com");
        apply(&mut command);
        let envs: Vec<(String, Option<String>)> = command
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        let value = |name: &str| envs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        assert_eq!(value("AWS_PROFILE"), Some(None), "AWS_PROFILE is removed");
        assert_eq!(
            value("AWS_ENDPOINT_URL"),
            Some(None),
            "the endpoint is removed"
        );
        assert_eq!(value("AWS_ACCESS_KEY_ID"), Some(Some("testing".into())));
        assert_eq!(value("AWS_CONFIG_FILE"), Some(Some("/dev/null".into())));
    }
}
