//! rm-s3 against the emulator (and the behaviour proxy in front of it): what a user sees and
//! what is left in the account.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;
use support::*;
use testkit::endpoint;
use testkit::proxy::{Proxy, ProxyConfig};

#[tokio::test(flavor = "multi_thread")]
async fn deletes_named_buckets_and_leaves_prefix_sharing_decoys() {
    let s3 = s3().await;
    let originals = bucket_with_objects(&s3, "upload-originals", 40).await;
    let resized = bucket_with_objects(&s3, "resized-image", 25).await;
    let decoys = [format!("{originals}-archive"), format!("x{resized}")];
    for decoy in &decoys {
        create_bucket(&s3, decoy).await;
        put_objects(&s3, decoy, &keys("keep/", 5)).await;
    }

    let output = run(&["--bucket", &originals, "--bucket", &resized, "--yes"]);

    assert_exit(&output, 0);
    assert!(stdout(&output).contains("2 deleted"), "{}", stdout(&output));
    assert!(!bucket_exists(&s3, &originals).await);
    assert!(!bucket_exists(&s3, &resized).await);
    for decoy in &decoys {
        assert!(bucket_exists(&s3, decoy).await, "decoy {decoy} was deleted");
        assert_eq!(
            object_count(&s3, decoy).await,
            5,
            "decoy {decoy} lost objects"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_shows_what_is_inside_and_a_dry_run_changes_nothing() {
    let s3 = s3().await;
    let name = bucket_with_objects(&s3, "plan", 12).await;
    s3.put_bucket_website()
        .bucket(&name)
        .website_configuration(
            aws_sdk_s3::types::WebsiteConfiguration::builder()
                .index_document(
                    aws_sdk_s3::types::IndexDocument::builder()
                        .suffix("index.html")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    let output = run(&["--bucket", &name, "--dry-run", "--output", "json"]);

    assert_exit(&output, 0);
    let report = json(&output);
    assert_eq!(report["dry_run"], true);
    let details = &action(&report, &name)["details"];
    assert_eq!(details["region"], "us-east-1");
    assert_eq!(details["versioning"], "off");
    assert_eq!(details["object lock"], "off");
    assert_eq!(details["policy"], "none");
    assert_eq!(details["website"], "on");
    assert_eq!(details["objects"], "12");
    assert_eq!(details["size"], "96 B");
    assert_eq!(details["uploads"], "0");
    assert_eq!(action(&report, &name)["outcome"], Value::Null);
    assert_eq!(
        object_count(&s3, &name).await,
        12,
        "--dry-run deleted objects"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_makes_no_mutating_call() {
    let s3 = s3().await;
    let plain = bucket_with_objects(&s3, "dry-plain", 5).await;
    let versioned = bucket_name("dry-versioned");
    create_bucket(&s3, &versioned).await;
    enable_versioning(&s3, &versioned).await;
    put_objects(&s3, &versioned, &keys("v/", 5)).await;
    add_delete_markers(&s3, &versioned, &keys("v/", 2)).await;
    s3.create_multipart_upload()
        .bucket(&versioned)
        .key("big")
        .send()
        .await
        .unwrap();
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();

    for strategy in ["delete", "lifecycle"] {
        let output = run_via(
            proxy.endpoint(),
            &[
                "--bucket",
                &plain,
                "--bucket",
                &versioned,
                "--strategy",
                strategy,
                "--dry-run",
            ],
        );
        assert_exit(&output, 0);
        assert!(
            stdout(&output).contains("dry run: nothing changed"),
            "{}",
            stdout(&output)
        );
    }

    let mutating = proxy.mutating_calls();
    assert!(
        mutating.is_empty(),
        "mutating calls in a dry run: {mutating:#?}"
    );
    assert!(
        !proxy.calls_to("s3").is_empty(),
        "the dry run did not reach S3"
    );
    assert_eq!(object_count(&s3, &plain).await, 5);
    assert_eq!(version_count(&s3, &versioned).await, 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn versioned_bucket_with_delete_markers_is_emptied_and_deleted() {
    let s3 = s3().await;
    let name = bucket_name("versioned");
    create_bucket(&s3, &name).await;
    enable_versioning(&s3, &name).await;
    let all = keys("img/", 60);
    // Two versions of each key, then a delete marker on top of 50 of them.
    put_objects(&s3, &name, &all).await;
    put_objects(&s3, &name, &all).await;
    add_delete_markers(&s3, &name, &all[..50]).await;

    let planned = run(&["--bucket", &name, "--dry-run", "--output", "json"]);
    assert_exit(&planned, 0);
    let report = json(&planned);
    let details = &action(&report, &name)["details"];
    assert_eq!(details["versioning"], "on");
    assert_eq!(details["objects"], "10", "current versions: {details}");
    assert_eq!(details["old versions"], "110", "{details}");
    assert_eq!(details["delete markers"], "50", "{details}");

    let output = run(&["--bucket", &name, "--yes", "--output", "json"]);

    assert_exit(&output, 0);
    assert_eq!(
        action(&json(&output), &name)["outcome"]["status"],
        "deleted"
    );
    assert!(!bucket_exists(&s3, &name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn incomplete_multipart_uploads_are_counted_and_aborted() {
    let s3 = s3().await;
    let name = bucket_with_objects(&s3, "multipart", 3).await;
    let upload = s3
        .create_multipart_upload()
        .bucket(&name)
        .key("videos/big.mp4")
        .send()
        .await
        .unwrap();
    s3.upload_part()
        .bucket(&name)
        .key("videos/big.mp4")
        .upload_id(upload.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from(vec![7u8; 1024]))
        .send()
        .await
        .unwrap();
    let proxy = Proxy::start(ProxyConfig::passthrough(endpoint())).unwrap();

    let planned = run(&["--bucket", &name, "--dry-run", "--output", "json"]);
    assert_eq!(action(&json(&planned), &name)["details"]["uploads"], "1");
    let output = run_via(proxy.endpoint(), &["--bucket", &name, "--yes"]);

    assert_exit(&output, 0);
    assert!(!bucket_exists(&s3, &name).await);
    let aborts = proxy.calls_of("AbortMultipartUpload");
    assert_eq!(aborts.len(), 1, "{aborts:#?}");
    assert!(aborts[0].succeeded());
}

#[tokio::test(flavor = "multi_thread")]
async fn more_than_1000_objects_cross_the_batch_boundary() {
    let s3 = s3().await;
    let name = bucket_with_objects(&s3, "batches", 1100).await;
    let proxy = Proxy::start(ProxyConfig::passthrough(endpoint())).unwrap();

    let output = run_via(
        proxy.endpoint(),
        &["--bucket", &name, "--yes", "--concurrency", "2"],
    );

    assert_exit(&output, 0);
    assert!(!bucket_exists(&s3, &name).await);
    // Two DeleteObjects (1000 keys, then 100), and no key listed twice: the plan's pages were
    // deleted without listing the bucket again.
    let deletes = proxy.calls_of("DeleteObjects");
    assert_eq!(deletes.len(), 2, "{deletes:#?}");
    assert!(deletes.iter().all(|r| r.succeeded()));
}

#[tokio::test(flavor = "multi_thread")]
async fn key_that_is_not_xml_text_is_deleted_on_its_own() {
    let s3 = s3().await;
    let name = bucket_with_objects(&s3, "xml-key", 5).await;
    let awkward = [
        "bad\u{1}key".to_string(),
        "spaces and+plus%25.txt".to_string(),
        "café/naïve".to_string(),
    ];
    put_objects(&s3, &name, &awkward).await;
    let proxy = Proxy::start(ProxyConfig::passthrough(endpoint())).unwrap();

    let output = run_via(proxy.endpoint(), &["--bucket", &name, "--yes"]);

    assert_exit(&output, 0);
    assert!(!bucket_exists(&s3, &name).await);
    // The key with U+0001 cannot go in an XML body: one DeleteObject; the other 7 keys went in
    // one DeleteObjects.
    let singles = proxy.calls_of("DeleteObject");
    assert_eq!(singles.len(), 1, "{singles:#?}");
    assert!(singles[0].path.contains("%01"), "{:?}", singles[0].path);
    assert_eq!(proxy.calls_of("DeleteObjects").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn rerun_after_deletion_reports_already_absent_and_exits_zero() {
    let s3 = s3().await;
    let name = bucket_with_objects(&s3, "rerun", 4).await;

    let first = run(&["--bucket", &name, "-y"]);
    assert_exit(&first, 0);
    let second = run(&["--bucket", &name, "-y", "--output", "json"]);

    assert_exit(&second, 0);
    let report = json(&second);
    assert_eq!(
        action(&report, &name)["outcome"]["status"],
        "already-absent"
    );
    assert_eq!(report["summary"]["already_absent"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn match_selects_matching_buckets_only() {
    let s3 = s3().await;
    let prefix = bucket_name("easyshop");
    let (a, b) = (format!("{prefix}-orders"), format!("{prefix}-images"));
    let decoys = [format!("x{prefix}-orders"), format!("{prefix}orders")];
    for name in [&a, &b].into_iter().chain(decoys.iter()) {
        create_bucket(&s3, name).await;
        put_objects(&s3, name, &keys("k", 3)).await;
    }

    let output = run(&["--match", &format!("{prefix}-*"), "-y", "--output", "json"]);

    assert_exit(&output, 0);
    assert_eq!(json(&output)["summary"]["deleted"], 2);
    assert!(!bucket_exists(&s3, &a).await && !bucket_exists(&s3, &b).await);
    for decoy in &decoys {
        assert!(bucket_exists(&s3, decoy).await, "decoy {decoy} was deleted");
        assert_eq!(
            object_count(&s3, decoy).await,
            3,
            "decoy {decoy} lost objects"
        );
    }
}
