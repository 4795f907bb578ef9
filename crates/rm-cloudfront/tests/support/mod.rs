//! Fixtures for rm-cloudfront's tests: distributions with S3 or website origins, comments and
//! aliases; checks on what is left; and readers for the report and the proxy log.

#![allow(dead_code)]

use std::process::Output;
use std::time::Duration;

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::{
    Aliases, CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, Origin,
    OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols, OriginProtocolPolicy, Origins, S3OriginConfig,
    ViewerProtocolPolicy,
};
use serde_json::Value;
use testkit::proxy::{Proxy, ProxyConfig, Record};
use testkit::{endpoint, sdk_config, unique_name};

pub const BIN: &str = env!("CARGO_BIN_EXE_rm-cloudfront");

/// How often the binary polls in tests. Its default (30 s) suits real AWS, not a 1-2 s deploy.
pub const POLL: &str = "200ms";

/// The deploy time the proxy simulates in most tests (real AWS: 5 to 40 minutes).
pub const DEPLOY: Duration = Duration::from_secs(2);

/// A CloudFront client talking to the emulator directly.
pub async fn client() -> Client {
    Client::new(&sdk_config().await)
}

/// The binary, pointed at the emulator, polling fast.
pub fn command() -> assert_cmd::Command {
    let mut command = testkit::command(BIN);
    command.env("RM_CLOUDFRONT_POLL_INTERVAL", POLL);
    command
}

/// A proxy in front of the emulator with every real-AWS rule on and a short simulated deploy.
pub fn aws_proxy() -> Proxy {
    Proxy::start(
        ProxyConfig::aws(endpoint())
            .cloudfront_settle_time(Duration::ZERO)
            .cloudfront_deploy_time(DEPLOY),
    )
    .expect("start the proxy")
}

/// What a test distribution looks like.
#[derive(Clone, Debug, Default)]
pub struct Spec<'a> {
    pub enabled: bool,
    pub comment: &'a str,
    pub aliases: &'a [&'a str],
    /// Origin domain names: S3 REST endpoints get an S3 origin config, anything else (website
    /// endpoints, APIs) a custom one, as the console does.
    pub origins: &'a [&'a str],
}

pub fn distribution_config(spec: &Spec) -> DistributionConfig {
    let origins: Vec<&str> = if spec.origins.is_empty() {
        vec!["example-bucket.s3.amazonaws.com"]
    } else {
        spec.origins.to_vec()
    };
    let mut items = Vec::new();
    for (i, domain) in origins.iter().enumerate() {
        let origin = Origin::builder()
            .id(format!("origin{i}"))
            .domain_name(*domain);
        let origin = if domain.contains(".s3.") || domain.ends_with(".s3.amazonaws.com") {
            origin.s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        } else {
            origin.custom_origin_config(
                CustomOriginConfig::builder()
                    .http_port(80)
                    .https_port(443)
                    .origin_protocol_policy(OriginProtocolPolicy::HttpOnly)
                    .build()
                    .expect("test fixture"),
            )
        };
        items.push(origin.build().expect("test fixture"));
    }
    let mut config = DistributionConfig::builder()
        .caller_reference(unique_name("ref"))
        .comment(spec.comment)
        .enabled(spec.enabled)
        .origins(
            Origins::builder()
                .quantity(items.len() as i32)
                .set_items(Some(items))
                .build()
                .expect("test fixture"),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("origin0")
                .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
                .build()
                .expect("test fixture"),
        );
    if !spec.aliases.is_empty() {
        config = config.aliases(
            Aliases::builder()
                .quantity(spec.aliases.len() as i32)
                .set_items(Some(spec.aliases.iter().map(|a| a.to_string()).collect()))
                .build()
                .expect("test fixture"),
        );
    }
    config.build().expect("test fixture")
}

/// Creates a distribution; returns its id.
pub async fn create(client: &Client, spec: &Spec<'_>) -> String {
    let created = client
        .create_distribution()
        .distribution_config(distribution_config(spec))
        .send()
        .await
        .expect("test fixture");
    created
        .distribution()
        .expect("test fixture")
        .id()
        .to_string()
}

/// An enabled distribution with one S3 origin.
pub async fn create_enabled(client: &Client) -> String {
    create(
        client,
        &Spec {
            enabled: true,
            ..Spec::default()
        },
    )
    .await
}

/// `Some(enabled)` if the distribution exists, `None` if it is gone.
pub async fn enabled(client: &Client, id: &str) -> Option<bool> {
    match client.get_distribution_config().id(id).send().await {
        Ok(output) => Some(
            output
                .distribution_config()
                .expect("test fixture")
                .enabled(),
        ),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_distribution()) =>
        {
            None
        }
        Err(e) => panic!("reading distribution {id}: {e:?}"),
    }
}

/// Sets Enabled on a distribution the chapter's way (whole config, If-Match), through `client`.
pub async fn set_enabled(client: &Client, id: &str, on: bool) {
    let current = client
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .expect("test fixture");
    let mut config = current.distribution_config().expect("test fixture").clone();
    config.enabled = on;
    client
        .update_distribution()
        .id(id)
        .if_match(current.e_tag().expect("test fixture"))
        .distribution_config(config)
        .send()
        .await
        .expect("test fixture");
}

/// A new origin access control; returns its id.
pub async fn create_oac(client: &Client, name: &str) -> String {
    let created = client
        .create_origin_access_control()
        .origin_access_control_config(
            OriginAccessControlConfig::builder()
                .name(name)
                .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
                .signing_behavior(OriginAccessControlSigningBehaviors::Always)
                .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
                .build()
                .expect("test fixture"),
        )
        .send()
        .await
        .expect("test fixture");
    created
        .origin_access_control()
        .expect("test fixture")
        .id()
        .to_string()
}

pub async fn oac_exists(client: &Client, id: &str) -> bool {
    match client.get_origin_access_control().id(id).send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_origin_access_control()) =>
        {
            false
        }
        Err(e) => panic!("reading origin access control {id}: {e:?}"),
    }
}

pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Both streams, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The report's action for one resource.
pub fn action<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["actions"]
        .as_array()
        .expect("test fixture")
        .iter()
        .find(|a| a["kind"] == kind && a["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the report: {report:#}"))
}

/// The outcome status of one resource (`deleted`, `pending`, ...).
pub fn outcome(report: &Value, kind: &str, name: &str) -> String {
    action(report, kind, name)["outcome"]["status"]
        .as_str()
        .unwrap_or("none")
        .to_string()
}

/// Names of the distributions in the report.
pub fn distributions(report: &Value) -> Vec<String> {
    report["actions"]
        .as_array()
        .expect("test fixture")
        .iter()
        .filter(|a| a["kind"] == "distribution")
        .map(|a| a["name"].as_str().expect("test fixture").to_string())
        .collect()
}

/// The proxy's records for one distribution, in order.
pub fn calls_for(proxy: &Proxy, id: &str) -> Vec<Record> {
    proxy
        .calls_to("cloudfront")
        .into_iter()
        .filter(|r| r.resource.as_deref() == Some(id))
        .collect()
}

/// Operation names with runs of the same operation folded into one (polls repeat).
pub fn folded(records: &[Record]) -> Vec<String> {
    let mut ops: Vec<String> = Vec::new();
    for record in records {
        if ops.last() != Some(&record.operation) {
            ops.push(record.operation.clone());
        }
    }
    ops
}
