//! Carrying out the plan, bucket by bucket (a few at once): remove a policy that denies the
//! deletes, empty the bucket (or install the lifecycle rules that will), abort incomplete
//! multipart uploads, delete the bucket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aws_sdk_s3::Client;
use common::{ApplyContext, Outcome, Plan};
use futures::StreamExt;
use tokio::sync::Semaphore;

use crate::clients::{Clients, describe, is_code};
use crate::discover::{BucketFacts, read_lifecycle_rules};
use crate::empty::{Emptied, Emptier, Problems};
use crate::listing::{Cursor, ListError, Mode, list_page};
use crate::{Options, Strategy, lifecycle, uploads};

/// Buckets worked on at once. Their DeleteObjects requests share the `--concurrency` permits.
const BUCKETS_IN_FLIGHT: usize = 4;

/// Rounds of emptying when DeleteBucket still answers BucketNotEmpty (objects written after
/// the last listing).
const DELETE_ROUNDS: u32 = 3;

pub(crate) async fn apply(
    clients: &Clients,
    plan: &mut Plan,
    mut facts: HashMap<String, BucketFacts>,
    options: Options,
    ctx: &ApplyContext,
) {
    let permits = Semaphore::new(options.concurrency);
    let work: Vec<(usize, String, Option<BucketFacts>)> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.is_to_do())
        .map(|(i, a)| (i, a.name.clone(), facts.remove(&a.name)))
        .collect();
    let permits = &permits;
    let outcomes: Vec<(usize, Outcome)> = futures::stream::iter(work)
        .map(|(i, name, facts)| async move {
            let outcome = delete_bucket(clients, &name, facts, options, ctx, permits).await;
            (i, outcome)
        })
        .buffer_unordered(BUCKETS_IN_FLIGHT)
        .collect()
        .await;
    for (i, outcome) in outcomes {
        plan.actions[i].outcome = Some(outcome);
    }
}

/// One bucket from start to finish, stopping promptly on Ctrl-C with what was done so far.
async fn delete_bucket(
    clients: &Clients,
    name: &str,
    facts: Option<BucketFacts>,
    options: Options,
    ctx: &ApplyContext,
    permits: &Semaphore,
) -> Outcome {
    let Some(facts) = facts else {
        return Outcome::Failed {
            error: format!("bucket {name} was not discovered before apply"),
        };
    };
    if ctx.interrupt.is_raised() {
        return Outcome::skipped("interrupted before it was reached");
    }
    let deleted = AtomicU64::new(0);
    let work = async {
        let client = clients.for_region(&facts.region);
        if let Some(outcome) = remove_denying_policy(&client, name, &facts).await {
            return outcome;
        }
        match options.strategy {
            Strategy::Delete => {
                empty_and_delete(&client, name, facts, options, ctx, permits, &deleted).await
            }
            Strategy::Lifecycle => hand_over_to_lifecycle(&client, name, &facts).await,
        }
    };
    tokio::select! {
        outcome = work => outcome,
        () = ctx.interrupt.raised() => Outcome::skipped(format!(
            "interrupted after deleting {} object(s) and version(s); run the same command again to finish",
            deleted.load(Ordering::Relaxed)
        )),
    }
}

/// Deletes the bucket policy when it denies what this run needs (AWS-NOTES.md: "A bucket
/// policy that denies deletes: delete the bucket policy first"). `Some` ends the bucket's story.
async fn remove_denying_policy(
    client: &Client,
    name: &str,
    facts: &BucketFacts,
) -> Option<Outcome> {
    if facts.policy_denies.is_empty() {
        return None;
    }
    match client.delete_bucket_policy().bucket(name).send().await {
        Ok(_) => {
            tracing::info!(
                "bucket {name}: bucket policy deleted (it denied {})",
                facts.policy_denies.join(", ")
            );
            None
        }
        Err(error) if is_code(&error, "NoSuchBucketPolicy") => None,
        Err(error) if is_code(&error, "NoSuchBucket") => Some(Outcome::Deleted),
        Err(error) => Some(Outcome::Failed {
            error: format!(
                "deleting the bucket policy of {name}, which denies {}: {}",
                facts.policy_denies.join(", "),
                describe(&error)
            ),
        }),
    }
}

#[allow(clippy::too_many_arguments)]
async fn empty_and_delete(
    client: &Client,
    name: &str,
    facts: BucketFacts,
    options: Options,
    ctx: &ApplyContext,
    permits: &Semaphore,
    deleted: &AtomicU64,
) -> Outcome {
    let bar = ctx.progress.counter(format!("bucket {name}: deleting"));
    let started = Instant::now();
    let emptier = Emptier {
        client,
        bucket: name,
        lock_enabled: facts.lock_enabled,
        bypass_governance: options.bypass_governance,
        concurrency: options.concurrency,
        permits,
        deleted,
        bar: &bar,
    };
    let outcome = empty_then_delete(client, name, facts, &emptier).await;
    bar.finish_and_clear();
    let count = deleted.load(Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        "bucket {name}: {count} object(s) and version(s) deleted in {seconds:.3} s ({:.0}/s)",
        count as f64 / seconds.max(0.001)
    );
    outcome
}

async fn empty_then_delete(
    client: &Client,
    name: &str,
    facts: BucketFacts,
    emptier: &Emptier<'_>,
) -> Outcome {
    // The first pass deletes the plan's pages straight away. Meanwhile versioning is read again
    // (if it was turned on since the plan, the first pass only added delete markers; the later
    // passes list versions and take them too) and incomplete uploads are aborted.
    let (first, versioning, aborted) = tokio::join!(
        emptier.pass(facts.mode, Some(facts.listing)),
        crate::listing::versioning(client, name),
        uploads::abort_all(client, name),
    );
    let mode = match versioning {
        Ok(Some(_)) => Mode::Versions,
        Ok(None) => Mode::Objects,
        // The plan saw it: our earlier attempt, or someone else, deleted it.
        Err(ListError::NoSuchBucket) => return Outcome::Deleted,
        Err(error) => return Outcome::failed(&error.into_anyhow(name)),
    };
    if first.is_gone() {
        return Outcome::Deleted;
    }
    if let Err(error) = aborted {
        return Outcome::failed(&error);
    }
    let mut pass = Some(first);
    for _ in 0..DELETE_ROUNDS {
        let first = match pass.take() {
            Some(first) => first,
            None => {
                let (first, aborted) =
                    tokio::join!(emptier.pass(mode, None), uploads::abort_all(client, name));
                if let Err(error) = aborted {
                    return Outcome::failed(&error);
                }
                first
            }
        };
        match emptier.finish(mode, first).await {
            Emptied::Gone => return Outcome::Deleted,
            Emptied::Blocked(problems) => return blocked_outcome(&problems),
            Emptied::Empty => {}
        }
        match client.delete_bucket().bucket(name).send().await {
            Ok(_) => return Outcome::Deleted,
            // Gone: the answer to an earlier attempt (ours, retried by the SDK) was lost.
            Err(error) if is_code(&error, "NoSuchBucket") => return Outcome::Deleted,
            // Written to after our last listing: empty it again.
            Err(error) if is_code(&error, "BucketNotEmpty") => {
                tracing::info!("bucket {name}: written to meanwhile, emptying it again");
            }
            Err(error) => {
                return Outcome::Failed {
                    error: format!("deleting bucket {name}: {}", describe(&error)),
                };
            }
        }
    }
    Outcome::Failed {
        error: format!("bucket {name} was still not empty after {DELETE_ROUNDS} rounds"),
    }
}

/// The outcome for a bucket that could not be emptied: guards (Object Lock) are skips that name
/// what to do; anything else is a failure with the keys and codes.
fn blocked_outcome(problems: &Problems) -> Outcome {
    let mut reasons = Vec::new();
    if problems.lock.compliance > 0 {
        reasons.push(
            problems
                .lock
                .compliance_reason("the other objects were deleted and the bucket kept"),
        );
    }
    if problems.lock.needs_bypass() {
        reasons.push(problems.lock.bypass_reason());
    }
    let failures = problems.failure_text();
    if let Some(text) = &failures {
        reasons.push(text.clone());
    }
    if let Some(listing) = &problems.listing {
        reasons.push(format!("listing failed: {listing}"));
    }
    if reasons.is_empty() {
        reasons.push("objects remain that could not be deleted".to_string());
    }
    let text = reasons.join("; ");
    if failures.is_some() || problems.listing.is_some() {
        Outcome::Failed { error: text }
    } else {
        Outcome::skipped(text)
    }
}

/// The lifecycle strategy: delete the bucket if it is empty by now, else install the expiration
/// rules (once) and report the bucket as pending.
async fn hand_over_to_lifecycle(client: &Client, name: &str, facts: &BucketFacts) -> Outcome {
    if facts.empty && is_empty_now(client, name, facts.mode).await {
        match client.delete_bucket().bucket(name).send().await {
            Ok(_) => return Outcome::Deleted,
            Err(error) if is_code(&error, "NoSuchBucket") => return Outcome::Deleted,
            Err(error) if is_code(&error, "BucketNotEmpty") => {}
            Err(error) => {
                return Outcome::Failed {
                    error: format!("deleting bucket {name}: {}", describe(&error)),
                };
            }
        }
    }
    let rules = match read_lifecycle_rules(client, name).await {
        Ok(rules) => rules,
        Err(error) => return Outcome::failed(&error),
    };
    if lifecycle::is_ours(&rules) {
        return Outcome::pending(
            "the expiration rules are in place and S3 is still emptying the bucket: run again later to delete it",
        );
    }
    let configuration = match lifecycle::emptying_configuration() {
        Ok(configuration) => configuration,
        Err(error) => return Outcome::failed(&error),
    };
    match client
        .put_bucket_lifecycle_configuration()
        .bucket(name)
        .lifecycle_configuration(configuration)
        .send()
        .await
    {
        Ok(_) => Outcome::pending(format!(
            "expiration rules installed (replacing: {}): S3 expires every object and version in a day or two, at no cost; run the same command again then to delete the bucket",
            lifecycle::describe(&rules)
        )),
        Err(error) if is_code(&error, "NoSuchBucket") => Outcome::Deleted,
        Err(error) => Outcome::Failed {
            error: format!(
                "installing the expiration rules on {name}: {}",
                describe(&error)
            ),
        },
    }
}

/// One more look just before deleting: nothing listed, no incomplete upload.
async fn is_empty_now(client: &Client, name: &str, mode: Mode) -> bool {
    let listed = list_page(client, name, mode, &Cursor::Start, 1).await;
    let uploads = uploads::count(client, name, 1).await;
    matches!(listed, Ok(page) if page.entries.is_empty()) && matches!(uploads, Ok((0, false)))
}
