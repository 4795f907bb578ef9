//! Turning the targets into a plan. Read-only: only List*, Describe* and Get* calls.
//!
//! Cognito cannot look a pool up by name, so names are resolved against ListUserPools /
//! ListIdentityPools by exact equality (never by prefix). Names are not unique: a name that
//! several pools share selects none of them silently; each is shown with its id and refused.

use std::collections::HashMap;

use anyhow::Context;
use aws_sdk_cognitoidentity::operation::describe_identity_pool::DescribeIdentityPoolOutput;
use aws_sdk_cognitoidentityprovider::types::{DeletionProtectionType, UserPoolType};
use common::format::on_off;
use common::{Action, Leftover, Operation, Plan, Selection};
use indexmap::IndexMap;

use crate::target::{ClientSpec, IdentityPoolRef, PoolRef, Targets};
use crate::{APP_CLIENT, Clients, IDENTITY_POOL, Options, ROLE, USER_POOL};

/// ListUserPools, ListUserPoolClients and ListIdentityPools take at most 60 per page.
const PAGE_SIZE: i32 = 60;

/// App client names shown in a pool's row before "+N more".
const CLIENTS_SHOWN: usize = 5;

/// A pool (user or identity) as a listing shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Listed {
    pub id: String,
    pub name: String,
}

/// An app client as ListUserPoolClients shows it.
#[derive(Clone, Debug)]
struct ListedClient {
    id: String,
    name: String,
}

/// Read-only lookups, each listing made at most once per run.
struct Discovery<'a> {
    clients: &'a Clients,
    user_pools: Option<Vec<Listed>>,
    identity_pools: Option<Vec<Listed>>,
    app_clients: HashMap<String, Vec<ListedClient>>,
}

/// IAM roles the deleted resources used, by ARN, with what used them: left for step 7.
#[derive(Default)]
struct RolesLeft(IndexMap<String, Vec<String>>);

impl RolesLeft {
    fn add(&mut self, arn: &str, use_: String) {
        let uses = self.0.entry(arn.to_string()).or_default();
        if !uses.contains(&use_) {
            uses.push(use_);
        }
    }

    fn into_leftovers(self) -> Vec<Leftover> {
        self.0
            .into_iter()
            .map(|(arn, uses)| {
                let name = role_name_from_arn(&arn);
                Leftover::new(
                    ROLE,
                    &name,
                    format!(
                        "{}; IAM roles are step 7's: rm-iam --role {name}",
                        uses.join("; ")
                    ),
                )
                .with_id(arn)
            })
            .collect()
    }
}

pub(crate) async fn plan(
    clients: &Clients,
    targets: &Targets,
    selection: &Selection,
    options: Options,
) -> anyhow::Result<Plan> {
    let mut discovery = Discovery {
        clients,
        user_pools: None,
        identity_pools: None,
        app_clients: HashMap::new(),
    };
    let mut plan = Plan::default();
    let mut roles = RolesLeft::default();

    // App clients first: deleting one alone is independent of its pool, and if the pool goes
    // too, the client is simply gone before it.
    let mut seen_clients: Vec<(String, String)> = Vec::new();
    for spec in &targets.app_clients {
        let action = discovery.app_client_action(spec).await?;
        if let Some(id) = &action.id {
            let pool = action.details.get("user pool").cloned().unwrap_or_default();
            if seen_clients.contains(&(pool.clone(), id.clone())) {
                continue;
            }
            seen_clients.push((pool, id.clone()));
        }
        plan.push(action);
    }

    for action in discovery
        .user_pool_actions(targets, selection, options, &mut roles)
        .await?
    {
        plan.push(action);
    }

    for action in discovery
        .identity_pool_actions(targets, selection, &mut roles)
        .await?
    {
        plan.push(action);
    }

    for leftover in roles.into_leftovers() {
        plan.leave(leftover);
    }
    Ok(plan)
}

impl Discovery<'_> {
    async fn listed_user_pools(&mut self) -> anyhow::Result<&[Listed]> {
        if self.user_pools.is_none() {
            let mut pools = Vec::new();
            let mut pages = self
                .clients
                .idp
                .list_user_pools()
                .max_results(PAGE_SIZE)
                .into_paginator()
                .items()
                .send();
            while let Some(pool) = pages.next().await {
                let pool = pool.context("listing user pools")?;
                pools.push(Listed {
                    id: pool.id().unwrap_or_default().to_string(),
                    name: pool.name().unwrap_or_default().to_string(),
                });
            }
            self.user_pools = Some(pools);
        }
        Ok(self.user_pools.as_deref().unwrap_or_default())
    }

    async fn listed_identity_pools(&mut self) -> anyhow::Result<&[Listed]> {
        if self.identity_pools.is_none() {
            let mut pools = Vec::new();
            let mut pages = self
                .clients
                .identity
                .list_identity_pools()
                .max_results(PAGE_SIZE)
                .into_paginator()
                .items()
                .send();
            while let Some(pool) = pages.next().await {
                let pool = pool.context("listing identity pools")?;
                pools.push(Listed {
                    id: pool.identity_pool_id().unwrap_or_default().to_string(),
                    name: pool.identity_pool_name().unwrap_or_default().to_string(),
                });
            }
            self.identity_pools = Some(pools);
        }
        Ok(self.identity_pools.as_deref().unwrap_or_default())
    }

    async fn listed_app_clients(&mut self, pool_id: &str) -> anyhow::Result<&[ListedClient]> {
        if !self.app_clients.contains_key(pool_id) {
            let mut found = Vec::new();
            let mut pages = self
                .clients
                .idp
                .list_user_pool_clients()
                .user_pool_id(pool_id)
                .max_results(PAGE_SIZE)
                .into_paginator()
                .items()
                .send();
            while let Some(client) = pages.next().await {
                match client {
                    Ok(client) => found.push(ListedClient {
                        id: client.client_id().unwrap_or_default().to_string(),
                        name: client.client_name().unwrap_or_default().to_string(),
                    }),
                    // Deleted since it was listed: it has no clients.
                    Err(error)
                        if error
                            .as_service_error()
                            .is_some_and(|e| e.is_resource_not_found_exception()) =>
                    {
                        break;
                    }
                    Err(error) => {
                        return Err(error).with_context(|| {
                            format!("listing app clients of user pool {pool_id}")
                        });
                    }
                }
            }
            self.app_clients.insert(pool_id.to_string(), found);
        }
        Ok(self
            .app_clients
            .get(pool_id)
            .map(Vec::as_slice)
            .unwrap_or_default())
    }

    /// The pools a reference can mean: the pool with that id (when it looks like an id and
    /// exists), else every pool with that exact name.
    async fn user_pool_candidates(&mut self, pool: &PoolRef) -> anyhow::Result<Vec<Listed>> {
        if let PoolRef::Id(id) = pool
            && let Some(found) = describe_user_pool(&self.clients.idp, id).await?
        {
            return Ok(vec![Listed {
                id: id.clone(),
                name: found.name().unwrap_or_default().to_string(),
            }]);
        }
        let name = pool.as_str();
        Ok(self
            .listed_user_pools()
            .await?
            .iter()
            .filter(|p| p.name == name)
            .cloned()
            .collect())
    }

    async fn app_client_action(&mut self, spec: &ClientSpec) -> anyhow::Result<Action> {
        let pools = match &spec.pool {
            Some(pool) => self.user_pool_candidates(pool).await?,
            None => self.listed_user_pools().await?.to_vec(),
        };
        let mut matches: Vec<(Listed, ListedClient)> = Vec::new();
        for pool in pools {
            for client in self.listed_app_clients(&pool.id).await? {
                if client.id == spec.client || client.name == spec.client {
                    matches.push((pool.clone(), client.clone()));
                }
            }
        }
        Ok(match matches.as_slice() {
            [] => Action::absent(APP_CLIENT, &spec.given),
            [(pool, client)] => Action::new(APP_CLIENT, &client.name, Operation::Delete)
                .with_id(&client.id)
                .detail("user pool", &pool.id)
                .detail("user pool name", &pool.name),
            several => {
                let listed: Vec<String> = several
                    .iter()
                    .map(|(pool, client)| {
                        format!(
                            "{}/{} ({} in {})",
                            pool.id, client.id, client.name, pool.name
                        )
                    })
                    .collect();
                let (pool, client) = &several[0];
                Action::new(APP_CLIENT, &spec.given, Operation::Delete).refused(format!(
                    "{} app clients match {:?}: {}; name one as POOL_ID/CLIENT_ID, e.g. --app-client {}/{}",
                    several.len(),
                    spec.given,
                    listed.join(", "),
                    pool.id,
                    client.id
                ))
            }
        })
    }

    async fn user_pool_actions(
        &mut self,
        targets: &Targets,
        selection: &Selection,
        options: Options,
        roles: &mut RolesLeft,
    ) -> anyhow::Result<Vec<Action>> {
        // Pool id -> (name, refusal). A pool selected without ambiguity (by id, by a name only
        // it has, or by --match) is never refused for sharing its name.
        let mut selected: IndexMap<String, (String, Option<String>)> = IndexMap::new();
        let mut actions = Vec::new();
        for pool in &targets.user_pools {
            let candidates = self.user_pool_candidates(pool).await?;
            match candidates.as_slice() {
                [] => actions.push(Action::absent(USER_POOL, pool.as_str())),
                [one] => {
                    selected.insert(one.id.clone(), (one.name.clone(), None));
                }
                several => {
                    let ids: Vec<&str> = several.iter().map(|p| p.id.as_str()).collect();
                    let reason = format!(
                        "{} user pools are named {:?} ({}): Cognito pool names are not unique, so name the ones to delete by id, e.g. --user-pool {}",
                        several.len(),
                        pool.as_str(),
                        ids.join(", "),
                        ids[0]
                    );
                    for candidate in several {
                        selected
                            .entry(candidate.id.clone())
                            .or_insert_with(|| (candidate.name.clone(), Some(reason.clone())));
                    }
                }
            }
        }
        if selection.has_globs() {
            let matched: Vec<Listed> = self
                .listed_user_pools()
                .await?
                .iter()
                .filter(|p| selection.matches_glob(&p.name))
                .cloned()
                .collect();
            for pool in matched {
                selected.insert(pool.id, (pool.name, None));
            }
        }

        for (id, (name, refusal)) in selected {
            let Some(pool) = describe_user_pool(&self.clients.idp, &id).await? else {
                // Deleted between the listing and now.
                actions.push(Action::absent(USER_POOL, name).with_id(id));
                continue;
            };
            let client_names: Vec<String> = self
                .listed_app_clients(&id)
                .await?
                .iter()
                .map(|c| c.name.clone())
                .collect();
            let mut action = user_pool_action(&pool, &client_names, options);
            if let Some(reason) = refusal {
                action = action.refused(reason);
            }
            if action.is_to_do()
                && let Some(arn) = pool.sms_configuration().map(|s| s.sns_caller_arn())
                && !arn.is_empty()
            {
                roles.add(arn, format!("SMS role of user pool {} ({id})", action.name));
            }
            actions.push(action);
        }
        Ok(actions)
    }

    async fn identity_pool_actions(
        &mut self,
        targets: &Targets,
        selection: &Selection,
        roles: &mut RolesLeft,
    ) -> anyhow::Result<Vec<Action>> {
        let mut selected: IndexMap<String, (String, Option<String>)> = IndexMap::new();
        let mut actions = Vec::new();
        for pool in &targets.identity_pools {
            match pool {
                IdentityPoolRef::Id(id) => {
                    match describe_identity_pool(&self.clients.identity, id).await? {
                        Some(found) => {
                            selected
                                .insert(id.clone(), (found.identity_pool_name().to_string(), None));
                        }
                        None => actions.push(Action::absent(IDENTITY_POOL, id)),
                    }
                }
                IdentityPoolRef::Name(name) => {
                    let candidates: Vec<Listed> = self
                        .listed_identity_pools()
                        .await?
                        .iter()
                        .filter(|p| &p.name == name)
                        .cloned()
                        .collect();
                    match candidates.as_slice() {
                        [] => actions.push(Action::absent(IDENTITY_POOL, name)),
                        [one] => {
                            selected.insert(one.id.clone(), (one.name.clone(), None));
                        }
                        several => {
                            let ids: Vec<&str> = several.iter().map(|p| p.id.as_str()).collect();
                            let reason = format!(
                                "{} identity pools are named {name:?} ({}): identity pool names are not unique, so name the ones to delete by id, e.g. --identity-pool {}",
                                several.len(),
                                ids.join(", "),
                                ids[0]
                            );
                            for candidate in several {
                                selected.entry(candidate.id.clone()).or_insert_with(|| {
                                    (candidate.name.clone(), Some(reason.clone()))
                                });
                            }
                        }
                    }
                }
            }
        }
        if selection.has_globs() {
            let matched: Vec<Listed> = self
                .listed_identity_pools()
                .await?
                .iter()
                .filter(|p| selection.matches_glob(&p.name))
                .cloned()
                .collect();
            for pool in matched {
                selected.insert(pool.id, (pool.name, None));
            }
        }

        for (id, (name, refusal)) in selected {
            let Some(pool) = describe_identity_pool(&self.clients.identity, &id).await? else {
                actions.push(Action::absent(IDENTITY_POOL, name).with_id(id));
                continue;
            };
            let mut action =
                Action::new(IDENTITY_POOL, pool.identity_pool_name(), Operation::Delete)
                    .with_id(&id)
                    .detail(
                        "unauthenticated access",
                        on_off(pool.allow_unauthenticated_identities()),
                    )
                    .detail("user pools", user_pool_providers(&pool));
            match identity_pool_roles(self.clients, &id).await {
                Ok(found) => {
                    action = action.detail(
                        "roles",
                        if found.is_empty() {
                            "-".to_string()
                        } else {
                            found.len().to_string()
                        },
                    );
                    if refusal.is_none() {
                        for (arn, use_) in found {
                            roles.add(
                                &arn,
                                format!("{use_} of identity pool {} ({id})", action.name),
                            );
                        }
                    }
                }
                Err(error) => {
                    action = action.detail("roles", "unknown").note(format!(
                        "its IAM roles could not be read ({error:#}): look for them in IAM (step 7)"
                    ));
                }
            }
            if let Some(reason) = refusal {
                action = action.refused(reason);
            }
            actions.push(action);
        }
        Ok(actions)
    }
}

/// The plan row of one user pool.
fn user_pool_action(pool: &UserPoolType, client_names: &[String], options: Options) -> Action {
    let id = pool.id().unwrap_or_default();
    let name = pool.name().unwrap_or(id);
    let protected = pool.deletion_protection() == Some(&DeletionProtectionType::Active);
    let domains = domains_of(pool);
    let mut action = Action::new(USER_POOL, name, Operation::Delete)
        .with_id(id)
        .detail("users (est.)", pool.estimated_number_of_users())
        .detail(
            "domain",
            pool.domain().filter(|d| !d.is_empty()).unwrap_or("-"),
        )
        .detail(
            "custom domain",
            pool.custom_domain()
                .filter(|d| !d.is_empty())
                .unwrap_or("-"),
        )
        .detail("deletion protection", on_off(protected))
        .detail("app clients", summarize(client_names));
    if !domains.is_empty() {
        action = action.note(format!(
            "its domain {} will be deleted first (AWS refuses to delete a pool that has a domain)",
            domains.join(" and ")
        ));
    }
    if protected {
        if options.disable_deletion_protection {
            action = action.note(
                "deletion protection is on: it will be turned off (UpdateUserPool sending back the pool's current settings), then the pool deleted",
            );
        } else {
            action = action.refused(
                "deletion protection is on: pass --disable-deletion-protection to turn it off and delete the pool",
            );
        }
    }
    action
}

/// The pool's domains (the Cognito prefix domain and the custom domain), as DeleteUserPoolDomain
/// takes them.
pub(crate) fn domains_of(pool: &UserPoolType) -> Vec<String> {
    [pool.domain(), pool.custom_domain()]
        .into_iter()
        .flatten()
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect()
}

fn summarize(names: &[String]) -> String {
    match names.len() {
        0 => "-".to_string(),
        n if n <= CLIENTS_SHOWN => names.join(", "),
        n => format!(
            "{}, +{} more",
            names[..CLIENTS_SHOWN].join(", "),
            n - CLIENTS_SHOWN
        ),
    }
}

/// The user pools an identity pool trusts, by id (from provider names such as
/// `cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123`).
fn user_pool_providers(pool: &DescribeIdentityPoolOutput) -> String {
    let ids: Vec<&str> = pool
        .cognito_identity_providers()
        .iter()
        .filter_map(|p| p.provider_name())
        .map(|name| name.rsplit('/').next().unwrap_or(name))
        .collect();
    if ids.is_empty() {
        "-".to_string()
    } else {
        ids.join(", ")
    }
}

/// The identity pool's IAM roles (ARN, and what uses it), from GetIdentityPoolRoles: the
/// authenticated/unauthenticated roles and every role named by a role-mapping rule.
async fn identity_pool_roles(clients: &Clients, id: &str) -> anyhow::Result<Vec<(String, String)>> {
    let output = clients
        .identity_roles
        .get_identity_pool_roles()
        .identity_pool_id(id)
        .send()
        .await
        .with_context(|| format!("GetIdentityPoolRoles {id}"))?;
    Ok(roles_of(&output))
}

/// The role ARNs an identity pool's roles answer names, each with its use, in a stable order.
pub(crate) fn roles_of(
    output: &aws_sdk_cognitoidentity::operation::get_identity_pool_roles::GetIdentityPoolRolesOutput,
) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    if let Some(roles) = output.roles() {
        let mut keys: Vec<&String> = roles.keys().collect();
        keys.sort();
        for key in keys {
            found.push((roles[key].clone(), format!("{key} role")));
        }
    }
    if let Some(mappings) = output.role_mappings() {
        let mut providers: Vec<&String> = mappings.keys().collect();
        providers.sort();
        for provider in providers {
            let rules = mappings[provider]
                .rules_configuration()
                .map(|c| c.rules())
                .unwrap_or_default();
            for rule in rules {
                found.push((
                    rule.role_arn().to_string(),
                    format!("role-mapping rule role for {provider}"),
                ));
            }
        }
    }
    found.retain(|(arn, _)| !arn.is_empty());
    found
}

/// `arn:aws:iam::123456789012:role/service-role/Name` -> `Name`.
pub(crate) fn role_name_from_arn(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

/// DescribeUserPool, or `None` when the pool does not exist.
pub(crate) async fn describe_user_pool(
    client: &aws_sdk_cognitoidentityprovider::Client,
    id: &str,
) -> anyhow::Result<Option<UserPoolType>> {
    match client.describe_user_pool().user_pool_id(id).send().await {
        Ok(output) => Ok(output.user_pool().cloned()),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(error) => Err(error).with_context(|| format!("describing user pool {id}")),
    }
}

/// DescribeIdentityPool, or `None` when the pool does not exist.
async fn describe_identity_pool(
    client: &aws_sdk_cognitoidentity::Client,
    id: &str,
) -> anyhow::Result<Option<DescribeIdentityPoolOutput>> {
    match client
        .describe_identity_pool()
        .identity_pool_id(id)
        .send()
        .await
    {
        Ok(output) => Ok(Some(output)),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(error) => Err(error).with_context(|| format!("describing identity pool {id}")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_cognitoidentity::operation::get_identity_pool_roles::GetIdentityPoolRolesOutput;
    use aws_sdk_cognitoidentity::types::{
        MappingRule, MappingRuleMatchType, RoleMapping, RoleMappingType, RulesConfigurationType,
    };

    use super::*;

    #[test]
    fn identity_pool_roles_include_mapping_rules() {
        let output = GetIdentityPoolRolesOutput::builder()
            .set_roles(Some(HashMap::from([
                (
                    "unauthenticated".to_string(),
                    "arn:aws:iam::123456789012:role/Cognito_shopUnauth_Role".to_string(),
                ),
                (
                    "authenticated".to_string(),
                    "arn:aws:iam::123456789012:role/service-role/Cognito_shopAuth_Role".to_string(),
                ),
            ])))
            .set_role_mappings(Some(HashMap::from([(
                "cognito-idp.us-east-1.amazonaws.com/us-east-1_X:client".to_string(),
                RoleMapping::builder()
                    .r#type(RoleMappingType::Rules)
                    .rules_configuration(
                        RulesConfigurationType::builder()
                            .rules(
                                MappingRule::builder()
                                    .claim("cognito:groups")
                                    .match_type(MappingRuleMatchType::Contains)
                                    .value("admin")
                                    .role_arn("arn:aws:iam::123456789012:role/shop-admin")
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )])))
            .build();
        let found = roles_of(&output);
        let arns: Vec<&str> = found.iter().map(|(arn, _)| arn.as_str()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::123456789012:role/service-role/Cognito_shopAuth_Role",
                "arn:aws:iam::123456789012:role/Cognito_shopUnauth_Role",
                "arn:aws:iam::123456789012:role/shop-admin",
            ]
        );
        assert_eq!(found[0].1, "authenticated role");
    }

    #[test]
    fn leftover_roles_are_named_without_their_path_and_merged() {
        let mut roles = RolesLeft::default();
        let arn = "arn:aws:iam::123456789012:role/service-role/Cognito_shopAuth_Role";
        roles.add(arn, "authenticated role of identity pool a (id-a)".into());
        roles.add(arn, "authenticated role of identity pool b (id-b)".into());
        let leftovers = roles.into_leftovers();
        assert_eq!(leftovers.len(), 1);
        assert_eq!(leftovers[0].kind, "role");
        assert_eq!(leftovers[0].name, "Cognito_shopAuth_Role");
        assert_eq!(leftovers[0].id.as_deref(), Some(arn));
        assert!(leftovers[0].reason.contains("identity pool a"));
        assert!(leftovers[0].reason.contains("identity pool b"));
        assert!(
            leftovers[0]
                .reason
                .contains("rm-iam --role Cognito_shopAuth_Role")
        );
    }

    #[test]
    fn protected_pools_are_refused_without_the_flag() {
        let pool = UserPoolType::builder()
            .id("us-east-1_P")
            .name("shop")
            .deletion_protection(DeletionProtectionType::Active)
            .domain("shop-auth")
            .build();
        let refused = user_pool_action(&pool, &[], Options::default());
        assert!(!refused.is_to_do());
        let json = serde_json::to_string(&refused).unwrap();
        assert!(json.contains("--disable-deletion-protection"), "{json}");
        let allowed = user_pool_action(
            &pool,
            &[],
            Options {
                disable_deletion_protection: true,
            },
        );
        assert!(allowed.is_to_do());
        assert_eq!(allowed.details["domain"], "shop-auth");
        assert_eq!(allowed.details["deletion protection"], "on");
    }

    #[test]
    fn long_client_lists_are_cut() {
        let names: Vec<String> = (0..8).map(|i| format!("c{i}")).collect();
        assert_eq!(summarize(&names), "c0, c1, c2, c3, c4, +3 more");
        assert_eq!(summarize(&[]), "-");
    }
}
