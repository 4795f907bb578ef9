//! Carrying out the plan: the roles (a few at a time), each preceded by what DeleteRole needs
//! gone, and the instance profiles made with them; then the policies.
//!
//! Each role's state is read afresh rather than taken from the plan: whatever was attached
//! since the plan was shown is detached too (but not deleted).

use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::DeletionTaskStatusType;
use common::backoff::Backoff;
use common::{ApplyContext, Outcome, Plan};
use futures::StreamExt;

use crate::caller::Caller;
use crate::discover::{
    BY_POLICY_FLAG, Entity, SELECTED_BY, SERVICE_LINKED_PATH, Usage, attached_policies, get_policy,
    get_role, inline_policies, instance_profiles, is_caller, is_service_linked, policy_usage,
};
use crate::{INSTANCE_PROFILE, POLICY, ROLE};

/// Roles deleted at once. IAM's control plane is throttled per account; each role takes
/// several calls.
const ROLES_IN_FLIGHT: usize = 4;

/// Retries of DeleteRole / DeletePolicy while IAM answers DeleteConflict, which the SDK does
/// not retry: right after a detach, IAM (eventually consistent) may still see the attachment
/// for a moment. 1, 2, 4 and 8 seconds apart, then the conflict is reported.
fn conflict_backoff() -> Backoff {
    Backoff::new(
        Duration::from_secs(1),
        Duration::from_secs(8),
        Duration::from_secs(15),
    )
}

/// Polls of a service-linked role's deletion task: AWS finishes most in seconds, so the first
/// polls come quickly; a task still running after five minutes is reported as pending.
fn service_linked_backoff() -> Backoff {
    Backoff::new(
        Duration::from_secs(1),
        Duration::from_secs(10),
        Duration::from_secs(300),
    )
}

pub(crate) async fn apply(client: &Client, caller: &Caller, plan: &mut Plan, ctx: &ApplyContext) {
    let roles: Vec<(usize, String, bool)> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == ROLE && a.is_to_do())
        .map(|(i, a)| {
            let service_linked = a
                .details
                .get("path")
                .is_some_and(|p| p.starts_with(SERVICE_LINKED_PATH));
            (i, a.name.clone(), service_linked)
        })
        .collect();
    let profiles: Vec<(String, String)> = plan
        .actions
        .iter()
        .filter(|a| a.kind == INSTANCE_PROFILE && a.is_to_do())
        .map(|a| {
            let role = a.details.get("role").cloned().unwrap_or_default();
            (role, a.name.clone())
        })
        .collect();

    let results: Vec<(usize, RoleDone)> = futures::stream::iter(roles)
        .map(|(i, name, service_linked)| {
            let own_profiles: Vec<String> = profiles
                .iter()
                .filter(|(role, _)| *role == name)
                .map(|(_, profile)| profile.clone())
                .collect();
            async move {
                let spinner = ctx.progress.spinner(format!("role {name}: deleting"));
                let result = tokio::select! {
                    result = delete_role(client, caller, &name, service_linked, &own_profiles) => result,
                    () = ctx.interrupt.raised() => RoleDone::only(Outcome::skipped(
                        "interrupted: a request already sent may still complete in AWS; run again to check",
                    )),
                };
                spinner.finish_and_clear();
                (i, result)
            }
        })
        .buffer_unordered(ROLES_IN_FLIGHT)
        .collect()
        .await;
    for (i, done) in results {
        plan.actions[i].outcome = Some(done.outcome);
        for (profile, outcome) in done.profiles {
            if let Some(action) = plan
                .actions
                .iter_mut()
                .find(|a| a.kind == INSTANCE_PROFILE && a.name == profile)
            {
                action.outcome = Some(outcome);
            }
        }
    }
    if ctx.interrupt.is_raised() {
        return;
    }
    // Profiles whose role was not reached (its deletion failed before them).
    for action in plan
        .actions
        .iter_mut()
        .filter(|a| a.kind == INSTANCE_PROFILE && a.is_to_do())
    {
        let role = action.details.get("role").cloned().unwrap_or_default();
        action.outcome = Some(Outcome::skipped(format!(
            "its role {role} could not be removed from it"
        )));
    }

    let deleted_roles: Vec<String> = plan
        .actions
        .iter()
        .filter(|a| a.kind == ROLE && a.outcome.as_ref().is_some_and(Outcome::is_success))
        .map(|a| a.name.clone())
        .collect();
    for i in 0..plan.actions.len() {
        if ctx.interrupt.is_raised() {
            return;
        }
        let action = &plan.actions[i];
        if action.kind != POLICY || !action.is_to_do() {
            continue;
        }
        let arn = action.id.clone().unwrap_or_default();
        let explicit = action.details.get(SELECTED_BY).map(String::as_str) == Some(BY_POLICY_FLAG);
        let spinner = ctx
            .progress
            .spinner(format!("policy {}: deleting", action.name));
        let outcome = tokio::select! {
            outcome = delete_policy(client, caller, &arn, explicit, &deleted_roles) => outcome,
            () = ctx.interrupt.raised() => Outcome::skipped(
                "interrupted: a request already sent may still complete in AWS; run again to check",
            ),
        };
        spinner.finish_and_clear();
        plan.actions[i].outcome = Some(outcome);
    }
}

/// A role's outcome, and those of the instance profiles made with it.
struct RoleDone {
    outcome: Outcome,
    profiles: Vec<(String, Outcome)>,
}

impl RoleDone {
    fn only(outcome: Outcome) -> RoleDone {
        RoleDone {
            outcome,
            profiles: Vec::new(),
        }
    }
}

/// Everything in AWS-NOTES.md's order: out of its instance profiles (deleting those made with
/// it), managed policies detached, inline policies deleted, then DeleteRole, retried briefly on
/// DeleteConflict. Returns the role's outcome and its profiles'.
async fn delete_role(
    client: &Client,
    caller: &Caller,
    name: &str,
    service_linked: bool,
    own_profiles: &[String],
) -> RoleDone {
    if caller.is_role(name) {
        return RoleDone::only(Outcome::skipped(
            "the running credentials belong to this role: rm-iam never deletes it",
        ));
    }
    let role = match get_role(client, name).await {
        Ok(Some(role)) => role,
        Ok(None) => {
            // An earlier run may have deleted the role and stopped before its profile.
            let mut profiles = Vec::new();
            for profile in own_profiles {
                profiles.push((
                    profile.clone(),
                    delete_profile_if_empty(client, profile).await,
                ));
            }
            return RoleDone {
                outcome: Outcome::AlreadyAbsent,
                profiles,
            };
        }
        Err(error) => return RoleDone::only(Outcome::failed(&error)),
    };
    if service_linked || is_service_linked(&role) {
        return RoleDone::only(delete_service_linked_role(client, name).await);
    }

    let mut profiles = Vec::new();
    let mut backoff = conflict_backoff();
    loop {
        if let Err(error) = detach_everything(client, name, own_profiles, &mut profiles).await {
            return RoleDone {
                outcome: Outcome::failed(&error),
                profiles,
            };
        }
        match client.delete_role().role_name(name).send().await {
            Ok(_) => {
                return RoleDone {
                    outcome: Outcome::Deleted,
                    profiles,
                };
            }
            // The plan saw it: gone now means our request (or a retry of it) deleted it.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                return RoleDone {
                    outcome: Outcome::Deleted,
                    profiles,
                };
            }
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_delete_conflict_exception()) =>
            {
                let Some(delay) = backoff.next_delay() else {
                    return RoleDone {
                        outcome: Outcome::failed(&anyhow::Error::new(error).context(format!(
                            "deleting role {name}: still DeleteConflict after {} seconds of retries",
                            backoff.budget().as_secs()
                        ))),
                        profiles,
                    };
                };
                tracing::info!(
                    "role {name}: DeleteConflict, retrying in {delay:?} (IAM is eventually consistent)"
                );
                tokio::time::sleep(delay).await;
            }
            Err(error) => {
                return RoleDone {
                    outcome: Outcome::failed(
                        &anyhow::Error::new(error).context(format!("deleting role {name}")),
                    ),
                    profiles,
                };
            }
        }
    }
}

/// Instance profiles, managed policies and inline policies, read afresh and removed. "Not
/// found" on any of them means it is already gone, which is what we want.
async fn detach_everything(
    client: &Client,
    role: &str,
    own_profiles: &[String],
    profile_outcomes: &mut Vec<(String, Outcome)>,
) -> anyhow::Result<()> {
    for profile in instance_profiles(client, role).await? {
        let profile_name = profile.instance_profile_name();
        let removed = client
            .remove_role_from_instance_profile()
            .instance_profile_name(profile_name)
            .role_name(role)
            .send()
            .await;
        if removed.is_err() && !still_holds(client, profile_name, role).await? {
            // Out already: the answer to an earlier attempt was lost on the way back.
            continue;
        }
        gone_is_fine(removed, || {
            format!("removing role {role} from instance profile {profile_name}")
        })?;
    }
    for profile in own_profiles {
        if !profile_outcomes.iter().any(|(p, _)| p == profile) {
            let outcome = delete_profile_if_empty(client, profile).await;
            profile_outcomes.push((profile.clone(), outcome));
        }
    }
    for policy in attached_policies(client, role).await? {
        let arn = policy.policy_arn().unwrap_or_default();
        gone_is_fine(
            client
                .detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await,
            || format!("detaching policy {arn} from role {role}"),
        )?;
    }
    for policy in inline_policies(client, role).await? {
        gone_is_fine(
            client
                .delete_role_policy()
                .role_name(role)
                .policy_name(&policy)
                .send()
                .await,
            || format!("deleting inline policy {policy} of role {role}"),
        )?;
    }
    Ok(())
}

/// Whether the instance profile (still) holds the role.
async fn still_holds(client: &Client, profile: &str, role: &str) -> anyhow::Result<bool> {
    match client
        .get_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
    {
        Ok(output) => Ok(output
            .instance_profile()
            .is_some_and(|p| p.roles().iter().any(|r| r.role_name() == role))),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            Ok(false)
        }
        Err(error) => {
            Err(anyhow::Error::new(error).context(format!("reading instance profile {profile}")))
        }
    }
}

/// Deletes an instance profile made with a role, once it holds no role.
async fn delete_profile_if_empty(client: &Client, name: &str) -> Outcome {
    match client
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
    {
        Ok(output) => {
            let held: Vec<&str> = output
                .instance_profile()
                .map(|p| p.roles().iter().map(|r| r.role_name()).collect())
                .unwrap_or_default();
            if !held.is_empty() {
                return Outcome::skipped(format!("it now holds role {}: kept", held.join(", ")));
            }
        }
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            return Outcome::AlreadyAbsent;
        }
        Err(error) => {
            return Outcome::failed(
                &anyhow::Error::new(error).context(format!("reading instance profile {name}")),
            );
        }
    }
    match client
        .delete_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
    {
        Ok(_) => Outcome::Deleted,
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            Outcome::Deleted
        }
        Err(error) => Outcome::failed(
            &anyhow::Error::new(error).context(format!("deleting instance profile {name}")),
        ),
    }
}

/// DeleteServiceLinkedRole starts a task; AWS deletes the role only if its service no longer
/// uses it. The task is polled (bounded) for its verdict.
async fn delete_service_linked_role(client: &Client, name: &str) -> Outcome {
    let task = match client
        .delete_service_linked_role()
        .role_name(name)
        .send()
        .await
    {
        Ok(output) => output.deletion_task_id().to_string(),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            return Outcome::Deleted;
        }
        Err(error) => {
            return Outcome::failed(
                &anyhow::Error::new(error).context(format!("deleting service-linked role {name}")),
            );
        }
    };
    let mut backoff = service_linked_backoff();
    loop {
        let status = match client
            .get_service_linked_role_deletion_status()
            .deletion_task_id(&task)
            .send()
            .await
        {
            Ok(status) => status,
            Err(error) => {
                return Outcome::failed(&anyhow::Error::new(error).context(format!(
                    "reading the deletion status of service-linked role {name}"
                )));
            }
        };
        match status.status() {
            DeletionTaskStatusType::Succeeded => return Outcome::Deleted,
            DeletionTaskStatusType::Failed => {
                let reason = status.reason();
                let why = reason.and_then(|r| r.reason()).unwrap_or("no reason given");
                let used_in: Vec<String> = reason
                    .map(|r| r.role_usage_list())
                    .unwrap_or_default()
                    .iter()
                    .map(|usage| {
                        format!(
                            "{}: {}",
                            usage.region().unwrap_or("?"),
                            usage.resources().join(", ")
                        )
                    })
                    .collect();
                let used_in = if used_in.is_empty() {
                    String::new()
                } else {
                    format!(" (still used by {})", used_in.join("; "))
                };
                return Outcome::Failed {
                    error: format!(
                        "AWS refused to delete service-linked role {name}: {why}{used_in}"
                    ),
                };
            }
            // NOT_STARTED, IN_PROGRESS: AWS is still at it.
            _ => {}
        }
        let Some(delay) = backoff.next_delay() else {
            return Outcome::pending(format!(
                "the deletion task {task} is still running after {} seconds; run again to check",
                backoff.budget().as_secs()
            ));
        };
        tokio::time::sleep(delay).await;
    }
}

/// A customer-managed policy: detached from everything (for `--policy`) or only deleted when
/// nothing but roles this run deleted use it (a role's policy), then its non-default versions,
/// then the policy (retried briefly on DeleteConflict).
async fn delete_policy(
    client: &Client,
    caller: &Caller,
    arn: &str,
    explicit: bool,
    deleted_roles: &[String],
) -> Outcome {
    match get_policy(client, arn).await {
        Ok(Some(_)) => {}
        Ok(None) => return Outcome::AlreadyAbsent,
        Err(error) => return Outcome::failed(&error),
    }
    let mut backoff = conflict_backoff();
    loop {
        let usage = match policy_usage(client, arn).await {
            Ok(usage) => usage,
            Err(error) => return Outcome::failed(&error),
        };
        if explicit {
            if let Some(own) = usage.all().find(|e| is_caller(caller, e)) {
                return Outcome::skipped(format!(
                    "used by {own}, which the running credentials belong to: not detached"
                ));
            }
            if let Err(error) = detach_policy_everywhere(client, arn, &usage).await {
                return Outcome::failed(&error);
            }
        } else {
            // IAM may still list a role deleted a moment ago: those do not count.
            let others: Vec<String> = usage
                .all()
                .filter(|e| !matches!(e, Entity::Role(role) if deleted_roles.contains(role)))
                .map(Entity::to_string)
                .collect();
            if !others.is_empty() {
                return Outcome::skipped(format!(
                    "still used by {}: kept (rm-iam --policy {arn} would detach it from them)",
                    others.join(", ")
                ));
            }
        }
        if let Err(error) = delete_old_versions(client, arn).await {
            return Outcome::failed(&error);
        }
        match client.delete_policy().policy_arn(arn).send().await {
            Ok(_) => return Outcome::Deleted,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                return Outcome::Deleted;
            }
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_delete_conflict_exception()) =>
            {
                let Some(delay) = backoff.next_delay() else {
                    return Outcome::failed(&anyhow::Error::new(error).context(format!(
                        "deleting policy {arn}: still DeleteConflict after {} seconds of retries",
                        backoff.budget().as_secs()
                    )));
                };
                tracing::info!(
                    "policy {arn}: DeleteConflict, retrying in {delay:?} (IAM is eventually consistent)"
                );
                tokio::time::sleep(delay).await;
            }
            Err(error) => {
                return Outcome::failed(
                    &anyhow::Error::new(error).context(format!("deleting policy {arn}")),
                );
            }
        }
    }
}

/// Detaches the policy from every role, user and group, and removes it where it is a
/// permissions boundary.
async fn detach_policy_everywhere(client: &Client, arn: &str, usage: &Usage) -> anyhow::Result<()> {
    for entity in &usage.attached {
        let what = || format!("detaching policy {arn} from {entity}");
        match entity {
            Entity::Role(name) => gone_is_fine(
                client
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await,
                what,
            )?,
            Entity::User(name) => gone_is_fine(
                client
                    .detach_user_policy()
                    .user_name(name)
                    .policy_arn(arn)
                    .send()
                    .await,
                what,
            )?,
            Entity::Group(name) => gone_is_fine(
                client
                    .detach_group_policy()
                    .group_name(name)
                    .policy_arn(arn)
                    .send()
                    .await,
                what,
            )?,
        }
    }
    for entity in &usage.boundary_of {
        let what = || format!("removing policy {arn} as the permissions boundary of {entity}");
        match entity {
            Entity::Role(name) => gone_is_fine(
                client
                    .delete_role_permissions_boundary()
                    .role_name(name)
                    .send()
                    .await,
                what,
            )?,
            Entity::User(name) => gone_is_fine(
                client
                    .delete_user_permissions_boundary()
                    .user_name(name)
                    .send()
                    .await,
                what,
            )?,
            Entity::Group(_) => {}
        }
    }
    Ok(())
}

/// A removal whose target is already gone (NoSuchEntity) has done its job: an earlier run, or
/// a retry after a lost answer, got there first.
fn gone_is_fine<T, E, R>(
    result: Result<T, SdkError<E, R>>,
    what: impl FnOnce() -> String,
) -> anyhow::Result<()>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.as_service_error().and_then(|e| e.code()) == Some("NoSuchEntity") => {
            Ok(())
        }
        Err(error) => Err(anyhow::Error::new(error).context(what())),
    }
}

/// DeletePolicy refuses while versions other than the default remain; the default goes with
/// the policy.
async fn delete_old_versions(client: &Client, arn: &str) -> anyhow::Result<()> {
    let mut old = Vec::new();
    let mut pages = client
        .list_policy_versions()
        .policy_arn(arn)
        .into_paginator()
        .items()
        .send();
    while let Some(version) = pages.next().await {
        let version = match version {
            Ok(version) => version,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                return Ok(());
            }
            Err(error) => {
                return Err(
                    anyhow::Error::new(error).context(format!("listing versions of policy {arn}"))
                );
            }
        };
        if !version.is_default_version()
            && let Some(id) = version.version_id()
        {
            old.push(id.to_string());
        }
    }
    for version in old {
        gone_is_fine(
            client
                .delete_policy_version()
                .policy_arn(arn)
                .version_id(&version)
                .send()
                .await,
            || format!("deleting version {version} of policy {arn}"),
        )?;
    }
    Ok(())
}
