//! Real-AWS behaviour, through the proxy where moto is lenient: deny policies, buckets in other
//! regions, lost answers, the lifecycle strategy and Ctrl-C.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter,
};
use support::*;
use testkit::endpoint;
use testkit::proxy::{FaultConfig, FaultKind, Proxy, ProxyConfig, Record, Rule};

fn position(log: &[Record], operation: &str) -> Option<usize> {
    log.iter().position(|r| r.operation == operation)
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_that_denies_deletes_is_removed_first() {
    let s3 = s3().await;
    let name = bucket_with_objects(&s3, "denied", 20).await;
    // moto evaluates this deny: with the policy in place DeleteObjects answers AccessDenied
    // for every key and DeleteBucket is refused.
    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "KeepEverything", "Effect": "Deny", "Principal": "*",
            "Action": ["s3:DeleteObject", "s3:DeleteBucket"],
            "Resource": ["arn:aws:s3:::{name}", "arn:aws:s3:::{name}/*"]}}]}}"#
    );
    s3.put_bucket_policy()
        .bucket(&name)
        .policy(policy)
        .send()
        .await
        .unwrap();
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();

    let planned = run_via(proxy.endpoint(), &["--bucket", &name, "--dry-run"]);
    assert_exit(&planned, 0);
    let plan = stdout(&planned);
    assert!(plan.contains("denies deletes"), "{plan}");
    assert!(plan.contains("the policy is deleted first"), "{plan}");

    let output = run_via(proxy.endpoint(), &["--bucket", &name, "--yes"]);

    assert_exit(&output, 0);
    assert!(!bucket_exists(&s3, &name).await);
    let log = proxy.log();
    let removed = position(&log, "DeleteBucketPolicy").expect("DeleteBucketPolicy was called");
    let first_delete = position(&log, "DeleteObjects").expect("DeleteObjects was called");
    assert!(
        removed < first_delete,
        "the policy must go before the objects: {log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_in_another_region_is_handled_with_a_client_for_its_region() {
    // The proxy answers 301 PermanentRedirect to requests signed for another region than the
    // bucket's, as S3 does (moto serves every region).
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();
    let eu = s3_at(proxy.endpoint(), "eu-west-1").await;
    let name = bucket_name("eu-images");
    create_bucket(&eu, &name).await;
    enable_versioning(&eu, &name).await;
    put_objects(&eu, &name, &keys("img/", 30)).await;
    put_objects(&eu, &name, &keys("img/", 10)).await;
    proxy.clear_log();

    // The session's region is us-east-1 (testkit's environment).
    let output = run_via(
        proxy.endpoint(),
        &["--bucket", &name, "--yes", "--output", "json"],
    );

    assert_exit(&output, 0);
    let report = json(&output);
    assert_eq!(action(&report, &name)["details"]["region"], "eu-west-1");
    assert_eq!(action(&report, &name)["outcome"]["status"], "deleted");
    assert!(!bucket_exists(&eu, &name).await);
    let log = proxy.log();
    let mutating: Vec<&Record> = log.iter().filter(|r| r.is_mutating()).collect();
    assert!(!mutating.is_empty());
    for record in &mutating {
        assert_eq!(
            record.region.as_deref(),
            Some("eu-west-1"),
            "{record:#?} was not signed for the bucket's region"
        );
        assert!(record.succeeded(), "{record:#?}");
    }
    // The plan reads the settings with the session's client while it looks the region up
    // (most buckets are in the session's region); for this one those reads get 301 and are
    // asked again of an eu-west-1 client. Nothing else may be redirected.
    for record in log.iter().filter(|r| r.status == Some(301)) {
        assert!(!record.is_mutating(), "{record:#?}");
        assert_eq!(record.region.as_deref(), Some("us-east-1"), "{record:#?}");
    }
    for operation in ["ListObjectVersions", "GetBucketVersioning"] {
        assert!(
            log.iter().any(|r| r.operation == operation
                && r.region.as_deref() == Some("eu-west-1")
                && r.succeeded()),
            "no {operation} for eu-west-1: {log:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_lost_after_the_delete_still_end_with_the_bucket_gone() {
    let s3 = s3().await;
    let name = bucket_name("lossy");
    create_bucket(&s3, &name).await;
    enable_versioning(&s3, &name).await;
    let all = keys("k/", 150);
    put_objects(&s3, &name, &all).await;
    put_objects(&s3, &name, &all[..50]).await;
    add_delete_markers(&s3, &name, &all[..30]).await;
    let seed = 20_240_601;
    let faults = FaultConfig::new(seed, 0.4)
        .kinds([FaultKind::DropAfterForward])
        .only_mutating()
        .services(["s3"]);
    let proxy = Proxy::start(ProxyConfig::aws(endpoint()).faults(faults)).unwrap();

    let output = run_via(
        proxy.endpoint(),
        &["--bucket", &name, "--yes", "--concurrency", "1"],
    );

    assert_exit(&output, 0);
    assert!(!bucket_exists(&s3, &name).await, "seed {seed}");
    let dropped = proxy.faults();
    assert!(
        !dropped.is_empty(),
        "seed {seed}: no fault was injected, the test proved nothing"
    );
    // With this seed both kinds of lost answer happen: a DeleteObjects (the SDK sends the same
    // keys again) and the DeleteBucket itself (the retry answers NoSuchBucket: success).
    for operation in ["DeleteObjects", "DeleteBucket"] {
        assert!(
            dropped.iter().any(|r| r.operation == operation),
            "seed {seed}: no {operation} answer was lost: {dropped:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_strategy_installs_the_rules_and_a_later_run_deletes_the_emptied_bucket() {
    let s3 = s3().await;
    let name = bucket_with_objects(&s3, "huge", 30).await;
    let previous = LifecycleRule::builder()
        .id("archive-logs")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
        .expiration(LifecycleExpiration::builder().days(90).build())
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(&name)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(previous)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let first = run(&[
        "--bucket",
        &name,
        "--yes",
        "--strategy",
        "lifecycle",
        "--output",
        "json",
    ]);

    assert_exit(&first, 1);
    let report = json(&first);
    let bucket = action(&report, &name);
    assert_eq!(
        bucket["details"]["lifecycle"],
        "1 rule(s): archive-logs (enabled)"
    );
    assert_eq!(bucket["outcome"]["status"], "pending");
    assert!(
        bucket["outcome"]["reason"]
            .as_str()
            .unwrap()
            .contains("run the same command again"),
        "{bucket}"
    );
    assert_eq!(
        object_count(&s3, &name).await,
        30,
        "objects are S3's to expire"
    );
    let rules = s3
        .get_bucket_lifecycle_configuration()
        .bucket(&name)
        .send()
        .await
        .unwrap()
        .rules()
        .to_vec();
    assert_eq!(rules.len(), 2, "{rules:#?}");
    let expire = rules
        .iter()
        .find(|r| r.expiration().and_then(|e| e.days()) == Some(1))
        .expect("a rule that expires current versions after 1 day");
    assert_eq!(
        expire
            .noncurrent_version_expiration()
            .and_then(|e| e.noncurrent_days()),
        Some(1)
    );
    assert_eq!(
        expire
            .abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
        Some(1)
    );
    assert!(
        rules.iter().any(|r| r
            .expiration()
            .and_then(|e| e.expired_object_delete_marker())
            == Some(true)),
        "a separate rule for expired delete markers: {rules:#?}"
    );

    // A re-run while S3 is still at work reports the same and changes nothing.
    let again = run(&["--bucket", &name, "--yes", "--strategy", "lifecycle"]);
    assert_exit(&again, 1);
    assert!(
        stdout(&again).contains("still emptying"),
        "{}",
        stdout(&again)
    );

    // S3 expires everything (moto runs no lifecycle: the test plays S3's part).
    let objects = keys("obj/", 30);
    for key in &objects {
        s3.delete_object()
            .bucket(&name)
            .key(key)
            .send()
            .await
            .unwrap();
    }

    let last = run(&[
        "--bucket",
        &name,
        "--yes",
        "--strategy",
        "lifecycle",
        "--output",
        "json",
    ]);

    assert_exit(&last, 0);
    assert_eq!(action(&json(&last), &name)["outcome"]["status"], "deleted");
    assert!(!bucket_exists(&s3, &name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_promptly_with_a_partial_report_and_a_rerun_finishes() {
    let s3 = s3().await;
    let name = bucket_with_objects(&s3, "interrupted", 50).await;
    // Each DeleteObjects takes 30 s to answer: the run is surely inside one when Ctrl-C comes.
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint()).latency_for("s3:DeleteObjects", Duration::from_secs(30)),
    )
    .unwrap();

    let mut child = testkit::hermetic(&mut Command::new(BIN))
        .args([
            "--bucket",
            &name,
            "--yes",
            "--endpoint-url",
            proxy.endpoint(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Apply starts by reading the versioning again: the second GetBucketVersioning.
    let started = Instant::now();
    while proxy.calls_of("GetBucketVersioning").len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "apply never started: {:#?}",
            proxy.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    testkit::send_ctrl_c(&child);
    let status = child.wait().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();

    assert_eq!(status.code(), Some(130), "{out}");
    assert!(out.contains("interrupted"), "{out}");
    assert!(out.contains("run the same command again"), "{out}");

    drop(proxy);
    let rerun = run(&["--bucket", &name, "--yes"]);
    assert_exit(&rerun, 0);
    assert!(!bucket_exists(&s3, &name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_get_bucket_location_falls_back_to_head_bucket_for_the_region() {
    // The proxy refuses GetBucketLocation (403 AccessDenied) for bucket names holding
    // "location-denied", as a bucket policy or an SCP denying s3:GetBucketLocation does.
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();
    let eu = s3_at(proxy.endpoint(), "eu-west-1").await;
    let us = s3_at(proxy.endpoint(), "us-east-1").await;
    let abroad = bucket_name("location-denied-eu");
    let home = bucket_name("location-denied-us");
    create_bucket(&eu, &abroad).await;
    put_objects(&eu, &abroad, &keys("img/", 12)).await;
    create_bucket(&us, &home).await;
    put_objects(&us, &home, &keys("img/", 3)).await;
    proxy.clear_log();

    let output = run_via(
        proxy.endpoint(),
        &[
            "--bucket", &abroad, "--bucket", &home, "--yes", "--output", "json",
        ],
    );

    assert_exit(&output, 0);
    let report = json(&output);
    assert_eq!(action(&report, &abroad)["details"]["region"], "eu-west-1");
    assert_eq!(action(&report, &home)["details"]["region"], "us-east-1");
    for name in [&abroad, &home] {
        assert_eq!(action(&report, name)["outcome"]["status"], "deleted");
    }
    assert!(!bucket_exists(&eu, &abroad).await);
    assert!(!bucket_exists(&us, &home).await);
    let log = proxy.log();
    let denied = log
        .iter()
        .filter(|r| r.rule == Some(Rule::S3LocationDenied))
        .count();
    assert_eq!(denied, 2, "both lookups were refused: {log:#?}");
    assert!(
        log.iter().filter(|r| r.operation == "HeadBucket").count() >= 2,
        "HeadBucket told the regions: {log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn per_key_errors_inside_a_200_delete_objects_answer_are_retried() {
    let s3 = s3().await;
    let name = bucket_name("key-errors");
    create_bucket(&s3, &name).await;
    enable_versioning(&s3, &name).await;
    let all = keys("photos/", 60);
    put_objects(&s3, &name, &all).await;
    put_objects(&s3, &name, &all[..20]).await;
    add_delete_markers(&s3, &name, &all[..10]).await;
    put_objects(&s3, &name, &keys("testkit-delete-flaky/", 3)).await;
    // A third of the versions (and every key under the flaky prefix) fail their first
    // DeleteObjects attempt with a per-key SlowDown inside a 200 answer, and stay in place.
    let proxy = Proxy::start(ProxyConfig::aws(endpoint()).s3_delete_flaky(
        ["testkit-delete-flaky"],
        0.33,
        "SlowDown",
    ))
    .unwrap();

    let output = run_via(
        proxy.endpoint(),
        &["--bucket", &name, "--yes", "--output", "json"],
    );

    assert_exit(&output, 0);
    assert_eq!(
        action(&json(&output), &name)["outcome"]["status"],
        "deleted"
    );
    assert!(!bucket_exists(&s3, &name).await);
    let with_errors = proxy
        .calls_of("DeleteObjects")
        .into_iter()
        .filter(|r| r.rule == Some(Rule::S3DeleteObjectsErrors))
        .count();
    assert!(
        with_errors > 0,
        "no per-key error was injected: {:#?}",
        proxy.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn per_key_errors_that_persist_are_reported_with_key_and_code_and_the_bucket_kept() {
    let s3 = s3().await;
    let name = bucket_with_objects(&s3, "key-stuck", 30).await;
    let stuck = "reports/testkit-delete-fails.csv";
    put_objects(&s3, &name, &[stuck.to_string()]).await;
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();

    let output = run_via(
        proxy.endpoint(),
        &["--bucket", &name, "--yes", "--output", "json"],
    );

    assert_exit(&output, 1);
    let report = json(&output);
    let outcome = &action(&report, &name)["outcome"];
    assert_eq!(outcome["status"], "failed", "{outcome}");
    let error = outcome["error"].as_str().unwrap();
    assert!(error.contains(stuck), "the key is named: {error}");
    assert!(
        error.contains("InternalError"),
        "the code is named: {error}"
    );
    assert!(bucket_exists(&s3, &name).await, "the bucket is left");
    assert_eq!(
        object_count(&s3, &name).await,
        1,
        "only the failing key is left"
    );
    assert_eq!(
        proxy.calls_of("DeleteBucket").len(),
        0,
        "no DeleteBucket while a key is left"
    );
}
