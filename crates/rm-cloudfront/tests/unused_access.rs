//! `--unused-origin-access-for-bucket` and `--unused-origin-access`: the OACs and OAIs that
//! outlived their distribution, selected by the bucket the console named them after, or by
//! name. Everything is made THROUGH the proxy, which serves OAIs (moto has none) and remembers
//! which OAC a distribution uses (moto forgets it), in front of a moto of the test's own.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::process::Output;

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::CloudFrontOriginAccessIdentityConfig;
use serde_json::Value;
use support::*;
use testkit::proxy::{Proxy, ProxyConfig};
use testkit::{sdk_config_for, unique_name};

/// The proxy as in the other tests (`aws_proxy`), in front of a private moto.
fn private_proxy(moto: &testkit::PrivateMoto) -> Proxy {
    Proxy::start(
        ProxyConfig::aws(moto.endpoint())
            .cloudfront_settle_time(std::time::Duration::ZERO)
            .cloudfront_deploy_time(DEPLOY),
    )
    .unwrap()
}

async fn through(proxy: &Proxy) -> Client {
    Client::new(&sdk_config_for(proxy.endpoint()).await)
}

async fn create_oai(client: &Client, comment: &str) -> String {
    client
        .create_cloud_front_origin_access_identity()
        .cloud_front_origin_access_identity_config(
            CloudFrontOriginAccessIdentityConfig::builder()
                .caller_reference(unique_name("oai-ref"))
                .comment(comment)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .cloud_front_origin_access_identity()
        .unwrap()
        .id()
        .to_string()
}

async fn oai_exists(client: &Client, id: &str) -> bool {
    client
        .get_cloud_front_origin_access_identity()
        .id(id)
        .send()
        .await
        .is_ok()
}

/// A disabled distribution whose one S3 origin uses the OAC.
async fn distribution_using(client: &Client, oac: &str) -> String {
    let mut config = distribution_config(&Spec {
        comment: "unused-access-test",
        ..Spec::default()
    });
    config.origins.as_mut().unwrap().items[0].origin_access_control_id = Some(oac.to_string());
    client
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .unwrap()
        .distribution()
        .unwrap()
        .id()
        .to_string()
}

fn run(proxy: &Proxy, args: &[&str]) -> Output {
    command()
        .args(args)
        .args(["--output", "json", "--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap()
}

/// (kind, id) of every action in the report.
fn planned(report: &Value) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_string(),
                a["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    list.sort();
    list
}

/// The workshop's leftovers next to decoys: an OAC and an OAI named by the console after the
/// bucket, unused (selected); an OAC named after the bucket but used by a distribution, and an
/// OAC and an OAI named after a bucket that shares the name's prefix (all kept).
#[tokio::test(flavor = "multi_thread")]
async fn unused_access_made_for_the_bucket_is_planned_then_deleted_and_decoys_stay() {
    let moto = testkit::PrivateMoto::start();
    let proxy = private_proxy(&moto);
    let cf = through(&proxy).await;
    let bucket = unique_name("frontend").to_lowercase();
    let domain = format!("{bucket}.s3.us-east-1.amazonaws.com");
    let orphan_oac = create_oac(&cf, &domain).await;
    let orphan_oai = create_oai(&cf, &format!("access-identity-{bucket}.s3.amazonaws.com")).await;
    let used_oac = create_oac(&cf, &format!("{domain}-x1")).await;
    let distribution = distribution_using(&cf, &used_oac).await;
    let decoy_oac = create_oac(&cf, &format!("{bucket}-old.s3.us-east-1.amazonaws.com")).await;
    let decoy_oai = create_oai(
        &cf,
        &format!("access-identity-{bucket}-old.s3.amazonaws.com"),
    )
    .await;
    proxy.clear_log();

    let dry = run(
        &proxy,
        &["--unused-origin-access-for-bucket", &bucket, "--dry-run"],
    );

    assert_eq!(dry.status.code(), Some(0), "{}", describe(&dry));
    let report = json(&dry);
    let mut expected = vec![
        ("origin access control".to_string(), orphan_oac.clone()),
        ("origin access identity".to_string(), orphan_oai.clone()),
    ];
    expected.sort();
    assert_eq!(planned(&report), expected, "{report:#}");
    let oac_action = action(&report, "origin access control", &domain);
    assert_eq!(
        oac_action["details"]["made for"],
        format!("bucket {bucket}")
    );
    assert_eq!(oac_action["outcome"], Value::Null);
    assert_eq!(
        proxy.mutating_calls(),
        vec![],
        "a dry run changed something"
    );

    let output = run(
        &proxy,
        &["--unused-origin-access-for-bucket", &bucket, "-y"],
    );

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(
        outcome(&report, "origin access control", &domain),
        "deleted"
    );
    assert_eq!(
        outcome(&report, "origin access identity", &orphan_oai),
        "deleted"
    );
    assert!(!oac_exists(&cf, &orphan_oac).await, "the orphan OAC stayed");
    assert!(!oai_exists(&cf, &orphan_oai).await, "the orphan OAI stayed");
    assert!(
        oac_exists(&cf, &used_oac).await,
        "an OAC in use was deleted"
    );
    assert!(oac_exists(&cf, &decoy_oac).await, "a decoy OAC was deleted");
    assert!(oai_exists(&cf, &decoy_oai).await, "a decoy OAI was deleted");
    assert_eq!(enabled(&cf, &distribution).await, Some(false));
    let deleted: Vec<String> = proxy
        .mutating_calls()
        .iter()
        .filter_map(|r| r.resource.clone())
        .collect();
    assert_eq!(deleted.len(), 2, "{deleted:?}");

    // Run again: nothing is left to select.
    let again = run(
        &proxy,
        &["--unused-origin-access-for-bucket", &bucket, "--dry-run"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", describe(&again));
    assert_eq!(planned(&json(&again)), vec![]);
}

/// By exact name: an OAC the demo named itself (not after the bucket), but only while unused;
/// an OAC whose name extends it is not selected.
#[tokio::test(flavor = "multi_thread")]
async fn unused_access_by_exact_name_skips_one_in_use_and_longer_names() {
    let moto = testkit::PrivateMoto::start();
    let proxy = private_proxy(&moto);
    let cf = through(&proxy).await;
    let name = unique_name("easyshop-frontend-oac");
    let orphan = create_oac(&cf, &name).await;
    let longer = create_oac(&cf, &format!("{name}-v2")).await;
    let in_use_name = unique_name("easyshop-frontend-oac-used");
    let in_use = create_oac(&cf, &in_use_name).await;
    distribution_using(&cf, &in_use).await;
    proxy.clear_log();

    let output = run(
        &proxy,
        &[
            "--unused-origin-access",
            &name,
            "--unused-origin-access",
            &in_use_name,
            "-y",
        ],
    );

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(
        planned(&report),
        vec![("origin access control".to_string(), orphan.clone())],
        "{report:#}"
    );
    assert!(!oac_exists(&cf, &orphan).await);
    assert!(oac_exists(&cf, &longer).await, "a longer name was deleted");
    assert!(oac_exists(&cf, &in_use).await, "an OAC in use was deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_bucket_for_unused_access_is_bad_input() {
    for (args, expected) in [
        (&["--unused-origin-access-for-bucket", ""][..], "empty"),
        (
            &["--unused-origin-access-for-bucket", "Frontend_FCJ"],
            "bucket",
        ),
        (&["--unused-origin-access", ""], "empty"),
    ] {
        let output = command().args(args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            describe(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("rm-cloudfront: error: "), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}
