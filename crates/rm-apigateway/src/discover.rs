//! Turning the selection into a plan. Read-only: only Get* calls.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use aws_sdk_apigateway::primitives::{DateTime, DateTimeFormat};
use aws_sdk_apigateway::types::{BasePathMapping, UsagePlan};
use aws_sdk_apigatewayv2::types::ApiMapping;
use common::{Action, Leftover, Operation, Plan, Selection};

use crate::{
    API_KEY, API_MAPPING, BASE_PATH_MAPPING, Clients, DETAIL_API_ID, DETAIL_BASE_PATH,
    DETAIL_DOMAIN, DETAIL_PLANS, DETAIL_REMOVE_STAGES, HTTP_API, REST_API, USAGE_PLAN,
};

/// One API, v1 or v2, as the plan needs it.
#[derive(Clone, Debug)]
struct Api {
    kind: &'static str,
    id: String,
    name: String,
    created: Option<DateTime>,
    /// HTTP or WEBSOCKET for v2 APIs.
    protocol: Option<String>,
    notes: Vec<String>,
}

/// Which APIs the selection names: (the APIs, names that matched nothing).
fn resolve(
    kind: &'static str,
    flag: &str,
    values: &[String],
    all: &[Api],
    selection: &Selection,
) -> (Vec<Api>, Vec<String>) {
    let mut chosen: Vec<Api> = Vec::new();
    let mut absent = Vec::new();
    for value in values {
        let by_id = all.iter().filter(|api| api.id == *value);
        let by_name: Vec<&Api> = all.iter().filter(|api| api.name == *value).collect();
        let mut found = false;
        for api in by_id {
            found = true;
            push_api(&mut chosen, api.clone());
        }
        if by_name.len() > 1 {
            // One note, on the first of them: the rows below it show each id and date.
            let ids: Vec<&str> = by_name.iter().map(|api| api.id.as_str()).collect();
            let note = format!(
                "{} {} are named {value:?} ({}): all {} will be deleted; to delete only one, \
                 give its id instead (e.g. {flag} {})",
                by_name.len(),
                plural(kind),
                ids.join(", "),
                by_name.len(),
                ids[0]
            );
            for (n, api) in by_name.iter().enumerate() {
                let mut api = (*api).clone();
                if n == 0 {
                    api.notes.push(note.clone());
                }
                push_api(&mut chosen, api);
            }
        } else if let Some(api) = by_name.first() {
            push_api(&mut chosen, (*api).clone());
        }
        found |= !by_name.is_empty();
        if !found {
            absent.push(value.clone());
        }
    }
    if selection.has_globs() {
        for api in all.iter().filter(|api| selection.matches_glob(&api.name)) {
            push_api(&mut chosen, api.clone());
        }
    }
    (chosen, absent)
}

fn plural(kind: &str) -> &'static str {
    if kind == REST_API {
        "REST APIs"
    } else {
        "HTTP/WebSocket APIs"
    }
}

fn push_api(chosen: &mut Vec<Api>, api: Api) {
    if !chosen.iter().any(|c| c.id == api.id) {
        chosen.push(api);
    }
}

/// The plan: mappings, usage plans, API keys, then the APIs (absent names included, so the user
/// sees every name they gave).
pub(crate) async fn plan(
    clients: &Clients,
    rest_values: &[String],
    http_values: &[String],
    selection: &Selection,
) -> anyhow::Result<Plan> {
    // There is no lookup by name: list, then compare whole names and ids exactly.
    let all_rest = if rest_values.is_empty() && !selection.has_globs() {
        Vec::new()
    } else {
        list_rest_apis(clients).await?
    };
    let all_http = if http_values.is_empty() && !selection.has_globs() {
        Vec::new()
    } else {
        list_http_apis(clients).await?
    };
    let (rest, rest_absent) = resolve(REST_API, "--rest-api", rest_values, &all_rest, selection);
    let (http, http_absent) = resolve(HTTP_API, "--http-api", http_values, &all_http, selection);

    let mut plan = Plan::default();
    let rest_ids: BTreeSet<&str> = rest.iter().map(|api| api.id.as_str()).collect();
    let http_ids: BTreeSet<&str> = http.iter().map(|api| api.id.as_str()).collect();
    let mut per_api: BTreeMap<String, ApiDependents> = BTreeMap::new();

    // 1. Custom-domain mappings that point to the APIs: AWS refuses to delete an API they use.
    if !rest.is_empty() {
        for (domain, mapping) in list_base_path_mappings(clients).await? {
            let api_id = mapping.rest_api_id().unwrap_or_default();
            if !rest_ids.contains(api_id) {
                continue;
            }
            let base_path = mapping.base_path().unwrap_or("(none)");
            let label = format!("{domain}/{}", display_base_path(base_path));
            per_api
                .entry(api_id.to_string())
                .or_default()
                .mappings
                .push(label.clone());
            plan.push(
                Action::new(BASE_PATH_MAPPING, label, Operation::Delete)
                    .detail(DETAIL_DOMAIN, &domain)
                    .detail(DETAIL_BASE_PATH, base_path)
                    .detail(DETAIL_API_ID, api_id)
                    .detail("stage", mapping.stage().unwrap_or("-")),
            );
        }
    }
    if !http.is_empty() {
        for (domain, mapping) in list_api_mappings(clients).await? {
            let api_id = mapping.api_id().unwrap_or_default();
            if !http_ids.contains(api_id) {
                continue;
            }
            let key = mapping.api_mapping_key().unwrap_or_default();
            let label = format!("{domain}/{key}");
            per_api
                .entry(api_id.to_string())
                .or_default()
                .mappings
                .push(label.clone());
            plan.push(
                Action::new(API_MAPPING, label, Operation::Delete)
                    .with_id(mapping.api_mapping_id().unwrap_or_default())
                    .detail(DETAIL_DOMAIN, &domain)
                    .detail(DETAIL_API_ID, api_id)
                    .detail("stage", mapping.stage().unwrap_or("-")),
            );
        }
    }

    // 2. Usage plans (v1 only) that reference the REST APIs' stages, and the API keys that only
    // those plans use once the plans are deleted.
    if !rest.is_empty() {
        let plans = list_usage_plans(clients, None).await?;
        let mut deleted_plans: Vec<&UsagePlan> = Vec::new();
        for usage_plan in &plans {
            let (removed, kept) = split_stages(usage_plan, &rest_ids);
            if removed.is_empty() {
                continue;
            }
            let plan_name = usage_plan.name().unwrap_or("(unnamed)");
            for stage in &removed {
                if let Some((api_id, _)) = stage.split_once(':') {
                    let entry = per_api.entry(api_id.to_string()).or_default();
                    if !entry.usage_plans.iter().any(|p| p == plan_name) {
                        entry.usage_plans.push(plan_name.to_string());
                    }
                }
            }
            let mut action = Action::new(USAGE_PLAN, plan_name, Operation::Delete)
                .with_id(usage_plan.id().unwrap_or_default())
                .detail(DETAIL_REMOVE_STAGES, removed.join(" "));
            if kept.is_empty() {
                action = action.note(
                    "no stage is left once these are removed: the plan is deleted, with the API \
                     keys nothing else uses",
                );
                deleted_plans.push(usage_plan);
            } else {
                action.operation = Operation::Update;
                action = action.note(format!(
                    "the plan also covers {}: only the stages of the deleted APIs are removed",
                    kept.join(" ")
                ));
            }
            plan.push(action);
        }
        let deleted_ids: BTreeSet<&str> = deleted_plans.iter().filter_map(|p| p.id()).collect();
        let mut keys_seen = BTreeSet::new();
        for usage_plan in &deleted_plans {
            let plan_id = usage_plan.id().unwrap_or_default();
            for key in list_usage_plan_keys(clients, plan_id).await? {
                let key_id = key.id().unwrap_or_default().to_string();
                if !keys_seen.insert(key_id.clone()) {
                    continue;
                }
                let key_name = key.name().unwrap_or(&key_id).to_string();
                let users = list_usage_plans(clients, Some(&key_id)).await?;
                let others: Vec<&str> = users
                    .iter()
                    .filter(|p| !p.id().is_some_and(|id| deleted_ids.contains(id)))
                    .map(|p| p.name().or(p.id()).unwrap_or_default())
                    .collect();
                if !others.is_empty() {
                    plan.leave(
                        Leftover::new(
                            API_KEY,
                            key_name,
                            format!("still used by usage plan {}: kept", others.join(", ")),
                        )
                        .with_id(key_id),
                    );
                    continue;
                }
                let plan_ids: Vec<&str> = users.iter().filter_map(|p| p.id()).collect();
                for plan_id in &plan_ids {
                    for api_id in stages_of(&plans, plan_id) {
                        let entry = per_api.entry(api_id).or_default();
                        if !entry.api_keys.contains(&key_name) {
                            entry.api_keys.push(key_name.clone());
                        }
                    }
                }
                plan.push(
                    Action::new(API_KEY, key_name, Operation::Delete)
                        .with_id(key_id)
                        .detail(DETAIL_PLANS, plan_ids.join(" ")),
                );
            }
        }
    }

    // 3. The APIs.
    for api in &rest {
        let stages = rest_stages(clients, &api.id).await?;
        plan.push(api_action(api, &stages, per_api.get(&api.id)));
    }
    for value in rest_absent {
        plan.push(Action::absent(REST_API, value));
    }
    for api in &http {
        let stages = http_stages(clients, &api.id).await?;
        plan.push(api_action(api, &stages, per_api.get(&api.id)));
    }
    for value in http_absent {
        plan.push(Action::absent(HTTP_API, value));
    }
    Ok(plan)
}

/// What points to one API, for its row in the plan.
#[derive(Debug, Default)]
struct ApiDependents {
    mappings: Vec<String>,
    usage_plans: Vec<String>,
    api_keys: Vec<String>,
}

fn api_action(api: &Api, stages: &[String], dependents: Option<&ApiDependents>) -> Action {
    let empty = ApiDependents::default();
    let dependents = dependents.unwrap_or(&empty);
    let mut action = Action::new(api.kind, &api.name, Operation::Delete)
        .with_id(&api.id)
        .detail(
            "created",
            api.created.as_ref().map_or("-".into(), short_date),
        );
    if let Some(protocol) = &api.protocol {
        action = action.detail("protocol", protocol);
    }
    action = action
        .detail("stages", list_or_none(stages))
        .detail("domain mappings", list_or_none(&dependents.mappings));
    if api.kind == REST_API {
        action = action
            .detail("usage plans", list_or_none(&dependents.usage_plans))
            .detail("api keys", list_or_none(&dependents.api_keys));
    }
    for note in &api.notes {
        action = action.note(note);
    }
    action
}

/// The plan's stages of the selected APIs (`apiId:stage`, the form UpdateUsagePlan's remove
/// operation takes) and the others.
fn split_stages(usage_plan: &UsagePlan, api_ids: &BTreeSet<&str>) -> (Vec<String>, Vec<String>) {
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    for stage in usage_plan.api_stages() {
        let api_id = stage.api_id().unwrap_or_default();
        let label = format!("{api_id}:{}", stage.stage().unwrap_or_default());
        if api_ids.contains(api_id) {
            removed.push(label);
        } else {
            kept.push(label);
        }
    }
    (removed, kept)
}

fn stages_of(plans: &[UsagePlan], plan_id: &str) -> Vec<String> {
    plans
        .iter()
        .filter(|p| p.id() == Some(plan_id))
        .flat_map(|p| p.api_stages())
        .filter_map(|s| s.api_id())
        .map(str::to_string)
        .collect()
}

/// Base paths: the empty one is `(none)` in the API and `/` to a person.
fn display_base_path(base_path: &str) -> &str {
    if base_path == "(none)" || base_path.is_empty() {
        "(none)"
    } else {
        base_path
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(" ")
    }
}

/// `2024-05-01T10:20:30Z` -> `2024-05-01 10:20`.
fn short_date(date: &DateTime) -> String {
    match date.fmt(DateTimeFormat::DateTime) {
        Ok(text) if text.len() >= 16 => text[..16].replacen('T', " ", 1),
        Ok(text) => text,
        Err(_) => "-".to_string(),
    }
}

async fn list_rest_apis(clients: &Clients) -> anyhow::Result<Vec<Api>> {
    let mut apis = Vec::new();
    let mut pages = clients.rest.get_rest_apis().into_paginator().items().send();
    while let Some(api) = pages.next().await {
        let api = api.context("listing REST APIs")?;
        apis.push(Api {
            kind: REST_API,
            id: api.id().unwrap_or_default().to_string(),
            name: api.name().unwrap_or_default().to_string(),
            created: api.created_date().copied(),
            protocol: None,
            notes: Vec::new(),
        });
    }
    Ok(apis)
}

/// GetApis has no paginator in the SDK: loop on NextToken.
async fn list_http_apis(clients: &Clients) -> anyhow::Result<Vec<Api>> {
    let mut apis = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = clients
            .http
            .get_apis()
            .set_next_token(token.take())
            .send()
            .await
            .context("listing HTTP and WebSocket APIs")?;
        for api in page.items() {
            apis.push(Api {
                kind: HTTP_API,
                id: api.api_id().unwrap_or_default().to_string(),
                name: api.name().unwrap_or_default().to_string(),
                created: api.created_date().copied(),
                protocol: api.protocol_type().map(|p| p.as_str().to_string()),
                notes: Vec::new(),
            });
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(apis),
        }
    }
}

async fn rest_stages(clients: &Clients, api_id: &str) -> anyhow::Result<Vec<String>> {
    let stages = match clients.rest.get_stages().rest_api_id(api_id).send().await {
        Ok(stages) => stages,
        // Deleted since it was listed: it has no stages to show, and its deletion will say so.
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_not_found_exception()) =>
        {
            return Ok(Vec::new());
        }
        Err(error) => {
            return Err(error).with_context(|| format!("listing the stages of REST API {api_id}"));
        }
    };
    Ok(stages
        .item()
        .iter()
        .filter_map(|s| s.stage_name())
        .map(str::to_string)
        .collect())
}

async fn http_stages(clients: &Clients, api_id: &str) -> anyhow::Result<Vec<String>> {
    let mut stages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = clients
            .http
            .get_stages()
            .api_id(api_id)
            .set_next_token(token.take())
            .send()
            .await
            .with_context(|| format!("listing the stages of API {api_id}"))?;
        stages.extend(
            page.items()
                .iter()
                .filter_map(|s| s.stage_name())
                .map(str::to_string),
        );
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(stages),
        }
    }
}

/// Every base path mapping of every custom domain name (v1), with its domain.
async fn list_base_path_mappings(
    clients: &Clients,
) -> anyhow::Result<Vec<(String, BasePathMapping)>> {
    let mut domains = Vec::new();
    let mut pages = clients
        .rest
        .get_domain_names()
        .into_paginator()
        .items()
        .send();
    while let Some(domain) = pages.next().await {
        let domain = domain.context("listing custom domain names")?;
        if let Some(name) = domain.domain_name() {
            domains.push(name.to_string());
        }
    }
    let mut mappings = Vec::new();
    for domain in domains {
        let mut pages = clients
            .rest
            .get_base_path_mappings()
            .domain_name(&domain)
            .into_paginator()
            .items()
            .send();
        while let Some(mapping) = pages.next().await {
            let mapping =
                mapping.with_context(|| format!("listing base path mappings of {domain}"))?;
            mappings.push((domain.clone(), mapping));
        }
    }
    Ok(mappings)
}

/// Every API mapping of every custom domain name (v2), with its domain. No paginators: loop on
/// NextToken.
async fn list_api_mappings(clients: &Clients) -> anyhow::Result<Vec<(String, ApiMapping)>> {
    let mut domains = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = clients
            .http
            .get_domain_names()
            .set_next_token(token.take())
            .send()
            .await
            .context("listing custom domain names (v2)")?;
        domains.extend(
            page.items()
                .iter()
                .filter_map(|d| d.domain_name())
                .map(str::to_string),
        );
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    let mut mappings = Vec::new();
    for domain in domains {
        let mut token: Option<String> = None;
        loop {
            let page = clients
                .http
                .get_api_mappings()
                .domain_name(&domain)
                .set_next_token(token.take())
                .send()
                .await
                .with_context(|| format!("listing API mappings of {domain}"))?;
            mappings.extend(page.items().iter().map(|m| (domain.clone(), m.clone())));
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
    }
    Ok(mappings)
}

/// Every usage plan, or those that hold one API key.
async fn list_usage_plans(
    clients: &Clients,
    key_id: Option<&str>,
) -> anyhow::Result<Vec<UsagePlan>> {
    let mut plans = Vec::new();
    let mut pages = clients
        .rest
        .get_usage_plans()
        .set_key_id(key_id.map(str::to_string))
        .into_paginator()
        .items()
        .send();
    while let Some(plan) = pages.next().await {
        plans.push(plan.context("listing usage plans")?);
    }
    Ok(plans)
}

async fn list_usage_plan_keys(
    clients: &Clients,
    plan_id: &str,
) -> anyhow::Result<Vec<aws_sdk_apigateway::types::UsagePlanKey>> {
    let mut keys = Vec::new();
    let mut pages = clients
        .rest
        .get_usage_plan_keys()
        .usage_plan_id(plan_id)
        .into_paginator()
        .items()
        .send();
    while let Some(key) = pages.next().await {
        keys.push(key.with_context(|| format!("listing the API keys of usage plan {plan_id}"))?);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_apigateway::types::ApiStage;
    use common::MatchArgs;

    fn api(id: &str, name: &str) -> Api {
        Api {
            kind: REST_API,
            id: id.into(),
            name: name.into(),
            created: None,
            protocol: None,
            notes: vec![],
        }
    }

    fn selection(globs: &[&str]) -> Selection {
        Selection::new(
            "--rest-api",
            &["x".to_string()],
            &MatchArgs {
                globs: globs.iter().map(|g| g.to_string()).collect(),
                all: false,
            },
            &crate::API_NAME,
        )
        .unwrap()
    }

    #[test]
    fn names_and_ids_select_exactly() {
        let all = [
            api("a1", "easyshop-api"),
            api("a2", "easyshop-api-v2"),
            api("a3", "EasyShop-api"),
        ];
        let values = [
            "easyshop-api".to_string(),
            "a3".to_string(),
            "gone".to_string(),
        ];
        let (chosen, absent) = resolve(REST_API, "--rest-api", &values, &all, &selection(&[]));
        let ids: Vec<&str> = chosen.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a1", "a3"]);
        assert_eq!(absent, ["gone"]);
        assert!(chosen[0].notes.is_empty());
    }

    #[test]
    fn a_name_shared_by_several_apis_selects_all_with_a_note() {
        let all = [api("a1", "easyshop-api"), api("a2", "easyshop-api")];
        let (chosen, _) = resolve(
            REST_API,
            "--rest-api",
            &["easyshop-api".to_string()],
            &all,
            &selection(&[]),
        );
        assert_eq!(chosen.len(), 2);
        let note = &chosen[0].notes[0];
        assert!(note.contains("2 REST APIs are named"), "{note}");
        assert!(
            note.contains("a1, a2") && note.contains("--rest-api a1"),
            "{note}"
        );
        assert!(chosen[1].notes.is_empty(), "one note is enough");
    }

    #[test]
    fn an_api_named_and_matched_is_listed_once() {
        let all = [api("a1", "easyshop-api")];
        let (chosen, _) = resolve(
            REST_API,
            "--rest-api",
            &["a1".to_string(), "easyshop-api".to_string()],
            &all,
            &selection(&["easyshop-*"]),
        );
        assert_eq!(chosen.len(), 1);
    }

    #[test]
    fn usage_plan_stages_split_by_api() {
        let plan = UsagePlan::builder()
            .id("p1")
            .api_stages(ApiStage::builder().api_id("a1").stage("prod").build())
            .api_stages(ApiStage::builder().api_id("b2").stage("prod").build())
            .build();
        let ids = BTreeSet::from(["a1"]);
        let (removed, kept) = split_stages(&plan, &ids);
        assert_eq!(removed, ["a1:prod"]);
        assert_eq!(kept, ["b2:prod"]);
    }
}
