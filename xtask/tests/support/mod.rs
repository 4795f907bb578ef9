//! What the xtask end-to-end tests share: where the workspace and its binaries are, and a
//! hermetic command for xtask (dummy credentials, the developer's AWS config hidden).
#![allow(dead_code)] // each test crate uses a part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// The workspace's binaries sit next to xtask's own when the whole workspace was built, as
/// `cargo xtask test` does.
pub fn bin_dir() -> PathBuf {
    let dir = Path::new(XTASK)
        .parent()
        .expect("a directory")
        .to_path_buf();
    for binary in [
        "rm-dynamodb",
        "rm-lambda",
        "rm-s3",
        "rm-apigateway",
        "rm-cognito",
        "rm-cloudfront",
        "rm-iam",
        "aws-proxy",
    ] {
        assert!(
            dir.join(binary).exists(),
            "{binary} is not built in {}: run the tests with `cargo xtask test` (it builds the whole workspace)",
            dir.display()
        );
    }
    dir
}

/// `xtask ARGS --bin-dir DIR` with dummy credentials and fast CloudFront polling.
pub fn xtask(args: &[&str]) -> Command {
    xtask_os(args)
}

/// [`xtask`] with arguments that need not be UTF-8.
pub fn xtask_os<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) -> Command {
    let mut command = Command::new(XTASK);
    testkit::hermetic(&mut command)
        .args(args)
        .args(["--bin-dir", &bin_dir().display().to_string()])
        .env("RM_CLOUDFRONT_POLL_INTERVAL", "200ms");
    command
}

/// An output, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
