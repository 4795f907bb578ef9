//! Object Lock: governance retention and legal holds are refused without --bypass-governance
//! and deleted with it; compliance retention is reported with its date and the bucket left alone.
//!
//! moto enforces Object Lock itself (AccessDenied per key in DeleteObjects for retained or held
//! versions, the bypass header honoured for governance only), so these run against it directly.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::{ByteStream, DateTime, DateTimeFormat};
use aws_sdk_s3::types::{ObjectLockLegalHoldStatus, ObjectLockMode};
use support::*;

async fn locked_bucket(s3: &Client, prefix: &str) -> String {
    let name = bucket_name(prefix);
    s3.create_bucket()
        .bucket(&name)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    name
}

fn in_one_day() -> DateTime {
    // Whole seconds: S3 keeps retain-until dates to the second.
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + Duration::from_secs(24 * 3600).as_secs();
    DateTime::from_secs(secs as i64)
}

async fn put_retained(s3: &Client, bucket: &str, key: &str, mode: ObjectLockMode, until: DateTime) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"locked"))
        .object_lock_mode(mode)
        .object_lock_retain_until_date(until)
        .send()
        .await
        .unwrap();
}

async fn put_held(s3: &Client, bucket: &str, key: &str) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"held"))
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn governance_retention_and_legal_hold_are_refused_then_bypassed_with_the_flag() {
    let s3 = s3().await;
    let name = locked_bucket(&s3, "governed").await;
    put_retained(
        &s3,
        &name,
        "invoices/2024.pdf",
        ObjectLockMode::Governance,
        in_one_day(),
    )
    .await;
    put_held(&s3, &name, "evidence/case-12.jpg").await;
    put_objects(&s3, &name, &keys("free/", 10)).await;

    let refused = run(&["--bucket", &name, "--yes"]);

    assert_exit(&refused, 1);
    let text = stdout(&refused);
    assert!(text.contains("--bypass-governance"), "{text}");
    assert!(
        text.contains("governance-mode retention") && text.contains("legal hold"),
        "{text}"
    );
    assert!(bucket_exists(&s3, &name).await);
    assert_eq!(
        version_count(&s3, &name).await,
        12,
        "a refused bucket must be left as it is"
    );

    let bypassed = run(&[
        "--bucket",
        &name,
        "--yes",
        "--bypass-governance",
        "--output",
        "json",
    ]);

    assert_exit(&bypassed, 0);
    assert_eq!(
        action(&json(&bypassed), &name)["outcome"]["status"],
        "deleted"
    );
    assert!(!bucket_exists(&s3, &name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn compliance_retention_is_reported_with_its_date_and_the_bucket_left_alone() {
    let s3 = s3().await;
    let name = locked_bucket(&s3, "compliant").await;
    let until = in_one_day();
    put_retained(
        &s3,
        &name,
        "ledger/2024.csv",
        ObjectLockMode::Compliance,
        until,
    )
    .await;
    put_objects(&s3, &name, &keys("free/", 5)).await;

    // Even --bypass-governance cannot get past compliance mode.
    let output = run(&[
        "--bucket",
        &name,
        "--yes",
        "--bypass-governance",
        "--output",
        "json",
    ]);

    assert_exit(&output, 1);
    let report = json(&output);
    let outcome = &action(&report, &name)["outcome"];
    assert_eq!(outcome["status"], "skipped");
    let reason = outcome["reason"].as_str().unwrap();
    let date = until.fmt(DateTimeFormat::DateTime).unwrap();
    assert!(reason.contains("compliance"), "{reason}");
    assert!(reason.contains(&date), "{reason} does not name {date}");
    assert!(bucket_exists(&s3, &name).await);
    assert_eq!(version_count(&s3, &name).await, 6, "objects were deleted");
}
