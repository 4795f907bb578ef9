//! `--unattached-policies-for-function|table|bucket`: the console's `/service-role/` policies
//! that outlived their role, selected by what their document is about; look-alikes stay.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::process::Output;

use aws_sdk_iam::Client;
use serde_json::Value;
use testkit::proxy::{Proxy, ProxyConfig};
use testkit::{endpoint, sdk_config_for, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_rm-iam");
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The document the Lambda console writes for a function's execution role.
fn console_document(functions: &[&str]) -> String {
    let groups: Vec<String> = functions
        .iter()
        .map(|f| format!("\"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{f}:*\""))
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"arn:aws:logs:us-east-1:123456789012:*"}},{{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":[{}]}}]}}"#,
        groups.join(",")
    )
}

async fn create_policy(iam: &Client, path: &str, document: &str) -> String {
    let name = unique_name("AWSLambdaBasicExecutionRole");
    iam.create_policy()
        .policy_name(name)
        .path(path)
        .policy_document(document)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_string()
}

async fn exists(iam: &Client, arn: &str) -> bool {
    iam.get_policy().policy_arn(arn).send().await.is_ok()
}

fn run(proxy: &Proxy, args: &[&str]) -> Output {
    testkit::command(BIN)
        .args(args)
        .args(["--output", "json", "--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn policy_ids(report: &Value) -> Vec<String> {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "policy")
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unattached_console_policy_about_the_function_is_planned_then_deleted_and_look_alikes_stay()
 {
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();
    let iam = Client::new(&sdk_config_for(proxy.endpoint()).await);
    let function = unique_name("resize-image");
    let orphan = create_policy(&iam, "/service-role/", &console_document(&[&function])).await;
    // Decoys: attached to a role; about a function whose name extends it; at another path;
    // about another function too.
    let attached = create_policy(&iam, "/service-role/", &console_document(&[&function])).await;
    let role = unique_name("lambda-resize-image-role");
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(&attached)
        .send()
        .await
        .unwrap();
    let longer = create_policy(
        &iam,
        "/service-role/",
        &console_document(&[&format!("{function}-v2")]),
    )
    .await;
    let at_root = create_policy(&iam, "/", &console_document(&[&function])).await;
    let shared = create_policy(
        &iam,
        "/service-role/",
        &console_document(&[&function, "some-other-function"]),
    )
    .await;
    proxy.clear_log();

    let dry = run(
        &proxy,
        &["--unattached-policies-for-function", &function, "--dry-run"],
    );

    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(policy_ids(&report), vec![orphan.clone()], "{report:#}");
    let action = &report["actions"][0];
    assert_eq!(
        action["details"]["about"],
        format!("log group /aws/lambda/{function}")
    );
    assert_eq!(action["outcome"], Value::Null);
    assert_eq!(
        proxy.mutating_calls(),
        vec![],
        "a dry run changed something"
    );

    let output = run(
        &proxy,
        &["--unattached-policies-for-function", &function, "-y"],
    );

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["actions"][0]["outcome"]["status"], "deleted");
    assert!(!exists(&iam, &orphan).await, "the orphan stayed");
    for (what, arn) in [
        ("attached", &attached),
        ("longer name", &longer),
        ("at the root path", &at_root),
        ("about another function too", &shared),
    ] {
        assert!(exists(&iam, arn).await, "the decoy {what} was deleted");
    }
    let again = run(
        &proxy,
        &["--unattached-policies-for-function", &function, "--dry-run"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let report: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(policy_ids(&report), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn tables_and_buckets_select_policies_about_them() {
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();
    let iam = Client::new(&sdk_config_for(proxy.endpoint()).await);
    let table = unique_name("Product");
    let bucket = unique_name("upload-originals").to_lowercase();
    let document = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"dynamodb:*","Resource":["arn:aws:dynamodb:us-east-1:123456789012:table/{table}","arn:aws:dynamodb:us-east-1:123456789012:table/{table}/index/*"]}},{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    let orphan = create_policy(&iam, "/service-role/", &document).await;
    let decoy = create_policy(
        &iam,
        "/service-role/",
        &document.replace(&format!("table/{table}"), &format!("table/{table}Archive")),
    )
    .await;

    let output = run(
        &proxy,
        &[
            "--unattached-policies-for-table",
            &table,
            "--unattached-policies-for-bucket",
            &bucket,
            "-y",
        ],
    );

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(policy_ids(&report), vec![orphan.clone()], "{report:#}");
    assert!(!exists(&iam, &orphan).await);
    assert!(
        exists(&iam, &decoy).await,
        "a policy about another table went"
    );
}

#[test]
fn a_bad_resource_name_is_bad_input() {
    for (flag, value) in [
        ("--unattached-policies-for-function", ""),
        ("--unattached-policies-for-table", "Product*"),
        ("--unattached-policies-for-bucket", "a/b"),
    ] {
        let output = testkit::command(BIN).args([flag, value]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag}: {}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("rm-iam: error: "), "{stderr}");
        assert!(stderr.contains(flag), "{stderr}");
    }
}
