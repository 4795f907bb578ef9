//! IAM permissions boundaries as AWS lists and counts them (`iam-entities-boundary`).
//!
//! moto ignores ListEntitiesForPolicy's `PolicyUsageFilter=PermissionsBoundary` (it answers the
//! policy's attachments instead) and leaves `PermissionsBoundaryUsageCount` out of GetPolicy, so
//! a tool that trusts them never sees that a policy is some principal's boundary. moto's GetRole
//! and GetUser do report boundaries, but nothing lists the principals of one boundary.
//!
//! The proxy remembers which role or user got which boundary from the requests it forwards
//! (CreateRole and CreateUser with `PermissionsBoundary`, PutRolePermissionsBoundary,
//! PutUserPermissionsBoundary; forgotten on DeleteRolePermissionsBoundary,
//! DeleteUserPermissionsBoundary, DeleteRole and DeleteUser), confirms each with moto's GetRole
//! or GetUser before using it (forgetting what moto no longer confirms), and answers
//! ListEntitiesForPolicy with the boundary filter itself and puts the count into GetPolicy.
//!
//! moto has no user boundaries at all (CreateUser ignores `PermissionsBoundary`,
//! Put/DeleteUserPermissionsBoundary answer 500): with the rule on, the proxy serves those two
//! operations from its memory and puts the boundary into GetUser's answer; a user is confirmed
//! by existing in moto.
//!
//! Like the CloudFront memory, this is kept per emulator for the whole process: a boundary set
//! through one proxy is known to every proxy in front of the same emulator. Boundaries set
//! directly in moto are unknown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use http::StatusCode;

use super::iam::{param, query};
use super::{Exchange, Verdict};
use crate::proxy::config::Rule;
use crate::proxy::server::{Answer, State, lock};
use crate::proxy::{shape, xml};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Role,
    User,
}

/// Principal -> the ARN of its permissions boundary.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    boundaries: HashMap<(Kind, String), String>,
}

/// The memory of the emulator at `upstream`, shared by every proxy of this process.
pub(crate) fn memory_for(upstream: &str) -> Arc<Mutex<Memory>> {
    static MEMORIES: OnceLock<Mutex<HashMap<String, Arc<Mutex<Memory>>>>> = OnceLock::new();
    let memories = MEMORIES.get_or_init(Mutex::default);
    Arc::clone(lock(memories).entry(upstream.to_owned()).or_default())
}

/// A principal moto confirms has the boundary.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    kind: Kind,
    name: String,
    id: String,
    path: String,
}

/// The principals whose boundary is `arn`, as remembered and confirmed by moto now.
pub(crate) async fn confirmed(state: &State, ex: &Exchange<'_>, arn: &str) -> Vec<Principal> {
    let mut candidates: Vec<(Kind, String)> = lock(&state.rules.iam_boundaries)
        .boundaries
        .iter()
        .filter(|(_, boundary)| *boundary == arn)
        .map(|(key, _)| key.clone())
        .collect();
    candidates.sort();
    let mut found = Vec::new();
    for (kind, name) in candidates {
        let (action, key, element) = match kind {
            Kind::Role => ("GetRole", "RoleName", "Role"),
            Kind::User => ("GetUser", "UserName", "User"),
        };
        let Some(answer) = query(state, ex, &[("Action", action), (key, &name)]).await else {
            // moto did not answer: neither confirmed nor forgotten.
            continue;
        };
        let at = |leaf: &str| {
            xml::text_at(
                answer.body_str(),
                &format!("{action}Response/{action}Result/{element}/{leaf}"),
            )
        };
        // moto keeps no user boundaries: a user's is the remembered one while the user exists.
        let boundary = match kind {
            Kind::Role => at("PermissionsBoundary/PermissionsBoundaryArn"),
            Kind::User => Some(arn.to_owned()),
        };
        if answer.is_success() && boundary.as_deref() == Some(arn) {
            found.push(Principal {
                kind,
                name,
                id: at(&format!("{element}Id")).unwrap_or_default(),
                path: at("Path").unwrap_or_else(|| "/".to_owned()),
            });
        } else if answer.is_success() || answer.status == StatusCode::NOT_FOUND {
            // Gone, or its boundary changed behind the proxy's back.
            let mut memory = lock(&state.rules.iam_boundaries);
            if memory
                .boundaries
                .get(&(kind, name.clone()))
                .map(String::as_str)
                == Some(arn)
            {
                memory.boundaries.remove(&(kind, name));
            }
        }
    }
    found
}

fn boundary_filter(ex: &Exchange<'_>) -> bool {
    param(ex, "PolicyUsageFilter").as_deref() == Some("PermissionsBoundary")
}

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    if !state.config.is_enabled(Rule::IamEntitiesBoundary) {
        return Verdict::Forward;
    }
    match ex.call.operation.as_str() {
        "PutUserPermissionsBoundary" | "DeleteUserPermissionsBoundary" => {
            return user_boundary(state, ex).await;
        }
        "ListEntitiesForPolicy" | "GetPolicy" => {}
        _ => return Verdict::Forward,
    }
    let Some(arn) = param(ex, "PolicyArn") else {
        return Verdict::Forward;
    };
    if ex.call.operation == "GetPolicy" {
        // Forget what moto no longer confirms, so that `after` counts true uses.
        let remembered = lock(&state.rules.iam_boundaries)
            .boundaries
            .values()
            .any(|b| *b == arn);
        if remembered {
            confirmed(state, ex, &arn).await;
        }
        return Verdict::Forward;
    }
    if !boundary_filter(ex) {
        return Verdict::Forward;
    }
    // AWS answers NoSuchEntity for an unknown policy (moto, an empty list).
    match query(state, ex, &[("Action", "GetPolicy"), ("PolicyArn", &arn)]).await {
        Some(policy) if policy.status == StatusCode::NOT_FOUND => {
            return Verdict::Respond(
                shape::error(
                    ex.call,
                    StatusCode::NOT_FOUND,
                    "NoSuchEntity",
                    &format!("Policy {arn} does not exist or is not attachable."),
                ),
                Rule::IamEntitiesBoundary,
            );
        }
        Some(policy) if policy.is_success() => {}
        _ => return Verdict::Forward,
    }
    let kinds: &[Kind] = match param(ex, "EntityFilter").as_deref() {
        None => &[Kind::Role, Kind::User],
        Some("Role") => &[Kind::Role],
        Some("User") => &[Kind::User],
        // Groups, and policies, cannot have a permissions boundary.
        Some(_) => &[],
    };
    let prefix = param(ex, "PathPrefix").unwrap_or_else(|| "/".to_owned());
    let principals: Vec<Principal> = confirmed(state, ex, &arn)
        .await
        .into_iter()
        .filter(|p| kinds.contains(&p.kind) && p.path.starts_with(&prefix))
        .collect();
    let members = |kind: Kind, name_tag: &str, id_tag: &str| -> String {
        principals
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| {
                format!(
                    "<member><{name_tag}>{}</{name_tag}><{id_tag}>{}</{id_tag}></member>",
                    xml::escape(&p.name),
                    xml::escape(&p.id)
                )
            })
            .collect()
    };
    let body = format!(
        "<ListEntitiesForPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <ListEntitiesForPolicyResult><PolicyGroups/>\
         <PolicyUsers>{}</PolicyUsers><PolicyRoles>{}</PolicyRoles>\
         <IsTruncated>false</IsTruncated></ListEntitiesForPolicyResult>\
         <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata>\
         </ListEntitiesForPolicyResponse>",
        members(Kind::User, "UserName", "UserId"),
        members(Kind::Role, "RoleName", "RoleId"),
        shape::request_id()
    );
    Verdict::Respond(
        shape::xml_answer(StatusCode::OK, body, None),
        Rule::IamEntitiesBoundary,
    )
}

/// Put/DeleteUserPermissionsBoundary, which moto lacks, served from the memory.
async fn user_boundary(state: &State, ex: &Exchange<'_>) -> Verdict {
    let operation = ex.call.operation.as_str();
    let Some(user) = param(ex, "UserName") else {
        return Verdict::Forward;
    };
    match query(state, ex, &[("Action", "GetUser"), ("UserName", &user)]).await {
        Some(found) if found.status == StatusCode::NOT_FOUND => {
            return Verdict::Respond(
                shape::error(
                    ex.call,
                    StatusCode::NOT_FOUND,
                    "NoSuchEntity",
                    &format!("The user with name {user} cannot be found."),
                ),
                Rule::IamEntitiesBoundary,
            );
        }
        Some(found) if found.is_success() => {}
        _ => return Verdict::Forward,
    }
    let mut memory = lock(&state.rules.iam_boundaries);
    if operation == "PutUserPermissionsBoundary" {
        let Some(arn) = param(ex, "PermissionsBoundary") else {
            return Verdict::Forward;
        };
        memory.boundaries.insert((Kind::User, user), arn);
    } else {
        memory.boundaries.remove(&(Kind::User, user));
    }
    let body = format!(
        "<{operation}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{operation}Response>",
        shape::request_id()
    );
    Verdict::Respond(
        shape::xml_answer(StatusCode::OK, body, None),
        Rule::IamEntitiesBoundary,
    )
}

/// Sees moto's successful answers: remembers and forgets boundaries (whatever the rules say, as
/// the memory is shared), and puts the boundary count into GetPolicy.
pub(crate) fn after(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    let operation = ex.call.operation.as_str();
    let principal = match operation {
        "CreateRole"
        | "PutRolePermissionsBoundary"
        | "DeleteRolePermissionsBoundary"
        | "DeleteRole" => param(ex, "RoleName").map(|name| (Kind::Role, name)),
        "CreateUser"
        | "PutUserPermissionsBoundary"
        | "DeleteUserPermissionsBoundary"
        | "DeleteUser" => param(ex, "UserName").map(|name| (Kind::User, name)),
        "GetPolicy" => return count_boundaries(state, ex, answer),
        "GetUser" => return user_with_boundary(state, answer),
        _ => None,
    };
    let (kind, name) = principal?;
    let mut memory = lock(&state.rules.iam_boundaries);
    match (operation, param(ex, "PermissionsBoundary")) {
        (
            "CreateRole"
            | "CreateUser"
            | "PutRolePermissionsBoundary"
            | "PutUserPermissionsBoundary",
            Some(arn),
        ) => {
            memory.boundaries.insert((kind, name), arn);
        }
        _ => {
            memory.boundaries.remove(&(kind, name));
        }
    }
    None
}

/// GetUser with the user's boundary (moto keeps none).
fn user_with_boundary(state: &State, answer: &mut Answer) -> Option<Rule> {
    if !state.config.is_enabled(Rule::IamEntitiesBoundary) {
        return None;
    }
    let body = answer.body_str();
    let elements = xml::elements(body);
    let (user, _) = elements
        .iter()
        .enumerate()
        .find(|(_, e)| e.path == "GetUserResponse/GetUserResult/User")?;
    // GetUser without a name is about the caller.
    let name = xml::child_text(body, &elements, user, "UserName")?;
    let arn = lock(&state.rules.iam_boundaries)
        .boundaries
        .get(&(Kind::User, name))
        .cloned()?;
    if xml::child(&elements, user, "PermissionsBoundary").is_some() {
        return None;
    }
    let at = elements[user].inner.end;
    let boundary = format!(
        "<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy\
         </PermissionsBoundaryType><PermissionsBoundaryArn>{}</PermissionsBoundaryArn>\
         </PermissionsBoundary>",
        xml::escape(&arn)
    );
    let rewritten = xml::replace(body, vec![(at..at, boundary)]);
    answer.set_body(rewritten);
    Some(Rule::IamEntitiesBoundary)
}

/// GetPolicy with `PermissionsBoundaryUsageCount` as AWS counts it (moto leaves it out).
fn count_boundaries(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    if !state.config.is_enabled(Rule::IamEntitiesBoundary) {
        return None;
    }
    let arn = param(ex, "PolicyArn")?;
    let count = lock(&state.rules.iam_boundaries)
        .boundaries
        .values()
        .filter(|b| **b == arn)
        .count();
    if count == 0 {
        return None;
    }
    let body = answer.body_str();
    let elements = xml::elements(body);
    let (policy, _) = elements
        .iter()
        .enumerate()
        .find(|(_, e)| e.path == "GetPolicyResponse/GetPolicyResult/Policy")?;
    let edit = match xml::child(&elements, policy, "PermissionsBoundaryUsageCount") {
        Some((_, existing)) => (existing.inner.clone(), count.to_string()),
        None => {
            let at = xml::child(&elements, policy, "AttachmentCount")
                .map_or(elements[policy].inner.end, |(_, e)| e.outer.end);
            (
                at..at,
                format!("<PermissionsBoundaryUsageCount>{count}</PermissionsBoundaryUsageCount>"),
            )
        }
    };
    let rewritten = xml::replace(body, vec![edit]);
    answer.set_body(rewritten);
    Some(Rule::IamEntitiesBoundary)
}
