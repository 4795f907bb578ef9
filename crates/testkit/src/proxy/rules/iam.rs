//! IAM: what AWS refuses, or reports, that moto does not (AWS-NOTES.md, "IAM").
//!
//! - `iam-delete-conflict`: DeletePolicy needs a policy attached nowhere (not even as a
//!   permissions boundary) with no versions but the default; moto deletes it anyway. The proxy
//!   asks moto (GetPolicy, ListPolicyVersions) and the boundary memory (`iam_boundary`).
//! - `iam-eventual-consistency`: right after a detach, IAM may still see the attachment. For
//!   [`ProxyConfig::iam_consistency_window`](crate::proxy::ProxyConfig::iam_consistency_window)
//!   after a successful DetachRolePolicy, DeleteRolePolicy or RemoveRoleFromInstanceProfile,
//!   DeleteRole of that role answers 409 `DeleteConflict`; after a DetachRolePolicy,
//!   DetachUserPolicy, DetachGroupPolicy or DeletePolicyVersion, DeletePolicy of that policy
//!   does. Per proxy: the window is this proxy's setting.
//! - `iam-service-linked-role`: DeleteRole of a role under `/aws-service-role/` answers 400
//!   `UnmodifiableEntity` (moto deletes it): only DeleteServiceLinkedRole works. moto serves
//!   DeleteServiceLinkedRole and GetServiceLinkedRoleDeletionStatus, but its task reads
//!   `SUCCEEDED` at once; the proxy makes the first status read of each task it saw started
//!   read `IN_PROGRESS`, as AWS's asynchronous task does, so a tool that does not poll fails.
//! - `iam-entities-boundary`: see `iam_boundary` (it also serves the user boundary operations
//!   moto lacks).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use http::{Method, StatusCode};

use super::{Exchange, Verdict, iam_boundary};
use crate::proxy::config::Rule;
use crate::proxy::server::{Answer, State, lock};
use crate::proxy::{shape, xml};

/// The path every service-linked role has.
const SERVICE_LINKED_PATH: &str = "/aws-service-role/";

const MUST_DETACH: &str = "Cannot delete entity, must detach all policies first.";
const MUST_DELETE_INLINE: &str = "Cannot delete entity, must delete policies first.";
const MUST_LEAVE_PROFILES: &str =
    "Cannot delete entity, must remove roles from instance profile first.";
const POLICY_ATTACHED: &str = "Cannot delete a policy attached to entities.";
const POLICY_VERSIONS: &str = "This policy has more than one version. Before you delete a policy, \
                               you must delete the policy's versions. The default version is \
                               deleted with the policy.";

/// Per-proxy state of the eventual-consistency and service-linked-role rules.
#[derive(Default)]
pub(crate) struct Tracker {
    /// Role name -> until when DeleteRole is refused, and the message.
    roles: HashMap<String, (Instant, &'static str)>,
    /// Policy ARN -> until when DeletePolicy is refused, and the message.
    policies: HashMap<String, (Instant, &'static str)>,
    /// Service-linked role deletion tasks started through this proxy, not yet polled.
    fresh_tasks: HashSet<String>,
}

fn settling(windows: &HashMap<String, (Instant, &'static str)>, key: &str) -> Option<&'static str> {
    windows
        .get(key)
        .filter(|(until, _)| Instant::now() < *until)
        .map(|(_, message)| *message)
}

/// The request's form fields (the body; the query string for GET-style query calls).
pub(crate) fn form(ex: &Exchange<'_>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(ex.body).into_owned().collect();
    if let Some(query) = ex.parts.uri.query() {
        pairs.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
    }
    pairs
}

/// One form field of the request.
pub(crate) fn param(ex: &Exchange<'_>, key: &str) -> Option<String> {
    form(ex).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    match ex.call.operation.as_str() {
        "DeleteRole" => delete_role(state, ex).await,
        "DeletePolicy" => delete_policy(state, ex).await,
        "ListEntitiesForPolicy"
        | "GetPolicy"
        | "PutUserPermissionsBoundary"
        | "DeleteUserPermissionsBoundary" => iam_boundary::before(state, ex).await,
        _ => Verdict::Forward,
    }
}

async fn delete_role(state: &State, ex: &Exchange<'_>) -> Verdict {
    let Some(role) = param(ex, "RoleName") else {
        return Verdict::Forward;
    };
    if state.config.is_enabled(Rule::IamEventualConsistency)
        && let Some(message) = settling(&lock(&state.rules.iam).roles, &role)
    {
        return conflict(ex, message, Rule::IamEventualConsistency);
    }
    if state.config.is_enabled(Rule::IamServiceLinkedRole)
        && let Some(found) = query(state, ex, &[("Action", "GetRole"), ("RoleName", &role)]).await
        && found.is_success()
        && xml::text_at(found.body_str(), "GetRoleResponse/GetRoleResult/Role/Path")
            .is_some_and(|path| path.starts_with(SERVICE_LINKED_PATH))
    {
        return Verdict::Respond(
            shape::error(
                ex.call,
                StatusCode::BAD_REQUEST,
                "UnmodifiableEntity",
                &format!(
                    "Cannot perform the operation on the protected role '{role}' - this role is \
                     only modifiable by AWS"
                ),
            ),
            Rule::IamServiceLinkedRole,
        );
    }
    Verdict::Forward
}

async fn delete_policy(state: &State, ex: &Exchange<'_>) -> Verdict {
    let Some(arn) = param(ex, "PolicyArn") else {
        return Verdict::Forward;
    };
    if state.config.is_enabled(Rule::IamEventualConsistency)
        && let Some(message) = settling(&lock(&state.rules.iam).policies, &arn)
    {
        return conflict(ex, message, Rule::IamEventualConsistency);
    }
    if !state.config.is_enabled(Rule::IamDeleteConflict) {
        return Verdict::Forward;
    }
    let policy_query = [("Action", "GetPolicy"), ("PolicyArn", arn.as_str())];
    if let Some(policy) = query(state, ex, &policy_query).await
        && policy.is_success()
    {
        let count = |name: &str| {
            let path = format!("GetPolicyResponse/GetPolicyResult/Policy/{name}");
            xml::text_at(policy.body_str(), &path)
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0)
        };
        // moto does not count boundary uses: the boundary memory does.
        let boundaries = iam_boundary::confirmed(state, ex, &arn).await.len();
        if count("AttachmentCount") + boundaries > 0 {
            return conflict(ex, POLICY_ATTACHED, Rule::IamDeleteConflict);
        }
    }
    let versions_query = [
        ("Action", "ListPolicyVersions"),
        ("PolicyArn", arn.as_str()),
    ];
    if let Some(versions) = query(state, ex, &versions_query).await
        && versions.is_success()
    {
        let path =
            "ListPolicyVersionsResponse/ListPolicyVersionsResult/Versions/member/IsDefaultVersion";
        if xml::texts_at(versions.body_str(), path)
            .iter()
            .any(|default| default == "false")
        {
            return conflict(ex, POLICY_VERSIONS, Rule::IamDeleteConflict);
        }
    }
    Verdict::Forward
}

fn conflict(ex: &Exchange<'_>, message: &str, rule: Rule) -> Verdict {
    Verdict::Respond(
        shape::error(ex.call, StatusCode::CONFLICT, "DeleteConflict", message),
        rule,
    )
}

/// moto's answer to a query-protocol call of the proxy's own (`None`: moto did not answer).
pub(crate) async fn query(
    state: &State,
    ex: &Exchange<'_>,
    fields: &[(&str, &str)],
) -> Option<Answer> {
    let body = {
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.append_pair("Version", "2010-05-08");
        for (key, value) in fields {
            body.append_pair(key, value);
        }
        body.finish()
    };
    state
        .call_upstream(
            Method::POST,
            "/",
            &ex.parts.headers,
            &[(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            body,
        )
        .await
        .ok()
}

/// Sees moto's answer: starts the consistency windows, remembers boundaries and deletion
/// tasks, and makes a fresh deletion task read `IN_PROGRESS` once.
pub(crate) fn after(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    if !answer.is_success() {
        return None;
    }
    let boundary_rule = iam_boundary::after(state, ex, answer);
    let operation = ex.call.operation.as_str();
    let consistency = state.config.is_enabled(Rule::IamEventualConsistency)
        && !state.config.timings.iam_consistency.is_zero();
    let until = Instant::now() + state.config.timings.iam_consistency;
    let mut tracker = lock(&state.rules.iam);
    let settle_role = |tracker: &mut Tracker, message| {
        if let Some(role) = param(ex, "RoleName") {
            tracker.roles.insert(role, (until, message));
        }
    };
    match operation {
        "DetachRolePolicy" | "DeleteRolePolicy" | "RemoveRoleFromInstanceProfile"
            if consistency =>
        {
            let message = match operation {
                "DetachRolePolicy" => MUST_DETACH,
                "DeleteRolePolicy" => MUST_DELETE_INLINE,
                _ => MUST_LEAVE_PROFILES,
            };
            settle_role(&mut tracker, message);
            if operation == "DetachRolePolicy"
                && let Some(arn) = param(ex, "PolicyArn")
            {
                tracker.policies.insert(arn, (until, POLICY_ATTACHED));
            }
        }
        "DetachUserPolicy" | "DetachGroupPolicy" | "DeletePolicyVersion" if consistency => {
            let message = if operation == "DeletePolicyVersion" {
                POLICY_VERSIONS
            } else {
                POLICY_ATTACHED
            };
            if let Some(arn) = param(ex, "PolicyArn") {
                tracker.policies.insert(arn, (until, message));
            }
        }
        "DeleteRole" => {
            if let Some(role) = param(ex, "RoleName") {
                tracker.roles.remove(&role);
            }
        }
        "DeletePolicy" => {
            if let Some(arn) = param(ex, "PolicyArn") {
                tracker.policies.remove(&arn);
            }
        }
        "DeleteServiceLinkedRole" if state.config.is_enabled(Rule::IamServiceLinkedRole) => {
            let path =
                "DeleteServiceLinkedRoleResponse/DeleteServiceLinkedRoleResult/DeletionTaskId";
            if let Some(task) = xml::text_at(answer.body_str(), path) {
                tracker.fresh_tasks.insert(task);
            }
        }
        "GetServiceLinkedRoleDeletionStatus"
            if state.config.is_enabled(Rule::IamServiceLinkedRole) =>
        {
            let fresh = param(ex, "DeletionTaskId").is_some_and(|t| tracker.fresh_tasks.remove(&t));
            if fresh {
                let path = "GetServiceLinkedRoleDeletionStatusResponse/GetServiceLinkedRoleDeletionStatusResult/Status";
                let body = answer.body_str();
                if let Some(leaf) = xml::leaves(body).into_iter().find(|l| l.path == path) {
                    let rewritten =
                        xml::replace(body, vec![(leaf.range, "IN_PROGRESS".to_owned())]);
                    answer.set_body(rewritten);
                    return Some(Rule::IamServiceLinkedRole);
                }
            }
        }
        _ => {}
    }
    boundary_rule
}
