//! CloudFront: deleting needs a disabled, deployed distribution and the current ETag.
//!
//! moto deletes enabled distributions, reports `Deployed` right after an update, keeps one
//! ETag for a distribution's whole life and accepts any `If-Match` value (AWS-NOTES.md,
//! "CloudFront"). The proxy tracks, per distribution, the ETag it handed out last and when the
//! last update finishes deploying.
//!
//! Real AWS also answers DistributionNotDisabled for a short while after a disabled distribution
//! first reads `Deployed` (eventual consistency, AWS-NOTES.md): the proxy notes when an
//! UpdateDistribution leaves a distribution disabled, and when an answer then first shows it
//! `Deployed`, refuses its delete for [`ProxyConfig::cloudfront_settle_time`].
//!
//! [`ProxyConfig::cloudfront_settle_time`]: crate::proxy::ProxyConfig::cloudfront_settle_time

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{Method, StatusCode};

use super::{Exchange, Verdict};
use crate::proxy::config::Rule;
use crate::proxy::server::{Answer, State, lock};
use crate::proxy::shape;
use crate::proxy::xml;

#[derive(Default)]
pub(crate) struct Tracker {
    distributions: HashMap<String, Distribution>,
}

#[derive(Default)]
struct Distribution {
    /// The ETag clients must send, once the proxy has seen or issued one.
    etag: Option<String>,
    /// When the last UpdateDistribution finishes deploying.
    deployed_at: Option<Instant>,
    /// An update left it disabled and no answer has shown it `Deployed` since.
    awaiting_deployed: bool,
    /// Until when DeleteDistribution still answers DistributionNotDisabled.
    settling_until: Option<Instant>,
}

impl Distribution {
    fn deploying(&self) -> bool {
        self.deployed_at.is_some_and(|at| Instant::now() < at)
    }

    fn settling(&self) -> bool {
        self.settling_until.is_some_and(|at| Instant::now() < at)
    }

    /// An answer shows the distribution with this status.
    fn seen(&mut self, status: &str, settle: Duration) {
        if self.awaiting_deployed && status == "Deployed" {
            self.awaiting_deployed = false;
            self.settling_until = Some(Instant::now() + settle);
        }
    }

    fn status(&self) -> Option<&'static str> {
        let at = self.deployed_at?;
        Some(if Instant::now() < at {
            "InProgress"
        } else {
            "Deployed"
        })
    }
}

fn tracker(state: &State) -> std::sync::MutexGuard<'_, Tracker> {
    lock(&state.rules.cloudfront)
}

/// A new ETag, shaped like CloudFront's (`E` and 13 upper-case alphanumerics).
pub(crate) fn new_etag() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("E{:05X}{:08X}", n & 0xFFFFF, nanos)
}

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    let op = ex.call.operation.as_str();
    if op != "UpdateDistribution" && op != "DeleteDistribution" {
        return Verdict::Forward;
    }
    let Some(id) = ex.call.resource.as_deref() else {
        return Verdict::Forward;
    };
    // Without If-Match moto itself answers InvalidIfMatchVersion, as AWS does.
    let Some(if_match) = ex.header("if-match") else {
        return Verdict::Forward;
    };

    if state.config.is_enabled(Rule::CloudFrontIfMatch)
        && let Some(current) = current_etag(state, ex, id).await
        && current != if_match
    {
        return Verdict::Respond(
            shape::error(
                ex.call,
                StatusCode::PRECONDITION_FAILED,
                "PreconditionFailed",
                "The precondition given in one or more of the request-header fields evaluated \
                 to false.",
            ),
            Rule::CloudFrontIfMatch,
        );
    }

    if op == "DeleteDistribution" && state.config.is_enabled(Rule::CloudFrontNotDisabled) {
        let deploying = tracker(state)
            .distributions
            .get(id)
            .is_some_and(Distribution::deploying);
        if deploying || is_enabled(state, ex, id).await {
            return Verdict::Respond(
                shape::error(
                    ex.call,
                    StatusCode::CONFLICT,
                    "DistributionNotDisabled",
                    "The distribution you are trying to delete has not been disabled.",
                ),
                Rule::CloudFrontNotDisabled,
            );
        }
    }

    if op == "DeleteDistribution"
        && state.config.is_enabled(Rule::DistributionNotDisabled)
        && tracker(state)
            .distributions
            .get(id)
            .is_some_and(Distribution::settling)
    {
        return Verdict::Respond(
            shape::error(
                ex.call,
                StatusCode::CONFLICT,
                "DistributionNotDisabled",
                "The distribution you are trying to delete has not been disabled.",
            ),
            Rule::DistributionNotDisabled,
        );
    }
    Verdict::Forward
}

/// The ETag the proxy expects; for a distribution it has not seen yet, moto's (which is
/// current, since no update went through the proxy).
async fn current_etag(state: &State, ex: &Exchange<'_>, id: &str) -> Option<String> {
    if let Some(etag) = tracker(state)
        .distributions
        .get(id)
        .and_then(|d| d.etag.clone())
    {
        return Some(etag);
    }
    let target = format!("/2020-05-31/distribution/{id}");
    let answer = state
        .call_upstream(Method::GET, &target, &ex.parts.headers, &[], "")
        .await
        .ok()?;
    if !answer.is_success() {
        return None;
    }
    let etag = answer.header("etag")?.to_owned();
    tracker(state)
        .distributions
        .entry(id.to_owned())
        .or_default()
        .etag = Some(etag.clone());
    Some(etag)
}

/// Whether moto has the distribution enabled.
async fn is_enabled(state: &State, ex: &Exchange<'_>, id: &str) -> bool {
    let target = format!("/2020-05-31/distribution/{id}/config");
    match state
        .call_upstream(Method::GET, &target, &ex.parts.headers, &[], "")
        .await
    {
        Ok(answer) if answer.is_success() => {
            xml::text_at(answer.body_str(), "DistributionConfig/Enabled").as_deref() == Some("true")
        }
        // Unknown distribution or moto unreachable: let moto answer for itself.
        _ => false,
    }
}

pub(crate) fn after(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    if !answer.is_success() {
        return None;
    }
    let rule = rewrite(state, ex, answer);
    if state.config.is_enabled(Rule::DistributionNotDisabled) {
        settle(state, ex, answer);
    }
    rule
}

/// [`Rule::DistributionNotDisabled`]: note disables, and the first `Deployed` read after one.
fn settle(state: &State, ex: &Exchange<'_>, answer: &Answer) {
    let window = state.config.timings.cloudfront_settle;
    if window.is_zero() {
        return;
    }
    match ex.call.operation.as_str() {
        "UpdateDistribution" => {
            let Some(id) = ex.call.resource.clone() else {
                return;
            };
            let request = std::str::from_utf8(ex.body).unwrap_or("");
            let disabled =
                xml::text_at(request, "DistributionConfig/Enabled").as_deref() == Some("false");
            let status = xml::text_at(answer.body_str(), "Distribution/Status");
            let mut guard = tracker(state);
            let dist = guard.distributions.entry(id).or_default();
            dist.awaiting_deployed = disabled;
            dist.settling_until = None;
            if let Some(status) = status {
                dist.seen(&status, window);
            }
        }
        "GetDistribution" => {
            let Some(id) = ex.call.resource.as_deref() else {
                return;
            };
            let mut guard = tracker(state);
            let Some(dist) = guard
                .distributions
                .get_mut(id)
                .filter(|d| d.awaiting_deployed)
            else {
                return;
            };
            if let Some(status) = xml::text_at(answer.body_str(), "Distribution/Status") {
                dist.seen(&status, window);
            }
        }
        "ListDistributions" => {
            let mut guard = tracker(state);
            if !guard.distributions.values().any(|d| d.awaiting_deployed) {
                return;
            }
            const SUMMARY: &str = "DistributionList/Items/DistributionSummary";
            let body = answer.body_str();
            let leaves = xml::leaves(body);
            for id_leaf in leaves.iter().filter(|l| l.path == format!("{SUMMARY}/Id")) {
                let status = leaves
                    .iter()
                    .find(|l| l.parent == id_leaf.parent && l.path == format!("{SUMMARY}/Status"));
                if let (Some(dist), Some(status)) = (
                    guard.distributions.get_mut(&body[id_leaf.range.clone()]),
                    status,
                ) {
                    dist.seen(&body[status.range.clone()], window);
                }
            }
        }
        _ => {}
    }
}

/// The deploy and ETag rules' rewrites of moto's answer.
fn rewrite(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    let if_match_rule = state.config.is_enabled(Rule::CloudFrontIfMatch);
    let deploy_rule = state.config.is_enabled(Rule::CloudFrontDeploy);
    match ex.call.operation.as_str() {
        "CreateDistribution" | "CreateDistributionWithTags" => {
            let id = xml::text_at(answer.body_str(), "Distribution/Id")?;
            let etag = answer.header("etag").map(str::to_owned);
            if if_match_rule {
                tracker(state).distributions.entry(id).or_default().etag = etag;
            }
            None
        }
        "GetDistribution" | "GetDistributionConfig" => {
            let id = ex.call.resource.clone()?;
            if if_match_rule {
                sync_etag(state, &id, answer);
            }
            if deploy_rule && ex.call.operation == "GetDistribution" {
                let status = tracker(state)
                    .distributions
                    .get(&id)
                    .and_then(Distribution::status);
                if let Some(status) = status {
                    rewrite_status(answer, status);
                    return (status == "InProgress").then_some(Rule::CloudFrontDeploy);
                }
            }
            None
        }
        "UpdateDistribution" => {
            let id = ex.call.resource.clone()?;
            let mut rule = None;
            let mut guard = tracker(state);
            let dist = guard.distributions.entry(id).or_default();
            if if_match_rule {
                // moto keeps one ETag for life; AWS issues a new one with every change.
                let etag = new_etag();
                answer.set_header("etag", &etag);
                dist.etag = Some(etag);
                rule = Some(Rule::CloudFrontIfMatch);
            }
            let deploy_time = state.config.timings.cloudfront_deploy;
            if deploy_rule && !deploy_time.is_zero() {
                dist.deployed_at = Some(Instant::now() + deploy_time);
                drop(guard);
                rewrite_status(answer, "InProgress");
                rule = Some(Rule::CloudFrontDeploy);
            }
            rule
        }
        "ListDistributions" if deploy_rule => rewrite_list(state, answer),
        "DeleteDistribution" => {
            if let Some(id) = &ex.call.resource {
                tracker(state).distributions.remove(id);
            }
            None
        }
        _ => None,
    }
}

/// Hand out the proxy's ETag instead of moto's; adopt moto's for a distribution not seen yet.
fn sync_etag(state: &State, id: &str, answer: &mut Answer) {
    let mut guard = tracker(state);
    let dist = guard.distributions.entry(id.to_owned()).or_default();
    match &dist.etag {
        Some(etag) => answer.set_header("etag", etag),
        None => dist.etag = answer.header("etag").map(str::to_owned),
    }
}

/// Set `Distribution/Status` (GetDistribution, UpdateDistribution answers).
fn rewrite_status(answer: &mut Answer, status: &str) {
    let body = answer.body_str();
    let edits: Vec<_> = xml::leaves(body)
        .into_iter()
        .filter(|leaf| leaf.path == "Distribution/Status")
        .map(|leaf| (leaf.range, status.to_owned()))
        .collect();
    if !edits.is_empty() {
        let body = xml::replace(body, edits);
        answer.set_body(body);
    }
}

/// Set each tracked distribution's `Status` in a ListDistributions answer.
fn rewrite_list(state: &State, answer: &mut Answer) -> Option<Rule> {
    const SUMMARY: &str = "DistributionList/Items/DistributionSummary";
    let body = answer.body_str();
    let leaves = xml::leaves(body);
    let guard = tracker(state);
    let mut edits = Vec::new();
    for status_leaf in leaves
        .iter()
        .filter(|l| l.path == format!("{SUMMARY}/Status"))
    {
        let id = leaves
            .iter()
            .find(|l| l.parent == status_leaf.parent && l.path == format!("{SUMMARY}/Id"))
            .map(|l| &body[l.range.clone()]);
        if let Some(status) = id.and_then(|id| guard.distributions.get(id)?.status()) {
            edits.push((status_leaf.range.clone(), status.to_owned()));
        }
    }
    drop(guard);
    if edits.is_empty() {
        return None;
    }
    let in_progress = edits.iter().any(|(_, s)| s == "InProgress");
    let body = xml::replace(body, edits);
    answer.set_body(body);
    in_progress.then_some(Rule::CloudFrontDeploy)
}
