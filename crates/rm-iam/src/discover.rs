//! Turning the selection into a plan. Read-only: only Get* and List* calls.
//!
//! The plan lists, in the order they will be carried out: the roles, the instance profiles made
//! with them (same name, holding only them), then the policies: customer-managed policies that
//! only the deleted roles use, and the `--policy` policies. Everything related but kept (shared
//! policies, permissions boundaries, other instance profiles) is listed as left behind.

use anyhow::Context;
use aws_sdk_iam::Client;
use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use aws_sdk_iam::types::{
    AttachedPolicy, InstanceProfile, Policy, PolicyScopeType, PolicyUsageType, Role,
};
use common::{Action, Leftover, Operation, Plan, Selection};
use indexmap::IndexMap;

use crate::caller::Caller;
use crate::target::{PolicyRef, is_aws_managed, policy_name_from_arn};
use crate::{INSTANCE_PROFILE, Options, POLICY, ROLE};

/// The path of service-linked roles (`/aws-service-role/SERVICE/`).
pub(crate) const SERVICE_LINKED_PATH: &str = "/aws-service-role/";
/// The path of IAM Identity Center (SSO) roles, which only Identity Center may delete.
const SSO_PATH: &str = "/aws-reserved/";

/// ListEntitiesForPolicy's largest page (MaxItems).
const ENTITIES_PAGE: i32 = 1000;

/// The detail that tells apply why a policy is in the plan.
pub(crate) const SELECTED_BY: &str = "selected by";
pub(crate) const BY_POLICY_FLAG: &str = "--policy";

/// A principal a policy is attached to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Entity {
    Role(String),
    User(String),
    Group(String),
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Entity::Role(name) => write!(f, "role {name}"),
            Entity::User(name) => write!(f, "user {name}"),
            Entity::Group(name) => write!(f, "group {name}"),
        }
    }
}

/// Who uses a managed policy, and how.
#[derive(Clone, Debug, Default)]
pub(crate) struct Usage {
    pub attached: Vec<Entity>,
    pub boundary_of: Vec<Entity>,
}

impl Usage {
    pub fn all(&self) -> impl Iterator<Item = &Entity> {
        self.attached.iter().chain(&self.boundary_of)
    }
}

/// A role and everything DeleteRole needs gone first.
struct RoleFacts {
    role: Role,
    attached: Vec<AttachedPolicy>,
    inline: Vec<String>,
    profiles: Vec<InstanceProfile>,
}

pub(crate) async fn plan(
    client: &Client,
    caller: &Caller,
    account: &str,
    roles: Option<&Selection>,
    policies: &[PolicyRef],
    options: Options,
) -> anyhow::Result<Plan> {
    let mut plan = Plan::default();
    let mut profile_actions = Vec::new();
    // Customer-managed policies attached to roles that will be deleted: ARN -> those roles.
    let mut candidates: IndexMap<String, Vec<String>> = IndexMap::new();
    let mut boundaries: IndexMap<String, Vec<String>> = IndexMap::new();

    for name in role_names(client, roles).await? {
        let Some(facts) = role_facts(client, &name).await? else {
            plan.push(Action::absent(ROLE, &name));
            continue;
        };
        let action = role_action(&facts, caller, options);
        let service_linked = is_service_linked(&facts.role);
        if action.is_to_do() && !service_linked {
            for profile in &facts.profiles {
                if made_with_role(profile, &name) {
                    profile_actions.push(
                        Action::new(
                            INSTANCE_PROFILE,
                            profile.instance_profile_name(),
                            Operation::Delete,
                        )
                        .with_id(profile.arn())
                        .detail("role", &name),
                    );
                } else {
                    plan.leave(
                        Leftover::new(
                            INSTANCE_PROFILE,
                            profile.instance_profile_name(),
                            format!(
                                "role {name} is removed from it; kept, as it was not made with the role (another name)"
                            ),
                        )
                        .with_id(profile.arn()),
                    );
                }
            }
            for arn in customer_managed(&facts.attached) {
                candidates
                    .entry(arn.to_string())
                    .or_default()
                    .push(name.clone());
            }
            if let Some(arn) = facts
                .role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .filter(|arn| !is_aws_managed(arn))
            {
                boundaries
                    .entry(arn.to_string())
                    .or_default()
                    .push(name.clone());
            }
        }
        plan.push(action);
    }
    for action in profile_actions {
        plan.push(action);
    }

    let deleted_roles: Vec<String> = plan
        .actions
        .iter()
        .filter(|a| a.kind == ROLE && a.is_to_do())
        .map(|a| a.name.clone())
        .collect();
    let explicit = resolve_policies(client, caller, account, policies).await?;
    let explicit_arns: Vec<&str> = explicit
        .iter()
        .filter_map(|(_, resolved)| match resolved {
            Resolved::Found(policy) => policy.arn(),
            _ => None,
        })
        .collect();

    for (arn, users) in candidates {
        if explicit_arns.contains(&arn.as_str()) {
            continue;
        }
        let name = policy_name_from_arn(&arn).to_string();
        let used_by = users.join(", ");
        if options.keep_policies {
            plan.leave(
                Leftover::new(
                    POLICY,
                    &name,
                    format!(
                        "customer-managed policy of role {used_by}, kept (--keep-policies); it costs nothing but clutters the account"
                    ),
                )
                .with_id(&arn),
            );
            continue;
        }
        let Some(policy) = get_policy(client, &arn).await? else {
            continue;
        };
        let usage = policy_usage(client, &arn).await?;
        if let Some(gap) = unlisted(&policy, &usage) {
            plan.leave(
                Leftover::new(
                    POLICY,
                    &name,
                    format!("detached from role {used_by}, but kept: {gap}"),
                )
                .with_id(&arn),
            );
            continue;
        }
        let others: Vec<String> = usage
            .all()
            .filter(|e| !matches!(e, Entity::Role(role) if deleted_roles.contains(role)))
            .map(Entity::to_string)
            .collect();
        if !others.is_empty() {
            plan.leave(
                Leftover::new(
                    POLICY,
                    &name,
                    format!(
                        "detached from role {used_by}, but kept: still used by {}",
                        others.join(", ")
                    ),
                )
                .with_id(&arn),
            );
            continue;
        }
        let versions = count_versions(client, &arn).await?;
        plan.push(
            Action::new(POLICY, &name, Operation::Delete)
                .with_id(&arn)
                .detail("path", policy.path().unwrap_or("/"))
                .detail("versions", versions)
                .detail("attached to", format!("role {used_by}"))
                .detail("boundary of", "-")
                .detail(SELECTED_BY, format!("only role {used_by} used it")),
        );
    }

    for (arn, users) in boundaries {
        if explicit_arns.contains(&arn.as_str()) {
            continue;
        }
        plan.leave(
            Leftover::new(
                POLICY,
                policy_name_from_arn(&arn),
                format!(
                    "permissions boundary of role {}: kept, as boundaries are usually shared guardrails (rm-iam --policy {arn} deletes it)",
                    users.join(", ")
                ),
            )
            .with_id(&arn),
        );
    }

    for (given, resolved) in explicit {
        plan.push(match resolved {
            Resolved::Absent => Action::absent(POLICY, given.as_str()),
            Resolved::AwsManaged(arn) => Action::new(POLICY, given.as_str(), Operation::Delete)
                .with_id(arn)
                .refused(
                    "AWS-managed policy: it cannot be deleted (rm-iam detaches AWS-managed policies from the roles it deletes)",
                ),
            Resolved::Found(policy) => explicit_policy_action(client, caller, &policy).await?,
        });
    }
    Ok(plan)
}

/// Exact names first, in the order given, then the roles `--match` selects.
async fn role_names(client: &Client, roles: Option<&Selection>) -> anyhow::Result<Vec<String>> {
    let Some(selection) = roles else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = selection.names().to_vec();
    if selection.has_globs() {
        let mut pages = client.list_roles().into_paginator().items().send();
        while let Some(role) = pages.next().await {
            let role = role.context("listing roles")?;
            let name = role.role_name();
            if selection.matches_glob(name) && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    Ok(names)
}

async fn role_facts(client: &Client, name: &str) -> anyhow::Result<Option<RoleFacts>> {
    let Some(role) = get_role(client, name).await? else {
        return Ok(None);
    };
    let attached = attached_policies(client, name).await?;
    let inline = inline_policies(client, name).await?;
    let profiles = instance_profiles(client, name).await?;
    Ok(Some(RoleFacts {
        role,
        attached,
        inline,
        profiles,
    }))
}

fn role_action(facts: &RoleFacts, caller: &Caller, options: Options) -> Action {
    let role = &facts.role;
    let name = role.role_name();
    let last_used = role
        .role_last_used()
        .and_then(|used| {
            used.last_used_date().map(|date| match used.region() {
                Some(region) => format!("{} ({region})", day(date)),
                None => day(date),
            })
        })
        .unwrap_or_else(|| "-".to_string());
    let boundary = role
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .map_or("-".to_string(), |arn| policy_name_from_arn(arn).to_string());
    let mut action = Action::new(ROLE, name, Operation::Delete)
        .with_id(role.arn())
        .detail("path", role.path())
        .detail("created", day(role.create_date()))
        .detail("last used", last_used)
        .detail(
            "managed policies",
            list_or_dash(facts.attached.iter().filter_map(|p| p.policy_name())),
        )
        .detail(
            "inline policies",
            list_or_dash(facts.inline.iter().map(String::as_str)),
        )
        .detail(
            "instance profiles",
            list_or_dash(facts.profiles.iter().map(|p| p.instance_profile_name())),
        )
        .detail("permissions boundary", boundary);

    if caller.is_role(name) {
        return action.refused(format!(
            "the running credentials belong to this role ({}): rm-iam never deletes it; run from other credentials to delete it",
            caller.arn
        ));
    }
    if role.path().starts_with(SSO_PATH) {
        return action.refused(
            "managed by IAM Identity Center (path /aws-reserved/): remove the permission set's assignment there instead",
        );
    }
    if is_service_linked(role) {
        if !options.service_linked {
            return action.refused(format!(
                "service-linked role (path {}): pass --service-linked to delete it with DeleteServiceLinkedRole (AWS refuses while its service still uses it)",
                role.path()
            ));
        }
        action = action.note(
            "service-linked role: deleted with DeleteServiceLinkedRole, which AWS carries out only once its service no longer uses it",
        );
    }
    action
}

/// The customer-managed policies among a role's attached ones: AWS-managed policies
/// (`arn:aws:iam::aws:policy/...`) are only ever detached.
fn customer_managed(attached: &[AttachedPolicy]) -> Vec<&str> {
    attached
        .iter()
        .filter_map(|p| p.policy_arn())
        .filter(|arn| !arn.is_empty() && !is_aws_managed(arn))
        .collect()
}

pub(crate) fn is_service_linked(role: &Role) -> bool {
    role.path().starts_with(SERVICE_LINKED_PATH)
}

/// An instance profile "made with the role": the console and `aws iam create-role` workflows
/// make a profile of the same name holding only that role.
fn made_with_role(profile: &InstanceProfile, role: &str) -> bool {
    profile.instance_profile_name() == role && profile.roles().iter().all(|r| r.role_name() == role)
}

/// What a `--policy` turned out to be.
enum Resolved {
    Found(Box<Policy>),
    /// A bare name that only an AWS-managed policy has: it cannot be deleted.
    AwsManaged(String),
    Absent,
}

/// The policy each `--policy` names, duplicates (the same policy by name and ARN) dropped.
async fn resolve_policies(
    client: &Client,
    caller: &Caller,
    account: &str,
    policies: &[PolicyRef],
) -> anyhow::Result<Vec<(PolicyRef, Resolved)>> {
    let mut resolved: Vec<(PolicyRef, Resolved)> = Vec::new();
    let mut local: Option<Vec<Policy>> = None;
    for given in policies {
        let found = match given {
            PolicyRef::Arn(arn) => get_policy(client, arn)
                .await?
                .map_or(Resolved::Absent, |p| Resolved::Found(Box::new(p))),
            PolicyRef::Name(name) => {
                let partition = &caller.partition;
                let at_root = format!("arn:{partition}:iam::{account}:policy/{name}");
                if let Some(policy) = get_policy(client, &at_root).await? {
                    Resolved::Found(Box::new(policy))
                } else {
                    if local.is_none() {
                        local = Some(local_policies(client).await?);
                    }
                    let elsewhere = local
                        .as_deref()
                        .unwrap_or_default()
                        .iter()
                        .find(|p| p.policy_name() == Some(name.as_str()))
                        .cloned();
                    let aws_managed = format!("arn:{partition}:iam::aws:policy/{name}");
                    match elsewhere {
                        Some(policy) => Resolved::Found(Box::new(policy)),
                        None if get_policy(client, &aws_managed).await?.is_some() => {
                            Resolved::AwsManaged(aws_managed)
                        }
                        None => Resolved::Absent,
                    }
                }
            }
        };
        let arn = match &found {
            Resolved::Found(policy) => policy.arn().map(str::to_string),
            _ => None,
        };
        let duplicate = arn.is_some()
            && resolved.iter().any(
                |(_, r)| matches!(r, Resolved::Found(p) if p.arn().map(str::to_string) == arn),
            );
        if !duplicate {
            resolved.push((given.clone(), found));
        }
    }
    Ok(resolved)
}

async fn explicit_policy_action(
    client: &Client,
    caller: &Caller,
    policy: &Policy,
) -> anyhow::Result<Action> {
    let arn = policy.arn().unwrap_or_default();
    let name = policy
        .policy_name()
        .unwrap_or_else(|| policy_name_from_arn(arn));
    let usage = policy_usage(client, arn).await?;
    let versions = count_versions(client, arn).await?;
    let list = |entities: &[Entity]| {
        if entities.is_empty() {
            "-".to_string()
        } else {
            entities
                .iter()
                .map(Entity::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut action = Action::new(POLICY, name, Operation::Delete)
        .with_id(arn)
        .detail("path", policy.path().unwrap_or("/"))
        .detail("versions", versions)
        .detail("attached to", list(&usage.attached))
        .detail("boundary of", list(&usage.boundary_of))
        .detail(SELECTED_BY, BY_POLICY_FLAG);
    let detaches = usage.attached.len() + usage.boundary_of.len();
    if detaches > 0 {
        action = action.note(format!(
            "it will be detached from {detaches} principal(s) first, which lose the permissions it grants"
        ));
    }
    if let Some(gap) = unlisted(policy, &usage) {
        return Ok(action.refused(format!(
            "{gap}: rm-iam cannot detach it from principals it cannot see, nor check that the running credentials do not use it; run again later"
        )));
    }
    if let Some(own) = usage.all().find(|e| is_caller(caller, e)) {
        action = action.refused(format!(
            "used by {own}, which the running credentials belong to: detaching it could take away this run's own permissions; detach it yourself first if you mean it"
        ));
    }
    Ok(action)
}

/// GetPolicy counts the policy's attachments and boundary uses; when the listing found fewer,
/// some principal is invisible to us (a listing that lags or is cut short), and acting on the
/// listing alone could delete a policy still in use.
fn unlisted(policy: &Policy, usage: &Usage) -> Option<String> {
    let counted = policy.attachment_count().unwrap_or(0).max(0) as usize
        + policy
            .permissions_boundary_usage_count()
            .unwrap_or(0)
            .max(0) as usize;
    let listed = usage.attached.len() + usage.boundary_of.len();
    (counted > listed)
        .then(|| format!("IAM counts {counted} principal(s) using it but lists only {listed}"))
}

pub(crate) fn is_caller(caller: &Caller, entity: &Entity) -> bool {
    match entity {
        Entity::Role(name) => caller.is_role(name),
        Entity::User(name) => caller.is_user(name),
        Entity::Group(_) => false,
    }
}

/// Who uses the policy. ListEntitiesForPolicy answers attachments and boundary uses in one list
/// unless filtered, so it is asked once per use; each boundary use is confirmed with GetRole /
/// GetUser, so a principal is never stripped of a boundary that is not this policy (moto, for
/// one, ignores the filter).
pub(crate) async fn policy_usage(client: &Client, arn: &str) -> anyhow::Result<Usage> {
    let attached = list_entities(client, arn, PolicyUsageType::PermissionsPolicy).await?;
    let mut boundary_of = Vec::new();
    for entity in list_entities(client, arn, PolicyUsageType::PermissionsBoundary).await? {
        let boundary = match &entity {
            Entity::Role(name) => get_role(client, name)
                .await?
                .and_then(|r| r.permissions_boundary().cloned()),
            Entity::User(name) => get_user_boundary(client, name).await?,
            Entity::Group(_) => None,
        };
        if boundary.and_then(|b| b.permissions_boundary_arn().map(str::to_string))
            == Some(arn.to_string())
        {
            boundary_of.push(entity);
        }
    }
    Ok(Usage {
        attached,
        boundary_of,
    })
}

async fn list_entities(
    client: &Client,
    arn: &str,
    usage: PolicyUsageType,
) -> anyhow::Result<Vec<Entity>> {
    let mut entities = Vec::new();
    // The largest page IAM allows: fewer round trips (and moto scans only the first MaxItems
    // roles of the account for attachments, 100 by default).
    let mut pages = client
        .list_entities_for_policy()
        .policy_arn(arn)
        .policy_usage_filter(usage)
        .into_paginator()
        .page_size(ENTITIES_PAGE)
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                return Ok(Vec::new());
            }
            Err(error) => {
                return Err(error).with_context(|| format!("listing what uses policy {arn}"));
            }
        };
        for role in page.policy_roles() {
            push_new(
                &mut entities,
                role.role_name().map(|n| Entity::Role(n.into())),
            );
        }
        for user in page.policy_users() {
            push_new(
                &mut entities,
                user.user_name().map(|n| Entity::User(n.into())),
            );
        }
        for group in page.policy_groups() {
            push_new(
                &mut entities,
                group.group_name().map(|n| Entity::Group(n.into())),
            );
        }
    }
    Ok(entities)
}

fn push_new(entities: &mut Vec<Entity>, entity: Option<Entity>) {
    if let Some(entity) = entity
        && !entities.contains(&entity)
    {
        entities.push(entity);
    }
}

pub(crate) async fn get_role(client: &Client, name: &str) -> anyhow::Result<Option<Role>> {
    match client.get_role().role_name(name).send().await {
        Ok(output) => Ok(output.role().cloned()),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            Ok(None)
        }
        Err(error) => Err(error).with_context(|| format!("reading role {name}")),
    }
}

async fn get_user_boundary(
    client: &Client,
    name: &str,
) -> anyhow::Result<Option<aws_sdk_iam::types::AttachedPermissionsBoundary>> {
    match client.get_user().user_name(name).send().await {
        Ok(output) => Ok(output
            .user()
            .and_then(|u| u.permissions_boundary().cloned())),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            Ok(None)
        }
        Err(error) => Err(error).with_context(|| format!("reading user {name}")),
    }
}

pub(crate) async fn get_policy(client: &Client, arn: &str) -> anyhow::Result<Option<Policy>> {
    match client.get_policy().policy_arn(arn).send().await {
        Ok(output) => Ok(output.policy().cloned()),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            Ok(None)
        }
        Err(error) => Err(error).with_context(|| format!("reading policy {arn}")),
    }
}

async fn local_policies(client: &Client) -> anyhow::Result<Vec<Policy>> {
    let mut policies = Vec::new();
    let mut pages = client
        .list_policies()
        .scope(PolicyScopeType::Local)
        .into_paginator()
        .items()
        .send();
    while let Some(policy) = pages.next().await {
        policies.push(policy.context("listing customer-managed policies")?);
    }
    Ok(policies)
}

async fn count_versions(client: &Client, arn: &str) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut pages = client
        .list_policy_versions()
        .policy_arn(arn)
        .into_paginator()
        .items()
        .send();
    while let Some(version) = pages.next().await {
        version.with_context(|| format!("listing versions of policy {arn}"))?;
        count += 1;
    }
    Ok(count)
}

pub(crate) async fn attached_policies(
    client: &Client,
    role: &str,
) -> anyhow::Result<Vec<AttachedPolicy>> {
    let mut policies = Vec::new();
    let mut pages = client
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send();
    while let Some(policy) = pages.next().await {
        policies.push(policy.with_context(|| format!("listing policies attached to role {role}"))?);
    }
    Ok(policies)
}

pub(crate) async fn inline_policies(client: &Client, role: &str) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut pages = client
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send();
    while let Some(name) = pages.next().await {
        names.push(name.with_context(|| format!("listing inline policies of role {role}"))?);
    }
    Ok(names)
}

pub(crate) async fn instance_profiles(
    client: &Client,
    role: &str,
) -> anyhow::Result<Vec<InstanceProfile>> {
    let mut profiles = Vec::new();
    let mut pages = client
        .list_instance_profiles_for_role()
        .role_name(role)
        .into_paginator()
        .items()
        .send();
    while let Some(profile) = pages.next().await {
        profiles
            .push(profile.with_context(|| format!("listing instance profiles of role {role}"))?);
    }
    Ok(profiles)
}

fn day(date: &DateTime) -> String {
    date.fmt(DateTimeFormat::DateTime)
        .map(|text| text.chars().take(10).collect())
        .unwrap_or_else(|_| "-".to_string())
}

fn list_or_dash<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        "-".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::types::{
        AttachedPermissionsBoundary, PermissionsBoundaryAttachmentType, RoleLastUsed,
    };

    use super::*;

    fn role(name: &str, path: &str) -> Role {
        Role::builder()
            .role_name(name)
            .path(path)
            .role_id("AROA0000")
            .arn(format!("arn:aws:iam::123456789012:role{path}{name}"))
            .create_date(DateTime::from_secs(1_700_000_000))
            .build()
            .unwrap()
    }

    fn facts(role: Role) -> RoleFacts {
        RoleFacts {
            role,
            attached: Vec::new(),
            inline: Vec::new(),
            profiles: Vec::new(),
        }
    }

    fn caller(arn: &str) -> Caller {
        Caller::from_arn(arn)
    }

    #[test]
    fn plan_row_shows_path_dates_policies_and_boundary() {
        let mut role = role("lambda-dynamodb-role", "/service-role/");
        role.role_last_used = Some(
            RoleLastUsed::builder()
                .last_used_date(DateTime::from_secs(1_750_000_000))
                .region("us-east-1")
                .build(),
        );
        role.permissions_boundary = Some(
            AttachedPermissionsBoundary::builder()
                .permissions_boundary_type(PermissionsBoundaryAttachmentType::Policy)
                .permissions_boundary_arn("arn:aws:iam::123456789012:policy/Guardrail")
                .build(),
        );
        let mut facts = facts(role);
        facts.inline = vec!["inline-a".into()];
        let action = role_action(
            &facts,
            &caller("arn:aws:iam::123456789012:user/admin"),
            Options::default(),
        );
        assert!(action.is_to_do());
        assert_eq!(action.details["path"], "/service-role/");
        assert_eq!(action.details["created"], "2023-11-14");
        assert_eq!(action.details["last used"], "2025-06-15 (us-east-1)");
        assert_eq!(action.details["managed policies"], "-");
        assert_eq!(action.details["inline policies"], "inline-a");
        assert_eq!(action.details["permissions boundary"], "Guardrail");
    }

    #[test]
    fn the_callers_own_role_is_refused_even_when_everything_else_allows_it() {
        let facts = facts(role("deployer", "/"));
        let action = role_action(
            &facts,
            &caller("arn:aws:sts::123456789012:assumed-role/deployer/session"),
            Options {
                keep_policies: false,
                service_linked: true,
            },
        );
        assert!(!action.is_to_do());
        let text = serde_json::to_string(&action.outcome).unwrap();
        assert!(text.contains("never deletes it"), "{text}");
    }

    #[test]
    fn service_linked_roles_need_the_flag() {
        let facts = facts(role(
            "AWSServiceRoleForAutoScaling",
            "/aws-service-role/autoscaling.amazonaws.com/",
        ));
        let user = caller("arn:aws:iam::123456789012:user/admin");
        let refused = role_action(&facts, &user, Options::default());
        assert!(!refused.is_to_do());
        assert!(
            serde_json::to_string(&refused)
                .unwrap()
                .contains("--service-linked")
        );
        let allowed = role_action(
            &facts,
            &user,
            Options {
                keep_policies: false,
                service_linked: true,
            },
        );
        assert!(allowed.is_to_do());
    }

    #[test]
    fn identity_center_roles_are_refused() {
        let facts = facts(role(
            "AWSReservedSSO_Admin_0123",
            "/aws-reserved/sso.amazonaws.com/",
        ));
        let action = role_action(
            &facts,
            &caller("arn:aws:iam::123456789012:user/admin"),
            Options::default(),
        );
        assert!(!action.is_to_do());
    }

    #[test]
    fn aws_managed_policies_are_never_candidates_for_deletion() {
        let attached = [
            AttachedPolicy::builder()
                .policy_name("AWSLambdaBasicExecutionRole")
                .policy_arn("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
                .build(),
            AttachedPolicy::builder()
                .policy_name("AWSLambdaBasicExecutionRole-0a1b")
                .policy_arn(
                    "arn:aws:iam::123456789012:policy/service-role/AWSLambdaBasicExecutionRole-0a1b",
                )
                .build(),
        ];
        assert_eq!(
            customer_managed(&attached),
            ["arn:aws:iam::123456789012:policy/service-role/AWSLambdaBasicExecutionRole-0a1b"]
        );
    }

    #[test]
    fn a_listing_that_misses_principals_iam_counts_is_caught() {
        let policy = Policy::builder()
            .attachment_count(2)
            .permissions_boundary_usage_count(1)
            .build();
        let mut usage = Usage {
            attached: vec![Entity::Role("a".into()), Entity::User("b".into())],
            boundary_of: Vec::new(),
        };
        let gap = unlisted(&policy, &usage).unwrap();
        assert!(gap.contains("counts 3") && gap.contains("only 2"), "{gap}");
        usage.boundary_of.push(Entity::Role("c".into()));
        assert_eq!(unlisted(&policy, &usage), None);
    }

    #[test]
    fn only_same_named_single_role_profiles_count_as_made_with_the_role() {
        let profile = |name: &str, roles: &[&str]| {
            let mut builder = InstanceProfile::builder()
                .path("/")
                .instance_profile_name(name)
                .instance_profile_id("AIPA0")
                .arn(format!("arn:aws:iam::123456789012:instance-profile/{name}"))
                .create_date(DateTime::from_secs(0));
            for r in roles {
                builder = builder.roles(role(r, "/"));
            }
            builder.build().unwrap()
        };
        assert!(made_with_role(&profile("web", &["web"]), "web"));
        assert!(!made_with_role(&profile("web-profile", &["web"]), "web"));
    }
}
