//! Turning the selection into a plan. Read-only: GetBucket*, List*, HeadObject; nothing else.
//!
//! Each bucket is shown with its region, versioning, Object Lock, policy, website hosting, what
//! is inside it (counted exactly up to [`COUNT_LIMIT`] entries, "more than" beyond, so a huge
//! bucket is never listed twice) and its incomplete multipart uploads. The first pages listed
//! here are kept (within [`CACHE_BUDGET`]) and handed to apply, so a small bucket is listed
//! once, not once for the plan and once more to delete it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use aws_sdk_s3::Client;
use aws_sdk_s3::types::{BucketVersioningStatus, LifecycleRule, ObjectLockEnabled};
use common::format::{bytes, on_off};
use common::{Action, Operation, Outcome, Plan, Selection};
use futures::StreamExt;

use crate::clients::{Clients, Located, is_code};
use crate::listing::{Cursor, Entry, EntryKind, ListError, Mode, list_page};
use crate::lock::{LockTally, describe_default};
use crate::{BUCKET, Options, Strategy, lifecycle, policy, uploads};

/// Entries (objects, versions, delete markers) counted exactly per bucket.
pub(crate) const COUNT_LIMIT: u64 = 10_000;

/// Entries kept from the plan's listings for apply, across all buckets. About 150 bytes each:
/// a few MB at most, whatever the buckets' sizes.
const CACHE_BUDGET: usize = 20_000;

/// Buckets discovered at once.
const BUCKETS_IN_FLIGHT: usize = 4;

/// What apply needs to know about a bucket beyond the plan's table.
#[derive(Clone, Debug)]
pub(crate) struct BucketFacts {
    pub region: String,
    pub mode: Mode,
    pub lock_enabled: bool,
    /// The actions its bucket policy denies among those this run needs (empty: keep it).
    pub policy_denies: Vec<String>,
    /// The first pages of the listing, and where the listing continues.
    pub listing: CachedListing,
    /// The plan saw nothing inside: no entries, no uploads.
    pub empty: bool,
}

/// The pages the plan listed, for apply to delete without listing them again.
#[derive(Clone, Debug, Default)]
pub(crate) struct CachedListing {
    pub pages: Vec<Vec<Entry>>,
    /// Where listing continues after the cached pages; `None` when they hold everything.
    pub resume: Option<Cursor>,
}

/// What is inside a bucket, as far as it was counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    /// Plain objects, or current versions.
    objects: u64,
    noncurrent: u64,
    markers: u64,
    bytes: u64,
    /// Counting stopped at the limit: there are more.
    truncated: bool,
}

/// A bucket's action, with the facts apply needs when there is something to do.
type Discovered = anyhow::Result<(Action, Option<BucketFacts>)>;

/// One action per selected bucket, in the order given (exact names first, then matches).
pub(crate) async fn plan(
    clients: &Clients,
    selection: &Selection,
    options: Options,
) -> anyhow::Result<(Plan, HashMap<String, BucketFacts>)> {
    let mut names: Vec<String> = selection.names().to_vec();
    if selection.has_globs() {
        for name in list_bucket_names(&clients.home()).await? {
            if selection.matches_glob(&name) && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let budget = AtomicUsize::new(CACHE_BUDGET);
    let discovered: Vec<(String, Discovered)> = futures::stream::iter(names)
        .map(|name| {
            let budget = &budget;
            async move {
                let result = discover_bucket(clients, &name, options, budget).await;
                (name, result)
            }
        })
        .buffered(BUCKETS_IN_FLIGHT)
        .collect()
        .await;

    let mut plan = Plan::default();
    let mut facts = HashMap::new();
    for (name, result) in discovered {
        match result {
            Ok((action, bucket_facts)) => {
                if let Some(bucket_facts) = bucket_facts {
                    facts.insert(name, bucket_facts);
                }
                plan.push(action);
            }
            // One bucket we cannot read (another account's, or a policy that denies reading)
            // fails alone; the others are still planned and done.
            Err(error) => {
                let mut action = Action::new(BUCKET, &name, Operation::Delete);
                action.outcome = Some(Outcome::failed(
                    &error.context(format!("reading bucket {name} (nothing was changed)")),
                ));
                plan.push(action);
            }
        }
    }
    Ok((plan, facts))
}

/// Every bucket the account owns (ListBuckets lists all regions).
async fn list_bucket_names(client: &Client) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut pages = client.list_buckets().into_paginator().items().send();
    while let Some(bucket) = pages.next().await {
        if let Some(name) = bucket.context("listing buckets")?.name() {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

async fn discover_bucket(
    clients: &Clients,
    name: &str,
    options: Options,
    budget: &AtomicUsize,
) -> Discovered {
    // The bucket's settings are asked for with the session's client while its region is
    // looked up: most buckets live in the session's region, and then the answers are used as
    // they are, a round trip saved. For a bucket elsewhere they are asked again of a client for
    // its region (the first answers were 301 redirects).
    let home = clients.home();
    let (located, speculative) = tokio::join!(
        clients.locate(name),
        read_settings(&home, name, options.strategy)
    );
    let region = match located? {
        Located::Absent => return Ok((Action::absent(BUCKET, name), None)),
        Located::In(region) => region,
    };
    let client = clients.for_region(&region);
    let settings = if region == clients.home_region() {
        speculative
    } else {
        read_settings(&client, name, options.strategy).await
    };
    let Settings {
        versioning,
        lock,
        policy_text,
        website,
        lifecycle_rules,
        uploads,
    } = match settings {
        Ok(settings) => settings,
        // Deleted between our two looks.
        Err(error) if error.downcast_ref::<BucketGone>().is_some() => {
            return Ok((Action::absent(BUCKET, name), None));
        }
        Err(error) => return Err(error),
    };
    let lock_enabled = lock.is_some();
    let mode = match versioning {
        None => Mode::Objects,
        Some(_) => Mode::Versions,
    };

    let (counts, tally, listing) = count_entries(&client, name, mode, lock_enabled, budget).await?;

    let needed = match options.strategy {
        Strategy::Delete => policy::DELETE_ACTIONS,
        Strategy::Lifecycle => policy::LIFECYCLE_ACTIONS,
    };
    let policy_denies = policy_text
        .as_deref()
        .map(|text| policy::denied_actions(text, needed))
        .unwrap_or_default();
    let empty = counts == Counts::default() && uploads.0 == 0;

    let mut action = Action::new(BUCKET, name, Operation::Delete)
        .detail("region", &region)
        .detail(
            "versioning",
            match &versioning {
                None => "off",
                Some(BucketVersioningStatus::Enabled) => "on",
                Some(_) => "suspended",
            },
        )
        .detail("object lock", lock.clone().unwrap_or_else(|| "off".into()))
        .detail(
            "policy",
            match (&policy_text, policy_denies.is_empty()) {
                (None, _) => "none",
                (Some(_), true) => "present",
                (Some(_), false) => "denies deletes",
            },
        )
        .detail("website", on_off(website))
        .detail("objects", count(counts.objects, counts.truncated));
    // Shown for every bucket (as "-" without versioning) so the columns keep their order.
    let (old_versions, markers) = match mode {
        Mode::Versions => (
            count(counts.noncurrent, counts.truncated),
            count(counts.markers, counts.truncated),
        ),
        Mode::Objects => ("-".to_string(), "-".to_string()),
    };
    action = action
        .detail("old versions", old_versions)
        .detail("delete markers", markers);
    action = action
        .detail("size", size(counts.bytes, counts.truncated))
        .detail("uploads", count(uploads.0, uploads.1));
    if options.strategy == Strategy::Lifecycle {
        action = action.detail("lifecycle", lifecycle::describe(&lifecycle_rules));
    }

    if !policy_denies.is_empty() {
        action = action.note(format!(
            "its bucket policy denies {}: the policy is deleted first",
            policy_denies.join(", ")
        ));
    }
    if website {
        action = action.note("static website hosting is on: the site stops being served");
    }
    if uploads.0 > 0 && options.strategy == Strategy::Delete {
        action = action.note(format!(
            "{} incomplete multipart upload(s) are aborted",
            count(uploads.0, uploads.1)
        ));
    }
    if counts.truncated {
        action = match options.strategy {
            Strategy::Delete => action.note(format!(
                "more than {COUNT_LIMIT} entries: for buckets of many millions of objects, --strategy lifecycle lets S3 empty it for free"
            )),
            Strategy::Lifecycle => action,
        };
        if lock_enabled {
            action = action.note(format!(
                "Object Lock: only the first {COUNT_LIMIT} entries were checked for retention; the rest are checked while deleting"
            ));
        }
    }
    if options.strategy == Strategy::Lifecycle && !empty {
        action = action.note(lifecycle_note(&lifecycle_rules));
        if lock_enabled {
            action = action.note(
                "Object Lock: lifecycle expiration skips versions under retention or legal hold; they stay until their retention ends (or use --strategy delete --bypass-governance)",
            );
        }
    }
    if let Some(refusal) = lock_refusal(&tally, options) {
        action = action.refused(refusal);
    } else if tally.needs_bypass() {
        action = action.note(format!(
            "--bypass-governance: legal holds on {} version(s) are removed and governance retention on {} version(s) is bypassed",
            tally.legal_holds, tally.governance
        ));
    }

    let facts = BucketFacts {
        region,
        mode,
        lock_enabled,
        policy_denies,
        listing,
        empty,
    };
    Ok((action, Some(facts)))
}

/// A bucket's configuration, as far as the plan shows it.
struct Settings {
    versioning: Option<BucketVersioningStatus>,
    /// `None` without Object Lock; else "on" and the default retention.
    lock: Option<String>,
    policy_text: Option<String>,
    website: bool,
    lifecycle_rules: Vec<LifecycleRule>,
    /// Incomplete multipart uploads counted, and whether there are more.
    uploads: (u64, bool),
}

/// The bucket disappeared while the plan was reading it.
#[derive(Debug)]
struct BucketGone;

impl std::fmt::Display for BucketGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the bucket no longer exists")
    }
}

impl std::error::Error for BucketGone {}

/// Every setting at once, one round trip.
async fn read_settings(
    client: &Client,
    bucket: &str,
    strategy: Strategy,
) -> anyhow::Result<Settings> {
    let versioning = async {
        crate::listing::versioning(client, bucket)
            .await
            .map_err(|error| match error {
                ListError::NoSuchBucket => anyhow::Error::new(BucketGone),
                ListError::Other(error) => error,
            })
    };
    let (versioning, lock, policy_text, website, lifecycle_rules, uploads) = futures::try_join!(
        versioning,
        object_lock(client, bucket),
        bucket_policy(client, bucket),
        has_website(client, bucket),
        lifecycle_rules(client, bucket, strategy),
        uploads::count(client, bucket, COUNT_LIMIT),
    )?;
    Ok(Settings {
        versioning,
        lock,
        policy_text,
        website,
        lifecycle_rules,
        uploads,
    })
}

/// The plan-time refusal Object Lock calls for, if any.
fn lock_refusal(tally: &LockTally, options: Options) -> Option<String> {
    if tally.compliance > 0 {
        // Nothing in this bucket is touched: deleting the rest would leave a bucket that still
        // cannot be deleted, minus data someone may have wanted.
        return Some(tally.compliance_reason("nothing in the bucket was touched"));
    }
    if tally.needs_bypass() && !options.bypass_governance {
        return Some(tally.bypass_reason());
    }
    None
}

fn lifecycle_note(rules: &[LifecycleRule]) -> String {
    let replaced = if rules.is_empty() {
        "no lifecycle configuration yet".to_string()
    } else if lifecycle::is_ours(rules) {
        return "the expiration rules are already installed: S3 is emptying the bucket; run again later to delete it".to_string();
    } else {
        format!(
            "its lifecycle configuration ({}) is replaced",
            lifecycle::describe(rules)
        )
    };
    format!(
        "lifecycle strategy: {replaced}; the new rules expire every object and version after 1 day, abort incomplete uploads and remove expired delete markers, so S3 empties the bucket over the next days; run again then to delete it"
    )
}

/// Lists up to [`COUNT_LIMIT`] entries, counting them, checking their Object Lock state on a
/// locked bucket, and keeping the pages while the cache budget lasts.
async fn count_entries(
    client: &Client,
    bucket: &str,
    mode: Mode,
    lock_enabled: bool,
    budget: &AtomicUsize,
) -> anyhow::Result<(Counts, LockTally, CachedListing)> {
    let mut counts = Counts::default();
    let mut tally = LockTally::default();
    let mut listing = CachedListing::default();
    let mut caching = true;
    let mut cursor = Cursor::Start;
    loop {
        let page = list_page(client, bucket, mode, &cursor, 1000)
            .await
            .map_err(|e| e.into_anyhow(bucket))?;
        for entry in &page.entries {
            match entry.kind {
                EntryKind::Object | EntryKind::CurrentVersion => counts.objects += 1,
                EntryKind::NoncurrentVersion => counts.noncurrent += 1,
                EntryKind::DeleteMarker => counts.markers += 1,
            }
            counts.bytes += entry.size;
        }
        if lock_enabled {
            tally.merge(&crate::lock::inspect(client, bucket, page.entries.iter()).await?);
        }
        let listed = counts.objects + counts.noncurrent + counts.markers;
        caching = caching && take_budget(budget, page.entries.len());
        if caching {
            listing.pages.push(page.entries);
            listing.resume = page.next.clone();
        }
        match page.next {
            Some(next) if listed < COUNT_LIMIT => cursor = next,
            Some(_) => {
                counts.truncated = true;
                break;
            }
            None => break,
        }
    }
    Ok((counts, tally, listing))
}

/// Takes `n` entries from the cache budget; `false` (taking nothing) when it does not have them.
fn take_budget(budget: &AtomicUsize, n: usize) -> bool {
    budget
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(n)
        })
        .is_ok()
}

/// The Object Lock state: `None` when the bucket has no Object Lock, else "on" and its default
/// retention if any.
async fn object_lock(client: &Client, bucket: &str) -> anyhow::Result<Option<String>> {
    match client
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(output) => {
            let Some(config) = output.object_lock_configuration() else {
                return Ok(None);
            };
            if config.object_lock_enabled() != Some(&ObjectLockEnabled::Enabled) {
                return Ok(None);
            }
            let default = config.rule().and_then(|r| r.default_retention());
            Ok(Some(match default {
                Some(d) => format!(
                    "on, default {}",
                    describe_default(d.mode(), d.days(), d.years())
                ),
                None => "on".to_string(),
            }))
        }
        Err(error) if is_code(&error, "ObjectLockConfigurationNotFoundError") => Ok(None),
        Err(error) => {
            Err(error).with_context(|| format!("reading the Object Lock configuration of {bucket}"))
        }
    }
}

async fn bucket_policy(client: &Client, bucket: &str) -> anyhow::Result<Option<String>> {
    match client.get_bucket_policy().bucket(bucket).send().await {
        Ok(output) => Ok(output.policy().map(str::to_string)),
        Err(error) if is_code(&error, "NoSuchBucketPolicy") => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading the bucket policy of {bucket}")),
    }
}

async fn has_website(client: &Client, bucket: &str) -> anyhow::Result<bool> {
    match client.get_bucket_website().bucket(bucket).send().await {
        Ok(_) => Ok(true),
        Err(error) if is_code(&error, "NoSuchWebsiteConfiguration") => Ok(false),
        Err(error) => {
            Err(error).with_context(|| format!("reading the website configuration of {bucket}"))
        }
    }
}

/// The lifecycle rules in place, read only for the lifecycle strategy (which replaces them).
async fn lifecycle_rules(
    client: &Client,
    bucket: &str,
    strategy: Strategy,
) -> anyhow::Result<Vec<LifecycleRule>> {
    if strategy != Strategy::Lifecycle {
        return Ok(Vec::new());
    }
    read_lifecycle_rules(client, bucket).await
}

pub(crate) async fn read_lifecycle_rules(
    client: &Client,
    bucket: &str,
) -> anyhow::Result<Vec<LifecycleRule>> {
    match client
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(output) => Ok(output.rules().to_vec()),
        Err(error) if is_code(&error, "NoSuchLifecycleConfiguration") => Ok(Vec::new()),
        Err(error) => {
            Err(error).with_context(|| format!("reading the lifecycle configuration of {bucket}"))
        }
    }
}

/// "1234", or "more than 10000" when counting stopped at the limit.
fn count(n: u64, truncated: bool) -> String {
    if truncated {
        format!("more than {n}")
    } else {
        n.to_string()
    }
}

fn size(n: u64, truncated: bool) -> String {
    if truncated {
        format!("more than {}", bytes(n))
    } else {
        bytes(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_beyond_the_limit_say_more_than() {
        assert_eq!(count(12, false), "12");
        assert_eq!(count(10_000, true), "more than 10000");
        assert_eq!(size(2048, true), "more than 2.0 KiB");
    }

    #[test]
    fn cache_budget_is_shared_and_never_overdrawn() {
        let budget = AtomicUsize::new(1500);
        assert!(take_budget(&budget, 1000));
        assert!(!take_budget(&budget, 1000));
        assert!(take_budget(&budget, 500));
        assert_eq!(budget.load(Ordering::SeqCst), 0);
    }
}
