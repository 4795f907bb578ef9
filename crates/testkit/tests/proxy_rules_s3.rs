//! The S3 rules `s3-location-denied` and `s3-delete-objects-errors`, shown against moto: what
//! the proxy answers, and that the keys it reports as failed are really still there.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod proxy_support;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, VersioningConfiguration,
};
use proxy_support::{code, header, moto, once, status, unique};
use testkit::proxy::{Proxy, ProxyConfig, Rule};

fn proxy(config: ProxyConfig) -> Proxy {
    Proxy::start(config).expect("start the proxy")
}

async fn create_bucket(s3: &Client, name: &str, region: Option<&str>) {
    let mut request = s3.create_bucket().bucket(name);
    if let Some(region) = region {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    request.send().await.expect("create bucket");
}

async fn put(s3: &Client, bucket: &str, keys: &[&str]) {
    for key in keys {
        s3.put_object()
            .bucket(bucket)
            .key(*key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("put object");
    }
}

/// Every key and version id in the bucket (ListObjectVersions straight from moto).
async fn versions(s3: &Client, bucket: &str) -> Vec<(String, String)> {
    let listed = s3
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .expect("list versions");
    let mut out: Vec<(String, String)> = listed
        .versions()
        .iter()
        .map(|v| {
            (
                v.key().unwrap().to_owned(),
                v.version_id().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn keys(s3: &Client, bucket: &str) -> Vec<String> {
    versions(s3, bucket)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

fn delete_of(objects: &[(&str, Option<&str>)]) -> Delete {
    let objects = objects
        .iter()
        .map(|(key, version)| {
            ObjectIdentifier::builder()
                .key(*key)
                .set_version_id(version.map(str::to_owned))
                .build()
                .unwrap()
        })
        .collect();
    Delete::builder()
        .set_objects(Some(objects))
        .quiet(true)
        .build()
        .unwrap()
}

/// (key, version, code) of each per-key error of a DeleteObjects answer.
fn errors(
    output: &aws_sdk_s3::operation::delete_objects::DeleteObjectsOutput,
) -> Vec<(String, Option<String>, String)> {
    output
        .errors()
        .iter()
        .map(|e| {
            (
                e.key().unwrap_or_default().to_owned(),
                e.version_id().map(str::to_owned),
                e.code().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn get_bucket_location_is_denied_for_marked_buckets_and_head_bucket_still_tells_the_region() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let us = proxy_support::s3(&once(proxy.endpoint()).await);
    let eu = proxy_support::s3(&proxy_support::config(proxy.endpoint(), "eu-west-1", 1).await);
    let direct = proxy_support::s3(&once(&moto).await);
    let denied = unique("location-denied");
    let plain = unique("location-shown");
    create_bucket(&eu, &denied, Some("eu-west-1")).await;
    create_bucket(&us, &plain, None).await;

    let err = us
        .get_bucket_location()
        .bucket(&denied)
        .send()
        .await
        .expect_err("denied");
    assert_eq!(status(&err), Some(403));
    assert_eq!(code(&err), "AccessDenied");
    assert_eq!(
        header(&err, "x-amz-bucket-region"),
        None,
        "the refusal does not tell the region"
    );
    // HeadBucket from the bucket's region answers, with the region.
    let head = eu.head_bucket().bucket(&denied).send().await.expect("head");
    assert_eq!(head.bucket_region(), Some("eu-west-1"));
    // From another region: the 301 of s3-region-redirect carries it.
    let err = us
        .head_bucket()
        .bucket(&denied)
        .send()
        .await
        .expect_err("redirect");
    assert_eq!(status(&err), Some(301));
    assert_eq!(
        header(&err, "x-amz-bucket-region").as_deref(),
        Some("eu-west-1")
    );
    // Unmarked buckets are answered; moto itself never refuses.
    let shown = us
        .get_bucket_location()
        .bucket(&plain)
        .send()
        .await
        .expect("unmarked bucket");
    // us-east-1: no constraint (moto says so with an empty one).
    assert_eq!(shown.location_constraint().map_or("", |c| c.as_str()), "");
    let location = direct
        .get_bucket_location()
        .bucket(&denied)
        .send()
        .await
        .expect("moto is lenient");
    assert_eq!(
        location.location_constraint(),
        Some(&BucketLocationConstraint::EuWest1)
    );

    let refused: Vec<String> = proxy
        .log()
        .into_iter()
        .filter(|r| r.rule == Some(Rule::S3LocationDenied))
        .map(|r| r.resource.unwrap_or_default())
        .collect();
    assert_eq!(refused, std::slice::from_ref(&denied));
    eu.delete_bucket().bucket(&denied).send().await.unwrap();
    us.delete_bucket().bucket(&plain).send().await.unwrap();
}

#[tokio::test]
async fn location_denied_markers_are_configurable_and_the_rule_can_be_off() {
    let moto = moto();
    let direct = proxy_support::s3(&once(&moto).await);
    let bucket = unique("scp-guarded");
    create_bucket(&direct, &bucket, None).await;

    let custom = proxy(ProxyConfig::aws(&moto).s3_location_denied(["scp-guarded"]));
    let s3 = proxy_support::s3(&once(custom.endpoint()).await);
    let err = s3
        .get_bucket_location()
        .bucket(&bucket)
        .send()
        .await
        .expect_err("custom marker");
    assert_eq!(code(&err), "AccessDenied");

    let off = proxy(
        ProxyConfig::aws(&moto)
            .s3_location_denied(["scp-guarded"])
            .disable(Rule::S3LocationDenied),
    );
    let s3 = proxy_support::s3(&once(off.endpoint()).await);
    s3.get_bucket_location()
        .bucket(&bucket)
        .send()
        .await
        .expect("rule off");
    direct.delete_bucket().bucket(&bucket).send().await.unwrap();
}

#[tokio::test]
async fn delete_objects_reports_per_key_errors_and_leaves_those_keys() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let s3 = proxy_support::s3(&once(proxy.endpoint()).await);
    let direct = proxy_support::s3(&once(&moto).await);
    let bucket = unique("delete-errors");
    create_bucket(&s3, &bucket, None).await;
    let stuck = "logs/testkit-delete-fails.txt";
    let flaky = "img/testkit-delete-flaky & <co>.jpg";
    put(&s3, &bucket, &["a.txt", stuck, flaky, "z.txt"]).await;

    let first = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_of(&[
            ("a.txt", None),
            (stuck, None),
            (flaky, None),
            ("z.txt", None),
        ]))
        .send()
        .await
        .expect("DeleteObjects answers 200");

    assert_eq!(
        errors(&first),
        [
            (stuck.to_owned(), None, "InternalError".to_owned()),
            (flaky.to_owned(), None, "SlowDown".to_owned()),
        ]
    );
    assert_eq!(
        keys(&direct, &bucket).await,
        [flaky, stuck],
        "the failed keys are still there, the others deleted"
    );

    // Again: the flaky key goes, the failing one fails again.
    let second = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_of(&[(stuck, None), (flaky, None)]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        errors(&second),
        [(stuck.to_owned(), None, "InternalError".to_owned())]
    );
    assert_eq!(keys(&direct, &bucket).await, [stuck]);

    // Only the failing key: an answer with its error alone, nothing reaches moto.
    let third = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_of(&[(stuck, None)]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        errors(&third),
        [(stuck.to_owned(), None, "InternalError".to_owned())]
    );
    assert_eq!(keys(&direct, &bucket).await, [stuck]);

    let ruled = proxy
        .calls_of("DeleteObjects")
        .into_iter()
        .filter(|r| r.rule == Some(Rule::S3DeleteObjectsErrors) && r.status == Some(200))
        .count();
    assert_eq!(ruled, 3);
    direct
        .delete_object()
        .bucket(&bucket)
        .key(stuck)
        .send()
        .await
        .unwrap();
    direct.delete_bucket().bucket(&bucket).send().await.unwrap();
}

#[tokio::test]
async fn delete_objects_errors_name_the_version_and_a_rate_fails_first_attempts_only() {
    let moto = moto();
    let proxy =
        proxy(ProxyConfig::aws(&moto).s3_delete_flaky(Vec::<String>::new(), 0.5, "InternalError"));
    let s3 = proxy_support::s3(&once(proxy.endpoint()).await);
    let direct = proxy_support::s3(&once(&moto).await);
    let bucket = unique("delete-rate");
    create_bucket(&s3, &bucket, None).await;
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let names: Vec<String> = (0..40).map(|i| format!("k/{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    put(&s3, &bucket, &names).await;
    let listed = versions(&direct, &bucket).await;
    assert_eq!(listed.len(), 40);
    let objects: Vec<(&str, Option<&str>)> = listed
        .iter()
        .map(|(k, v)| (k.as_str(), Some(v.as_str())))
        .collect();

    let first = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_of(&objects))
        .send()
        .await
        .unwrap();
    let failed = errors(&first);
    assert!(
        (5..=35).contains(&failed.len()),
        "about half of 40 keys fail at rate 0.5: {failed:?}"
    );
    for (key, version, code) in &failed {
        assert_eq!(code, "InternalError");
        assert!(
            listed.contains(&(key.clone(), version.clone().unwrap())),
            "the error names the key and version sent: {key} {version:?}"
        );
    }
    assert_eq!(
        versions(&direct, &bucket).await.len(),
        failed.len(),
        "exactly the failed versions are left"
    );

    let retry: Vec<(&str, Option<&str>)> = failed
        .iter()
        .map(|(k, v, _)| (k.as_str(), v.as_deref()))
        .collect();
    let second = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_of(&retry))
        .send()
        .await
        .unwrap();
    assert!(errors(&second).is_empty(), "{:?}", errors(&second));
    assert!(versions(&direct, &bucket).await.is_empty());
    direct.delete_bucket().bucket(&bucket).send().await.unwrap();
}

#[tokio::test]
async fn delete_objects_without_the_rule_deletes_every_key() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto).disable(Rule::S3DeleteObjectsErrors));
    let s3 = proxy_support::s3(&once(proxy.endpoint()).await);
    let bucket = unique("delete-off");
    create_bucket(&s3, &bucket, None).await;
    let stuck = "testkit-delete-fails";
    put(&s3, &bucket, &[stuck, "b"]).await;

    let output = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_of(&[(stuck, None), ("b", None)]))
        .send()
        .await
        .unwrap();

    assert!(errors(&output).is_empty());
    assert!(keys(&s3, &bucket).await.is_empty());
    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
}
