//! Fixtures shared by rm-s3's integration tests: S3 clients for the emulator (or a proxy in front
//! of it), buckets filled with objects, and the binary's output read back.

#![allow(dead_code)]

use std::process::Output;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, VersioningConfiguration,
};
use futures::StreamExt;
use serde_json::Value;
use testkit::{command, endpoint, sdk_config_for};

pub const BIN: &str = env!("CARGO_BIN_EXE_rm-s3");

/// An S3 client for the emulator, path-style (bucket names do not resolve under 127.0.0.1).
pub async fn s3() -> Client {
    s3_at(&endpoint(), "us-east-1").await
}

/// An S3 client for `endpoint` (the emulator or a proxy), signing for `region`.
pub async fn s3_at(endpoint: &str, region: &str) -> Client {
    let config = sdk_config_for(endpoint)
        .await
        .to_builder()
        .region(aws_types::region::Region::new(region.to_string()))
        .build();
    Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

/// A bucket name no other test uses (lowercase, as S3 wants).
pub fn bucket_name(prefix: &str) -> String {
    testkit::unique_name(prefix).to_lowercase()
}

/// Creates a bucket in the client's region.
pub async fn create_bucket(client: &Client, name: &str) {
    let region = client
        .config()
        .region()
        .map(|r| r.as_ref().to_string())
        .unwrap_or_default();
    let mut request = client.create_bucket().bucket(name);
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
}

pub async fn enable_versioning(client: &Client, name: &str) {
    client
        .put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// `n` keys named `{prefix}{i:05}`.
pub fn keys(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:05}")).collect()
}

/// Puts one small object per key, a few at a time.
pub async fn put_objects(client: &Client, bucket: &str, keys: &[String]) {
    futures::stream::iter(keys)
        .map(|key| async move {
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from_static(b"teardown"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("put {bucket}/{key:?}: {e:?}"))
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
}

/// Adds a delete marker on top of each key (a versioned bucket).
pub async fn add_delete_markers(client: &Client, bucket: &str, keys: &[String]) {
    for chunk in keys.chunks(1000) {
        let objects = chunk
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build().unwrap())
            .collect();
        let output = client
            .delete_objects()
            .bucket(bucket)
            .delete(
                Delete::builder()
                    .set_objects(Some(objects))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert!(output.errors().is_empty(), "{:?}", output.errors());
    }
}

/// A bucket holding `n` objects.
pub async fn bucket_with_objects(client: &Client, prefix: &str, n: usize) -> String {
    let name = bucket_name(prefix);
    create_bucket(client, &name).await;
    put_objects(client, &name, &keys("obj/", n)).await;
    name
}

pub async fn bucket_exists(client: &Client, name: &str) -> bool {
    match client.head_bucket().bucket(name).send().await {
        Ok(_) => true,
        Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(404) => false,
        Err(e) => panic!("head {name}: {e:?}"),
    }
}

/// Objects in a bucket that never had versioning (ListObjectsV2).
pub async fn object_count(client: &Client, name: &str) -> usize {
    let mut count = 0;
    let mut pages = client
        .list_objects_v2()
        .bucket(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        count += page.unwrap().contents().len();
    }
    count
}

/// Versions plus delete markers (ListObjectVersions, first 1000: enough for these tests).
pub async fn version_count(client: &Client, name: &str) -> usize {
    let output = client
        .list_object_versions()
        .bucket(name)
        .send()
        .await
        .unwrap();
    output.versions().len() + output.delete_markers().len()
}

/// Runs the binary against the emulator with `args`.
pub fn run(args: &[&str]) -> Output {
    command(BIN).args(args).output().unwrap()
}

/// Runs the binary through a proxy (its `--endpoint-url`).
pub fn run_via(endpoint: &str, args: &[&str]) -> Output {
    command(BIN)
        .args(args)
        .args(["--endpoint-url", endpoint])
        .output()
        .unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing both streams when it is not the expected one.
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// The report's action for `bucket`.
pub fn action<'a>(report: &'a Value, bucket: &str) -> &'a Value {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == bucket)
        .unwrap_or_else(|| panic!("no action for {bucket} in {report:#}"))
}
