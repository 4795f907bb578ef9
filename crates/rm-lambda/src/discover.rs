//! Turning the selection into a plan. Read-only: only Get*, List* and Describe* calls.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Context;
use aws_sdk_cloudfront::types::LambdaFunctionAssociation;
use aws_sdk_cloudwatchlogs::types::LogGroup;
use aws_sdk_lambda::types::{
    EventSourceMappingConfiguration, FunctionConfiguration, LastUpdateStatus, PackageType, State,
};
use common::format::bytes;
use common::{Action, Leftover, Operation, Plan, Selection};

use crate::{
    Clients, DETAIL_FUNCTION, DETAIL_STATE, DETAIL_USED_BY, EVENT_SOURCE_MAPPING, FUNCTION,
    LOG_GROUP, Options, ROLE, arn,
};

/// Where Lambda writes a function's logs unless its LoggingConfig names another group.
pub(crate) fn default_log_group(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

/// What the plan needs to know about one existing function.
struct FunctionInfo {
    config: FunctionConfiguration,
    versions: Vec<String>,
    aliases: Vec<String>,
    urls: Vec<String>,
}

impl FunctionInfo {
    fn name(&self) -> &str {
        self.config.function_name().unwrap_or_default()
    }

    /// The custom log group from LoggingConfig, when it is not the default one.
    fn custom_log_group(&self) -> Option<&str> {
        custom_log_group(&self.config)
    }
}

fn custom_log_group(config: &FunctionConfiguration) -> Option<&str> {
    let name = config.function_name().unwrap_or_default();
    config
        .logging_config()
        .and_then(|logging| logging.log_group())
        .filter(|group| !group.is_empty() && *group != default_log_group(name))
}

/// One action per selected function (absent ones included, so the user sees every name they
/// gave), preceded by their event source mappings and followed by their log groups; execution
/// roles and kept log groups are listed as left behind.
pub(crate) async fn plan(
    clients: &Clients,
    selection: &Selection,
    options: Options,
) -> anyhow::Result<Plan> {
    // Every function in the region: for --match, and to know who else uses a custom log group
    // or an execution role. Exact names are still looked up directly below (GetFunction).
    let all_functions = list_functions(clients).await?;
    let mappings = list_event_source_mappings(clients).await?;

    let mut names: Vec<String> = selection.names().to_vec();
    let add = |name: &str, names: &mut Vec<String>| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    };
    if selection.has_globs() {
        for config in &all_functions {
            let name = config.function_name().unwrap_or_default();
            if selection.matches_glob(name) {
                add(name, &mut names);
            }
        }
        // What an earlier run left of matched functions that are already gone: mappings (they
        // survive DeleteFunction) and log groups.
        for mapping in &mappings {
            if let Some(name) = mapping.function_arn().and_then(arn::function_name)
                && selection.matches_glob(name)
            {
                add(name, &mut names);
            }
        }
        for group in list_log_groups(clients, "/aws/lambda/").await? {
            if let Some(name) = group
                .log_group_name()
                .and_then(|g| g.strip_prefix("/aws/lambda/"))
                && selection.matches_glob(name)
                && crate::FUNCTION_NAME.check(name).is_ok()
            {
                add(name, &mut names);
            }
        }
    }

    let mut functions: Vec<(String, Option<FunctionInfo>)> = Vec::new();
    for name in &names {
        functions.push((name.clone(), describe_function(clients, name).await?));
    }
    let existing: Vec<&FunctionInfo> = functions.iter().filter_map(|(_, f)| f.as_ref()).collect();
    let edge = if existing.is_empty() {
        EdgeUse::default()
    } else {
        edge_use(clients).await
    };

    let mut plan = Plan::default();

    // 1. Event source mappings: they outlive DeleteFunction, so they go first.
    let mut mapping_counts: HashMap<&str, usize> = HashMap::new();
    for mapping in &mappings {
        let Some(function) = mapping.function_arn().and_then(arn::function_name) else {
            continue;
        };
        if !names.iter().any(|n| n == function) {
            continue;
        }
        *mapping_counts.entry(function).or_default() += 1;
        plan.push(mapping_action(function, mapping));
    }

    // 2. The functions.
    for (name, info) in &functions {
        match info {
            None => plan.push(Action::absent(FUNCTION, name)),
            Some(info) => {
                let count = mapping_counts.get(name.as_str()).copied().unwrap_or(0);
                let groups = existing_log_groups(clients, info).await?;
                plan.push(function_action(clients, info, count, &groups, &edge));
            }
        }
    }

    // 3. Log groups: the default one of every selected name (also of functions already gone,
    // so a re-run finishes what an interrupted one left), and custom ones from LoggingConfig
    // when no function outside the selection writes to them.
    let mut groups: BTreeMap<String, (LogGroup, BTreeSet<String>)> = BTreeMap::new();
    for (name, info) in &functions {
        let mut wanted = vec![default_log_group(name)];
        if let Some(custom) = info.as_ref().and_then(FunctionInfo::custom_log_group) {
            wanted.push(custom.to_string());
        }
        for group_name in wanted {
            if let Some(entry) = groups.get_mut(&group_name) {
                entry.1.insert(name.clone());
            } else if let Some(group) = find_log_group(clients, &group_name).await? {
                groups.insert(group_name, (group, BTreeSet::from([name.clone()])));
            }
        }
    }
    for (group_name, (group, used_by)) in &groups {
        let others = other_writers(group_name, &all_functions, &names);
        match log_group_disposition(group_name, group, used_by, &others, options) {
            Ok(action) => plan.push(action),
            Err(leftover) => plan.leave(leftover),
        }
    }

    // The execution roles stay for step 7.
    for leftover in role_leftovers(&existing, &all_functions, &names) {
        plan.leave(leftover);
    }
    Ok(plan)
}

fn mapping_action(function: &str, mapping: &EventSourceMappingConfiguration) -> Action {
    let uuid = mapping.uuid().unwrap_or_default();
    let mut action = Action::new(EVENT_SOURCE_MAPPING, uuid, Operation::Delete)
        .detail(DETAIL_FUNCTION, function)
        .detail("source", mapping.event_source_arn().unwrap_or("-"))
        .detail(DETAIL_STATE, mapping.state().unwrap_or("-"));
    if let Some(qualifier) = mapping.function_arn().and_then(arn::function_qualifier) {
        action = action.detail("qualifier", qualifier);
    }
    action
}

fn function_action(
    clients: &Clients,
    info: &FunctionInfo,
    mappings: usize,
    groups: &[LogGroup],
    edge: &EdgeUse,
) -> Action {
    let config = &info.config;
    let name = info.name();
    let runtime = match (config.runtime(), config.package_type()) {
        (Some(runtime), _) => runtime.as_str().to_string(),
        (None, Some(PackageType::Image)) => "container image".to_string(),
        _ => "-".to_string(),
    };
    let stored: u64 = groups
        .iter()
        .map(|g| g.stored_bytes().unwrap_or(0).max(0) as u64)
        .sum();
    let logs = if groups.is_empty() {
        "none".to_string()
    } else {
        bytes(stored)
    };
    let url = if info.urls.is_empty() { "none" } else { "yes" };
    let mut action = Action::new(FUNCTION, name, Operation::Delete)
        .detail("runtime", runtime)
        .detail(
            "last modified",
            short_time(config.last_modified().unwrap_or("-")),
        )
        .detail("code size", bytes(config.code_size().max(0) as u64))
        .detail("versions", list_or_none(&info.versions))
        .detail("aliases", list_or_none(&info.aliases))
        .detail("event sources", mappings)
        .detail("url", url)
        .detail("logs stored", logs)
        .detail("edge", edge.describe(&clients.region, name));
    if let Some(arn) = config.function_arn() {
        action = action.with_id(arn);
    }
    for url in &info.urls {
        action = action.note(format!("its function URL {url} stops working"));
    }
    if let Some(uses) = edge.uses.get(name) {
        action = action.note(format!(
            "Lambda@Edge: used by CloudFront ({}). AWS refuses to delete a replicated function \
             until CloudFront has removed its replicas, hours after the association is gone \
             (step 6): it will then be reported as pending",
            uses.join("; ")
        ));
    }
    if matches!(config.state(), Some(State::Pending))
        || matches!(
            config.last_update_status(),
            Some(LastUpdateStatus::InProgress)
        )
    {
        action = action.note("an update is in progress: the deletion waits for it to finish");
    }
    action
}

/// Whether a log group is deleted (an action) or kept (left behind, with the reason).
fn log_group_disposition(
    group_name: &str,
    group: &LogGroup,
    used_by: &BTreeSet<String>,
    others: &[String],
    options: Options,
) -> Result<Action, Leftover> {
    let stored = bytes(group.stored_bytes().unwrap_or(0).max(0) as u64);
    let users = used_by.iter().cloned().collect::<Vec<_>>().join(", ");
    let kept = |reason: String| Leftover::new(LOG_GROUP, group_name, reason);
    if options.keep_logs {
        return Err(kept(format!(
            "log group of {users}, kept (--keep-logs): {stored} stored, still billed"
        )));
    }
    if !others.is_empty() {
        return Err(kept(format!(
            "custom log group of {users}, also used by {} (not selected): kept ({stored} stored)",
            others.join(", ")
        )));
    }
    if group.deletion_protection_enabled().unwrap_or(false) {
        return Err(kept(format!(
            "log group of {users} has deletion protection on: kept ({stored} stored); turn it off \
             in CloudWatch Logs and run again to delete it"
        )));
    }
    Ok(Action::new(LOG_GROUP, group_name, Operation::Delete)
        .detail(DETAIL_USED_BY, users)
        .detail("stored", stored))
}

/// Functions outside the selection whose LoggingConfig names this log group.
fn other_writers(group: &str, all: &[FunctionConfiguration], selected: &[String]) -> Vec<String> {
    all.iter()
        .filter(|f| custom_log_group(f) == Some(group))
        .filter_map(|f| f.function_name())
        .filter(|name| !selected.iter().any(|s| s == name))
        .map(str::to_string)
        .collect()
}

/// One leftover per execution role of the functions to delete, naming them, so the runner can
/// offer the role to rm-iam (step 7).
fn role_leftovers(
    existing: &[&FunctionInfo],
    all: &[FunctionConfiguration],
    selected: &[String],
) -> Vec<Leftover> {
    let mut roles: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for info in existing {
        if let Some(role) = info.config.role() {
            roles.entry(role).or_default().push(info.name());
        }
    }
    roles
        .into_iter()
        .filter_map(|(role_arn, functions)| {
            let role = arn::role_name(role_arn)?;
            let mut reason = format!(
                "execution role of deleted function {}: step 7 (rm-iam --role {role}) deletes it",
                functions.join(", ")
            );
            let others: Vec<&str> = all
                .iter()
                .filter(|f| f.role() == Some(role_arn))
                .filter_map(|f| f.function_name())
                .filter(|name| !selected.iter().any(|s| s == name))
                .collect();
            if !others.is_empty() {
                reason.push_str(&format!(
                    "; still used by function {}, which this step does not delete",
                    others.join(", ")
                ));
            }
            Some(Leftover::new(ROLE, role, reason).with_id(role_arn))
        })
        .collect()
}

fn list_or_none(items: &[String]) -> String {
    const SHOWN: usize = 4;
    match items.len() {
        0 => "none".to_string(),
        n if n <= SHOWN => items.join(" "),
        n => format!("{} ... ({n})", items[..SHOWN].join(" ")),
    }
}

/// `2024-05-01T10:20:30.123+0000` -> `2024-05-01 10:20`.
fn short_time(timestamp: &str) -> String {
    match timestamp.get(..16) {
        Some(head) if timestamp.len() > 16 => head.replacen('T', " ", 1),
        _ => timestamp.to_string(),
    }
}

/// The function with its versions, aliases and URLs, or `None` when it does not exist.
async fn describe_function(clients: &Clients, name: &str) -> anyhow::Result<Option<FunctionInfo>> {
    let lambda = &clients.lambda;
    let config = match lambda.get_function().function_name(name).send().await {
        Ok(output) => match output.configuration() {
            Some(config) => config.clone(),
            None => return Ok(None),
        },
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            return Ok(None);
        }
        Err(error) => return Err(error).with_context(|| format!("describing function {name}")),
    };

    let mut versions = Vec::new();
    let mut pages = lambda
        .list_versions_by_function()
        .function_name(name)
        .into_paginator()
        .items()
        .send();
    while let Some(version) = pages.next().await {
        let version = version.with_context(|| format!("listing versions of function {name}"))?;
        if let Some(v) = version.version().filter(|v| *v != "$LATEST") {
            versions.push(v.to_string());
        }
    }

    let mut aliases = Vec::new();
    let mut pages = lambda
        .list_aliases()
        .function_name(name)
        .into_paginator()
        .items()
        .send();
    while let Some(alias) = pages.next().await {
        let alias = alias.with_context(|| format!("listing aliases of function {name}"))?;
        if let Some(alias_name) = alias.name() {
            aliases.push(alias_name.to_string());
        }
    }

    // A function URL belongs to the unqualified function or to an alias. GetFunctionUrlConfig
    // per qualifier (rather than ListFunctionUrlConfigs) also works on the emulator.
    let mut urls = Vec::new();
    let qualifiers = std::iter::once(None).chain(aliases.iter().map(|a| Some(a.as_str())));
    for qualifier in qualifiers {
        match lambda
            .get_function_url_config()
            .function_name(name)
            .set_qualifier(qualifier.map(str::to_string))
            .send()
            .await
        {
            Ok(url) => urls.push(url.function_url().to_string()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("reading the function URL of function {name}"));
            }
        }
    }

    Ok(Some(FunctionInfo {
        config,
        versions,
        aliases,
        urls,
    }))
}

async fn list_functions(clients: &Clients) -> anyhow::Result<Vec<FunctionConfiguration>> {
    let mut functions = Vec::new();
    let mut pages = clients
        .lambda
        .list_functions()
        .into_paginator()
        .items()
        .send();
    while let Some(function) = pages.next().await {
        functions.push(function.context("listing functions")?);
    }
    Ok(functions)
}

/// Every event source mapping in the region. Listing them all (rather than by FunctionName)
/// also finds mappings on a version or alias, and mappings of functions already deleted: they
/// survive DeleteFunction (AWS-NOTES.md, "Lambda").
async fn list_event_source_mappings(
    clients: &Clients,
) -> anyhow::Result<Vec<EventSourceMappingConfiguration>> {
    let mut mappings = Vec::new();
    let mut pages = clients
        .lambda
        .list_event_source_mappings()
        .into_paginator()
        .items()
        .send();
    while let Some(mapping) = pages.next().await {
        mappings.push(mapping.context("listing event source mappings")?);
    }
    Ok(mappings)
}

async fn list_log_groups(clients: &Clients, prefix: &str) -> anyhow::Result<Vec<LogGroup>> {
    let mut groups = Vec::new();
    let mut pages = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(prefix)
        .into_paginator()
        .items()
        .send();
    while let Some(group) = pages.next().await {
        groups.push(group.with_context(|| format!("listing log groups under {prefix}"))?);
    }
    Ok(groups)
}

/// The log group with exactly this name. DescribeLogGroups has no exact-name lookup: ask by
/// prefix, keep the exact match (`/aws/lambda/create-product-v2` shares the prefix).
pub(crate) async fn find_log_group(
    clients: &Clients,
    name: &str,
) -> anyhow::Result<Option<LogGroup>> {
    Ok(list_log_groups(clients, name)
        .await?
        .into_iter()
        .find(|g| g.log_group_name() == Some(name)))
}

async fn existing_log_groups(
    clients: &Clients,
    info: &FunctionInfo,
) -> anyhow::Result<Vec<LogGroup>> {
    let mut groups = Vec::new();
    if let Some(group) = find_log_group(clients, &default_log_group(info.name())).await? {
        groups.push(group);
    }
    if let Some(custom) = info.custom_log_group()
        && let Some(group) = find_log_group(clients, custom).await?
    {
        groups.push(group);
    }
    Ok(groups)
}

/// Which functions CloudFront distributions run at the edge (Lambda@Edge), from their cache
/// behaviours' Lambda function associations.
#[derive(Debug, Default)]
pub(crate) struct EdgeUse {
    /// Function name -> "DISTRIBUTION (event type, version N)" for each association.
    uses: HashMap<String, Vec<String>>,
    /// Why CloudFront could not be asked, if it could not.
    unknown: Option<String>,
}

impl EdgeUse {
    fn describe(&self, region: &str, function: &str) -> String {
        if region != "us-east-1" {
            // Lambda@Edge functions live in us-east-1 only.
            return "no".to_string();
        }
        if self.uses.contains_key(function) {
            "yes".to_string()
        } else if self.unknown.is_some() {
            "unknown".to_string()
        } else {
            "no".to_string()
        }
    }

    /// Records the associations of one distribution.
    fn add_distribution(&mut self, summary: &aws_sdk_cloudfront::types::DistributionSummary) {
        let default = summary
            .default_cache_behavior()
            .and_then(|b| b.lambda_function_associations());
        let others = summary
            .cache_behaviors()
            .map(|c| c.items())
            .unwrap_or_default()
            .iter()
            .filter_map(|b| b.lambda_function_associations());
        let associations = default.into_iter().chain(others).flat_map(|a| a.items());
        self.add_associations(summary.id(), associations);
    }

    fn add_associations<'a>(
        &mut self,
        distribution: &str,
        associations: impl Iterator<Item = &'a LambdaFunctionAssociation>,
    ) {
        for association in associations {
            let arn = association.lambda_function_arn();
            let Some(name) = arn::function_name(arn) else {
                continue;
            };
            let version = arn::function_qualifier(arn).unwrap_or("$LATEST");
            let use_ = format!(
                "distribution {distribution}, {}, version {version}",
                association.event_type().as_str()
            );
            let entry = self.uses.entry(name.to_string()).or_default();
            if !entry.contains(&use_) {
                entry.push(use_);
            }
        }
    }
}

/// Lists CloudFront distributions to find Lambda@Edge associations. Not being allowed to list
/// them does not stop the plan: the answer is "unknown", and a replicated function still shows
/// up as pending when AWS refuses to delete it.
async fn edge_use(clients: &Clients) -> EdgeUse {
    let mut edge = EdgeUse::default();
    if clients.region != "us-east-1" {
        return edge;
    }
    let mut pages = clients
        .cloudfront
        .list_distributions()
        .into_paginator()
        .items()
        .send();
    while let Some(summary) = pages.next().await {
        match summary {
            Ok(summary) => edge.add_distribution(&summary),
            Err(error) => {
                let error = anyhow::Error::new(error).context("listing CloudFront distributions");
                tracing::warn!("cannot tell which functions are Lambda@Edge: {error:#}");
                edge.unknown = Some(format!("{error:#}"));
                break;
            }
        }
    }
    edge
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudfront::types::EventType;
    use aws_sdk_lambda::types::LoggingConfig;

    fn function(name: &str, log_group: Option<&str>, role: &str) -> FunctionConfiguration {
        let mut builder = FunctionConfiguration::builder()
            .function_name(name)
            .role(format!("arn:aws:iam::123456789012:role/{role}"));
        if let Some(group) = log_group {
            builder = builder.logging_config(LoggingConfig::builder().log_group(group).build());
        }
        builder.build()
    }

    fn info(config: FunctionConfiguration) -> FunctionInfo {
        FunctionInfo {
            config,
            versions: vec![],
            aliases: vec![],
            urls: vec![],
        }
    }

    fn group(name: &str) -> LogGroup {
        LogGroup::builder()
            .log_group_name(name)
            .stored_bytes(2048)
            .build()
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_log_group_is_not_custom() {
        let config = function("f", Some("/aws/lambda/f"), "r");
        assert_eq!(custom_log_group(&config), None);
        let config = function("f", Some("/shared/easyshop"), "r");
        assert_eq!(custom_log_group(&config), Some("/shared/easyshop"));
    }

    #[test]
    fn custom_log_group_shared_with_an_unselected_function_is_kept() {
        let all = [
            function("create-product", Some("/shared/easyshop"), "r"),
            function("create-category", Some("/shared/easyshop"), "r"),
        ];
        let selected = names(&["create-product"]);
        let others = other_writers("/shared/easyshop", &all, &selected);
        assert_eq!(others, ["create-category"]);
        let used_by = BTreeSet::from(["create-product".to_string()]);
        let kept = log_group_disposition(
            "/shared/easyshop",
            &group("/shared/easyshop"),
            &used_by,
            &others,
            Options::default(),
        )
        .unwrap_err();
        assert_eq!(kept.kind, LOG_GROUP);
        assert!(
            kept.reason.contains("also used by create-category"),
            "{}",
            kept.reason
        );
    }

    #[test]
    fn custom_log_group_used_only_by_selected_functions_is_deleted() {
        let all = [
            function("create-product", Some("/shared/easyshop"), "r"),
            function("create-category", Some("/shared/easyshop"), "r"),
            function("other", None, "r"),
        ];
        let selected = names(&["create-product", "create-category"]);
        let others = other_writers("/shared/easyshop", &all, &selected);
        assert!(others.is_empty());
        let used_by = BTreeSet::from(["create-category".to_string(), "create-product".to_string()]);
        let action = log_group_disposition(
            "/shared/easyshop",
            &group("/shared/easyshop"),
            &used_by,
            &others,
            Options::default(),
        )
        .unwrap();
        assert_eq!(
            action.details[DETAIL_USED_BY],
            "create-category, create-product"
        );
        assert_eq!(action.details["stored"], "2.0 KiB");
    }

    #[test]
    fn keep_logs_leaves_every_log_group() {
        let used_by = BTreeSet::from(["f".to_string()]);
        let kept = log_group_disposition(
            "/aws/lambda/f",
            &group("/aws/lambda/f"),
            &used_by,
            &[],
            Options { keep_logs: true },
        )
        .unwrap_err();
        assert!(kept.reason.contains("--keep-logs"));
    }

    #[test]
    fn roles_are_left_for_step_seven_with_their_functions() {
        let a = function("create-product", None, "lambda-dynamodb-role");
        let b = function("delete-product", None, "lambda-dynamodb-role");
        let c = function("other", None, "lambda-dynamodb-role");
        let (ia, ib) = (info(a.clone()), info(b.clone()));
        let leftovers = role_leftovers(
            &[&ia, &ib],
            &[a, b, c],
            &names(&["create-product", "delete-product"]),
        );
        assert_eq!(leftovers.len(), 1);
        let role = &leftovers[0];
        assert_eq!(role.kind, "role");
        assert_eq!(role.name, "lambda-dynamodb-role");
        assert_eq!(
            role.id.as_deref(),
            Some("arn:aws:iam::123456789012:role/lambda-dynamodb-role")
        );
        assert!(
            role.reason.starts_with(
                "execution role of deleted function create-product, delete-product: step 7 \
                 (rm-iam --role lambda-dynamodb-role) deletes it"
            ),
            "{}",
            role.reason
        );
        assert!(role.reason.contains("still used by function other"));
    }

    #[test]
    fn edge_associations_name_the_function_not_a_prefix() {
        let association = LambdaFunctionAssociation::builder()
            .lambda_function_arn("arn:aws:lambda:us-east-1:123456789012:function:resize-image:3")
            .event_type(EventType::OriginRequest)
            .build()
            .unwrap();
        let mut edge = EdgeUse::default();
        edge.add_associations("E123", [association].iter());
        assert_eq!(edge.describe("us-east-1", "resize-image"), "yes");
        assert_eq!(edge.describe("us-east-1", "resize-image-v2"), "no");
        assert_eq!(
            edge.uses["resize-image"],
            ["distribution E123, origin-request, version 3"]
        );
    }

    #[test]
    fn times_are_shortened_to_minutes() {
        assert_eq!(
            short_time("2024-05-01T10:20:30.123+0000"),
            "2024-05-01 10:20"
        );
        assert_eq!(short_time("-"), "-");
    }
}
