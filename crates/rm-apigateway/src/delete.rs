//! Carrying out the plan, in its order: domain mappings, usage plans (stages removed, empty
//! plans deleted), API keys, then the APIs, each only once what pointed to it is gone.
//!
//! Every change goes through [`Work::persist`]: one request at a time without SDK retries, 429s
//! waited out (and DeleteRestApi paced, see `pacing`), and after a lost answer or a server error
//! a look at whether the resource is already gone before trying again.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_apigateway::types::{Op, PatchOperation};
use common::backoff::Backoff;
use common::{Action, ApplyContext, Operation, Outcome, Plan};
use indicatif::ProgressBar;

use crate::pacing::{AWS_WINDOW, Pacer, ThrottleWaits};
use crate::{
    API_KEY, API_MAPPING, BASE_PATH_MAPPING, Clients, DETAIL_API_ID, DETAIL_BASE_PATH,
    DETAIL_DOMAIN, DETAIL_PLANS, DETAIL_REMOVE_STAGES, HTTP_API, Options, REST_API, USAGE_PLAN,
};

/// Longest we keep retrying after lost answers or server errors, when the resource is still
/// there each time we look.
const TRANSIENT_MAX_WAIT: Duration = Duration::from_secs(2 * 60);

pub(crate) async fn apply(
    clients: &Clients,
    plan: &mut Plan,
    options: Options,
    ctx: &ApplyContext,
) {
    let work = Work {
        clients,
        options,
        ctx,
    };
    for i in to_do(plan, BASE_PATH_MAPPING) {
        if ctx.interrupt.is_raised() {
            return;
        }
        let outcome = work.delete_base_path_mapping(&plan.actions[i]).await;
        plan.actions[i].outcome = Some(outcome);
    }
    for i in to_do(plan, API_MAPPING) {
        if ctx.interrupt.is_raised() {
            return;
        }
        let outcome = work.delete_api_mapping(&plan.actions[i]).await;
        plan.actions[i].outcome = Some(outcome);
    }
    for i in to_do(plan, USAGE_PLAN) {
        if ctx.interrupt.is_raised() {
            return;
        }
        let outcome = work.clear_usage_plan(&plan.actions[i]).await;
        plan.actions[i].outcome = Some(outcome);
    }
    for i in to_do(plan, API_KEY) {
        if ctx.interrupt.is_raised() {
            return;
        }
        let plans = words(&plan.actions[i], DETAIL_PLANS);
        let failed: Vec<String> = plan
            .actions
            .iter()
            .filter(|a| a.kind == USAGE_PLAN && !succeeded(a))
            .filter(|a| a.id.as_deref().is_some_and(|id| plans.contains(id)))
            .map(|a| a.name.clone())
            .collect();
        let outcome = if failed.is_empty() {
            work.delete_api_key(&plan.actions[i]).await
        } else {
            Outcome::skipped(format!(
                "usage plan {} was not deleted, and still holds the key",
                failed.join(", ")
            ))
        };
        plan.actions[i].outcome = Some(outcome);
    }

    let mut pacer = Pacer::default();
    for i in to_do(plan, REST_API) {
        if ctx.interrupt.is_raised() {
            return;
        }
        let outcome = match blockers(plan, &plan.actions[i]) {
            Some(reason) => Outcome::skipped(reason),
            None => work.delete_rest_api(&plan.actions[i], &mut pacer).await,
        };
        plan.actions[i].outcome = Some(outcome);
    }
    for i in to_do(plan, HTTP_API) {
        if ctx.interrupt.is_raised() {
            return;
        }
        let outcome = match blockers(plan, &plan.actions[i]) {
            Some(reason) => Outcome::skipped(reason),
            None => work.delete_http_api(&plan.actions[i]).await,
        };
        plan.actions[i].outcome = Some(outcome);
    }
}

fn to_do(plan: &Plan, kind: &str) -> Vec<usize> {
    plan.actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == kind && a.is_to_do())
        .map(|(i, _)| i)
        .collect()
}

fn succeeded(action: &Action) -> bool {
    action.outcome.as_ref().is_some_and(Outcome::is_success)
}

fn detail<'a>(action: &'a Action, key: &str) -> &'a str {
    action.details.get(key).map_or("", String::as_str)
}

fn words<'a>(action: &'a Action, key: &str) -> BTreeSet<&'a str> {
    detail(action, key).split_whitespace().collect()
}

/// Why an API cannot be deleted yet: a mapping or usage plan that points to it is still there.
fn blockers(plan: &Plan, api: &Action) -> Option<String> {
    let id = api.id.as_deref()?;
    let stage_prefix = format!("{id}:");
    let left: Vec<String> = plan
        .actions
        .iter()
        .filter(|a| !succeeded(a))
        .filter(|a| match a.kind.as_str() {
            BASE_PATH_MAPPING | API_MAPPING => detail(a, DETAIL_API_ID) == id,
            USAGE_PLAN => words(a, DETAIL_REMOVE_STAGES)
                .iter()
                .any(|s| s.starts_with(&stage_prefix)),
            _ => false,
        })
        .map(|a| format!("{} {}", a.kind, a.name))
        .collect();
    (!left.is_empty()).then(|| {
        format!(
            "{} still points to it: run again once it is removed",
            left.join(", ")
        )
    })
}

/// How one request went, as far as retrying is concerned.
enum Attempt {
    Done,
    NotFound,
    /// 429 TooManyRequestsException, with its `Retry-After`.
    Throttled(Option<String>),
    /// A lost answer, a timeout or a 5xx: it may or may not have happened.
    Transient(anyhow::Error),
    Failed(anyhow::Error),
}

fn classify<T, E>(result: Result<T, SdkError<E, HttpResponse>>, what: &str) -> Attempt
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let error = match result {
        Ok(_) => return Attempt::Done,
        Err(error) => error,
    };
    let status = error.raw_response().map(|r| r.status().as_u16());
    if is_not_found(&error) {
        return Attempt::NotFound;
    }
    if error.code() == Some("TooManyRequestsException") || status == Some(429) {
        let retry_after = error
            .raw_response()
            .and_then(|r| r.headers().get("retry-after"))
            .map(str::to_string);
        return Attempt::Throttled(retry_after);
    }
    let transient = !matches!(error, SdkError::ServiceError(_)) || status.is_some_and(|s| s >= 500);
    let error = anyhow::Error::new(error).context(what.to_string());
    if transient {
        Attempt::Transient(error)
    } else {
        Attempt::Failed(error)
    }
}

/// Whether an SDK error is "not found": NotFoundException (what AWS answers), or a bare 404
/// without an error code.
fn is_not_found<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    error.code() == Some("NotFoundException")
        || (error.code().is_none()
            && error
                .raw_response()
                .is_some_and(|r| r.status().as_u16() == 404))
}

/// Sleeps, or returns `false` at once if Ctrl-C comes first.
async fn pause(delay: Duration, ctx: &ApplyContext) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = ctx.interrupt.raised() => false,
    }
}

fn interrupted() -> Outcome {
    Outcome::skipped("interrupted before it was done; run again to finish")
}

fn secs(duration: Duration) -> String {
    if duration.as_secs() < 10 && duration.subsec_millis() != 0 {
        format!("{:.1} s", duration.as_secs_f64())
    } else {
        format!("{} s", duration.as_secs())
    }
}

struct Work<'a> {
    clients: &'a Clients,
    options: Options,
    ctx: &'a ApplyContext,
}

impl Work<'_> {
    /// Runs `attempt` until it is done or the resource is gone: 429s are waited out (pacing
    /// through `pacer` when given), and after a transient failure `gone` looks whether the
    /// request took effect after all (its answer was lost) before trying again.
    async fn persist<A, AF, G, GF>(
        &self,
        label: &str,
        spinner: &ProgressBar,
        mut pacer: Option<&mut Pacer>,
        mut attempt: A,
        mut gone: G,
    ) -> Outcome
    where
        A: FnMut() -> AF,
        AF: Future<Output = Attempt>,
        G: FnMut() -> GF,
        GF: Future<Output = bool>,
    {
        let mut throttled = ThrottleWaits::new(self.options.max_rate_wait);
        let mut transient = Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(10),
            TRANSIENT_MAX_WAIT,
        );
        loop {
            if let Some(pacer) = pacer.as_deref()
                && let ahead = pacer.wait_before_next(Instant::now())
                && !ahead.is_zero()
            {
                let message = format!(
                    "{label}: pacing DeleteRestApi (AWS allows one call per {} per account): \
                     waiting {}",
                    secs(AWS_WINDOW),
                    secs(ahead)
                );
                spinner.set_message(message.clone());
                tracing::debug!("{message}");
                if !pause(ahead, self.ctx).await {
                    return interrupted();
                }
            }
            spinner.set_message(format!("{label}: deleting"));
            match attempt().await {
                Attempt::Done => {
                    if let Some(pacer) = pacer.as_deref_mut() {
                        pacer.succeeded(Instant::now());
                    }
                    return Outcome::Deleted;
                }
                // The plan saw it: gone now means our request (or one whose answer was lost)
                // did it.
                Attempt::NotFound => return Outcome::Deleted,
                Attempt::Failed(error) => return Outcome::failed(&error),
                Attempt::Throttled(retry_after) => {
                    if let Some(pacer) = pacer.as_deref_mut() {
                        pacer.throttled();
                    }
                    let Some(wait) = throttled.next(retry_after.as_deref()) else {
                        return Outcome::Failed {
                            error: format!(
                                "{label}: AWS kept answering TooManyRequestsException (waited {} \
                                 of at most {}); run again",
                                secs(throttled.spent()),
                                secs(throttled.max())
                            ),
                        };
                    };
                    let message = if pacer.is_some() {
                        format!(
                            "{label}: DeleteRestApi rate limit (one call per {} per account): \
                             waiting {}",
                            secs(AWS_WINDOW),
                            secs(wait)
                        )
                    } else {
                        format!("{label}: throttled by API Gateway: waiting {}", secs(wait))
                    };
                    spinner.set_message(message.clone());
                    tracing::info!("{message}");
                    if !pause(wait, self.ctx).await {
                        return interrupted();
                    }
                }
                Attempt::Transient(error) => {
                    if gone().await {
                        if let Some(pacer) = pacer.as_deref_mut() {
                            pacer.succeeded(Instant::now());
                        }
                        return Outcome::Deleted;
                    }
                    let Some(wait) = transient.next_delay() else {
                        return Outcome::failed(&error.context(format!(
                            "still failing after {} of retries",
                            secs(TRANSIENT_MAX_WAIT)
                        )));
                    };
                    tracing::info!("{error:#}: retrying in {}", secs(wait));
                    if !pause(wait, self.ctx).await {
                        return interrupted();
                    }
                }
            }
        }
    }

    async fn delete_base_path_mapping(&self, action: &Action) -> Outcome {
        let rest = &self.clients.rest;
        let once = &self.clients.rest_once;
        let domain = detail(action, DETAIL_DOMAIN);
        let base_path = detail(action, DETAIL_BASE_PATH);
        let label = format!("base path mapping {}", action.name);
        let spinner = self.ctx.progress.spinner(&label);
        let outcome = self
            .persist(
                &label,
                &spinner,
                None,
                || async {
                    let result = once
                        .delete_base_path_mapping()
                        .domain_name(domain)
                        .base_path(base_path)
                        .send()
                        .await;
                    classify(result, &format!("deleting {label}"))
                },
                || async {
                    let result = rest
                        .get_base_path_mapping()
                        .domain_name(domain)
                        .base_path(base_path)
                        .send()
                        .await;
                    matches!(result, Err(ref e) if is_not_found(e))
                },
            )
            .await;
        spinner.finish_and_clear();
        outcome
    }

    async fn delete_api_mapping(&self, action: &Action) -> Outcome {
        let http = &self.clients.http;
        let once = &self.clients.http_once;
        let domain = detail(action, DETAIL_DOMAIN);
        let id = action.id.as_deref().unwrap_or_default();
        let label = format!("API mapping {}", action.name);
        let spinner = self.ctx.progress.spinner(&label);
        let outcome = self
            .persist(
                &label,
                &spinner,
                None,
                || async {
                    let result = once
                        .delete_api_mapping()
                        .domain_name(domain)
                        .api_mapping_id(id)
                        .send()
                        .await;
                    classify(result, &format!("deleting {label}"))
                },
                || async {
                    let result = http
                        .get_api_mapping()
                        .domain_name(domain)
                        .api_mapping_id(id)
                        .send()
                        .await;
                    matches!(result, Err(ref e) if is_not_found(e))
                },
            )
            .await;
        spinner.finish_and_clear();
        outcome
    }

    /// Removes the deleted APIs' stages from a usage plan (UpdateUsagePlan, op remove
    /// /apiStages), then deletes the plan when that was the plan. The current stages are read
    /// before each try, so a retry (or a re-run) only removes what is still there.
    async fn clear_usage_plan(&self, action: &Action) -> Outcome {
        let id = action.id.as_deref().unwrap_or_default();
        let label = format!("usage plan {}", action.name);
        let spinner = self.ctx.progress.spinner(&label);
        let outcome = self
            .clear_usage_plan_stages(action, id, &label, &spinner)
            .await;
        let outcome = match outcome {
            Some(outcome) => outcome,
            None if action.operation != Operation::Delete => Outcome::Updated,
            None => {
                let rest = &self.clients.rest;
                let once = &self.clients.rest_once;
                self.persist(
                    &label,
                    &spinner,
                    None,
                    || async {
                        let result = once.delete_usage_plan().usage_plan_id(id).send().await;
                        classify(result, &format!("deleting {label}"))
                    },
                    || async {
                        let result = rest.get_usage_plan().usage_plan_id(id).send().await;
                        matches!(result, Err(ref e) if is_not_found(e))
                    },
                )
                .await
            }
        };
        spinner.finish_and_clear();
        outcome
    }

    /// `Some(outcome)` when the story ends here (gone, failed), `None` when the stages are out.
    async fn clear_usage_plan_stages(
        &self,
        action: &Action,
        id: &str,
        label: &str,
        spinner: &ProgressBar,
    ) -> Option<Outcome> {
        let wanted = words(action, DETAIL_REMOVE_STAGES);
        let mut throttled = ThrottleWaits::new(self.options.max_rate_wait);
        let mut transient = Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(10),
            TRANSIENT_MAX_WAIT,
        );
        loop {
            let current = match self
                .clients
                .rest
                .get_usage_plan()
                .usage_plan_id(id)
                .send()
                .await
            {
                Ok(current) => current,
                Err(error) if is_not_found(&error) => {
                    return Some(match action.operation {
                        Operation::Delete => Outcome::Deleted,
                        _ => Outcome::AlreadyAbsent,
                    });
                }
                Err(error) => {
                    return Some(Outcome::failed(
                        &anyhow::Error::new(error).context(format!("reading {label}")),
                    ));
                }
            };
            let present: Vec<String> = current
                .api_stages()
                .iter()
                .map(|s| {
                    format!(
                        "{}:{}",
                        s.api_id().unwrap_or_default(),
                        s.stage().unwrap_or_default()
                    )
                })
                .filter(|s| wanted.contains(s.as_str()))
                .collect();
            if present.is_empty() {
                return None;
            }
            spinner.set_message(format!("{label}: removing stages {}", present.join(" ")));
            let operations: Vec<PatchOperation> = present
                .iter()
                .map(|stage| {
                    PatchOperation::builder()
                        .op(Op::Remove)
                        .path("/apiStages")
                        .value(stage)
                        .build()
                })
                .collect();
            let result = self
                .clients
                .rest_once
                .update_usage_plan()
                .usage_plan_id(id)
                .set_patch_operations(Some(operations))
                .send()
                .await;
            let wait = match classify(
                result,
                &format!("removing stages {} from {label}", present.join(" ")),
            ) {
                Attempt::Done => return None,
                Attempt::NotFound => {
                    return Some(match action.operation {
                        Operation::Delete => Outcome::Deleted,
                        _ => Outcome::AlreadyAbsent,
                    });
                }
                Attempt::Failed(error) => return Some(Outcome::failed(&error)),
                Attempt::Throttled(retry_after) => throttled.next(retry_after.as_deref()),
                // Read again: the update may have happened.
                Attempt::Transient(_) => transient.next_delay(),
            };
            let Some(wait) = wait else {
                return Some(Outcome::Failed {
                    error: format!(
                        "{label}: could not remove stages {}; run again",
                        present.join(" ")
                    ),
                });
            };
            if !pause(wait, self.ctx).await {
                return Some(interrupted());
            }
        }
    }

    async fn delete_api_key(&self, action: &Action) -> Outcome {
        let rest = &self.clients.rest;
        let once = &self.clients.rest_once;
        let id = action.id.as_deref().unwrap_or_default();
        let label = format!("API key {}", action.name);
        let spinner = self.ctx.progress.spinner(&label);
        let outcome = self
            .persist(
                &label,
                &spinner,
                None,
                || async {
                    let result = once.delete_api_key().api_key(id).send().await;
                    classify(result, &format!("deleting {label}"))
                },
                || async {
                    let result = rest.get_api_key().api_key(id).send().await;
                    matches!(result, Err(ref e) if is_not_found(e))
                },
            )
            .await;
        spinner.finish_and_clear();
        outcome
    }

    /// Deletes one REST API, paced (see `pacing`): the waits show on the progress line.
    async fn delete_rest_api(&self, action: &Action, pacer: &mut Pacer) -> Outcome {
        let rest = &self.clients.rest;
        let once = &self.clients.rest_once;
        let id = action.id.as_deref().unwrap_or_default();
        let label = format!("REST API {} ({id})", action.name);
        let spinner = self.ctx.progress.spinner(&label);
        let outcome = self
            .persist(
                &label,
                &spinner,
                Some(pacer),
                || async {
                    let result = once.delete_rest_api().rest_api_id(id).send().await;
                    classify(result, &format!("deleting {label}"))
                },
                || async {
                    let result = rest.get_rest_api().rest_api_id(id).send().await;
                    matches!(result, Err(ref e) if is_not_found(e))
                },
            )
            .await;
        spinner.finish_and_clear();
        outcome
    }

    /// v2 DeleteApi has no 30-second limit; otherwise the same care as for REST APIs.
    async fn delete_http_api(&self, action: &Action) -> Outcome {
        let http = &self.clients.http;
        let once = &self.clients.http_once;
        let id = action.id.as_deref().unwrap_or_default();
        let label = format!("API {} ({id})", action.name);
        let spinner = self.ctx.progress.spinner(&label);
        let outcome = self
            .persist(
                &label,
                &spinner,
                None,
                || async {
                    let result = once.delete_api().api_id(id).send().await;
                    classify(result, &format!("deleting {label}"))
                },
                || async {
                    let result = http.get_api().api_id(id).send().await;
                    matches!(result, Err(ref e) if is_not_found(e))
                },
            )
            .await;
        spinner.finish_and_clear();
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::Action;

    fn action(
        kind: &str,
        name: &str,
        details: &[(&str, &str)],
        outcome: Option<Outcome>,
    ) -> Action {
        let mut action = Action::new(kind, name, Operation::Delete);
        for (k, v) in details {
            action = action.detail(k, v);
        }
        action.outcome = outcome;
        action
    }

    #[test]
    fn an_api_waits_for_what_points_to_it() {
        let mut plan = Plan::default();
        plan.push(action(
            BASE_PATH_MAPPING,
            "api.example.com/(none)",
            &[(DETAIL_API_ID, "a1")],
            Some(Outcome::Failed { error: "x".into() }),
        ));
        plan.push(action(
            USAGE_PLAN,
            "basic",
            &[(DETAIL_REMOVE_STAGES, "a2:prod b9:prod")],
            Some(Outcome::Failed { error: "x".into() }),
        ));
        plan.push(action(
            USAGE_PLAN,
            "gold",
            &[(DETAIL_REMOVE_STAGES, "a3:prod")],
            Some(Outcome::Updated),
        ));
        let api = |id: &str| Action::new(REST_API, "easyshop-api", Operation::Delete).with_id(id);
        assert!(
            blockers(&plan, &api("a1"))
                .unwrap()
                .contains("base path mapping")
        );
        assert!(
            blockers(&plan, &api("a2"))
                .unwrap()
                .contains("usage plan basic")
        );
        assert_eq!(blockers(&plan, &api("a3")), None);
        // "a" is a prefix of every id above, not one of them.
        assert_eq!(blockers(&plan, &api("a")), None);
    }
}
