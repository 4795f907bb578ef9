//! Carrying out the plan: event source mappings first (each waited until gone), then the
//! functions (all versions and aliases go with them), then the log groups of the functions
//! that are gone.

use std::collections::HashSet;
use std::time::Duration;

use std::future::Future;

use aws_sdk_lambda::config::http::HttpResponse;
use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::operation::delete_function::DeleteFunctionError;
use common::backoff::Backoff;
use common::{Action, ApplyContext, Outcome, Plan};
use futures::StreamExt;
use indicatif::ProgressBar;

use crate::{
    Clients, DETAIL_FUNCTION, DETAIL_STATE, DETAIL_USED_BY, EVENT_SOURCE_MAPPING, FUNCTION,
    LOG_GROUP,
};

/// Deletions in flight at once. Lambda's control-plane limits (15 requests per second for most
/// APIs) are far above this.
const IN_FLIGHT: usize = 5;

/// Longest wait for a mapping to disappear after DeleteEventSourceMapping: it reads `Deleting`
/// for seconds to a few minutes in real AWS.
const MAPPING_MAX_WAIT: Duration = Duration::from_secs(5 * 60);

/// How long to keep retrying while Lambda answers ResourceConflictException (an update in
/// progress) or ResourceInUseException, neither of which the SDK retries (AWS-NOTES.md,
/// "Retries"). Updates finish in seconds; past this the resource is reported as failed.
const CONFLICT_MAX_WAIT: Duration = Duration::from_secs(3 * 60);

pub(crate) async fn apply(clients: &Clients, plan: &mut Plan, ctx: &ApplyContext) {
    // 1. Event source mappings, all at once.
    let mappings = to_do(plan, EVENT_SOURCE_MAPPING);
    let outcomes: Vec<(usize, Outcome)> = futures::stream::iter(mappings)
        .map(|(i, action)| async move {
            let deleting = action
                .details
                .get(DETAIL_STATE)
                .is_some_and(|s| s == "Deleting");
            (
                i,
                delete_mapping(clients, &action.name, deleting, ctx).await,
            )
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    set_outcomes(plan, outcomes);
    if ctx.interrupt.is_raised() {
        return;
    }

    // 2. Functions whose mappings are all gone: a mapping left behind would outlive its function.
    let blocked: Vec<(String, String)> = plan
        .actions
        .iter()
        .filter(|a| a.kind == EVENT_SOURCE_MAPPING && !succeeded(a))
        .map(|a| {
            let function = a.details.get(DETAIL_FUNCTION).cloned().unwrap_or_default();
            (function, a.name.clone())
        })
        .collect();
    let functions = to_do(plan, FUNCTION);
    let outcomes: Vec<(usize, Outcome)> = futures::stream::iter(functions)
        .map(|(i, action)| {
            let blocked_by: Vec<&str> = blocked
                .iter()
                .filter(|(f, _)| *f == action.name)
                .map(|(_, uuid)| uuid.as_str())
                .collect();
            async move {
                if !blocked_by.is_empty() {
                    return (
                        i,
                        Outcome::skipped(format!(
                            "its event source mapping {} was not deleted, and would outlive the \
                             function: run again",
                            blocked_by.join(", ")
                        )),
                    );
                }
                (i, delete_function(clients, &action.name, ctx).await)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    set_outcomes(plan, outcomes);
    if ctx.interrupt.is_raised() {
        return;
    }

    // 3. Log groups of functions that are gone. A function that is still there (pending at the
    // edge, failed) would only write to a new log group, so its group is kept for the next run.
    let gone: HashSet<String> = plan
        .actions
        .iter()
        .filter(|a| a.kind == FUNCTION && succeeded(a))
        .map(|a| a.name.clone())
        .collect();
    for (i, action) in to_do(plan, LOG_GROUP) {
        if ctx.interrupt.is_raised() {
            return;
        }
        let used_by = action
            .details
            .get(DETAIL_USED_BY)
            .cloned()
            .unwrap_or_default();
        let remaining: Vec<&str> = used_by
            .split(", ")
            .filter(|f| !f.is_empty() && !gone.contains(*f))
            .collect();
        plan.actions[i].outcome = Some(if remaining.is_empty() {
            delete_log_group(clients, &action.name).await
        } else {
            Outcome::skipped(format!(
                "function {} was not deleted: its log group is kept until it is",
                remaining.join(", ")
            ))
        });
    }
}

fn to_do(plan: &Plan, kind: &str) -> Vec<(usize, Action)> {
    plan.actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == kind && a.is_to_do())
        .map(|(i, a)| (i, a.clone()))
        .collect()
}

fn set_outcomes(plan: &mut Plan, outcomes: Vec<(usize, Outcome)>) {
    for (i, outcome) in outcomes {
        plan.actions[i].outcome = Some(outcome);
    }
}

fn succeeded(action: &Action) -> bool {
    action.outcome.as_ref().is_some_and(Outcome::is_success)
}

/// Sleeps, or returns `false` at once if Ctrl-C comes first.
async fn pause(delay: Duration, ctx: &ApplyContext) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = ctx.interrupt.raised() => false,
    }
}

fn interrupted() -> Outcome {
    Outcome::skipped(
        "interrupted: a deletion already sent still completes in AWS; run again to check",
    )
}

/// Deletes one event source mapping and waits until Lambda no longer knows it.
async fn delete_mapping(
    clients: &Clients,
    uuid: &str,
    already_deleting: bool,
    ctx: &ApplyContext,
) -> Outcome {
    let spinner = ctx
        .progress
        .spinner(format!("event source mapping {uuid}: deleting"));
    let outcome = delete_mapping_and_wait(clients, uuid, already_deleting, ctx, &spinner).await;
    spinner.finish_and_clear();
    outcome
}

async fn delete_mapping_and_wait(
    clients: &Clients,
    uuid: &str,
    already_deleting: bool,
    ctx: &ApplyContext,
    spinner: &ProgressBar,
) -> Outcome {
    // An earlier run's deletion still in progress: asking again would only answer
    // ResourceInUseException. Wait for it instead.
    if !already_deleting
        && let Some(outcome) = request_mapping_deletion(clients, uuid, ctx, spinner).await
    {
        return outcome;
    }
    wait_until_mapping_gone(clients, uuid, ctx, spinner).await
}

/// Sends DeleteEventSourceMapping; `Some(outcome)` when that ends the story.
async fn request_mapping_deletion(
    clients: &Clients,
    uuid: &str,
    ctx: &ApplyContext,
    spinner: &ProgressBar,
) -> Option<Outcome> {
    let mut backoff = Backoff::new(
        Duration::from_secs(1),
        Duration::from_secs(15),
        CONFLICT_MAX_WAIT,
    );
    loop {
        match clients
            .lambda
            .delete_event_source_mapping()
            .uuid(uuid)
            .send()
            .await
        {
            Ok(_) => return None,
            // The plan saw it: gone now means our request (or one whose answer was lost) did it.
            // AWS answers 404 ResourceNotFoundException; the emulator a bare 404 without a code.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception())
                    || error
                        .raw_response()
                        .is_some_and(|r| r.status().as_u16() == 404) =>
            {
                return Some(Outcome::Deleted);
            }
            // Creating, Enabling, Updating or already Deleting: not retried by the SDK.
            Err(error)
                if error.as_service_error().is_some_and(|e| {
                    e.is_resource_in_use_exception() || e.is_resource_conflict_exception()
                }) =>
            {
                let Some(delay) = backoff.next_delay() else {
                    return Some(Outcome::failed(&anyhow::Error::new(error).context(
                        format!(
                            "event source mapping {uuid} stayed in use for {}",
                            secs(backoff.budget())
                        ),
                    )));
                };
                spinner.set_message(format!(
                    "event source mapping {uuid}: in use ({}), retrying in {}",
                    error.code().unwrap_or("conflict"),
                    secs(delay)
                ));
                if !pause(delay, ctx).await {
                    return Some(interrupted());
                }
            }
            Err(error) => {
                return Some(Outcome::failed(
                    &anyhow::Error::new(error)
                        .context(format!("deleting event source mapping {uuid}")),
                ));
            }
        }
    }
}

async fn wait_until_mapping_gone(
    clients: &Clients,
    uuid: &str,
    ctx: &ApplyContext,
    spinner: &ProgressBar,
) -> Outcome {
    // Lambda has no waiter for mappings: poll GetEventSourceMapping until it is not found.
    spinner.set_message(format!(
        "event source mapping {uuid}: waiting until it is gone"
    ));
    let mut polls = Backoff::new(
        Duration::from_millis(500),
        Duration::from_secs(10),
        MAPPING_MAX_WAIT,
    );
    loop {
        match clients
            .lambda
            .get_event_source_mapping()
            .uuid(uuid)
            .send()
            .await
        {
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Outcome::Deleted;
            }
            Err(error) => {
                return Outcome::failed(&anyhow::Error::new(error).context(format!(
                    "waiting for event source mapping {uuid} to be deleted"
                )));
            }
            Ok(mapping) => {
                let state = mapping.state().unwrap_or("unknown").to_string();
                let Some(delay) = polls.next_delay() else {
                    return Outcome::pending(format!(
                        "deletion started but the mapping still reads {state} after {}; run again \
                         to check",
                        secs(MAPPING_MAX_WAIT)
                    ));
                };
                if !pause(delay, ctx).await {
                    return interrupted();
                }
            }
        }
    }
}

/// Deletes a function with all its versions and aliases.
async fn delete_function(clients: &Clients, name: &str, ctx: &ApplyContext) -> Outcome {
    let spinner = ctx.progress.spinner(format!("function {name}: deleting"));
    let outcome = delete_function_retrying(clients, name, ctx, &spinner).await;
    spinner.finish_and_clear();
    outcome
}

async fn delete_function_retrying(
    clients: &Clients,
    name: &str,
    ctx: &ApplyContext,
    spinner: &ProgressBar,
) -> Outcome {
    let backoff = Backoff::new(
        Duration::from_secs(1),
        Duration::from_secs(20),
        CONFLICT_MAX_WAIT,
    );
    retry_conflicts(name, ctx, spinner, backoff, || {
        clients.lambda.delete_function().function_name(name).send()
    })
    .await
}

/// Sends DeleteFunction until it is done, waiting while Lambda answers
/// ResourceConflictException (an update in progress), within the backoff's budget.
async fn retry_conflicts<T, F, Fut>(
    name: &str,
    ctx: &ApplyContext,
    spinner: &ProgressBar,
    mut backoff: Backoff,
    mut send: F,
) -> Outcome
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<DeleteFunctionError, HttpResponse>>>,
{
    loop {
        let error = match send().await {
            Ok(_) => return Outcome::Deleted,
            Err(error) => error,
        };
        let Some(service) = error.as_service_error() else {
            return Outcome::failed(
                &anyhow::Error::new(error).context(format!("deleting function {name}")),
            );
        };
        if service.is_resource_not_found_exception() {
            // The plan saw it: our request (or an earlier one whose answer was lost) deleted it.
            return Outcome::Deleted;
        }
        let invalid_parameter = match service {
            DeleteFunctionError::InvalidParameterValueException(e) => Some(e),
            _ => None,
        };
        if is_replicated_function(
            invalid_parameter.is_some(),
            invalid_parameter
                .and_then(|e| e.message())
                .or(service.message()),
        ) {
            return Outcome::pending(EDGE_PENDING);
        }
        if service.is_resource_conflict_exception() {
            let Some(delay) = backoff.next_delay() else {
                return Outcome::failed(&anyhow::Error::new(error).context(format!(
                    "function {name} was still being updated (ResourceConflictException) after {}; \
                     run again",
                    secs(backoff.budget())
                )));
            };
            tracing::info!(
                "function {name}: an update is in progress (ResourceConflictException): retrying in {}",
                secs(delay)
            );
            spinner.set_message(format!(
                "function {name}: update in progress, retrying in {}",
                secs(delay)
            ));
            if !pause(delay, ctx).await {
                return interrupted();
            }
            continue;
        }
        return Outcome::failed(
            &anyhow::Error::new(error).context(format!("deleting function {name}")),
        );
    }
}

/// What a Lambda@Edge function that CloudFront still replicates gets: AWS refuses with
/// InvalidParameterValueException "... because it is a replicated function" (AWS-NOTES.md).
const EDGE_PENDING: &str = "Lambda@Edge: AWS refuses to delete a replicated function until \
    CloudFront has removed its replicas, which happens hours after the function is no longer \
    associated with a distribution (step 6 deletes the distribution); run this step again then";

fn is_replicated_function(invalid_parameter: bool, message: Option<&str>) -> bool {
    invalid_parameter && message.is_some_and(|m| m.contains("replicated function"))
}

async fn delete_log_group(clients: &Clients, name: &str) -> Outcome {
    match clients
        .logs
        .delete_log_group()
        .log_group_name(name)
        .send()
        .await
    {
        Ok(_) => Outcome::Deleted,
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            // Listed a moment ago: if it is gone now, our request (or a retry of it) did it.
            Outcome::Deleted
        }
        Err(error) => Outcome::failed(
            &anyhow::Error::new(error).context(format!("deleting log group {name}")),
        ),
    }
}

fn secs(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 10.0 && duration.subsec_millis() != 0 {
        format!("{secs:.1} s")
    } else {
        format!("{} s", duration.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    use aws_sdk_lambda::types::error::{
        InvalidParameterValueException, ResourceConflictException, ResourceNotFoundException,
    };
    use aws_smithy_types::body::SdkBody;
    use common::{Interrupt, Progress};

    fn answer(
        status: u16,
        error: DeleteFunctionError,
    ) -> SdkError<DeleteFunctionError, HttpResponse> {
        let raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        SdkError::service_error(error, raw)
    }

    fn conflict() -> SdkError<DeleteFunctionError, HttpResponse> {
        answer(
            409,
            DeleteFunctionError::ResourceConflictException(
                ResourceConflictException::builder()
                    .message("An update is in progress for resource: f")
                    .build(),
            ),
        )
    }

    fn ctx() -> ApplyContext {
        ApplyContext {
            progress: Progress::new(false),
            interrupt: Interrupt::default(),
        }
    }

    fn quick() -> Backoff {
        Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(4),
            Duration::from_millis(20),
        )
    }

    /// Runs `retry_conflicts` over a scripted series of answers (`None`: success); returns the
    /// outcome and the number of requests sent.
    async fn run(
        answers: Vec<Option<SdkError<DeleteFunctionError, HttpResponse>>>,
    ) -> (Outcome, u32) {
        let sent = AtomicU32::new(0);
        let answers = std::sync::Mutex::new(answers.into_iter());
        let outcome = retry_conflicts("f", &ctx(), &ProgressBar::hidden(), quick(), || {
            sent.fetch_add(1, Ordering::SeqCst);
            let next = answers.lock().unwrap().next();
            async move {
                match next {
                    Some(Some(error)) => Err(error),
                    Some(None) => Ok(()),
                    None => Err(conflict()),
                }
            }
        })
        .await;
        (outcome, sent.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn an_update_in_progress_is_waited_out() {
        let (outcome, sent) = run(vec![Some(conflict()), Some(conflict()), None]).await;
        assert_eq!(outcome, Outcome::Deleted);
        assert_eq!(sent, 3);
    }

    #[tokio::test]
    async fn an_update_that_never_ends_fails_within_the_bound() {
        let (outcome, sent) = run(vec![]).await;
        let Outcome::Failed { error } = outcome else {
            panic!("{outcome:?}");
        };
        assert!(
            error.contains("ResourceConflictException") && error.contains("run again"),
            "{error}"
        );
        assert!(sent < 20, "{sent} requests");
    }

    #[tokio::test]
    async fn a_replicated_function_is_pending() {
        let refusal = answer(
            400,
            DeleteFunctionError::InvalidParameterValueException(
                InvalidParameterValueException::builder()
                    .message(
                        "Lambda was unable to delete arn:aws:lambda:us-east-1:1:function:f:1 \
                         because it is a replicated function.",
                    )
                    .build(),
            ),
        );
        let (outcome, sent) = run(vec![Some(refusal)]).await;
        assert!(matches!(outcome, Outcome::Pending { .. }), "{outcome:?}");
        assert_eq!(sent, 1);
    }

    #[tokio::test]
    async fn not_found_after_a_lost_answer_is_deleted() {
        let gone = answer(
            404,
            DeleteFunctionError::ResourceNotFoundException(
                ResourceNotFoundException::builder().build(),
            ),
        );
        let (outcome, _) = run(vec![Some(conflict()), Some(gone)]).await;
        assert_eq!(outcome, Outcome::Deleted);
    }

    #[test]
    fn replicated_function_refusals_are_recognised() {
        let message = "Lambda was unable to delete arn:aws:lambda:us-east-1:123456789012:function:f:1 \
                       because it is a replicated function. Please see our documentation for \
                       Deleting Lambda@Edge Functions and Replicas.";
        assert!(is_replicated_function(true, Some(message)));
        assert!(!is_replicated_function(true, Some("Invalid memory size")));
        assert!(!is_replicated_function(false, Some(message)));
    }

    #[test]
    fn seconds_are_short() {
        assert_eq!(secs(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(secs(Duration::from_secs(30)), "30 s");
    }
}
