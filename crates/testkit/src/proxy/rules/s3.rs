//! S3: what real S3 does that moto does not.
//!
//! - [`Rule::S3RegionRedirect`]: a bucket answers only to requests signed for its own region.
//!   moto serves every bucket to every region (AWS-NOTES.md, "S3"). The proxy learns each
//!   bucket's region (from CreateBucket's LocationConstraint, or by asking moto, whose
//!   HeadBucket answers `x-amz-bucket-region`) and answers 301 `PermanentRedirect` with
//!   `x-amz-bucket-region` to a request signed for another region, as S3 does.
//! - [`Rule::S3LocationDenied`]: GetBucketLocation answers 403 `AccessDenied` for the buckets
//!   whose name holds a configured marker, as when a bucket policy or an SCP denies
//!   `s3:GetBucketLocation` (HeadBucket still answers, with `x-amz-bucket-region`).
//! - [`Rule::S3DeleteObjectsErrors`]: DeleteObjects answers 200 with per-key `<Error>` entries
//!   for some keys (every attempt, or the first attempt only) and leaves those keys in place:
//!   the proxy forwards the request without them and adds their errors to moto's answer.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::Full;

use super::{Exchange, Verdict};
use crate::proxy::config::{ProxyConfig, Rule};
use crate::proxy::server::{Answer, State, lock};
use crate::proxy::{shape, xml};

/// Bucket regions, by bucket name (bucket names are global), and the keys whose first
/// DeleteObjects attempt already failed.
#[derive(Default)]
pub(crate) struct Tracker {
    regions: HashMap<String, String>,
    /// `bucket/key/version` of the keys failed once by [`Rule::S3DeleteObjectsErrors`].
    failed_once: HashSet<String>,
}

/// What [`Rule::S3LocationDenied`] and [`Rule::S3DeleteObjectsErrors`] apply to. Set with
/// [`ProxyConfig::s3_location_denied`], [`ProxyConfig::s3_delete_fails`] and
/// [`ProxyConfig::s3_delete_flaky`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct S3Settings {
    /// GetBucketLocation is denied for buckets whose name contains one of these.
    pub location_denied: Vec<String>,
    /// Keys containing one of these fail every DeleteObjects attempt, with this code.
    pub delete_fails: Vec<String>,
    pub delete_fails_code: String,
    /// Keys containing one of these, and this fraction of the others (chosen by a hash of
    /// bucket, key and version: the same keys every run), fail their first attempt.
    pub delete_flaky: Vec<String>,
    pub delete_flaky_rate: f64,
    pub delete_flaky_code: String,
}

impl Default for S3Settings {
    fn default() -> Self {
        S3Settings {
            location_denied: vec!["location-denied".to_owned()],
            delete_fails: vec!["testkit-delete-fails".to_owned()],
            delete_fails_code: "InternalError".to_owned(),
            delete_flaky: vec!["testkit-delete-flaky".to_owned()],
            delete_flaky_rate: 0.0,
            delete_flaky_code: "SlowDown".to_owned(),
        }
    }
}

fn markers(markers: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    markers
        .into_iter()
        .map(Into::into)
        .filter(|m: &String| !m.is_empty())
        .collect()
}

impl ProxyConfig {
    /// [`Rule::S3LocationDenied`] refuses GetBucketLocation for buckets whose name contains one
    /// of `markers` (default: `location-denied`).
    pub fn s3_location_denied(
        mut self,
        markers_in_names: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.s3.location_denied = markers(markers_in_names);
        self
    }

    /// [`Rule::S3DeleteObjectsErrors`] fails every DeleteObjects attempt at keys containing
    /// one of `markers` with the per-key error `code` (default: keys containing
    /// `testkit-delete-fails`, `InternalError`).
    pub fn s3_delete_fails(
        mut self,
        markers_in_keys: impl IntoIterator<Item = impl Into<String>>,
        code: &str,
    ) -> Self {
        self.s3.delete_fails = markers(markers_in_keys);
        self.s3.delete_fails_code = code.to_owned();
        self
    }

    /// [`Rule::S3DeleteObjectsErrors`] fails the first DeleteObjects attempt at keys
    /// containing one of `markers`, and at `rate` (0.0 to 1.0) of the other keys, with the
    /// per-key error `code`; later attempts at those keys succeed (default: keys containing
    /// `testkit-delete-flaky`, rate 0, `SlowDown`).
    pub fn s3_delete_flaky(
        mut self,
        markers_in_keys: impl IntoIterator<Item = impl Into<String>>,
        rate: f64,
        code: &str,
    ) -> Self {
        self.s3.delete_flaky = markers(markers_in_keys);
        self.s3.delete_flaky_rate = rate.clamp(0.0, 1.0);
        self.s3.delete_flaky_code = code.to_owned();
        self
    }
}

/// Operations S3 answers from any region.
const ANY_REGION: &[&str] = &["CreateBucket", "GetBucketLocation", "ListBuckets"];

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    if let Some(redirect) = region_redirect(state, ex).await {
        return redirect;
    }
    match ex.call.operation.as_str() {
        "GetBucketLocation" => location_denied(state, ex),
        "DeleteObjects" => delete_objects_errors(state, ex).await,
        _ => Verdict::Forward,
    }
}

/// The 301 of [`Rule::S3RegionRedirect`], when the request is signed for another region.
async fn region_redirect(state: &State, ex: &Exchange<'_>) -> Option<Verdict> {
    if !state.config.is_enabled(Rule::S3RegionRedirect)
        || ANY_REGION.contains(&ex.call.operation.as_str())
    {
        return None;
    }
    let (Some(bucket), Some(region)) = (&ex.call.resource, &ex.call.region) else {
        return None;
    };
    let bucket_region = bucket_region(state, ex, bucket).await?;
    if &bucket_region == region {
        return None;
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
    Some(Verdict::Respond(resp, Rule::S3RegionRedirect))
}

fn location_denied(state: &State, ex: &Exchange<'_>) -> Verdict {
    let Some(bucket) = &ex.call.resource else {
        return Verdict::Forward;
    };
    if !state.config.is_enabled(Rule::S3LocationDenied)
        || !state
            .config
            .s3
            .location_denied
            .iter()
            .any(|marker| bucket.contains(marker.as_str()))
    {
        return Verdict::Forward;
    }
    // No `x-amz-bucket-region` here: S3 does not tell the region on this refusal.
    Verdict::Respond(
        shape::error(
            ex.call,
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Access Denied",
        ),
        Rule::S3LocationDenied,
    )
}

/// One `<Object>` of a DeleteObjects request: where it is in the body, its key and version.
struct Listed {
    outer: std::ops::Range<usize>,
    key: String,
    version: Option<String>,
}

/// The objects of a DeleteObjects body, in order.
fn delete_request_objects(body: &str) -> Vec<Listed> {
    let elements = xml::elements(body);
    let mut objects: Vec<Listed> = Vec::new();
    // Position in `objects` of each `Delete/Object` element, by element index.
    let mut by_element: HashMap<usize, usize> = HashMap::new();
    for (index, element) in elements.iter().enumerate() {
        match element.path.as_str() {
            "Delete/Object" => {
                by_element.insert(index, objects.len());
                objects.push(Listed {
                    outer: element.outer.clone(),
                    key: String::new(),
                    version: None,
                });
            }
            "Delete/Object/Key" | "Delete/Object/VersionId" => {
                let Some(&at) = by_element.get(&element.parent) else {
                    continue;
                };
                // Keys are not trimmed: a key may begin or end with spaces.
                let text = xml::unescape(&body[element.inner.clone()]);
                if element.name == "Key" {
                    objects[at].key = text;
                } else {
                    objects[at].version = Some(text);
                }
            }
            _ => {}
        }
    }
    objects
}

/// Whether `rate` of all keys includes this one (a stable hash, the same every run).
fn in_fraction(rate: f64, id: &str) -> bool {
    if rate <= 0.0 {
        return false;
    }
    let mut hasher = DefaultHasher::new();
    id.hash(&mut hasher);
    (hasher.finish() % 10_000) as f64 / 10_000.0 < rate
}

/// [`Rule::S3DeleteObjectsErrors`]: forwards the request without the keys chosen to fail, and
/// answers moto's answer plus an `<Error>` for each of them.
async fn delete_objects_errors(state: &State, ex: &Exchange<'_>) -> Verdict {
    if !state.config.is_enabled(Rule::S3DeleteObjectsErrors) {
        return Verdict::Forward;
    }
    let (Some(bucket), Ok(body)) = (&ex.call.resource, std::str::from_utf8(ex.body)) else {
        return Verdict::Forward;
    };
    let settings = &state.config.s3;
    let objects = delete_request_objects(body);
    // (object, code) of the keys that fail this time.
    let mut failing: Vec<(&Listed, &str)> = Vec::new();
    {
        let mut tracker = lock(&state.rules.s3);
        for object in &objects {
            let id = format!(
                "{bucket}/{}/{}",
                object.key,
                object.version.as_deref().unwrap_or("")
            );
            let has = |markers: &[String]| markers.iter().any(|m| object.key.contains(m.as_str()));
            if has(&settings.delete_fails) {
                failing.push((object, &settings.delete_fails_code));
            } else if (has(&settings.delete_flaky) || in_fraction(settings.delete_flaky_rate, &id))
                && tracker.failed_once.insert(id)
            {
                failing.push((object, &settings.delete_flaky_code));
            }
        }
    }
    if failing.is_empty() {
        return Verdict::Forward;
    }

    let errors: String = failing
        .iter()
        .map(|(object, code)| {
            let version = object
                .version
                .as_deref()
                .map(|v| format!("<VersionId>{}</VersionId>", xml::escape(v)))
                .unwrap_or_default();
            format!(
                "<Error><Key>{}</Key>{version}<Code>{code}</Code><Message>{}</Message></Error>",
                xml::escape(&object.key),
                error_message(code)
            )
        })
        .collect();
    let answer = if failing.len() < objects.len() {
        let rest = xml::replace(
            body,
            failing
                .iter()
                .map(|(object, _)| (object.outer.clone(), String::new()))
                .collect(),
        );
        let target = ex.parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let mut extra: Vec<(&'static str, &str)> = Vec::new();
        for name in ["content-type", "x-amz-bypass-governance-retention"] {
            if let Some(value) = ex.header(name) {
                extra.push((name, value));
            }
        }
        match state
            .call_upstream(Method::POST, target, &ex.parts.headers, &extra, rest)
            .await
        {
            Ok(answer) if answer.is_success() => answer,
            // moto's refusal of the whole request (NoSuchBucket...) is the answer as it is.
            Ok(answer) => return Verdict::Respond(into_resp(answer), Rule::S3DeleteObjectsErrors),
            Err(_) => return Verdict::Forward,
        }
    } else {
        Answer {
            status: StatusCode::OK,
            headers: http::HeaderMap::new(),
            body: Bytes::from_static(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>",
            ),
        }
    };
    let mut answer = answer;
    let text = answer.body_str().to_owned();
    let merged = match text.rfind("</DeleteResult>") {
        Some(at) => format!("{}{errors}{}", &text[..at], &text[at..]),
        None => match text.rfind("/>") {
            // `<DeleteResult .../>`: nothing deleted was listed (a quiet answer).
            Some(at) if text[..at].contains("<DeleteResult") => {
                format!("{}>{errors}</DeleteResult>", &text[..at])
            }
            _ => return Verdict::Respond(into_resp(answer), Rule::S3DeleteObjectsErrors),
        },
    };
    answer.set_body(merged);
    answer.set_header("content-type", "application/xml");
    Verdict::Respond(into_resp(answer), Rule::S3DeleteObjectsErrors)
}

fn error_message(code: &str) -> &'static str {
    match code {
        "SlowDown" => "Please reduce your request rate.",
        "InternalError" => "We encountered an internal error. Please try again.",
        "AccessDenied" => "Access Denied",
        _ => "The object could not be deleted.",
    }
}

/// An answer of moto's, as the proxy's own.
fn into_resp(answer: Answer) -> shape::Resp {
    let mut resp = Response::new(Full::new(answer.body));
    *resp.status_mut() = answer.status;
    *resp.headers_mut() = answer.headers;
    for name in ["connection", "keep-alive", "transfer-encoding"] {
        resp.headers_mut().remove(name);
    }
    resp
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
