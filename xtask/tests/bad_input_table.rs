//! The bad-input table: every class of bad input, across the seven binaries and the manifest,
//! gives one clear line on stderr and exit status 2, and makes no mutating call (checked in the
//! test proxy's log). README.md's "Bad input" table lists the same cases by id; a test below keeps
//! the two in step.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::process::{Command, Stdio};

use support::{bin_dir, workspace};
use testkit::proxy::{Proxy, ProxyConfig};
use testkit::{REGION, endpoint, unique_name};

/// One row of the table.
struct Case {
    /// The id README.md's table uses.
    id: &'static str,
    /// A step binary, or `xtask` for the runner.
    tool: &'static str,
    /// Arguments; `{bucket}` is an existing bucket, `{manifest}` the case's manifest file,
    /// `{rejecting}` an endpoint that answers 403 InvalidClientTokenId to everything.
    args: Vec<OsString>,
    /// What the one line must say.
    expect: &'static str,
    /// The manifest's text, for manifest cases.
    manifest: Option<&'static str>,
    /// Run without any credentials in the environment.
    no_credentials: bool,
}

fn case(id: &'static str, tool: &'static str, args: &[&str], expect: &'static str) -> Case {
    Case {
        id,
        tool,
        args: args.iter().map(OsString::from).collect(),
        expect,
        manifest: None,
        no_credentials: false,
    }
}

fn manifest_case(id: &'static str, toml: &'static str, expect: &'static str) -> Case {
    Case {
        manifest: Some(toml),
        ..case(id, "xtask", &["plan", "--config", "{manifest}"], expect)
    }
}

fn cases() -> Vec<Case> {
    let long_name = "x".repeat(200);
    let long_name: &'static str = Box::leak(long_name.into_boxed_str());
    let mut non_utf8 = case(
        "non-utf8-argument",
        "rm-iam",
        &["--yes", "--role"],
        "invalid UTF-8",
    );
    non_utf8
        .args
        .push(OsString::from_vec(b"lambda-\xff-role".to_vec()));
    vec![
        // Names and ids, checked against each service's rules before any call.
        case(
            "bucket-name-syntax",
            "rm-s3",
            &["--yes", "--bucket", "Upload_Originals"],
            "invalid bucket name \"Upload_Originals\"",
        ),
        case(
            "bucket-name-length",
            "rm-s3",
            &["--yes", "--bucket", "ab"],
            "must be 3 to 63 characters",
        ),
        case(
            "empty-name",
            "rm-dynamodb",
            &["--yes", "--table", ""],
            "empty table name",
        ),
        case(
            "very-long-name",
            "rm-lambda",
            &["--yes", "--function", long_name],
            "must be 1 to 64 characters, not 200",
        ),
        case(
            "shell-metacharacters",
            "rm-s3",
            &["--yes", "--bucket", "upload;rm -rf ~"],
            "';' is not allowed",
        ),
        case(
            "command-substitution",
            "rm-apigateway",
            &["--yes", "--rest-api", "$(reboot)"],
            "'$' is not allowed",
        ),
        non_utf8,
        case(
            "invalid-distribution-id",
            "rm-cloudfront",
            &["--yes", "--distribution", "e12"],
            "invalid distribution id \"e12\"",
        ),
        case(
            "invalid-policy-arn",
            "rm-iam",
            &["--yes", "--policy", "arn:aws:iam::bad"],
            "invalid policy ARN",
        ),
        case(
            "user-pool-name-too-long",
            "rm-cognito",
            &["--yes", "--user-pool", long_name],
            "must be 1 to 128 characters",
        ),
        // Selection.
        case(
            "match-everything-without-all",
            "rm-iam",
            &["--yes", "--match", "*"],
            "add --all",
        ),
        case(
            "invalid-glob",
            "rm-lambda",
            &["--yes", "--match", "[abc"],
            "invalid --match pattern \"[abc\"",
        ),
        case(
            "nothing-selected",
            "rm-cognito",
            &["--yes"],
            "nothing selected",
        ),
        // Flags.
        case(
            "unknown-flag",
            "rm-s3",
            &["--yes", "--buckets", "upload-originals-fcj"],
            "unexpected argument '--buckets'",
        ),
        case(
            "conflicting-flags",
            "rm-cloudfront",
            &[
                "--yes",
                "--distribution",
                "E2QWRUHAPOMQZL",
                "--no-wait",
                "--disable-only",
            ],
            "cannot be used with",
        ),
        case(
            "concurrency-zero",
            "rm-s3",
            &[
                "--yes",
                "--bucket",
                "upload-originals-fcj",
                "--concurrency",
                "0",
            ],
            "0 is not in 1..=256",
        ),
        case(
            "concurrency-not-a-number",
            "rm-s3",
            &[
                "--yes",
                "--bucket",
                "upload-originals-fcj",
                "--concurrency",
                "lots",
            ],
            "invalid value 'lots'",
        ),
        case(
            "bad-duration",
            "rm-cloudfront",
            &[
                "--yes",
                "--distribution",
                "E2QWRUHAPOMQZL",
                "--max-wait",
                "soon",
            ],
            "expected a duration such as 45m",
        ),
        case(
            "zero-duration",
            "rm-cloudfront",
            &[
                "--yes",
                "--distribution",
                "E2QWRUHAPOMQZL",
                "--max-wait",
                "0s",
            ],
            "must be more than zero",
        ),
        case(
            "unknown-output-format",
            "rm-dynamodb",
            &["--yes", "--table", "Product", "--output", "yaml"],
            "invalid value 'yaml' for '--output",
        ),
        case(
            "no-confirmation-without-terminal",
            "rm-s3",
            &["--bucket", "{bucket}"],
            "refusing to delete without confirmation",
        ),
        // Where and as whom.
        case(
            "invalid-region",
            "rm-dynamodb",
            &["--yes", "--table", "Product", "--region", "us-east-one"],
            "invalid region \"us-east-one\"",
        ),
        case(
            "empty-region",
            "rm-lambda",
            &["--yes", "--function", "create-product", "--region", ""],
            "invalid region \"\"",
        ),
        case(
            "malformed-endpoint",
            "rm-apigateway",
            &[
                "--yes",
                "--rest-api",
                "easyshop-api",
                "--endpoint-url",
                "localhost:4566",
            ],
            "--endpoint-url",
        ),
        case(
            "unreachable-endpoint",
            "rm-lambda",
            &[
                "--yes",
                "--function",
                "create-product",
                "--endpoint-url",
                "http://127.0.0.1:9",
            ],
            "cannot reach http://127.0.0.1:9",
        ),
        Case {
            no_credentials: true,
            ..case(
                "missing-credentials",
                "rm-cognito",
                &["--yes", "--user-pool", "easyshop-user-pool"],
                "no usable AWS credentials",
            )
        },
        case(
            "rejected-credentials",
            "rm-cloudfront",
            &[
                "--yes",
                "--distribution",
                "E2QWRUHAPOMQZL",
                "--endpoint-url",
                "{rejecting}",
            ],
            "rejected the credentials (InvalidClientTokenId",
        ),
        case(
            "unknown-profile",
            "rm-iam",
            &[
                "--yes",
                "--role",
                "lambda-dynamodb-role",
                "--profile",
                "workshp",
            ],
            "profile \"workshp\" is not defined",
        ),
        case(
            "malformed-account-id",
            "rm-lambda",
            &[
                "--yes",
                "--function",
                "create-product",
                "--expect-account",
                "12345",
            ],
            "an AWS account id is 12 digits",
        ),
        case(
            "account-mismatch",
            "rm-s3",
            &[
                "--yes",
                "--bucket",
                "{bucket}",
                "--expect-account",
                "999999999999",
            ],
            "account mismatch",
        ),
        // The manifest and the runner.
        manifest_case(
            "manifest-malformed-toml",
            "[dynamodb]\ntables = [\"Product\"\n",
            "line 2: unclosed array",
        ),
        manifest_case(
            "manifest-unknown-key",
            "[dynamodb]\ntablez = [\"Product\"]\n",
            "line 2: unknown field `tablez`",
        ),
        manifest_case(
            "manifest-wrong-type",
            "[s3]\nbuckets = \"upload-originals-fcj\"\n",
            "line 2: invalid type: string",
        ),
        manifest_case(
            "manifest-match-everything",
            "[iam]\nmatch = [\"*\"]\n",
            "add --all",
        ),
        manifest_case(
            "manifest-empty-name",
            "[dynamodb]\ntables = [\"\"]\n",
            "empty table name",
        ),
        manifest_case(
            "manifest-invalid-region",
            "[aws]\nregion = \"mars-1\"\n[dynamodb]\ntables = [\"Product\"]\n",
            "invalid region \"mars-1\"",
        ),
        manifest_case(
            "manifest-account-mismatch",
            "[aws]\nexpect_account = \"999999999999\"\n[dynamodb]\ntables = [\"Product\"]\n",
            "account mismatch",
        ),
        case(
            "manifest-missing",
            "xtask",
            &["plan", "--config", "no-such-cleanup.toml"],
            "reading the manifest no-such-cleanup.toml",
        ),
        case(
            "step-out-of-range",
            "xtask",
            &["step", "9"],
            "9 is not in 1..=7",
        ),
        case(
            "runner-conflicting-flags",
            "xtask",
            &["clean-all", "--only", "3", "--from-step", "2"],
            "cannot be used with",
        ),
    ]
}

/// An endpoint that answers every request with 403 InvalidClientTokenId, as AWS does for an
/// access key it does not know.
fn rejecting_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 16384];
            let _ = stream.read(&mut buf);
            let body = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>\
                        <Message>The security token included in the request is invalid.</Message>\
                        </Error><RequestId>1</RequestId></ErrorResponse>";
            let _ = write!(
                stream,
                "HTTP/1.1 403 Forbidden\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn create_bucket(name: &str) {
    let status = Command::new(workspace().join("target/emulator/venv/bin/python"))
        .args([
            "-c",
            "import boto3, sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name=sys.argv[2], \
             aws_access_key_id='testing', aws_secret_access_key='testing').create_bucket(Bucket=sys.argv[3])",
            &endpoint(),
            REGION,
            name,
        ])
        .status()
        .unwrap();
    assert!(status.success(), "could not create bucket {name}");
}

fn command_for(case: &Case, proxy: &str, dir: &Path, args: Vec<OsString>) -> Command {
    let mut command = if case.tool == "xtask" {
        let mut command = support::xtask_os(&args);
        command.args(["--endpoint-url", proxy]);
        command
    } else {
        let mut command = Command::new(bin_dir().join(case.tool));
        testkit::hermetic(&mut command)
            .args(&args)
            .env("AWS_ENDPOINT_URL", proxy);
        command
    };
    if case.no_credentials {
        command
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN");
    }
    command.current_dir(dir).stdin(Stdio::null());
    command
}

#[test]
fn every_bad_input_gives_one_line_exit_2_and_no_mutating_call() {
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();
    let rejecting = rejecting_endpoint();
    let bucket = unique_name("bad-input-keep");
    create_bucket(&bucket);
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 25, "the table has {} cases", cases.len());

    let mut failures = Vec::new();
    for case in &cases {
        let manifest = dir.path().join(format!("{}.toml", case.id));
        if let Some(toml) = case.manifest {
            std::fs::write(&manifest, toml).unwrap();
        }
        let args: Vec<OsString> = case
            .args
            .iter()
            .map(|arg| match arg.to_str() {
                Some(text) => OsString::from(
                    text.replace("{bucket}", &bucket)
                        .replace("{rejecting}", &rejecting)
                        .replace("{manifest}", &manifest.display().to_string()),
                ),
                None => arg.clone(),
            })
            .collect();
        let before = proxy.mutating_calls().len();
        let output = command_for(case, proxy.endpoint(), dir.path(), args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let prefix_ok = if case.tool == "xtask" {
            stderr.starts_with("xtask: error: ") || stderr.starts_with("cargo xtask ")
        } else {
            stderr.starts_with(&format!("{}: error: ", case.tool))
        };
        let mutating: Vec<String> = proxy.mutating_calls()[before..]
            .iter()
            .map(|r| format!("{} {}", r.service, r.operation))
            .collect();
        if output.status.code() != Some(2)
            || stderr.trim_end().lines().count() != 1
            || !prefix_ok
            || !stderr.contains(case.expect)
            || !mutating.is_empty()
        {
            failures.push(format!(
                "{}: status {:?}, mutating calls {mutating:?}, expected one line with {:?}, stderr:\n{stderr}",
                case.id,
                output.status.code(),
                case.expect
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The bucket the confirmation and account cases named is still there.
    let status = Command::new(workspace().join("target/emulator/venv/bin/python"))
        .args([
            "-c",
            "import boto3, sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', \
             aws_access_key_id='testing', aws_secret_access_key='testing').head_bucket(Bucket=sys.argv[2])",
            &endpoint(),
            &bucket,
        ])
        .status()
        .unwrap();
    assert!(status.success(), "bucket {bucket} was deleted");
}

#[test]
fn the_readme_lists_every_case_of_the_table() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let missing: Vec<&str> = cases()
        .iter()
        .map(|c| c.id)
        .filter(|id| !readme.contains(&format!("| `{id}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's bad-input table lacks {missing:?}"
    );
}

#[test]
fn a_wrong_account_stops_every_binary_before_any_call_to_its_service() {
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let selectors: [(&'static str, &[&str]); 7] = [
        ("rm-dynamodb", &["--table", "Product"]),
        ("rm-lambda", &["--function", "create-product"]),
        ("rm-s3", &["--bucket", "upload-originals-fcj"]),
        ("rm-apigateway", &["--rest-api", "easyshop-api"]),
        ("rm-cognito", &["--user-pool", "easyshop-user-pool"]),
        ("rm-cloudfront", &["--origin-bucket", "easyshop-frontend"]),
        ("rm-iam", &["--role", "lambda-dynamodb-role"]),
    ];
    for (tool, selector) in selectors {
        let mut args = vec!["--yes", "--expect-account", "999999999999"];
        args.extend_from_slice(selector);
        let case = case("account-mismatch", tool, &args, "account mismatch");
        let before = proxy.log().len();
        let output = command_for(&case, proxy.endpoint(), dir.path(), case.args.clone())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{tool}: {stderr}");
        assert!(stderr.contains("account mismatch"), "{tool}: {stderr}");
        let calls: Vec<String> = proxy.log()[before..]
            .iter()
            .map(|r| format!("{} {}", r.service, r.operation))
            .collect();
        assert!(
            !calls.is_empty() && calls.iter().all(|c| c.starts_with("sts ")),
            "{tool} called more than STS before refusing: {calls:?}"
        );
    }
}
