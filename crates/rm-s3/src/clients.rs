//! One S3 client per region, and finding the region a bucket lives in.
//!
//! A bucket answers only to requests signed for its own region: anything else gets
//! 301 PermanentRedirect, which the SDK does not follow (AWS-NOTES.md, "S3"). So each bucket's
//! region is looked up first and its requests go through a client for that region.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::BucketLocationConstraint;
use common::Session;

/// S3 clients by region, made on first use.
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    session: Session,
    by_region: Arc<Mutex<HashMap<String, Client>>>,
}

/// Where a bucket is, or that it is not there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Located {
    In(String),
    Absent,
}

impl Clients {
    pub(crate) fn new(session: &Session) -> Clients {
        Clients {
            session: session.clone(),
            by_region: Arc::default(),
        }
    }

    /// The session's own region.
    pub(crate) fn home_region(&self) -> &str {
        &self.session.region
    }

    /// A client for `region`. Path-style addressing when an endpoint override (an emulator) is
    /// set: virtual-hosted names like `bucket.127.0.0.1` do not resolve.
    pub(crate) fn for_region(&self, region: &str) -> Client {
        let mut cache = match self.by_region.lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        };
        cache
            .entry(region.to_string())
            .or_insert_with(|| {
                let config =
                    aws_sdk_s3::config::Builder::from(&self.session.config_for_region(region))
                        .force_path_style(self.session.has_endpoint_override())
                        .build();
                Client::from_conf(config)
            })
            .clone()
    }

    /// The client for the session's region.
    pub(crate) fn home(&self) -> Client {
        self.for_region(&self.session.region.clone())
    }

    /// Finds the bucket's region: GetBucketLocation (an empty answer means us-east-1, "EU" the
    /// legacy name of eu-west-1), or, where that is refused, the `x-amz-bucket-region` header
    /// that HeadBucket carries on its answer, even on a 301 or a 403.
    pub(crate) async fn locate(&self, bucket: &str) -> anyhow::Result<Located> {
        let home = self.home();
        match home.get_bucket_location().bucket(bucket).send().await {
            Ok(output) => Ok(Located::In(region_of(output.location_constraint()))),
            Err(error) if is_code(&error, "NoSuchBucket") => Ok(Located::Absent),
            Err(error) => {
                if let Some(region) = bucket_region_header(&error) {
                    return Ok(Located::In(region));
                }
                tracing::debug!(
                    "GetBucketLocation {bucket}: {}; asking HeadBucket",
                    describe(&error)
                );
                self.locate_with_head(bucket)
                    .await
                    .with_context(|| format!("finding the region of bucket {bucket}"))
            }
        }
    }

    async fn locate_with_head(&self, bucket: &str) -> anyhow::Result<Located> {
        match self.home().head_bucket().bucket(bucket).send().await {
            Ok(output) => Ok(Located::In(
                output
                    .bucket_region()
                    .map_or_else(|| self.session.region.clone(), str::to_string),
            )),
            Err(error) => {
                if let Some(region) = bucket_region_header(&error) {
                    return Ok(Located::In(region));
                }
                if error.raw_response().map(|r| r.status().as_u16()) == Some(404) {
                    return Ok(Located::Absent);
                }
                Err(anyhow::Error::new(error))
            }
        }
    }
}

/// The region a LocationConstraint names.
fn region_of(constraint: Option<&BucketLocationConstraint>) -> String {
    match constraint.map(BucketLocationConstraint::as_str) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(region) => region.to_string(),
    }
}

/// The `x-amz-bucket-region` header of an error answer (a 301 PermanentRedirect carries it).
pub(crate) fn bucket_region_header<E, R>(error: &SdkError<E, R>) -> Option<String>
where
    R: HasHeaders,
{
    error
        .raw_response()
        .and_then(|raw| raw.bucket_region())
        .filter(|region| !region.is_empty())
}

/// Raw responses that can tell the `x-amz-bucket-region` header.
pub(crate) trait HasHeaders {
    fn bucket_region(&self) -> Option<String>;
}

impl HasHeaders for aws_smithy_runtime_api::http::Response {
    fn bucket_region(&self) -> Option<String> {
        self.headers()
            .get("x-amz-bucket-region")
            .map(str::to_string)
    }
}

/// Whether an SDK error is the service error `code` (for S3 errors the model has no variant
/// for, such as `NoSuchBucket` on most operations).
pub(crate) fn is_code<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>, code: &str) -> bool {
    error.as_service_error().and_then(|e| e.code()) == Some(code)
}

/// The error's code, when the service sent one.
pub(crate) fn code_of<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Option<&str> {
    error.as_service_error().and_then(|e| e.code())
}

/// A short description of an SDK error for logs: the code and message when there are, the
/// whole chain otherwise.
pub(crate) fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.as_service_error() {
        Some(service) => format!(
            "{}: {}",
            service.code().unwrap_or("error"),
            service.message().unwrap_or("")
        ),
        None => aws_smithy_types::error::display::DisplayErrorContext(error).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_location_means_us_east_1() {
        assert_eq!(region_of(None), "us-east-1");
        assert_eq!(
            region_of(Some(&BucketLocationConstraint::from(""))),
            "us-east-1"
        );
        assert_eq!(region_of(Some(&BucketLocationConstraint::Eu)), "eu-west-1");
        assert_eq!(
            region_of(Some(&BucketLocationConstraint::from("ap-south-1"))),
            "ap-south-1"
        );
    }
}
