//! No secret (secret access key, session token) appears in any output, even at -vvv, in JSON
//! reports, or in error messages.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use testkit::{command, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_rm-dynamodb");
const SECRET_KEY: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYsecretKEY0001";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN0002";

fn assert_no_secret(output: &std::process::Output) {
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(SECRET_KEY), "the secret key leaked:\n{text}");
        assert!(
            !text.contains(SESSION_TOKEN),
            "the session token leaked:\n{text}"
        );
    }
}

#[test]
fn nothing_secret_is_printed_at_the_highest_verbosity() {
    let name = unique_name("Secrets");
    let output = command(BIN)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .args(["--table", &name, "-y", "-vvv"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.len() > 1000,
        "-vvv logged almost nothing, so this test proves little"
    );
    assert_no_secret(&output);
}

#[test]
fn nothing_secret_is_in_the_json_report_or_an_error() {
    let name = unique_name("Secrets");
    let report = command(BIN)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .args(["--table", &name, "-y", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(report.status.code(), Some(0));
    assert_no_secret(&report);

    let error = command(BIN)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .args([
            "--table",
            &name,
            "-y",
            "-vvv",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_eq!(error.status.code(), Some(2));
    assert_no_secret(&error);
}
