//! Turning the selection into a plan. Read-only: only Get* and List* calls.

use std::collections::HashSet;

use anyhow::Context;
use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::{
    CacheBehaviors, DefaultCacheBehavior, Distribution, DistributionSummary, Origins,
};
use common::format::on_off;
use common::{Action, Leftover, Operation, Outcome, Plan};

use crate::origins::oai_id;
use crate::{DISTRIBUTION, ORIGIN_ACCESS_CONTROL, ORIGIN_ACCESS_IDENTITY, Options, Selector};

/// The `Status` of a distribution whose last change has reached every edge location.
pub(crate) const DEPLOYED: &str = "Deployed";

/// Plan detail holding the ids of the distributions that use an OAC or OAI, space-separated.
/// Apply reads it back to decide whether they are all gone.
pub(crate) const USED_BY: &str = "used by";

/// What the plan needs to know about one distribution, from GetDistribution or from a
/// ListDistributions summary (both carry the same facts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Info {
    pub id: String,
    pub arn: String,
    pub domain_name: String,
    pub aliases: Vec<String>,
    pub comment: String,
    pub enabled: bool,
    pub status: String,
    pub origin_domains: Vec<String>,
    /// Origin access control ids, in origin order, without duplicates.
    pub oacs: Vec<String>,
    /// Origin access identity ids, in origin order, without duplicates.
    pub oais: Vec<String>,
    /// ARNs of the Lambda@Edge functions associated with any cache behavior.
    pub edge_functions: Vec<String>,
}

impl Info {
    pub fn from_distribution(distribution: &Distribution) -> Info {
        let mut info = Info {
            id: distribution.id().to_string(),
            arn: distribution.arn().to_string(),
            domain_name: distribution.domain_name().to_string(),
            status: distribution.status().to_string(),
            ..Info::default()
        };
        if let Some(config) = distribution.distribution_config() {
            info.comment = config.comment().to_string();
            info.enabled = config.enabled();
            info.aliases = config
                .aliases()
                .map(|a| a.items().to_vec())
                .unwrap_or_default();
            info.read_origins(config.origins());
            info.read_behaviors(config.default_cache_behavior(), config.cache_behaviors());
        }
        info
    }

    pub fn from_summary(summary: &DistributionSummary) -> Info {
        let mut info = Info {
            id: summary.id().to_string(),
            arn: summary.arn().to_string(),
            domain_name: summary.domain_name().to_string(),
            status: summary.status().to_string(),
            comment: summary.comment().to_string(),
            enabled: summary.enabled(),
            aliases: summary
                .aliases()
                .map(|a| a.items().to_vec())
                .unwrap_or_default(),
            ..Info::default()
        };
        info.read_origins(summary.origins());
        info.read_behaviors(summary.default_cache_behavior(), summary.cache_behaviors());
        info
    }

    fn read_origins(&mut self, origins: Option<&Origins>) {
        for origin in origins.map(Origins::items).unwrap_or_default() {
            self.origin_domains.push(origin.domain_name().to_string());
            if let Some(oac) = origin
                .origin_access_control_id()
                .filter(|id| !id.is_empty())
            {
                push_unique(&mut self.oacs, oac);
            }
            if let Some(oai) = origin
                .s3_origin_config()
                .and_then(|s3| oai_id(s3.origin_access_identity()))
            {
                push_unique(&mut self.oais, &oai);
            }
        }
    }

    fn read_behaviors(
        &mut self,
        default: Option<&DefaultCacheBehavior>,
        others: Option<&CacheBehaviors>,
    ) {
        let mut associations = Vec::new();
        if let Some(lambdas) = default.and_then(|b| b.lambda_function_associations()) {
            associations.extend(lambdas.items().iter());
        }
        for behavior in others.map(|b| b.items()).unwrap_or_default() {
            if let Some(lambdas) = behavior.lambda_function_associations() {
                associations.extend(lambdas.items().iter());
            }
        }
        for association in associations {
            push_unique(&mut self.edge_functions, association.lambda_function_arn());
        }
    }

    /// Whether it uses this origin access control or identity.
    pub(crate) fn uses(&self, kind: &str, id: &str) -> bool {
        let ids = if kind == ORIGIN_ACCESS_CONTROL {
            &self.oacs
        } else {
            &self.oais
        };
        ids.iter().any(|i| i == id)
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|i| i == item) {
        list.push(item.to_string());
    }
}

/// One action per selected distribution (absent ids included, so the user sees every id they
/// gave), then one per OAC and OAI that only selected distributions use; OAC/OAI that other
/// distributions still use are listed as left behind.
pub(crate) async fn plan(
    client: &Client,
    selector: &Selector,
    options: Options,
) -> anyhow::Result<Plan> {
    let mut plan = Plan::default();
    let mut selected: Vec<Info> = Vec::new();
    for id in &selector.ids {
        match get_distribution(client, id).await? {
            Some(info) => selected.push(info),
            None => plan.push(Action::absent(DISTRIBUTION, id)),
        }
    }
    let uses_access = selected
        .iter()
        .any(|d| !d.oacs.is_empty() || !d.oais.is_empty());
    // The whole list is needed to select by bucket or glob, and to know whether an OAC/OAI is
    // still used by a distribution that stays. Exact ids were looked up directly above.
    let listed = if selector.lists() || uses_access {
        Some(list_distributions(client).await?)
    } else {
        None
    };
    if selector.lists() {
        for info in listed.iter().flatten() {
            let picked = selector.matches_glob(&info.comment, &info.aliases)
                || selector.matches_bucket(info.origin_domains.iter().map(String::as_str));
            if picked && !selected.iter().any(|d| d.id == info.id) {
                selected.push(info.clone());
            }
        }
    }
    for info in &selected {
        plan.push(distribution_action(info, options));
    }
    let everyone = listed.as_deref().unwrap_or(&selected);
    plan_origin_access(client, &mut plan, &selected, everyone, options).await?;
    if !selector.unused.is_empty() {
        crate::unused::plan(client, &mut plan, &selector.unused, everyone).await?;
    }
    Ok(plan)
}

/// The plan row of one distribution, with notes on what will happen and what follows.
pub(crate) fn distribution_action(info: &Info, options: Options) -> Action {
    let operation = if options.disable_only {
        Operation::Disable
    } else {
        Operation::Delete
    };
    let mut access: Vec<String> = info.oacs.iter().map(|id| format!("OAC {id}")).collect();
    access.extend(info.oais.iter().map(|id| format!("OAI {id}")));
    let mut action = Action::new(DISTRIBUTION, &info.id, operation)
        .with_id(&info.arn)
        .detail("domain", &info.domain_name)
        .detail("aliases", dash_if_empty(&info.aliases.join(", ")))
        .detail("comment", dash_if_empty(&info.comment))
        .detail("enabled", on_off(info.enabled))
        .detail("status", &info.status)
        .detail("origins", dash_if_empty(&info.origin_domains.join(", ")))
        .detail("origin access", dash_if_empty(&access.join(", ")));
    let deploying = info.status != DEPLOYED;
    match (info.enabled, options.disable_only) {
        (true, true) => {
            action = action.note("it will be disabled and left in place (--disable-only)");
        }
        (true, false) if options.no_wait => {
            action = action.note(
                "it will be disabled; CloudFront then takes 5 to 40 minutes to deploy that, so with --no-wait it is reported as pending: run again later to delete it",
            );
        }
        (true, false) => {
            action = action.note(
                "it will be disabled, then deleted once CloudFront has deployed the change (5 to 40 minutes)",
            );
        }
        (false, true) => {
            action = action.note("already disabled: nothing to do (--disable-only)");
            action.outcome = Some(Outcome::Disabled);
        }
        (false, false) if deploying && options.no_wait => {
            action = action.note(format!(
                "already disabled, change still deploying ({}): with --no-wait it is reported as pending unless deployed by then",
                info.status
            ));
        }
        (false, false) if deploying => {
            action = action.note(format!(
                "already disabled, change still deploying ({}): the run waits for it, then deletes",
                info.status
            ));
        }
        (false, false) => {
            action = action.note("already disabled and deployed: deleted straight away");
        }
    }
    if !info.edge_functions.is_empty() {
        action = action.note(format!(
            "Lambda@Edge function(s) {} are associated: CloudFront removes their replicas hours after the distribution is deleted; until then step 2 (rm-lambda) reports them as pending",
            info.edge_functions.join(", ")
        ));
    }
    action
}

/// OAC first, then OAI, each in order of first use by a selected distribution.
async fn plan_origin_access(
    client: &Client,
    plan: &mut Plan,
    selected: &[Info],
    everyone: &[Info],
    options: Options,
) -> anyhow::Result<()> {
    let selected_ids: HashSet<&str> = selected.iter().map(|d| d.id.as_str()).collect();
    for kind in [ORIGIN_ACCESS_CONTROL, ORIGIN_ACCESS_IDENTITY] {
        let mut ids: Vec<String> = Vec::new();
        for info in selected {
            let used = if kind == ORIGIN_ACCESS_CONTROL {
                &info.oacs
            } else {
                &info.oais
            };
            for id in used {
                push_unique(&mut ids, id);
            }
        }
        for id in ids {
            let users: Vec<&str> = everyone
                .iter()
                .filter(|d| d.uses(kind, &id))
                .map(|d| d.id.as_str())
                .collect();
            let described = if kind == ORIGIN_ACCESS_CONTROL {
                describe_oac(client, &id).await?
            } else {
                describe_oai(client, &id).await?
            };
            let Some(described) = described else {
                // Referenced but gone already (deleted by hand, or by an earlier run).
                plan.push(Action::absent(kind, &id));
                continue;
            };
            match access_disposition(kind, &id, &described, &users, &selected_ids, options) {
                Ok(action) => plan.push(action),
                Err(leftover) => plan.leave(leftover),
            }
        }
    }
    Ok(())
}

/// An OAC's name or an OAI's comment, as CloudFront describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Described {
    /// The name to show: an OAC's name, an OAI's id.
    pub name: String,
    /// An OAC's description or an OAI's comment.
    pub comment: String,
}

/// Deleted only when every distribution that uses it is selected (and will be deleted);
/// otherwise left behind with the reason.
pub(crate) fn access_disposition(
    kind: &str,
    id: &str,
    described: &Described,
    users: &[&str],
    selected: &HashSet<&str>,
    options: Options,
) -> Result<Action, Leftover> {
    let others: Vec<&str> = users
        .iter()
        .copied()
        .filter(|u| !selected.contains(u))
        .collect();
    if !others.is_empty() {
        return Err(Leftover::new(
            kind,
            &described.name,
            format!(
                "still used by distribution(s) {} that are not selected",
                others.join(", ")
            ),
        )
        .with_id(id));
    }
    if options.disable_only {
        return Err(Leftover::new(
            kind,
            &described.name,
            format!(
                "used by distribution(s) {}, which --disable-only keeps: a run without it deletes both",
                users.join(", ")
            ),
        )
        .with_id(id));
    }
    let mut action = Action::new(kind, &described.name, Operation::Delete)
        .with_id(id)
        .detail("comment", dash_if_empty(&described.comment))
        .detail(USED_BY, users.join(" "));
    if options.no_wait {
        action =
            action.note("deleted only after its distribution(s): with --no-wait, on a later run");
    }
    Ok(action)
}

fn dash_if_empty(text: &str) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text.to_string()
    }
}

/// GetDistribution, or `None` when there is no such distribution.
async fn get_distribution(client: &Client, id: &str) -> anyhow::Result<Option<Info>> {
    match client.get_distribution().id(id).send().await {
        Ok(output) => Ok(output.distribution().map(Info::from_distribution)),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_distribution()) =>
        {
            Ok(None)
        }
        Err(error) => Err(error).with_context(|| format!("reading distribution {id}")),
    }
}

async fn list_distributions(client: &Client) -> anyhow::Result<Vec<Info>> {
    let mut all = Vec::new();
    let mut pages = client.list_distributions().into_paginator().items().send();
    while let Some(summary) = pages.next().await {
        all.push(Info::from_summary(
            &summary.context("listing CloudFront distributions")?,
        ));
    }
    Ok(all)
}

async fn describe_oac(client: &Client, id: &str) -> anyhow::Result<Option<Described>> {
    match client.get_origin_access_control().id(id).send().await {
        Ok(output) => {
            let config = output
                .origin_access_control()
                .and_then(|oac| oac.origin_access_control_config());
            Ok(Some(Described {
                name: config.map_or(id, |c| c.name()).to_string(),
                comment: config
                    .and_then(|c| c.description())
                    .unwrap_or_default()
                    .to_string(),
            }))
        }
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_origin_access_control()) =>
        {
            Ok(None)
        }
        Err(error) => Err(error).with_context(|| format!("reading origin access control {id}")),
    }
}

async fn describe_oai(client: &Client, id: &str) -> anyhow::Result<Option<Described>> {
    match client
        .get_cloud_front_origin_access_identity()
        .id(id)
        .send()
        .await
    {
        Ok(output) => Ok(Some(Described {
            name: id.to_string(),
            comment: output
                .cloud_front_origin_access_identity()
                .and_then(|oai| oai.cloud_front_origin_access_identity_config())
                .map(|c| c.comment().to_string())
                .unwrap_or_default(),
        })),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_cloud_front_origin_access_identity()) =>
        {
            Ok(None)
        }
        Err(error) => Err(error).with_context(|| format!("reading origin access identity {id}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudfront::types::{
        Aliases, CacheBehavior, DistributionConfig, EventType, LambdaFunctionAssociation,
        LambdaFunctionAssociations, Origin, S3OriginConfig, ViewerProtocolPolicy,
    };

    fn lambda(arn: &str) -> LambdaFunctionAssociations {
        LambdaFunctionAssociations::builder()
            .quantity(1)
            .items(
                LambdaFunctionAssociation::builder()
                    .lambda_function_arn(arn)
                    .event_type(EventType::OriginRequest)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    /// A distribution as GetDistribution returns it: an S3 origin with an OAC, another with an
    /// OAI, and Lambda@Edge on the default and on a path behavior.
    fn distribution(enabled: bool, status: &str) -> Distribution {
        let config = DistributionConfig::builder()
            .caller_reference("ref")
            .comment("easyshop frontend")
            .enabled(enabled)
            .aliases(
                Aliases::builder()
                    .quantity(1)
                    .items("shop.example.com")
                    .build()
                    .unwrap(),
            )
            .origins(
                Origins::builder()
                    .quantity(2)
                    .items(
                        Origin::builder()
                            .id("site")
                            .domain_name("frontend-fcj.s3.us-east-1.amazonaws.com")
                            .origin_access_control_id("E1OACEXAMPLE01")
                            .s3_origin_config(
                                S3OriginConfig::builder().origin_access_identity("").build(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .items(
                        Origin::builder()
                            .id("images")
                            .domain_name("images-fcj.s3.amazonaws.com")
                            .s3_origin_config(
                                S3OriginConfig::builder()
                                    .origin_access_identity(
                                        "origin-access-identity/cloudfront/E2OAIEXAMPLE02",
                                    )
                                    .build(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .default_cache_behavior(
                DefaultCacheBehavior::builder()
                    .target_origin_id("site")
                    .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                    .lambda_function_associations(lambda(
                        "arn:aws:lambda:us-east-1:123456789012:function:edge-auth:3",
                    ))
                    .build()
                    .unwrap(),
            )
            .cache_behaviors(
                CacheBehaviors::builder()
                    .quantity(1)
                    .items(
                        CacheBehavior::builder()
                            .path_pattern("/img/*")
                            .target_origin_id("images")
                            .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                            .lambda_function_associations(lambda(
                                "arn:aws:lambda:us-east-1:123456789012:function:resize-image:1",
                            ))
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        Distribution::builder()
            .id("E3DISTEXAMPLE3")
            .arn("arn:aws:cloudfront::123456789012:distribution/E3DISTEXAMPLE3")
            .status(status)
            .last_modified_time(aws_sdk_cloudfront::primitives::DateTime::from_secs(0))
            .in_progress_invalidation_batches(0)
            .domain_name("d111111abcdef8.cloudfront.net")
            .distribution_config(config)
            .build()
            .unwrap()
    }

    #[test]
    fn reads_origins_access_and_edge_functions() {
        let info = Info::from_distribution(&distribution(true, DEPLOYED));
        assert_eq!(info.aliases, ["shop.example.com"]);
        assert_eq!(info.comment, "easyshop frontend");
        assert_eq!(
            info.origin_domains,
            [
                "frontend-fcj.s3.us-east-1.amazonaws.com",
                "images-fcj.s3.amazonaws.com"
            ]
        );
        assert_eq!(info.oacs, ["E1OACEXAMPLE01"]);
        assert_eq!(info.oais, ["E2OAIEXAMPLE02"]);
        assert_eq!(info.edge_functions.len(), 2);
    }

    #[test]
    fn plan_row_shows_what_the_user_needs() {
        let info = Info::from_distribution(&distribution(true, DEPLOYED));
        let action = distribution_action(&info, Options::default());
        assert_eq!(action.name, "E3DISTEXAMPLE3");
        assert_eq!(action.operation, Operation::Delete);
        assert_eq!(action.details["enabled"], "on");
        assert_eq!(action.details["status"], "Deployed");
        assert_eq!(action.details["aliases"], "shop.example.com");
        assert_eq!(
            action.details["origin access"],
            "OAC E1OACEXAMPLE01, OAI E2OAIEXAMPLE02"
        );
        assert!(action.is_to_do());
        assert!(
            action.notes.iter().any(|n| n.contains("Lambda@Edge")
                && n.contains("resize-image")
                && n.contains("rm-lambda")),
            "{:?}",
            action.notes
        );
    }

    #[test]
    fn disable_only_skips_distributions_already_disabled() {
        let options = Options {
            disable_only: true,
            ..Options::default()
        };
        let enabled = distribution_action(
            &Info::from_distribution(&distribution(true, DEPLOYED)),
            options,
        );
        assert_eq!(enabled.operation, Operation::Disable);
        assert!(enabled.is_to_do());
        let disabled = distribution_action(
            &Info::from_distribution(&distribution(false, "InProgress")),
            options,
        );
        assert_eq!(disabled.outcome, Some(Outcome::Disabled));
    }

    #[test]
    fn in_progress_disabled_distributions_are_waited_for() {
        let info = Info::from_distribution(&distribution(false, "InProgress"));
        let action = distribution_action(&info, Options::default());
        assert!(action.is_to_do());
        assert!(
            action.notes.iter().any(|n| n.contains("waits")),
            "{:?}",
            action.notes
        );
    }

    #[test]
    fn access_is_deleted_only_when_no_remaining_distribution_uses_it() {
        let described = Described {
            name: "easyshop-oac".into(),
            comment: String::new(),
        };
        let selected: HashSet<&str> = ["EA", "EB"].into_iter().collect();
        let options = Options::default();

        let action = access_disposition(
            ORIGIN_ACCESS_CONTROL,
            "E1",
            &described,
            &["EA", "EB"],
            &selected,
            options,
        )
        .unwrap();
        assert_eq!(action.details[USED_BY], "EA EB");
        assert_eq!(action.id.as_deref(), Some("E1"));

        let leftover = access_disposition(
            ORIGIN_ACCESS_IDENTITY,
            "E2",
            &described,
            &["EA", "EC"],
            &selected,
            options,
        )
        .unwrap_err();
        assert!(leftover.reason.contains("EC"), "{}", leftover.reason);
        assert!(!leftover.reason.contains("EA"), "{}", leftover.reason);

        let disable_only = Options {
            disable_only: true,
            ..options
        };
        let leftover = access_disposition(
            ORIGIN_ACCESS_CONTROL,
            "E1",
            &described,
            &["EA"],
            &selected,
            disable_only,
        )
        .unwrap_err();
        assert!(leftover.reason.contains("--disable-only"));
    }
}
