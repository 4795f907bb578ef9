//! clean-all, plan and verify end to end: the demo workshop (with decoys) in the emulator,
//! every step binary run through the real-AWS behaviour proxy.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use support::{text, workspace};
use testkit::proxy::{Proxy, ProxyConfig};
use testkit::{endpoint, unique_name};

/// A proxy that behaves like AWS with the slow parts shortened.
fn proxy() -> Proxy {
    Proxy::start(
        ProxyConfig::aws(endpoint())
            .cloudfront_deploy_time(Duration::from_secs(2))
            .rest_api_delete_window(Duration::from_secs(1))
            .dynamodb_creating_time(Duration::ZERO)
            .dynamodb_deleting_time(Duration::ZERO),
    )
    .unwrap()
}

/// Creates the workshop with `suffix` and writes its manifest; returns the manifest's path.
fn seed(suffix: &str, decoys: bool, dir: &Path) -> PathBuf {
    let manifest = dir.join("cleanup.toml");
    let python = workspace().join("target/emulator/venv/bin/python");
    let mut command = Command::new(python);
    command
        .current_dir(workspace())
        .args([
            "scripts/demo/workshop.py",
            "--endpoint",
            &endpoint(),
            "--images",
            "5",
        ])
        .arg(format!("--suffix={suffix}"))
        .arg(format!("--manifest={}", manifest.display()));
    if decoys {
        command.arg("--decoys");
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "seeding failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    manifest
}

fn decoys_intact(suffix: &str) -> Output {
    Command::new(workspace().join("target/emulator/venv/bin/python"))
        .current_dir(workspace())
        .args([
            "scripts/demo/workshop.py",
            "--endpoint",
            &endpoint(),
            "--check-decoys",
        ])
        .arg(format!("--suffix={suffix}"))
        .output()
        .unwrap()
}

fn xtask(args: &[&str], proxy: &Proxy) -> Output {
    support::xtask(args)
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap()
}

#[test]
fn clean_all_deletes_the_workshop_leaves_the_decoys_and_verify_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let suffix = format!("-{}", unique_name("e2e").to_lowercase());
    let manifest = seed(&suffix, true, dir.path());
    let manifest_arg = manifest.display().to_string();
    let report_path = dir.path().join("report.json");
    let proxy = proxy();

    let output = xtask(
        &[
            "clean-all",
            "--config",
            &manifest_arg,
            "--yes",
            "--report",
            &report_path.display().to_string(),
        ],
        &proxy,
    );

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for heading in [
        "Step 1/7: Delete DynamoDB Tables",
        "Step 2/7: Delete Lambda Functions",
        "Step 3/7: Delete S3 Buckets",
        "Step 4/7: Delete Amazon API Gateway",
        "Step 5/7: Delete Amazon Cognito",
        "Step 6/7: Delete Amazon CloudFront (if used)",
        "Step 7/7: Delete IAM Roles and Policies",
    ] {
        assert!(
            stdout.contains(heading),
            "missing heading {heading:?}\n{}",
            text(&output)
        );
    }
    assert!(stdout.contains("Head start"), "{}", text(&output));
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["steps"].as_array().unwrap().len(), 7);
    for step in report["steps"].as_array().unwrap() {
        assert_eq!(step["summary"]["failed"], 0, "{step}");
    }

    // The CloudFront head start disabled the distribution before step 1 deleted any table.
    let log = proxy.log();
    let disable = log
        .iter()
        .find(|r| r.operation == "UpdateDistribution")
        .expect("no disable");
    let first_table = log
        .iter()
        .find(|r| r.operation == "DeleteTable")
        .expect("no table deleted");
    assert!(
        disable.seq < first_table.seq,
        "CloudFront got no head start"
    );

    let decoys = decoys_intact(&suffix);
    assert!(decoys.status.success(), "decoys touched: {}", text(&decoys));
    let verify = xtask(&["verify", "--config", &manifest_arg], &proxy);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn plan_shows_every_step_and_makes_no_mutating_call() {
    let dir = tempfile::tempdir().unwrap();
    let suffix = format!("-{}", unique_name("plan").to_lowercase());
    let manifest = seed(&suffix, false, dir.path());
    let proxy = proxy();

    let output = xtask(
        &["plan", "--config", &manifest.display().to_string()],
        &proxy,
    );

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("Product{suffix}")), "{stdout}");
    assert!(
        stdout.contains(&format!("upload-originals-fcj{suffix}")),
        "{stdout}"
    );
    assert!(stdout.contains("account 123456789012"), "{stdout}");
    assert!(!proxy.log().is_empty());
    assert_eq!(proxy.mutating_calls(), vec![], "plan changed something");
    let verify = xtask(
        &["verify", "--config", &manifest.display().to_string()],
        &proxy,
    );
    assert_eq!(
        verify.status.code(),
        Some(1),
        "verify must list what remains: {}",
        text(&verify)
    );
    assert!(
        String::from_utf8_lossy(&verify.stdout)
            .contains(&format!("table Product{suffix} still exists"))
    );
}

#[test]
fn a_malformed_manifest_exits_2_naming_the_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("cleanup.toml");
    std::fs::write(
        &manifest,
        "[dynamodb]\ntables = [\"Product\"]\ntabels = [\"Category\"]\n",
    )
    .unwrap();
    let proxy = proxy();

    let output = xtask(
        &[
            "clean-all",
            "--config",
            &manifest.display().to_string(),
            "--yes",
        ],
        &proxy,
    );

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("line 3") && stderr.contains("tabels"),
        "{stderr}"
    );
    assert_eq!(proxy.log(), vec![], "a bad manifest reached AWS");
}

#[test]
fn a_failing_step_exits_1_and_later_steps_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_name("Protected");
    let bucket = unique_name("later-step").to_lowercase();
    let python = workspace().join("target/emulator/venv/bin/python");
    let script = format!(
        "import boto3\ns = boto3.session.Session(aws_access_key_id='t', aws_secret_access_key='t', region_name='us-east-1')\n\
         s.client('dynamodb', endpoint_url='{e}').create_table(TableName='{name}', BillingMode='PAY_PER_REQUEST', \
         AttributeDefinitions=[{{'AttributeName': 'id', 'AttributeType': 'S'}}], KeySchema=[{{'AttributeName': 'id', 'KeyType': 'HASH'}}], \
         DeletionProtectionEnabled=True)\n\
         s.client('s3', endpoint_url='{e}').create_bucket(Bucket='{bucket}')\n",
        e = endpoint()
    );
    assert!(
        Command::new(python)
            .args(["-c", &script])
            .status()
            .unwrap()
            .success()
    );
    let manifest = dir.path().join("cleanup.toml");
    std::fs::write(
        &manifest,
        format!("[dynamodb]\ntables = [\"{name}\"]\n\n[s3]\nbuckets = [\"{bucket}\"]\n"),
    )
    .unwrap();
    let proxy = proxy();

    let output = xtask(
        &[
            "clean-all",
            "--config",
            &manifest.display().to_string(),
            "--yes",
        ],
        &proxy,
    );

    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("--disable-deletion-protection"), "{stdout}");
    assert_eq!(
        proxy
            .calls_of("DeleteBucket")
            .iter()
            .filter(|r| r.succeeded())
            .count(),
        1,
        "step 3 did not run"
    );
    assert_eq!(
        proxy.calls_of("DeleteTable"),
        vec![],
        "a protected table was attempted"
    );
}

#[test]
fn roles_found_by_other_steps_are_offered_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let suffix = format!("-{}", unique_name("handoff").to_lowercase());
    let seeded = seed(&suffix, false, dir.path());
    // Keep only step 2 of the seeded manifest: its functions' roles are named nowhere.
    let text_manifest = std::fs::read_to_string(&seeded).unwrap();
    let functions = text_manifest
        .lines()
        .find(|l| l.starts_with("functions = "))
        .unwrap();
    let manifest = dir.path().join("only-lambda.toml");
    std::fs::write(&manifest, format!("[lambda]\n{functions}\n")).unwrap();
    let proxy = proxy();

    let output = xtask(
        &[
            "clean-all",
            "--config",
            &manifest.display().to_string(),
            "--yes",
        ],
        &proxy,
    );

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Related, not selected"), "{stdout}");
    assert!(
        stdout.contains(&format!("lambda-dynamodb-role{suffix}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("add \""),
        "no manifest line offered: {stdout}"
    );
    assert_eq!(
        proxy
            .calls_to("iam")
            .iter()
            .filter(|r| r.is_mutating())
            .count(),
        0,
        "an unnamed role was touched"
    );
}
