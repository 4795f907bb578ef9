//! No secret (secret access key, session token) appears in any output of any of the seven
//! binaries or of clean-all: not at -vvv, not in JSON reports, not in error messages.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::process::{Command, Output};

use support::{bin_dir, workspace};
use testkit::{endpoint, unique_name};

const SECRET_KEY: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYsecretKEY0003";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN0004";

/// Each binary with a selector for something that does not exist (a full run: plan, confirm by
/// --yes, apply).
const RUNS: &[(&str, &[&str])] = &[
    ("rm-dynamodb", &["--table", "SecretsProduct"]),
    ("rm-lambda", &["--function", "secrets-create-product"]),
    ("rm-s3", &["--bucket", "{bucket}"]),
    ("rm-apigateway", &["--rest-api", "secrets-easyshop-api"]),
    ("rm-cognito", &["--user-pool", "secrets-easyshop-user-pool"]),
    ("rm-cloudfront", &["--origin-bucket", "secrets-frontend"]),
    ("rm-iam", &["--role", "secrets-lambda-dynamodb-role"]),
];

fn binary(tool: &str, bucket: &str, extra: &[&str]) -> Output {
    let (_, args) = RUNS.iter().find(|(t, _)| *t == tool).unwrap();
    // The hermetic environment, with credentials that look real enough to be worth hiding.
    testkit::hermetic(&mut Command::new(bin_dir().join(tool)))
        .args(args.iter().map(|a| a.replace("{bucket}", bucket)))
        .args(["--yes"])
        .args(extra)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "ASIASECRETSTEST")
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .output()
        .unwrap()
}

fn leaks(what: &str, text: &str) -> Option<String> {
    (text.contains(SECRET_KEY) || text.contains(SESSION_TOKEN))
        .then(|| format!("{what} shows a secret:\n{text}"))
}

fn output_leaks(what: &str, output: &Output) -> Vec<String> {
    [&output.stdout, &output.stderr]
        .into_iter()
        .filter_map(|stream| leaks(what, &String::from_utf8_lossy(stream)))
        .collect()
}

/// A bucket with a few objects, so rm-s3 really lists, deletes and signs requests.
fn bucket_with_objects() -> String {
    let bucket = unique_name("secrets-bucket");
    let status = Command::new(workspace().join("target/emulator/venv/bin/python"))
        .args([
            "-c",
            "import boto3, sys; s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', \
             aws_access_key_id='testing', aws_secret_access_key='testing'); s3.create_bucket(Bucket=sys.argv[2]); \
             [s3.put_object(Bucket=sys.argv[2], Key=f'img/{i}.png', Body=b'x') for i in range(5)]",
            &endpoint(),
            &bucket,
        ])
        .status()
        .unwrap();
    assert!(status.success());
    bucket
}

#[test]
fn no_binary_prints_a_secret_at_the_highest_verbosity_in_json_or_in_errors() {
    let mut leaked = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    for (tool, _) in RUNS {
        let bucket = bucket_with_objects();
        let report = dir.path().join(format!("{tool}.json"));
        let verbose = binary(
            tool,
            &bucket,
            &["-vvv", "--json-report", &report.display().to_string()],
        );
        assert_eq!(
            verbose.status.code(),
            Some(0),
            "{tool}: {}",
            support::text(&verbose)
        );
        assert!(
            verbose.stderr.len() > 1000,
            "{tool} -vvv logged almost nothing, so this test proves little"
        );
        leaked.extend(output_leaks(&format!("{tool} -vvv"), &verbose));
        let report = std::fs::read_to_string(&report).unwrap();
        leaked.extend(leaks(&format!("{tool}'s JSON report"), &report));

        let json = binary(tool, &bucket, &["--output", "json"]);
        assert_eq!(
            json.status.code(),
            Some(0),
            "{tool}: {}",
            support::text(&json)
        );
        leaked.extend(output_leaks(&format!("{tool} --output json"), &json));

        // An error path: the endpoint refuses the connection.
        let error = binary(
            tool,
            &bucket,
            &["-vvv", "--endpoint-url", "http://127.0.0.1:9"],
        );
        assert_eq!(
            error.status.code(),
            Some(2),
            "{tool}: {}",
            support::text(&error)
        );
        leaked.extend(output_leaks(&format!("{tool}'s error"), &error));
    }
    assert!(leaked.is_empty(), "{}", leaked.join("\n\n"));
}
