//! Shared helpers of the proxy's integration tests: the emulator endpoint, unique names, SDK
//! clients pointed at the proxy or at moto directly, and fixtures.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// The emulator (moto) endpoint from `AWS_ENDPOINT_URL`; panics with the fix when unset.
pub fn moto() -> String {
    testkit::endpoint()
}

/// A name no other test (or earlier run against the same moto) uses; lowercase, so it also
/// serves as a bucket name.
pub fn unique(prefix: &str) -> String {
    testkit::unique_name(prefix)
}

/// SDK config against `endpoint` with dummy credentials, `attempts` attempts per call
/// (1: no retries, so an injected fault or a rule's refusal reaches the test as is).
pub async fn config(endpoint: &str, region: &'static str, attempts: u32) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .region(Region::new(region))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::standard().with_max_attempts(attempts))
        .load()
        .await
}

/// Config for us-east-1 without retries.
pub async fn once(endpoint: &str) -> SdkConfig {
    config(endpoint, "us-east-1", 1).await
}

pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// The error code of a failed SDK call.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> String {
    err.code().unwrap_or("<no code>").to_owned()
}

/// The error message of a failed SDK call.
pub fn message<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> String {
    err.message().unwrap_or("<no message>").to_owned()
}

/// The HTTP status of a failed SDK call's answer (`None`: no answer, e.g. a dropped
/// connection).
pub fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

pub fn header<E>(err: &SdkError<E, HttpResponse>, name: &str) -> Option<String> {
    err.raw_response()
        .and_then(|r| r.headers().get(name))
        .map(str::to_owned)
}

/// Poll `check` every 200 ms until it returns true or `max` passes; returns whether it did.
pub async fn eventually<F, Fut>(max: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + max;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A zip archive with one stored (uncompressed) file: enough for Lambda's CreateFunction.
pub fn tiny_zip(name: &str, content: &[u8]) -> Vec<u8> {
    let crc = crc32fast::hash(content);
    let size = u32::try_from(content.len()).expect("small file");
    let name_len = u16::try_from(name.len()).expect("short name");
    let mut zip = Vec::new();
    // Local file header.
    zip.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]); // version, flags, stored, time, date
    zip.extend_from_slice(&crc.to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&name_len.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(name.as_bytes());
    zip.extend_from_slice(content);
    let central_start = u32::try_from(zip.len()).expect("small zip");
    // Central directory header.
    zip.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
    zip.extend_from_slice(&crc.to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&name_len.to_le_bytes());
    zip.extend_from_slice(&[0; 12]); // extra, comment, disk, internal and external attributes
    zip.extend_from_slice(&0u32.to_le_bytes()); // offset of the local header
    zip.extend_from_slice(name.as_bytes());
    let central_size = u32::try_from(zip.len()).expect("small zip") - central_start;
    // End of central directory.
    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    zip.extend_from_slice(&central_size.to_le_bytes());
    zip.extend_from_slice(&central_start.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}

/// An IAM role Lambda can assume, created directly in moto; returns its ARN.
pub async fn lambda_role(iam: &aws_sdk_iam::Client) -> String {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role = iam
        .create_role()
        .role_name(unique("proxy-lambda-role"))
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("create role");
    role.role().expect("role").arn().to_owned()
}

/// A minimal CloudFront distribution config (S3 origin), enabled or not.
pub fn distribution_config(
    caller_reference: &str,
    enabled: bool,
) -> aws_sdk_cloudfront::types::DistributionConfig {
    use aws_sdk_cloudfront::types::{
        DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig,
        ViewerProtocolPolicy,
    };
    let origin = Origin::builder()
        .id("origin")
        .domain_name("example-bucket.s3.amazonaws.com")
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .expect("origin");
    DistributionConfig::builder()
        .caller_reference(caller_reference)
        .comment("testkit proxy test")
        .enabled(enabled)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .expect("origins"),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("origin")
                .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
                .build()
                .expect("cache behavior"),
        )
        .build()
        .expect("distribution config")
}

/// A disabled CloudFront distribution config with these S3 origins (id, OAC id, OAI path:
/// `""` for none) and Lambda@Edge associations (path pattern, `None` for the default
/// behavior; function ARN; event). The default behavior targets the first origin; each path
/// pattern gets a cache behavior.
pub fn distribution_config_with(
    caller_reference: &str,
    origins: &[(&str, Option<&str>, &str)],
    lambdas: &[(Option<&str>, &str, aws_sdk_cloudfront::types::EventType)],
) -> aws_sdk_cloudfront::types::DistributionConfig {
    use aws_sdk_cloudfront::types::{
        CacheBehavior, CacheBehaviors, DefaultCacheBehavior, DistributionConfig,
        LambdaFunctionAssociation, LambdaFunctionAssociations, Origin, Origins, S3OriginConfig,
        ViewerProtocolPolicy,
    };
    const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
    let items: Vec<Origin> = origins
        .iter()
        .map(|(id, oac, oai)| {
            Origin::builder()
                .id(*id)
                .domain_name(format!("{id}-bucket.s3.amazonaws.com"))
                .s3_origin_config(
                    S3OriginConfig::builder()
                        .origin_access_identity(*oai)
                        .build(),
                )
                .set_origin_access_control_id(oac.map(str::to_owned))
                .build()
                .expect("origin")
        })
        .collect();
    let associations = |pattern: Option<&str>| {
        let items: Vec<LambdaFunctionAssociation> = lambdas
            .iter()
            .filter(|(p, ..)| *p == pattern)
            .map(|(_, arn, event)| {
                LambdaFunctionAssociation::builder()
                    .lambda_function_arn(*arn)
                    .event_type(event.clone())
                    .include_body(false)
                    .build()
                    .expect("association")
            })
            .collect();
        LambdaFunctionAssociations::builder()
            .quantity(i32::try_from(items.len()).expect("few"))
            .set_items(Some(items))
            .build()
            .expect("associations")
    };
    let first = origins.first().map_or("origin", |(id, ..)| *id);
    let patterns: Vec<&str> = lambdas.iter().filter_map(|(p, ..)| *p).collect();
    let behaviors: Vec<CacheBehavior> = patterns
        .iter()
        .map(|pattern| {
            CacheBehavior::builder()
                .path_pattern(*pattern)
                .target_origin_id(first)
                .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                .cache_policy_id(CACHING_OPTIMIZED)
                .lambda_function_associations(associations(Some(pattern)))
                .build()
                .expect("cache behavior")
        })
        .collect();
    DistributionConfig::builder()
        .caller_reference(caller_reference)
        .comment("testkit proxy test")
        .enabled(false)
        .origins(
            Origins::builder()
                .quantity(i32::try_from(items.len()).expect("few"))
                .set_items(Some(items))
                .build()
                .expect("origins"),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id(first)
                .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                .cache_policy_id(CACHING_OPTIMIZED)
                .lambda_function_associations(associations(None))
                .build()
                .expect("default cache behavior"),
        )
        .cache_behaviors(
            CacheBehaviors::builder()
                .quantity(i32::try_from(behaviors.len()).expect("few"))
                .set_items(Some(behaviors))
                .build()
                .expect("cache behaviors"),
        )
        .build()
        .expect("distribution config")
}
