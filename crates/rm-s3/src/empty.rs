//! Emptying one bucket: list and delete, pipelined and bounded, until a listing comes back empty.
//!
//! A pass runs two halves at once, joined by a small channel: the lister sends pages of at most
//! 1000 entries (first the pages the plan already listed, then fresh ones), and the deleter
//! sends each page as one DeleteObjects request, up to `--concurrency` of them in flight (a
//! semaphore shared by every bucket of the run). Memory holds at most the channel's pages and
//! the requests in flight, whatever the bucket's size.
//!
//! DeleteObjects answers 200 even when keys fail: each answer's `Errors` are read, retried a few
//! times, and what still fails is reported with its key and code. Keys that are not XML 1.0 text
//! go one by one through DeleteObject. Object Lock refusals (AccessDenied on a locked bucket)
//! are looked into: legal holds are turned off and governance retention bypassed with
//! `--bypass-governance`, compliance retention is reported with its date.
//!
//! Passes repeat from the start of the bucket until one lists nothing: the emulator can skip
//! keys when they are deleted while it pages, and objects may be written meanwhile
//! (AWS-NOTES.md, "S3").

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{Delete, ObjectIdentifier, ObjectLockLegalHold, ObjectLockLegalHoldStatus};
use futures::StreamExt;
use indicatif::ProgressBar;
use tokio::sync::{Semaphore, mpsc};

use crate::clients::{code_of, describe, is_code};
use crate::discover::CachedListing;
use crate::listing::{Cursor, Entry, ListError, Mode, is_xml_safe, list_page};
use crate::lock::{LockTally, protection_of};

/// Pages the lister may run ahead of the deleter. Small: on real S3 one page of lookahead hides
/// the listing's round trip; more only holds memory (and on the emulator, whose listing costs
/// grow with the bucket, makes pages dearer).
const LOOKAHEAD_PAGES: usize = 2;

/// Attempts at a key that DeleteObjects reports as failed inside a 200 answer.
const KEY_ATTEMPTS: u32 = 4;

/// Passes over the bucket before giving up on one that never lists empty while each pass still
/// deletes something (objects written as fast as they are deleted).
const MAX_PASSES: u32 = 100;

/// Failed keys kept for the report; the rest are counted.
const REPORTED_FAILURES: usize = 5;

/// One bucket being emptied, and what it shares with the rest of the run.
pub(crate) struct Emptier<'a> {
    pub client: &'a Client,
    pub bucket: &'a str,
    pub lock_enabled: bool,
    pub bypass_governance: bool,
    pub concurrency: usize,
    /// DeleteObjects requests in flight across the whole run.
    pub permits: &'a Semaphore,
    /// Objects, versions and delete markers deleted so far (read after an interrupt).
    pub deleted: &'a AtomicU64,
    pub bar: &'a ProgressBar,
}

/// How emptying ended.
#[derive(Debug)]
pub(crate) enum Emptied {
    /// A listing from the start found nothing.
    Empty,
    /// The bucket itself disappeared meanwhile.
    Gone,
    /// Entries remain that this run cannot delete.
    Blocked(Problems),
}

/// What stood in the way.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    /// Object Lock protection met while deleting (beyond what the plan checked).
    pub lock: LockTally,
    /// Keys that kept failing: (key, version, code), the first few.
    pub failures: Vec<(String, Option<String>, String)>,
    pub failed: u64,
    /// Listing failed: nothing more can be found to delete.
    pub listing: Option<String>,
}

impl Problems {
    fn merge(&mut self, other: Problems) {
        self.lock.merge(&other.lock);
        self.failed += other.failed;
        for failure in other.failures {
            if self.failures.len() < REPORTED_FAILURES {
                self.failures.push(failure);
            }
        }
        if self.listing.is_none() {
            self.listing = other.listing;
        }
    }

    fn fail(&mut self, entry: &Entry, code: &str) {
        self.failed += 1;
        if self.failures.len() < REPORTED_FAILURES {
            self.failures.push((
                entry.key.clone(),
                entry.version_id.clone(),
                code.to_string(),
            ));
        }
    }

    /// The report's sentence for keys that could not be deleted.
    pub(crate) fn failure_text(&self) -> Option<String> {
        if self.failed == 0 {
            return None;
        }
        let listed: Vec<String> = self
            .failures
            .iter()
            .map(|(key, version, code)| match version {
                Some(version) => format!("{key:?} version {version} ({code})"),
                None => format!("{key:?} ({code})"),
            })
            .collect();
        let more = self.failed.saturating_sub(self.failures.len() as u64);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        Some(format!(
            "{} object(s) could not be deleted: {}{tail}",
            self.failed,
            listed.join(", ")
        ))
    }
}

/// What one pass did.
#[derive(Debug, Default)]
pub(crate) struct Pass {
    /// It listed from the start of the bucket (no cached pages): if it listed nothing, the
    /// bucket is empty.
    from_start: bool,
    listed: u64,
    deleted: u64,
    gone: bool,
    problems: Problems,
}

/// What one batch did.
#[derive(Debug, Default)]
struct Batch {
    deleted: u64,
    gone: bool,
    problems: Problems,
}

/// What to do about a key refused with AccessDenied.
enum Denied {
    /// It is gone after all.
    Gone,
    /// Try again (a legal hold was just removed, or nothing protects it now).
    Retry,
    /// Protected in a way this run may not override.
    Protected(crate::lock::Protection),
    /// Could not tell, or could not fix: report it with this code.
    Fail(String),
}

impl Pass {
    /// The bucket disappeared during the pass.
    pub(crate) fn is_gone(&self) -> bool {
        self.gone
    }
}

impl Emptier<'_> {
    /// Goes on from a first pass (over the plan's pages, see [`Emptier::pass`]) with passes from
    /// the start of the bucket until one lists nothing. `mode` is how the bucket is listed now.
    pub(crate) async fn finish(&self, mode: Mode, first: Pass) -> Emptied {
        let mut pass = first;
        let mut confirmed = Ok(true);
        for _ in 0..MAX_PASSES {
            if pass.gone {
                return Emptied::Gone;
            }
            if pass.problems.listing.is_some() {
                return Emptied::Blocked(pass.problems);
            }
            if pass.from_start && pass.listed == 0 {
                match confirmed {
                    Ok(true) => return Emptied::Empty,
                    Ok(false) => {}
                    Err(ListError::NoSuchBucket) => return Emptied::Gone,
                    Err(ListError::Other(error)) => {
                        let mut problems = pass.problems;
                        problems.listing = Some(format!("{error:#}"));
                        return Emptied::Blocked(problems);
                    }
                }
            } else if pass.listed > 0 && pass.deleted == 0 {
                // Everything left failed or is protected: another pass would meet the same.
                return Emptied::Blocked(pass.problems);
            }
            (pass, confirmed) = tokio::join!(self.pass(mode, None), self.confirm_empty(mode));
        }
        let mut problems = pass.problems;
        problems.listing = Some(format!(
            "the bucket still lists objects after {MAX_PASSES} passes (is something writing to it?)"
        ));
        Emptied::Blocked(problems)
    }

    /// ListObjectsV2 checks what ListObjectVersions says (AWS-NOTES.md: "then ListObjectsV2 for
    /// safety"); it runs next to the verifying pass, costing no extra round trip. A bucket
    /// listed with ListObjectsV2 is checked by its pass already.
    async fn confirm_empty(&self, mode: Mode) -> Result<bool, ListError> {
        if mode == Mode::Objects {
            return Ok(true);
        }
        let page = list_page(self.client, self.bucket, Mode::Objects, &Cursor::Start, 1).await?;
        Ok(page.entries.is_empty())
    }

    /// One listing of the bucket (after the cached pages, if given), deleting as it goes.
    pub(crate) async fn pass(&self, mode: Mode, cache: Option<CachedListing>) -> Pass {
        // A cache without entries (the bucket was empty at plan time) is no cache: this pass
        // lists from the start and so checks the bucket is still empty.
        let cache = cache.filter(|c| c.pages.iter().any(|page| !page.is_empty()));
        let from_start = cache.is_none();
        let (pages, receiver) = mpsc::channel::<Vec<Entry>>(LOOKAHEAD_PAGES);
        let lister = self.list_into(mode, cache, pages);
        let deleter = futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|page| (page, receiver))
        })
        .map(|page| self.delete_batch(page))
        .buffer_unordered(self.concurrency)
        .fold(Pass::default(), |mut pass, batch| async move {
            pass.deleted += batch.deleted;
            pass.gone |= batch.gone;
            pass.problems.merge(batch.problems);
            pass
        });
        let ((listed, listing), mut pass) = tokio::join!(lister, deleter);
        pass.from_start = from_start;
        pass.listed = listed;
        match listing {
            Ok(()) => {}
            Err(ListError::NoSuchBucket) => pass.gone = true,
            Err(ListError::Other(error)) => pass.problems.listing = Some(format!("{error:#}")),
        }
        pass
    }

    /// Sends the cached pages, then lists the rest (from where the cache stops, or from the
    /// start) into `pages`. Returns how many entries it sent.
    async fn list_into(
        &self,
        mode: Mode,
        cache: Option<CachedListing>,
        pages: mpsc::Sender<Vec<Entry>>,
    ) -> (u64, Result<(), ListError>) {
        let mut listed = 0;
        let mut cursor = Some(Cursor::Start);
        if let Some(cache) = cache {
            cursor = cache.resume;
            for page in cache.pages {
                listed += page.len() as u64;
                if !page.is_empty() && pages.send(page).await.is_err() {
                    return (listed, Ok(()));
                }
            }
        }
        while let Some(at) = cursor {
            let page = match list_page(self.client, self.bucket, mode, &at, 1000).await {
                Ok(page) => page,
                Err(error) => return (listed, Err(error)),
            };
            listed += page.entries.len() as u64;
            cursor = page.next;
            if !page.entries.is_empty() && pages.send(page.entries).await.is_err() {
                break;
            }
        }
        (listed, Ok(()))
    }

    /// Deletes one page: XML-safe keys in one DeleteObjects (its failed keys retried), the
    /// others one by one.
    async fn delete_batch(&self, entries: Vec<Entry>) -> Batch {
        let mut batch = Batch::default();
        let (safe_keys, unsafe_keys): (Vec<Entry>, Vec<Entry>) =
            entries.into_iter().partition(|e| is_xml_safe(&e.key));
        for entry in &unsafe_keys {
            self.delete_one(entry, &mut batch).await;
            if batch.gone {
                return batch;
            }
        }

        // Each pending entry with the code of its last failure.
        let mut pending: Vec<(Entry, String)> =
            safe_keys.into_iter().map(|e| (e, String::new())).collect();
        for attempt in 0..KEY_ATTEMPTS {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                back_off(attempt).await;
            }
            let sent: Vec<Entry> = pending.into_iter().map(|(entry, _)| entry).collect();
            let failed = match self.delete_objects(&sent).await {
                Ok(failed) => failed,
                Err(DeleteError::NoSuchBucket) => {
                    batch.gone = true;
                    return batch;
                }
                Err(DeleteError::Request(code, message)) => {
                    // The SDK already retried this request (throttling, 5xx, dropped
                    // connections); what is left is not transient.
                    tracing::warn!(
                        "bucket {}: DeleteObjects of {} keys failed: {message}",
                        self.bucket,
                        sent.len()
                    );
                    for entry in &sent {
                        batch.problems.fail(entry, &code);
                    }
                    return batch;
                }
            };
            self.count_deleted(&mut batch, (sent.len() - failed.len()) as u64);
            let mut slots: Vec<Option<Entry>> = sent.into_iter().map(Some).collect();
            let mut retry = Vec::new();
            for (position, code) in failed {
                let Some(entry) = slots.get_mut(position).and_then(Option::take) else {
                    continue;
                };
                match code.as_str() {
                    // Gone already: an earlier attempt (whose answer was lost) deleted it.
                    "NoSuchKey" | "NoSuchVersion" => self.count_deleted(&mut batch, 1),
                    "AccessDenied" if self.lock_enabled => {
                        match self.look_into_denial(&entry).await {
                            Denied::Gone => self.count_deleted(&mut batch, 1),
                            Denied::Retry => retry.push((entry, code)),
                            Denied::Protected(protection) => batch.problems.lock.add(&protection),
                            Denied::Fail(code) => batch.problems.fail(&entry, &code),
                        }
                    }
                    _ => retry.push((entry, code)),
                }
            }
            pending = retry;
        }
        for (entry, code) in &pending {
            batch.problems.fail(entry, code);
        }
        batch
    }

    fn count_deleted(&self, batch: &mut Batch, n: u64) {
        batch.deleted += n;
        self.deleted.fetch_add(n, Ordering::Relaxed);
        self.bar.inc(n);
    }

    /// One DeleteObjects request (quiet: the answer lists only failures). Returns the failed
    /// entries' positions in `entries` with their codes.
    async fn delete_objects(&self, entries: &[Entry]) -> Result<Vec<(usize, String)>, DeleteError> {
        let objects = entries
            .iter()
            .map(|e| {
                ObjectIdentifier::builder()
                    .key(&e.key)
                    .set_version_id(e.version_id.clone())
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DeleteError::Request("InvalidRequest".into(), e.to_string()))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| DeleteError::Request("InvalidRequest".into(), e.to_string()))?;
        let mut request = self
            .client
            .delete_objects()
            .bucket(self.bucket)
            .delete(delete);
        // The header is only accepted on lock-enabled buckets (AWS-NOTES.md).
        if self.bypass_governance && self.lock_enabled {
            request = request.bypass_governance_retention(true);
        }
        let answer = {
            let _permit = self.permits.acquire().await;
            request.send().await
        };
        let output = match answer {
            Ok(output) => output,
            Err(error) if is_code(&error, "NoSuchBucket") => return Err(DeleteError::NoSuchBucket),
            Err(error) => {
                let code = code_of(&error).unwrap_or("RequestFailed").to_string();
                return Err(DeleteError::Request(code, describe(&error)));
            }
        };
        Ok(match_errors(entries, output.errors()))
    }

    /// Deletes one entry with DeleteObject (a key that cannot go in an XML body).
    async fn delete_one(&self, entry: &Entry, batch: &mut Batch) {
        for attempt in 0..KEY_ATTEMPTS {
            if attempt > 0 {
                back_off(attempt).await;
            }
            let mut request = self
                .client
                .delete_object()
                .bucket(self.bucket)
                .key(&entry.key)
                .set_version_id(entry.version_id.clone());
            if self.bypass_governance && self.lock_enabled {
                request = request.bypass_governance_retention(true);
            }
            let answer = {
                let _permit = self.permits.acquire().await;
                request.send().await
            };
            let code = match answer {
                Ok(_) => return self.count_deleted(batch, 1),
                Err(error) if is_code(&error, "NoSuchBucket") => {
                    batch.gone = true;
                    return;
                }
                Err(error) if is_code(&error, "NoSuchKey") || is_code(&error, "NoSuchVersion") => {
                    return self.count_deleted(batch, 1);
                }
                Err(error) => code_of(&error)
                    .map(str::to_string)
                    .or_else(|| {
                        error
                            .raw_response()
                            .filter(|r| r.status().as_u16() == 403)
                            .map(|_| "AccessDenied".to_string())
                    })
                    .unwrap_or_else(|| describe(&error)),
            };
            if code == "AccessDenied" && self.lock_enabled {
                match self.look_into_denial(entry).await {
                    Denied::Gone => return self.count_deleted(batch, 1),
                    Denied::Retry => continue,
                    Denied::Protected(protection) => return batch.problems.lock.add(&protection),
                    Denied::Fail(code) => return batch.problems.fail(entry, &code),
                }
            }
            if attempt + 1 == KEY_ATTEMPTS {
                batch.problems.fail(entry, &code);
            }
        }
    }

    /// A locked bucket refused a key: find out why (HeadObject), and remove a legal hold when
    /// `--bypass-governance` allows it.
    async fn look_into_denial(&self, entry: &Entry) -> Denied {
        let protection = match protection_of(
            self.client,
            self.bucket,
            &entry.key,
            entry.version_id.as_deref(),
        )
        .await
        {
            Ok(Some(protection)) => protection,
            Ok(None) => return Denied::Gone,
            Err(error) => {
                tracing::debug!("{error:#}");
                return Denied::Fail("AccessDenied".into());
            }
        };
        if protection.is_compliance() {
            return Denied::Protected(protection);
        }
        if !self.bypass_governance {
            return if protection.legal_hold || protection.is_governance() {
                Denied::Protected(protection)
            } else {
                Denied::Retry
            };
        }
        if protection.legal_hold {
            return self.remove_legal_hold(entry).await;
        }
        if protection.is_governance() {
            // The bypass header was sent and S3 still refused: the credentials lack
            // s3:BypassGovernanceRetention.
            return Denied::Fail("AccessDenied (governance retention not bypassed: the credentials may lack s3:BypassGovernanceRetention)".into());
        }
        Denied::Retry
    }

    async fn remove_legal_hold(&self, entry: &Entry) -> Denied {
        let hold = ObjectLockLegalHold::builder()
            .status(ObjectLockLegalHoldStatus::Off)
            .build();
        match self
            .client
            .put_object_legal_hold()
            .bucket(self.bucket)
            .key(&entry.key)
            .set_version_id(entry.version_id.clone())
            .legal_hold(hold)
            .send()
            .await
        {
            Ok(_) => {
                tracing::info!(
                    "bucket {}: legal hold removed from {:?}",
                    self.bucket,
                    entry.key
                );
                Denied::Retry
            }
            Err(error) => Denied::Fail(format!(
                "{} (removing its legal hold)",
                code_of(&error).unwrap_or("error")
            )),
        }
    }
}

/// Why a DeleteObjects request failed as a whole.
enum DeleteError {
    NoSuchBucket,
    /// Code and description.
    Request(String, String),
}

/// Matches DeleteObjects' per-key errors to the entries sent: by key and version id, or by key
/// alone when the answer leaves the version out (moto does), each entry at most once.
fn match_errors(entries: &[Entry], errors: &[aws_sdk_s3::types::Error]) -> Vec<(usize, String)> {
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        by_key.entry(entry.key.as_str()).or_default().push(i);
    }
    let mut failed = Vec::new();
    for error in errors {
        let Some(candidates) = error.key().and_then(|key| by_key.get_mut(key)) else {
            continue;
        };
        let position = match error.version_id() {
            Some(version) => candidates
                .iter()
                .position(|&i| entries[i].version_id.as_deref() == Some(version))
                .or(Some(0).filter(|_| !candidates.is_empty())),
            None => Some(0).filter(|_| !candidates.is_empty()),
        };
        if let Some(position) = position {
            let index = candidates.remove(position);
            failed.push((index, error.code().unwrap_or("InternalError").to_string()));
        }
    }
    failed
}

/// 200 ms, 400 ms, 800 ms, ... between attempts at failed keys.
async fn back_off(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(100 << attempt.min(6))).await;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::listing::EntryKind;

    fn entry(key: &str, version: Option<&str>) -> Entry {
        Entry {
            key: key.into(),
            version_id: version.map(str::to_string),
            kind: EntryKind::Object,
            size: 0,
        }
    }

    fn error(key: &str, version: Option<&str>, code: &str) -> aws_sdk_s3::types::Error {
        aws_sdk_s3::types::Error::builder()
            .key(key)
            .set_version_id(version.map(str::to_string))
            .code(code)
            .build()
    }

    #[test]
    fn errors_match_by_key_and_version() {
        let entries = [
            entry("a", Some("1")),
            entry("a", Some("2")),
            entry("b", None),
        ];
        let failed = match_errors(
            &entries,
            &[
                error("a", Some("2"), "AccessDenied"),
                error("b", None, "InternalError"),
            ],
        );
        assert_eq!(
            failed,
            [
                (1, "AccessDenied".to_string()),
                (2, "InternalError".to_string())
            ]
        );
    }

    #[test]
    fn errors_without_version_claim_each_entry_once() {
        let entries = [entry("a", Some("1")), entry("a", Some("2"))];
        let failed = match_errors(
            &entries,
            &[
                error("a", None, "AccessDenied"),
                error("a", None, "AccessDenied"),
                error("a", None, "AccessDenied"),
            ],
        );
        assert_eq!(failed.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1]);
        assert!(match_errors(&entries, &[error("zzz", None, "X")]).is_empty());
    }

    /// An S3 client whose answers are scripted, recording the request bodies it was sent.
    mod scripted {
        use std::collections::VecDeque;
        use std::sync::{Arc, Mutex};

        use aws_sdk_s3::config::retry::RetryConfig;
        use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
        use aws_smithy_runtime_api::client::http::{
            HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn,
        };
        use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
        use aws_smithy_types::body::SdkBody;

        #[derive(Clone, Debug, Default)]
        pub struct Script {
            answers: Arc<Mutex<VecDeque<(u16, String)>>>,
            bodies: Arc<Mutex<Vec<String>>>,
        }

        impl Script {
            pub fn new(answers: Vec<(u16, String)>) -> Script {
                Script {
                    answers: Arc::new(Mutex::new(answers.into())),
                    bodies: Arc::default(),
                }
            }

            pub fn bodies(&self) -> Vec<String> {
                self.bodies.lock().unwrap().clone()
            }

            pub fn client(&self) -> aws_sdk_s3::Client {
                let connector = self.clone();
                let http = http_client_fn(move |_, _| SharedHttpConnector::new(connector.clone()));
                let config = aws_sdk_s3::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::new("us-east-1"))
                    .credentials_provider(Credentials::new(
                        "testing", "testing", None, None, "test",
                    ))
                    .endpoint_url("http://127.0.0.1:9")
                    .force_path_style(true)
                    .retry_config(RetryConfig::disabled())
                    .http_client(http)
                    .build();
                aws_sdk_s3::Client::from_conf(config)
            }
        }

        impl HttpConnector for Script {
            fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
                let body = request
                    .body()
                    .bytes()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default();
                self.bodies.lock().unwrap().push(body);
                let (status, xml) = self
                    .answers
                    .lock()
                    .unwrap()
                    .pop_front()
                    .expect("a request beyond the script");
                HttpConnectorFuture::ready(Ok(HttpResponse::new(
                    status.try_into().unwrap(),
                    SdkBody::from(xml),
                )))
            }
        }

        /// A 200 DeleteObjects answer in which `keys` failed with `code`.
        pub fn failed(keys: &[&str], code: &str) -> (u16, String) {
            let errors: String = keys
                .iter()
                .map(|k| {
                    format!("<Error><Key>{k}</Key><Code>{code}</Code><Message>m</Message></Error>")
                })
                .collect();
            (
                200,
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{errors}</DeleteResult>"#
                ),
            )
        }
    }

    async fn delete_with_script(entries: Vec<Entry>, script: &scripted::Script) -> Batch {
        let client = script.client();
        let permits = Semaphore::new(2);
        let deleted = AtomicU64::new(0);
        let bar = ProgressBar::hidden();
        let emptier = Emptier {
            client: &client,
            bucket: "scripted",
            lock_enabled: false,
            bypass_governance: false,
            concurrency: 2,
            permits: &permits,
            deleted: &deleted,
            bar: &bar,
        };
        let batch = emptier.delete_batch(entries).await;
        assert_eq!(deleted.load(Ordering::Relaxed), batch.deleted);
        batch
    }

    #[tokio::test]
    async fn keys_failing_inside_a_200_answer_are_retried_then_reported_with_key_and_code() {
        let script = scripted::Script::new(vec![
            scripted::failed(&["b", "c"], "InternalError"),
            scripted::failed(&["b"], "SlowDown"),
            scripted::failed(&["b"], "AccessDenied"),
            scripted::failed(&["b"], "AccessDenied"),
        ]);
        let entries = vec![entry("a", None), entry("b", None), entry("c", None)];

        let batch = delete_with_script(entries, &script).await;

        assert_eq!(batch.deleted, 2, "a at once, c on the second attempt");
        assert_eq!(batch.problems.failed, 1);
        assert_eq!(
            batch.problems.failures,
            [("b".to_string(), None, "AccessDenied".to_string())]
        );
        let bodies = script.bodies();
        assert_eq!(bodies.len(), KEY_ATTEMPTS as usize);
        assert!(bodies[0].contains("<Key>a</Key>") && bodies[0].contains("<Key>c</Key>"));
        assert!(
            !bodies[1].contains("<Key>a</Key>") && bodies[1].contains("<Key>c</Key>"),
            "only the failed keys are sent again: {}",
            bodies[1]
        );
        assert!(bodies[3].contains("<Key>b</Key>") && !bodies[3].contains("<Key>c</Key>"));
    }

    #[tokio::test]
    async fn keys_already_gone_count_as_deleted() {
        let script = scripted::Script::new(vec![scripted::failed(&["b"], "NoSuchVersion")]);
        let entries = vec![entry("a", Some("1")), entry("b", Some("2"))];

        let batch = delete_with_script(entries, &script).await;

        assert_eq!(batch.deleted, 2);
        assert_eq!(batch.problems.failed, 0);
        assert_eq!(script.bodies().len(), 1);
    }

    #[test]
    fn failures_are_reported_with_key_and_code_and_counted_beyond() {
        let mut problems = Problems::default();
        for i in 0..7 {
            problems.fail(&entry(&format!("k{i}"), None), "InternalError");
        }
        let text = problems.failure_text().unwrap();
        assert!(
            text.starts_with("7 object(s) could not be deleted"),
            "{text}"
        );
        assert!(text.contains("\"k0\" (InternalError)"), "{text}");
        assert!(text.ends_with("and 2 more"), "{text}");
    }
}
