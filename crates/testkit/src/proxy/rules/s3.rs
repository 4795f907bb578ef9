//! S3: a bucket answers only to requests signed for its own region.
//!
//! moto serves every bucket to every region (AWS-NOTES.md, "S3"). The proxy learns each
//! bucket's region (from CreateBucket's LocationConstraint, or by asking moto, whose HeadBucket
//! answers `x-amz-bucket-region`) and answers 301 `PermanentRedirect` with
//! `x-amz-bucket-region` to a request signed for another region, as S3 does.

use std::collections::HashMap;

use http::{Method, StatusCode};

use super::{Exchange, Verdict};
use crate::proxy::config::Rule;
use crate::proxy::server::{Answer, State, lock};
use crate::proxy::{shape, xml};

/// Bucket regions, by bucket name (bucket names are global).
#[derive(Default)]
pub(crate) struct Tracker {
    regions: HashMap<String, String>,
}

/// Operations S3 answers from any region.
const ANY_REGION: &[&str] = &["CreateBucket", "GetBucketLocation", "ListBuckets"];

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    if !state.config.is_enabled(Rule::S3RegionRedirect)
        || ANY_REGION.contains(&ex.call.operation.as_str())
    {
        return Verdict::Forward;
    }
    let (Some(bucket), Some(region)) = (&ex.call.resource, &ex.call.region) else {
        return Verdict::Forward;
    };
    let Some(bucket_region) = bucket_region(state, ex, bucket).await else {
        return Verdict::Forward;
    };
    if &bucket_region == region {
        return Verdict::Forward;
    }
    let endpoint = format!("s3.{bucket_region}.amazonaws.com");
    let mut resp = shape::error_with(
        ex.call,
        StatusCode::MOVED_PERMANENTLY,
        "PermanentRedirect",
        "The bucket you are attempting to access must be addressed using the specified \
         endpoint. Please send all future requests to this endpoint.",
        &[("Endpoint", &endpoint), ("Bucket", bucket)],
    );
    if let Ok(value) = http::HeaderValue::from_str(&bucket_region) {
        resp.headers_mut().insert("x-amz-bucket-region", value);
    }
    Verdict::Respond(resp, Rule::S3RegionRedirect)
}

async fn bucket_region(state: &State, ex: &Exchange<'_>, bucket: &str) -> Option<String> {
    if let Some(region) = lock(&state.rules.s3).regions.get(bucket) {
        return Some(region.clone());
    }
    let target = format!("/{bucket}");
    let answer = state
        .call_upstream(Method::HEAD, &target, &ex.parts.headers, &[], "")
        .await
        .ok()?;
    if !answer.is_success() {
        return None;
    }
    let region = answer.header("x-amz-bucket-region")?.to_owned();
    lock(&state.rules.s3)
        .regions
        .insert(bucket.to_owned(), region.clone());
    Some(region)
}

pub(crate) fn after(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    if !answer.is_success() {
        return None;
    }
    let bucket = ex.call.resource.clone()?;
    match ex.call.operation.as_str() {
        "CreateBucket" => {
            let body = std::str::from_utf8(ex.body).unwrap_or("");
            let region = xml::text_at(body, "CreateBucketConfiguration/LocationConstraint")
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "us-east-1".to_owned());
            lock(&state.rules.s3).regions.insert(bucket, region);
        }
        "DeleteBucket" => {
            lock(&state.rules.s3).regions.remove(&bucket);
        }
        _ => {}
    }
    None
}
