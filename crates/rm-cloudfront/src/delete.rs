//! Carrying out the plan: every distribution at once (disable, wait until Deployed, delete),
//! then the OAC and OAI that only the deleted distributions used.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudfront::types::DistributionConfig;
use common::{ApplyContext, Outcome, Plan};
use futures::StreamExt;
use indicatif::ProgressBar;
use tokio::time::Instant;

use crate::discover::{DEPLOYED, USED_BY};
use crate::{DISTRIBUTION, ORIGIN_ACCESS_CONTROL, ORIGIN_ACCESS_IDENTITY, Options};

/// Distributions handled at once. Each spends nearly all its time waiting, so this only bounds
/// the polling traffic; CloudFront's per-account limits are far above it.
const DISTRIBUTIONS_IN_FLIGHT: usize = 10;

/// Rounds of read-config / disable / wait / delete for one distribution. A round ends early on
/// a refusal the SDK does not retry (AWS-NOTES.md, "Retries"): a stale ETag (PreconditionFailed
/// or InvalidIfMatchVersion, after someone else's change or after a retry of our own update
/// whose first answer was lost) or DistributionNotDisabled right after Deployed (eventual
/// consistency). Each new round re-reads the config and the ETag.
const MAX_ROUNDS: u32 = 8;

/// Attempts at deleting one OAC or OAI. Each needs its own ETag, and each stays "in use" for a
/// while after its last distribution is deleted.
const ACCESS_ATTEMPTS: u32 = 6;

/// The first pause after DistributionNotDisabled right after Deployed. AWS's window is seconds
/// long, so waiting a whole poll interval (10 s, meant for deploys of minutes) would add most of
/// that interval to every distribution.
const FIRST_SETTLE_PAUSE: Duration = Duration::from_secs(2);

/// The pause before the `n`th (from 1) retry of a delete refused right after Deployed: 2 s (or
/// the poll interval, when shorter), doubled each time up to 30 s.
fn settle_pause(poll_interval: Duration, n: u32) -> Duration {
    poll_interval
        .min(FIRST_SETTLE_PAUSE)
        .saturating_mul(1 << n.saturating_sub(1).min(8))
        .min(Duration::from_secs(30))
}

pub(crate) async fn apply(client: &Client, plan: &mut Plan, options: Options, ctx: &ApplyContext) {
    // One deadline for all: they wait side by side, so --max-wait bounds the whole run.
    let deadline = Instant::now() + options.max_wait;
    let distributions: Vec<(usize, String)> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == DISTRIBUTION && a.is_to_do())
        .map(|(i, a)| (i, a.name.clone()))
        .collect();
    let outcomes: Vec<(usize, Outcome)> = futures::stream::iter(distributions)
        .map(|(i, id)| async move {
            (
                i,
                remove_distribution(client, &id, options, deadline, ctx).await,
            )
        })
        .buffer_unordered(DISTRIBUTIONS_IN_FLIGHT)
        .collect()
        .await;
    for (i, outcome) in outcomes {
        plan.actions[i].outcome = Some(outcome);
    }
    if ctx.interrupt.is_raised() {
        return;
    }

    let distribution_outcomes: HashMap<String, Outcome> = plan
        .actions
        .iter()
        .filter(|a| a.kind == DISTRIBUTION)
        .filter_map(|a| Some((a.name.clone(), a.outcome.clone()?)))
        .collect();
    for action in plan.actions.iter_mut().filter(|a| {
        (a.kind == ORIGIN_ACCESS_CONTROL || a.kind == ORIGIN_ACCESS_IDENTITY) && a.is_to_do()
    }) {
        let users: Vec<&str> = action
            .details
            .get(USED_BY)
            .map(|u| u.split_whitespace().collect())
            .unwrap_or_default();
        if let Some(blocked) = blocked_by(&users, &distribution_outcomes) {
            action.outcome = Some(blocked);
            continue;
        }
        let id = action.id.clone().unwrap_or_else(|| action.name.clone());
        let deleting = async {
            if action.kind == ORIGIN_ACCESS_CONTROL {
                delete_oac(client, &id, options.poll_interval).await
            } else {
                delete_oai(client, &id, options.poll_interval).await
            }
        };
        let outcome = tokio::select! {
            outcome = deleting => outcome,
            // Left without an outcome: the runner reports it as interrupted.
            () = ctx.interrupt.raised() => return,
        };
        action.outcome = Some(outcome);
    }
}

/// Why an OAC/OAI cannot be deleted yet, if one of its distributions is not gone.
fn blocked_by(users: &[&str], outcomes: &HashMap<String, Outcome>) -> Option<Outcome> {
    let mut pending = Vec::new();
    let mut kept = Vec::new();
    for user in users {
        match outcomes.get(*user) {
            Some(Outcome::Deleted | Outcome::AlreadyAbsent) => {}
            Some(Outcome::Pending { .. }) => pending.push(*user),
            _ => kept.push(*user),
        }
    }
    if !kept.is_empty() {
        Some(Outcome::skipped(format!(
            "distribution(s) {} not deleted, and CloudFront refuses to delete what they use",
            kept.join(", ")
        )))
    } else if !pending.is_empty() {
        Some(Outcome::pending(format!(
            "deleted after distribution(s) {}: run the same command again",
            pending.join(", ")
        )))
    } else {
        None
    }
}

/// Disables (if needed), waits for Deployed and deletes one distribution, with a spinner that
/// shows the elapsed time. Ctrl-C ends it at once.
async fn remove_distribution(
    client: &Client,
    id: &str,
    options: Options,
    deadline: Instant,
    ctx: &ApplyContext,
) -> Outcome {
    let spinner = ctx.progress.spinner(format!("distribution {id}: starting"));
    let removal = Removal {
        client,
        id,
        options,
        deadline,
        spinner: &spinner,
    };
    let outcome = tokio::select! {
        outcome = removal.run() => outcome,
        () = ctx.interrupt.raised() => Outcome::skipped(
            "interrupted: a disable already sent still deploys in CloudFront; run the same command again to finish",
        ),
    };
    spinner.finish_and_clear();
    outcome
}

/// A refusal from UpdateDistribution or DeleteDistribution, sorted by what to do next.
enum Refusal {
    /// PreconditionFailed / InvalidIfMatchVersion: re-read the ETag and try again.
    StaleEtag(String),
    /// DistributionNotDisabled: re-read the config (it may have been enabled again), wait, retry.
    NotDisabled(String),
    /// NoSuchDistribution: it is gone, which is what we want.
    Gone,
    /// Anything else: report it.
    Other(anyhow::Error),
}

/// How waiting for Deployed ended.
enum Deploy {
    /// Deployed; the ETag from the same GetDistribution answer.
    Deployed(Option<String>),
    Gone,
    /// Still not deployed at the deadline (or after one look, with --no-wait).
    StillDeploying(String),
    Failed(anyhow::Error),
}

struct Removal<'a> {
    client: &'a Client,
    id: &'a str,
    options: Options,
    deadline: Instant,
    spinner: &'a ProgressBar,
}

impl Removal<'_> {
    async fn run(&self) -> Outcome {
        let id = self.id;
        let mut last_refusal = String::new();
        // DistributionNotDisabled right after Deployed does not use up a round: it is waited
        // out (with a growing pause, bounded by --max-wait), since it ends by itself.
        let mut rounds = 0;
        let mut refused_after_deployed = 0;
        while rounds < MAX_ROUNDS {
            rounds += 1;
            self.say("reading its configuration");
            let (config, etag) = match self.read_config().await {
                Ok(Some(found)) => found,
                // The plan saw it: gone now means an earlier request of ours deleted it (its
                // answer may have been lost on the way back), or someone else did.
                Ok(None) => return Outcome::Deleted,
                Err(error) => return Outcome::failed(&error),
            };
            let just_disabled = config.enabled;
            if just_disabled {
                match self.disable(config, etag).await {
                    Ok(()) => {}
                    Err(Refusal::Gone) => return Outcome::Deleted,
                    Err(Refusal::StaleEtag(why) | Refusal::NotDisabled(why)) => {
                        tracing::info!("distribution {id}: {why}; reading it again");
                        last_refusal = why;
                        continue;
                    }
                    Err(Refusal::Other(error)) => return Outcome::failed(&error),
                }
            }
            if self.options.disable_only {
                return Outcome::Disabled;
            }
            if just_disabled && self.options.no_wait {
                return Outcome::pending(
                    "disabled; CloudFront is deploying the change (5 to 40 minutes): run the same command again to delete it",
                );
            }
            // A distribution still InProgress from an earlier disable lands here too: it is
            // waited for, not disabled again.
            let etag = match self.wait_until_deployed().await {
                Deploy::Deployed(etag) => etag,
                Deploy::Gone => return Outcome::Deleted,
                Deploy::StillDeploying(status) => return self.still_deploying(&status),
                Deploy::Failed(error) => return Outcome::failed(&error),
            };
            match self.delete(etag).await {
                Ok(()) | Err(Refusal::Gone) => return Outcome::Deleted,
                Err(Refusal::StaleEtag(why)) => {
                    tracing::info!("distribution {id}: {why}; reading it again");
                    last_refusal = why;
                }
                Err(Refusal::NotDisabled(why)) => {
                    // Right after Deployed this is eventual consistency (AWS-NOTES.md); it also
                    // happens when someone enabled it again meanwhile, which the next round's
                    // config read sees.
                    tracing::info!("distribution {id}: {why}; trying again shortly");
                    last_refusal = why;
                    if Instant::now() >= self.deadline {
                        return self.still_deploying("refusing deletion (DistributionNotDisabled)");
                    }
                    if !just_disabled || refused_after_deployed > 0 {
                        rounds -= 1;
                    }
                    refused_after_deployed += 1;
                    tokio::time::sleep(self.backoff(refused_after_deployed)).await;
                }
                Err(Refusal::Other(error)) => return Outcome::failed(&error),
            }
        }
        Outcome::Failed {
            error: format!(
                "distribution {id}: CloudFront still refused after {MAX_ROUNDS} attempts: {last_refusal}"
            ),
        }
    }

    fn say(&self, what: &str) {
        self.spinner
            .set_message(format!("distribution {}: {what}", self.id));
    }

    /// The pause before the `n`th retry of a delete refused right after Deployed, cut at the
    /// deadline.
    fn backoff(&self, n: u32) -> Duration {
        settle_pause(self.options.poll_interval, n)
            .min(self.deadline.saturating_duration_since(Instant::now()))
    }

    /// The next pause between two looks: the poll interval, cut at the deadline.
    fn pause(&self) -> Duration {
        self.options
            .poll_interval
            .min(self.deadline.saturating_duration_since(Instant::now()))
    }

    fn still_deploying(&self, status: &str) -> Outcome {
        if self.options.no_wait {
            Outcome::pending(format!(
                "disabled, CloudFront still {status}: run the same command again to delete it"
            ))
        } else {
            Outcome::pending(format!(
                "disabled, but CloudFront is still {status} after {} (--max-wait): run the same command again to delete it",
                humantime::format_duration(self.options.max_wait)
            ))
        }
    }

    /// GetDistributionConfig: the whole config and its ETag, or `None` when it is gone.
    async fn read_config(&self) -> anyhow::Result<Option<(DistributionConfig, Option<String>)>> {
        let id = self.id;
        match self.client.get_distribution_config().id(id).send().await {
            Ok(output) => {
                let etag = output.e_tag().map(str::to_string);
                let config = output.distribution_config.with_context(|| {
                    format!("reading the configuration of distribution {id}: the answer had none")
                })?;
                Ok(Some((config, etag)))
            }
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_distribution()) =>
            {
                Ok(None)
            }
            Err(error) => Err(error)
                .with_context(|| format!("reading the configuration of distribution {id}")),
        }
    }

    /// UpdateDistribution with the whole config as read, Enabled=false, and its ETag:
    /// CloudFront replaces the config wholesale, so anything left out would be reset.
    async fn disable(
        &self,
        mut config: DistributionConfig,
        etag: Option<String>,
    ) -> Result<(), Refusal> {
        let id = self.id;
        self.say("disabling");
        config.enabled = false;
        match self
            .client
            .update_distribution()
            .id(id)
            .distribution_config(config)
            .set_if_match(etag)
            .send()
            .await
        {
            Ok(_) => {
                tracing::info!("distribution {id}: disabled; CloudFront is deploying the change");
                Ok(())
            }
            Err(error) => Err(match error.as_service_error() {
                Some(e) if e.is_precondition_failed() || e.is_invalid_if_match_version() => {
                    Refusal::StaleEtag(describe("UpdateDistribution", e))
                }
                Some(e) if e.is_no_such_distribution() => Refusal::Gone,
                _ => Refusal::Other(
                    anyhow::Error::new(error).context(format!("disabling distribution {id}")),
                ),
            }),
        }
    }

    /// Polls GetDistribution until Status is Deployed, the deadline passes, or (with --no-wait)
    /// after one look.
    ///
    /// The SDK's modelled waiter (`wait_until_distribution_deployed`) is not used: its delay
    /// between polls is fixed at 60 s minimum in the generated code, so a test with a simulated
    /// 1-2 s deploy would wait a minute per distribution, and a second code path for tests would
    /// leave the real one untested. This loop is bounded by the same deadline, polls at
    /// `--poll-interval` (10 s by default; tests set RM_CLOUDFRONT_POLL_INTERVAL), and keeps the
    /// ETag of the answer that says Deployed for the delete.
    async fn wait_until_deployed(&self) -> Deploy {
        let id = self.id;
        loop {
            let (status, etag) = match self.client.get_distribution().id(id).send().await {
                Ok(output) => (
                    output
                        .distribution()
                        .map(|d| d.status().to_string())
                        .unwrap_or_default(),
                    output.e_tag().map(str::to_string),
                ),
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(|e| e.is_no_such_distribution()) =>
                {
                    return Deploy::Gone;
                }
                Err(error) => {
                    return Deploy::Failed(
                        anyhow::Error::new(error)
                            .context(format!("reading the status of distribution {id}")),
                    );
                }
            };
            if status == DEPLOYED {
                return Deploy::Deployed(etag);
            }
            if self.options.no_wait || Instant::now() >= self.deadline {
                return Deploy::StillDeploying(status);
            }
            self.say(&format!(
                "waiting for CloudFront to deploy the disable ({status})"
            ));
            tokio::time::sleep(self.pause()).await;
        }
    }

    /// DeleteDistribution with the ETag of the last read.
    async fn delete(&self, etag: Option<String>) -> Result<(), Refusal> {
        let id = self.id;
        self.say("deleting");
        match self
            .client
            .delete_distribution()
            .id(id)
            .set_if_match(etag)
            .send()
            .await
        {
            Ok(_) => {
                tracing::info!("distribution {id}: deleted");
                Ok(())
            }
            Err(error) => Err(match error.as_service_error() {
                Some(e) if e.is_precondition_failed() || e.is_invalid_if_match_version() => {
                    Refusal::StaleEtag(describe("DeleteDistribution", e))
                }
                Some(e) if e.is_distribution_not_disabled() => {
                    Refusal::NotDisabled(describe("DeleteDistribution", e))
                }
                Some(e) if e.is_no_such_distribution() => Refusal::Gone,
                _ => Refusal::Other(
                    anyhow::Error::new(error).context(format!("deleting distribution {id}")),
                ),
            }),
        }
    }
}

/// `DeleteDistribution: PreconditionFailed (message)`.
fn describe(operation: &str, error: &impl ProvideErrorMetadata) -> String {
    let code = error.code().unwrap_or("error");
    match error.message() {
        Some(message) if !message.is_empty() => format!("{operation}: {code} ({message})"),
        _ => format!("{operation}: {code}"),
    }
}

/// GetOriginAccessControl for the ETag, then DeleteOriginAccessControl with it.
async fn delete_oac(client: &Client, id: &str, pause: Duration) -> Outcome {
    let mut last_refusal = String::new();
    for attempt in 0..ACCESS_ATTEMPTS {
        let etag = match client.get_origin_access_control().id(id).send().await {
            Ok(output) => output.e_tag().map(str::to_string),
            // The plan saw it: our earlier request (or someone else) deleted it.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_origin_access_control()) =>
            {
                return Outcome::Deleted;
            }
            Err(error) => return failed(error, format!("reading origin access control {id}")),
        };
        let error = match client
            .delete_origin_access_control()
            .id(id)
            .set_if_match(etag)
            .send()
            .await
        {
            Ok(_) => return Outcome::Deleted,
            Err(error) => error,
        };
        match error.as_service_error() {
            Some(e) if e.is_no_such_origin_access_control() => return Outcome::Deleted,
            Some(e) if e.is_precondition_failed() || e.is_invalid_if_match_version() => {
                last_refusal = describe("DeleteOriginAccessControl", e);
            }
            Some(e) if e.is_origin_access_control_in_use() => {
                // Its distributions are gone, but CloudFront takes a while to notice
                // (AWS-NOTES.md: "in use" until their distributions are gone).
                last_refusal = describe("DeleteOriginAccessControl", e);
                if attempt + 1 < ACCESS_ATTEMPTS {
                    tokio::time::sleep(pause).await;
                }
            }
            _ => return failed(error, format!("deleting origin access control {id}")),
        }
    }
    Outcome::Failed {
        error: format!(
            "origin access control {id}: CloudFront still refused after {ACCESS_ATTEMPTS} attempts: {last_refusal}"
        ),
    }
}

/// GetCloudFrontOriginAccessIdentity for the ETag, then DeleteCloudFrontOriginAccessIdentity.
async fn delete_oai(client: &Client, id: &str, pause: Duration) -> Outcome {
    let mut last_refusal = String::new();
    for attempt in 0..ACCESS_ATTEMPTS {
        let etag = match client
            .get_cloud_front_origin_access_identity()
            .id(id)
            .send()
            .await
        {
            Ok(output) => output.e_tag().map(str::to_string),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_cloud_front_origin_access_identity()) =>
            {
                return Outcome::Deleted;
            }
            Err(error) => return failed(error, format!("reading origin access identity {id}")),
        };
        let error = match client
            .delete_cloud_front_origin_access_identity()
            .id(id)
            .set_if_match(etag)
            .send()
            .await
        {
            Ok(_) => return Outcome::Deleted,
            Err(error) => error,
        };
        match error.as_service_error() {
            Some(e) if e.is_no_such_cloud_front_origin_access_identity() => {
                return Outcome::Deleted;
            }
            Some(e) if e.is_precondition_failed() || e.is_invalid_if_match_version() => {
                last_refusal = describe("DeleteCloudFrontOriginAccessIdentity", e);
            }
            Some(e) if e.is_cloud_front_origin_access_identity_in_use() => {
                last_refusal = describe("DeleteCloudFrontOriginAccessIdentity", e);
                if attempt + 1 < ACCESS_ATTEMPTS {
                    tokio::time::sleep(pause).await;
                }
            }
            _ => return failed(error, format!("deleting origin access identity {id}")),
        }
    }
    Outcome::Failed {
        error: format!(
            "origin access identity {id}: CloudFront still refused after {ACCESS_ATTEMPTS} attempts: {last_refusal}"
        ),
    }
}

fn failed<E, R>(error: SdkError<E, R>, context: String) -> Outcome
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    Outcome::failed(&anyhow::Error::new(error).context(context))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(list: &[(&str, Outcome)]) -> HashMap<String, Outcome> {
        list.iter()
            .map(|(id, o)| (id.to_string(), o.clone()))
            .collect()
    }

    #[test]
    fn a_delete_refused_right_after_deployed_is_retried_within_seconds_then_less_often() {
        let secs = |poll: u64| -> Vec<u64> {
            (1..=6)
                .map(|n| settle_pause(Duration::from_secs(poll), n).as_secs())
                .collect()
        };
        // The default 10 s poll: the first retry comes 2 s later, not 10 or 20.
        assert_eq!(secs(10), [2, 4, 8, 16, 30, 30]);
        // A shorter poll interval (the demo's 1 s) is never lengthened.
        assert_eq!(secs(1), [1, 2, 4, 8, 16, 30]);
    }

    #[test]
    fn access_waits_for_every_user_to_be_gone() {
        let gone = outcomes(&[("EA", Outcome::Deleted), ("EB", Outcome::AlreadyAbsent)]);
        assert_eq!(blocked_by(&["EA", "EB"], &gone), None);

        let pending = outcomes(&[("EA", Outcome::Deleted), ("EB", Outcome::pending("x"))]);
        assert!(matches!(
            blocked_by(&["EA", "EB"], &pending),
            Some(Outcome::Pending { reason }) if reason.contains("EB")
        ));

        let failed = outcomes(&[
            ("EA", Outcome::Failed { error: "x".into() }),
            ("EB", Outcome::pending("x")),
        ]);
        assert!(matches!(
            blocked_by(&["EA", "EB"], &failed),
            Some(Outcome::Skipped { reason }) if reason.contains("EA")
        ));

        // A user with no outcome (interrupted) keeps it too.
        assert!(matches!(
            blocked_by(&["EC"], &gone),
            Some(Outcome::Skipped { .. })
        ));
    }
}
