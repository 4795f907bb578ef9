//! Each realism rule of the proxy, shown against moto: the call the proxy refuses (or answers
//! differently) in AWS's own shape, and, where it shows the point, the same call directly
//! against moto, which is lenient.

mod proxy_support;

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
};
use proxy_support::{code, eventually, header, message, moto, once, status, unique};
use testkit::proxy::{EDGE_REPLICA_TAG, Proxy, ProxyConfig, Rule};

fn proxy(config: ProxyConfig) -> Proxy {
    Proxy::start(config).expect("start the proxy")
}

// ---------------------------------------------------------------------------------------------
// CloudFront

async fn create_distribution(cf: &aws_sdk_cloudfront::Client, enabled: bool) -> (String, String) {
    let created = cf
        .create_distribution()
        .distribution_config(proxy_support::distribution_config(&unique("ref"), enabled))
        .send()
        .await
        .expect("create distribution");
    let id = created
        .distribution()
        .expect("distribution")
        .id()
        .to_owned();
    (id, created.e_tag().expect("etag").to_owned())
}

/// Disable a distribution the way the workshop chapter says: read the config with its ETag,
/// set Enabled=false on the whole config, update with If-Match. Returns the new ETag.
async fn disable_distribution(cf: &aws_sdk_cloudfront::Client, id: &str) -> String {
    let current = cf
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .expect("get config");
    let mut config = current.distribution_config().expect("config").clone();
    config.enabled = false;
    let updated = cf
        .update_distribution()
        .id(id)
        .if_match(current.e_tag().expect("etag"))
        .distribution_config(config)
        .send()
        .await
        .expect("update distribution");
    updated.e_tag().expect("etag").to_owned()
}

#[tokio::test]
async fn cloudfront_refuses_to_delete_an_enabled_distribution() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let via_proxy = aws_sdk_cloudfront::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_cloudfront::Client::new(&once(&moto).await);
    let (id, etag) = create_distribution(&via_proxy, true).await;

    let err = via_proxy
        .delete_distribution()
        .id(&id)
        .if_match(&etag)
        .send()
        .await
        .expect_err("AWS refuses to delete an enabled distribution");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_distribution_not_disabled()),
        "{err:?}"
    );
    assert_eq!(status(&err), Some(409));

    // moto is lenient: the same call, straight to it, deletes the enabled distribution.
    direct
        .delete_distribution()
        .id(&id)
        .if_match(&etag)
        .send()
        .await
        .expect("moto deletes it");

    let deletes = proxy.calls_of("DeleteDistribution");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].rule, Some(Rule::CloudFrontNotDisabled));
    assert!(!deletes[0].forwarded);
    assert_eq!(deletes[0].resource.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn cloudfront_update_reads_in_progress_until_deployed() {
    let moto = moto();
    let deploy = Duration::from_secs(10);
    // The delete right after Deployed is DistributionNotDisabled's business, not this test's.
    let proxy = proxy(
        ProxyConfig::aws(&moto)
            .cloudfront_deploy_time(deploy)
            .cloudfront_settle_time(Duration::ZERO),
    );
    let cf = aws_sdk_cloudfront::Client::new(&once(proxy.endpoint()).await);
    let (id, _) = create_distribution(&cf, true).await;

    disable_distribution(&cf, &id).await;
    // moto keeps every test's distributions: page through them all. (The deploy time leaves
    // room for a slow listing of many.)
    let pages: Vec<_> = cf
        .list_distributions()
        .into_paginator()
        .send()
        .collect()
        .await;
    let summary = pages
        .iter()
        .filter_map(|page| {
            page.as_ref()
                .expect("list distributions")
                .distribution_list()
        })
        .flat_map(|list| list.items())
        .find(|s| s.id() == id)
        .expect("the distribution is listed");
    assert_eq!(summary.status(), "InProgress");
    let got = cf
        .get_distribution()
        .id(&id)
        .send()
        .await
        .expect("get distribution");
    assert_eq!(
        got.distribution().expect("distribution").status(),
        "InProgress"
    );

    // Disabled but still deploying: AWS still says DistributionNotDisabled.
    let err = cf
        .delete_distribution()
        .id(&id)
        .if_match(got.e_tag().expect("etag"))
        .send()
        .await
        .expect_err("a deploying distribution cannot be deleted");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_distribution_not_disabled()),
        "{err:?}"
    );

    let deployed = eventually(Duration::from_secs(30), || async {
        let got = cf
            .get_distribution()
            .id(&id)
            .send()
            .await
            .expect("get distribution");
        got.distribution().expect("distribution").status() == "Deployed"
    })
    .await;
    assert!(deployed, "the distribution never read Deployed");

    let fresh = cf
        .get_distribution()
        .id(&id)
        .send()
        .await
        .expect("get distribution");
    cf.delete_distribution()
        .id(&id)
        .if_match(fresh.e_tag().expect("etag"))
        .send()
        .await
        .expect("a disabled, deployed distribution is deleted");

    let ops: Vec<String> = proxy
        .log()
        .into_iter()
        .filter(|r| r.is_mutating() && r.succeeded())
        .map(|r| r.operation)
        .collect();
    assert_eq!(
        ops,
        [
            "CreateDistribution",
            "UpdateDistribution",
            "DeleteDistribution"
        ]
    );
}

#[tokio::test]
async fn cloudfront_stale_if_match_is_precondition_failed() {
    let moto = moto();
    let proxy = proxy(
        ProxyConfig::aws(&moto)
            .cloudfront_deploy_time(Duration::ZERO)
            .cloudfront_settle_time(Duration::ZERO),
    );
    let cf = aws_sdk_cloudfront::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_cloudfront::Client::new(&once(&moto).await);
    let (id, created_etag) = create_distribution(&cf, true).await;

    let new_etag = disable_distribution(&cf, &id).await;
    assert_ne!(
        new_etag, created_etag,
        "an update gives the distribution a new ETag"
    );
    let got = cf
        .get_distribution()
        .id(&id)
        .send()
        .await
        .expect("get distribution");
    assert_eq!(
        got.e_tag(),
        Some(new_etag.as_str()),
        "reads return the current ETag"
    );

    let err = cf
        .delete_distribution()
        .id(&id)
        .if_match(&created_etag)
        .send()
        .await
        .expect_err("a stale ETag is refused");
    assert_eq!(code(&err), "PreconditionFailed");
    assert_eq!(status(&err), Some(412));

    // moto keeps one ETag for life and takes any If-Match: it would accept the stale one.
    let moto_view = direct
        .get_distribution()
        .id(&id)
        .send()
        .await
        .expect("get from moto");
    assert_eq!(moto_view.e_tag(), Some(created_etag.as_str()));

    cf.delete_distribution()
        .id(&id)
        .if_match(&new_etag)
        .send()
        .await
        .expect("the current ETag deletes the disabled distribution");
}

#[tokio::test]
async fn cloudfront_delete_right_after_deployed_is_not_disabled_for_a_while() {
    let moto = moto();
    let settle = Duration::from_secs(5);
    let proxy = proxy(
        ProxyConfig::aws(&moto)
            .cloudfront_deploy_time(Duration::from_secs(1))
            .cloudfront_settle_time(settle),
    );
    let cf = aws_sdk_cloudfront::Client::new(&once(proxy.endpoint()).await);
    let (id, _) = create_distribution(&cf, true).await;
    disable_distribution(&cf, &id).await;

    // Wait for Deployed the way the chapter says, then delete at once with the fresh ETag.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let etag = loop {
        let got = cf
            .get_distribution()
            .id(&id)
            .send()
            .await
            .expect("get distribution");
        if got.distribution().expect("distribution").status() == "Deployed" {
            break got.e_tag().expect("etag").to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the distribution never read Deployed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let err = cf
        .delete_distribution()
        .id(&id)
        .if_match(&etag)
        .send()
        .await
        .expect_err("right after Deployed, AWS may still say DistributionNotDisabled");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_distribution_not_disabled()),
        "{err:?}"
    );
    assert_eq!(status(&err), Some(409));
    let refused = proxy.calls_of("DeleteDistribution");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].rule, Some(Rule::DistributionNotDisabled));
    assert!(!refused[0].forwarded);

    // Retrying, as AWS-NOTES.md says, gets through once it has settled.
    let deleted = eventually(Duration::from_secs(30), || async {
        cf.delete_distribution()
            .id(&id)
            .if_match(&etag)
            .send()
            .await
            .is_ok()
    })
    .await;
    assert!(deleted, "the delete was refused for good");
}

#[tokio::test]
async fn cloudfront_settle_time_zero_deletes_right_after_deployed() {
    let moto = moto();
    let proxy = proxy(
        ProxyConfig::aws(&moto)
            .cloudfront_deploy_time(Duration::ZERO)
            .cloudfront_settle_time(Duration::ZERO),
    );
    let cf = aws_sdk_cloudfront::Client::new(&once(proxy.endpoint()).await);
    let (id, _) = create_distribution(&cf, true).await;
    disable_distribution(&cf, &id).await;
    let got = cf
        .get_distribution()
        .id(&id)
        .send()
        .await
        .expect("get distribution");
    assert_eq!(
        got.distribution().expect("distribution").status(),
        "Deployed"
    );
    cf.delete_distribution()
        .id(&id)
        .if_match(got.e_tag().expect("etag"))
        .send()
        .await
        .expect("no settling time: deleted at once");
    assert!(
        proxy
            .log()
            .iter()
            .all(|r| r.rule != Some(Rule::DistributionNotDisabled))
    );
}

async fn create_oac(cf: &aws_sdk_cloudfront::Client) -> (String, String) {
    use aws_sdk_cloudfront::types::{
        OriginAccessControlConfig, OriginAccessControlOriginTypes,
        OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols,
    };
    let created = cf
        .create_origin_access_control()
        .origin_access_control_config(
            OriginAccessControlConfig::builder()
                .name(unique("proxy-oac"))
                .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
                .signing_behavior(OriginAccessControlSigningBehaviors::Always)
                .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
                .build()
                .expect("OAC config"),
        )
        .send()
        .await
        .expect("create OAC");
    let id = created
        .origin_access_control()
        .expect("OAC")
        .id()
        .to_owned();
    (id, created.e_tag().expect("etag").to_owned())
}

async fn create_oai(cf: &aws_sdk_cloudfront::Client, comment: &str) -> (String, String) {
    use aws_sdk_cloudfront::types::CloudFrontOriginAccessIdentityConfig;
    let created = cf
        .create_cloud_front_origin_access_identity()
        .cloud_front_origin_access_identity_config(
            CloudFrontOriginAccessIdentityConfig::builder()
                .caller_reference(unique("oai-ref"))
                .comment(comment)
                .build()
                .expect("OAI config"),
        )
        .send()
        .await
        .expect("create OAI");
    let oai = created.cloud_front_origin_access_identity().expect("OAI");
    assert_eq!(
        oai.cloud_front_origin_access_identity_config()
            .map(|c| c.comment()),
        Some(comment)
    );
    (
        oai.id().to_owned(),
        created.e_tag().expect("etag").to_owned(),
    )
}

/// Each origin's (OAC id, OAI) as the SDK reads them from a distribution config.
fn origin_access(
    config: &aws_sdk_cloudfront::types::DistributionConfig,
) -> Vec<(Option<String>, Option<String>)> {
    config
        .origins()
        .map(|o| o.items())
        .unwrap_or_default()
        .iter()
        .map(|o| {
            (
                o.origin_access_control_id().map(str::to_owned),
                o.s3_origin_config()
                    .map(|s3| s3.origin_access_identity().to_owned()),
            )
        })
        .collect()
}

#[tokio::test]
async fn cloudfront_origin_access_is_remembered_and_in_use_until_the_distribution_is_gone() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let cf = aws_sdk_cloudfront::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_cloudfront::Client::new(&once(&moto).await);

    let (oac, oac_etag) = create_oac(&cf).await;
    let comment = unique("proxy-oai");
    let (oai, oai_etag) = create_oai(&cf, &comment).await;
    let oai_path = format!("origin-access-identity/cloudfront/{oai}");
    let config = proxy_support::distribution_config_with(
        &unique("ref"),
        &[
            ("with-oac", Some(oac.as_str()), ""),
            ("with-oai", None, oai_path.as_str()),
        ],
        &[],
    );
    let created = cf
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .expect("create distribution");
    let id = created
        .distribution()
        .expect("distribution")
        .id()
        .to_owned();
    let expected = vec![
        (Some(oac.clone()), Some(String::new())),
        (None, Some(oai_path.clone())),
    ];

    // Every read through the proxy shows the origins' access; moto itself drops it.
    let got = cf.get_distribution().id(&id).send().await.expect("get");
    let got_config = got
        .distribution()
        .and_then(|d| d.distribution_config())
        .expect("config");
    assert_eq!(origin_access(got_config), expected);
    let config = cf
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .expect("get config");
    assert_eq!(
        origin_access(config.distribution_config().expect("config")),
        expected
    );
    let pages: Vec<_> = cf
        .list_distributions()
        .into_paginator()
        .send()
        .collect()
        .await;
    let summary = pages
        .iter()
        .filter_map(|page| page.as_ref().expect("list").distribution_list())
        .flat_map(|list| list.items())
        .find(|s| s.id() == id)
        .expect("listed");
    let listed: Vec<_> = summary
        .origins()
        .map(|o| o.items())
        .unwrap_or_default()
        .iter()
        .map(|o| o.origin_access_control_id().map(str::to_owned))
        .collect();
    assert_eq!(listed, [Some(oac.clone()), None]);
    let moto_view = direct.get_distribution().id(&id).send().await.expect("get");
    assert_eq!(
        origin_access(
            moto_view
                .distribution()
                .and_then(|d| d.distribution_config())
                .expect("config")
        ),
        [(None, None), (None, None)],
        "moto drops OriginAccessControlId and S3OriginConfig"
    );

    // The OAI lives in the proxy (moto has no OAIs), and another proxy in front of the same
    // moto sees it too.
    let other = self::proxy(ProxyConfig::aws(&moto));
    let other_cf = aws_sdk_cloudfront::Client::new(&once(other.endpoint()).await);
    let got_oai = other_cf
        .get_cloud_front_origin_access_identity()
        .id(&oai)
        .send()
        .await
        .expect("get OAI");
    assert_eq!(got_oai.e_tag(), Some(oai_etag.as_str()));
    let identities: Vec<_> = other_cf
        .list_cloud_front_origin_access_identities()
        .into_paginator()
        .send()
        .collect()
        .await;
    let summary = identities
        .iter()
        .filter_map(|page| {
            page.as_ref()
                .expect("list OAIs")
                .cloud_front_origin_access_identity_list()
        })
        .flat_map(|list| list.items())
        .find(|s| s.id() == oai)
        .expect("the OAI is listed");
    assert_eq!(summary.comment(), comment);
    let err = direct
        .get_cloud_front_origin_access_identity()
        .id(&oai)
        .send()
        .await
        .expect_err("moto has no OAIs");
    assert_eq!(status(&err), Some(404));

    // OAC ETags: a stale one is refused, an update issues a new one.
    let err = cf
        .delete_origin_access_control()
        .id(&oac)
        .if_match("ESTALE")
        .send()
        .await
        .expect_err("a stale ETag");
    assert_eq!(code(&err), "PreconditionFailed");
    assert_eq!(status(&err), Some(412));
    let oac_config = cf
        .get_origin_access_control_config()
        .id(&oac)
        .send()
        .await
        .expect("get OAC config (moto answers 500)");
    assert_eq!(oac_config.e_tag(), Some(oac_etag.as_str()));
    let mut changed = oac_config
        .origin_access_control_config()
        .expect("config")
        .clone();
    changed.description = Some("changed".to_owned());
    let updated = cf
        .update_origin_access_control()
        .id(&oac)
        .if_match(&oac_etag)
        .origin_access_control_config(changed)
        .send()
        .await
        .expect("update OAC");
    let new_oac_etag = updated.e_tag().expect("etag").to_owned();
    assert_ne!(new_oac_etag, oac_etag);
    let got_oac = cf
        .get_origin_access_control()
        .id(&oac)
        .send()
        .await
        .expect("get OAC");
    assert_eq!(got_oac.e_tag(), Some(new_oac_etag.as_str()));
    let err = cf
        .delete_origin_access_control()
        .id(&oac)
        .if_match(&oac_etag)
        .send()
        .await
        .expect_err("the ETag before the update is stale");
    assert_eq!(code(&err), "PreconditionFailed");

    // In use while the distribution exists.
    let err = cf
        .delete_origin_access_control()
        .id(&oac)
        .if_match(&new_oac_etag)
        .send()
        .await
        .expect_err("in use");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_origin_access_control_in_use()),
        "{err:?}"
    );
    assert_eq!(status(&err), Some(409));
    let err = cf
        .delete_cloud_front_origin_access_identity()
        .id(&oai)
        .if_match(&oai_etag)
        .send()
        .await
        .expect_err("in use");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_cloud_front_origin_access_identity_in_use()),
        "{err:?}"
    );
    assert_eq!(status(&err), Some(409));

    // Gone (here straight in moto, which deletes enabled distributions): both can go.
    direct
        .delete_distribution()
        .id(&id)
        .if_match(created.e_tag().expect("etag"))
        .send()
        .await
        .expect("moto deletes it");
    cf.delete_origin_access_control()
        .id(&oac)
        .if_match(&new_oac_etag)
        .send()
        .await
        .expect("unused OAC deleted");
    let err = cf
        .delete_cloud_front_origin_access_identity()
        .id(&oai)
        .send()
        .await
        .expect_err("no If-Match");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_invalid_if_match_version()),
        "{err:?}"
    );
    let err = cf
        .delete_cloud_front_origin_access_identity()
        .id(&oai)
        .if_match("ESTALE")
        .send()
        .await
        .expect_err("a stale OAI ETag");
    assert_eq!(code(&err), "PreconditionFailed");
    cf.delete_cloud_front_origin_access_identity()
        .id(&oai)
        .if_match(&oai_etag)
        .send()
        .await
        .expect("unused OAI deleted");

    // Deleted: AWS's 404s, not moto's 500.
    let err = cf
        .delete_origin_access_control()
        .id(&oac)
        .if_match(&new_oac_etag)
        .send()
        .await
        .expect_err("gone");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_no_such_origin_access_control()),
        "{err:?}"
    );
    let err = cf
        .delete_cloud_front_origin_access_identity()
        .id(&oai)
        .if_match(&oai_etag)
        .send()
        .await
        .expect_err("gone");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_no_such_cloud_front_origin_access_identity()),
        "{err:?}"
    );
    let err = cf
        .get_cloud_front_origin_access_identity()
        .id(&oai)
        .send()
        .await
        .expect_err("gone");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_no_such_cloud_front_origin_access_identity()),
        "{err:?}"
    );
    let rules: Vec<_> = proxy
        .log()
        .into_iter()
        .filter(|r| r.operation.contains("OriginAccess") && r.operation.starts_with("Delete"))
        .map(|r| (r.status, r.rule))
        .collect();
    let access = Some(Rule::CloudFrontOriginAccess);
    assert_eq!(
        rules,
        [
            (Some(412), access),
            (Some(412), access),
            (Some(409), access),
            (Some(409), access),
            (Some(204), None),
            (Some(400), access),
            (Some(412), access),
            (Some(204), access),
            (Some(404), Some(Rule::MissingNotFound)),
            (Some(404), Some(Rule::MissingNotFound)),
        ]
    );
}

#[tokio::test]
async fn cloudfront_lambda_associations_are_remembered() {
    use aws_sdk_cloudfront::types::EventType;
    let moto = moto();
    // Origin access off, so that the log credits the associations alone.
    let proxy = proxy(
        ProxyConfig::aws(&moto)
            .cloudfront_deploy_time(Duration::ZERO)
            .disable(Rule::CloudFrontOriginAccess),
    );
    let cf = aws_sdk_cloudfront::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_cloudfront::Client::new(&once(&moto).await);
    let viewer = "arn:aws:lambda:us-east-1:123456789012:function:proxy-edge-viewer:1";
    let origin = "arn:aws:lambda:us-east-1:123456789012:function:proxy-edge-origin:2";
    let config = proxy_support::distribution_config_with(
        &unique("ref"),
        &[("origin", None, "")],
        &[
            (None, viewer, EventType::ViewerRequest),
            (Some("/api/*"), origin, EventType::OriginRequest),
        ],
    );
    let created = cf
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .expect("create distribution");
    let id = created
        .distribution()
        .expect("distribution")
        .id()
        .to_owned();

    let associations = |config: &aws_sdk_cloudfront::types::DistributionConfig| {
        let mut arns = Vec::new();
        if let Some(lambdas) = config
            .default_cache_behavior()
            .and_then(|b| b.lambda_function_associations())
        {
            arns.extend(
                lambdas
                    .items()
                    .iter()
                    .map(|a| ("default".to_owned(), a.lambda_function_arn().to_owned())),
            );
        }
        for behavior in config
            .cache_behaviors()
            .map(|b| b.items())
            .unwrap_or_default()
        {
            if let Some(lambdas) = behavior.lambda_function_associations() {
                arns.extend(lambdas.items().iter().map(|a| {
                    (
                        behavior.path_pattern().to_owned(),
                        a.lambda_function_arn().to_owned(),
                    )
                }));
            }
        }
        arns
    };
    let expected = vec![
        ("default".to_owned(), viewer.to_owned()),
        ("/api/*".to_owned(), origin.to_owned()),
    ];
    let got = cf.get_distribution().id(&id).send().await.expect("get");
    let got_config = got
        .distribution()
        .and_then(|d| d.distribution_config())
        .expect("config");
    assert_eq!(associations(got_config), expected);
    assert_eq!(
        proxy.calls_of("GetDistribution")[0].rule,
        Some(Rule::CloudFrontLambdaAssociations)
    );
    let moto_view = direct.get_distribution().id(&id).send().await.expect("get");
    assert_eq!(
        associations(
            moto_view
                .distribution()
                .and_then(|d| d.distribution_config())
                .expect("config")
        ),
        [],
        "moto drops LambdaFunctionAssociations"
    );

    // An update that drops the path behavior's association is remembered as such.
    let current = cf
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .expect("get config");
    let mut config = current.distribution_config().expect("config").clone();
    assert_eq!(associations(&config), expected);
    config.enabled = false;
    if let Some(behaviors) = config.cache_behaviors.as_mut() {
        for behavior in behaviors.items.iter_mut().flatten() {
            behavior.lambda_function_associations = None;
        }
    }
    cf.update_distribution()
        .id(&id)
        .if_match(current.e_tag().expect("etag"))
        .distribution_config(config)
        .send()
        .await
        .expect("update");
    let got = cf.get_distribution().id(&id).send().await.expect("get");
    assert_eq!(
        associations(
            got.distribution()
                .and_then(|d| d.distribution_config())
                .expect("config")
        ),
        [("default".to_owned(), viewer.to_owned())]
    );

    // The rule off: moto's view shows through.
    let off = self::proxy(ProxyConfig::aws(&moto).disable(Rule::CloudFrontLambdaAssociations));
    let off_cf = aws_sdk_cloudfront::Client::new(&once(off.endpoint()).await);
    let got = off_cf.get_distribution().id(&id).send().await.expect("get");
    assert_eq!(
        associations(
            got.distribution()
                .and_then(|d| d.distribution_config())
                .expect("config")
        ),
        []
    );
}

// ---------------------------------------------------------------------------------------------
// Cognito

async fn create_pool(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    protection: aws_sdk_cognitoidentityprovider::types::DeletionProtectionType,
    verify_email: bool,
) -> String {
    use aws_sdk_cognitoidentityprovider::types::{
        UserAttributeUpdateSettingsType, VerifiedAttributeType,
    };
    let mut request = idp
        .create_user_pool()
        .pool_name(unique("proxy-pool"))
        .deletion_protection(protection);
    if verify_email {
        request = request
            .auto_verified_attributes(VerifiedAttributeType::Email)
            .user_attribute_update_settings(
                UserAttributeUpdateSettingsType::builder()
                    .attributes_require_verification_before_update(
                        aws_sdk_cognitoidentityprovider::types::VerifiedAttributeType::Email,
                    )
                    .build(),
            );
    }
    let pool = request.send().await.expect("create user pool");
    pool.user_pool()
        .and_then(|p| p.id())
        .expect("pool id")
        .to_owned()
}

#[tokio::test]
async fn cognito_refuses_to_delete_a_pool_with_a_domain() {
    use aws_sdk_cognitoidentityprovider::types::DeletionProtectionType;
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_cognitoidentityprovider::Client::new(&once(&moto).await);
    let pool = create_pool(&idp, DeletionProtectionType::Inactive, false).await;
    let domain = unique("proxy-domain");
    idp.create_user_pool_domain()
        .user_pool_id(&pool)
        .domain(&domain)
        .send()
        .await
        .expect("domain");

    let err = idp
        .delete_user_pool()
        .user_pool_id(&pool)
        .send()
        .await
        .expect_err("has a domain");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_invalid_parameter_exception()),
        "{err:?}"
    );
    assert_eq!(
        message(&err),
        "User pool cannot be deleted. It has a domain configured that should be deleted first."
    );

    // The order AWS wants: the domain first, then the pool.
    idp.delete_user_pool_domain()
        .user_pool_id(&pool)
        .domain(&domain)
        .send()
        .await
        .expect("domain");
    idp.delete_user_pool()
        .user_pool_id(&pool)
        .send()
        .await
        .expect("pool without domain");

    // moto is lenient: it deletes a pool that still has a domain.
    let other = create_pool(&direct, DeletionProtectionType::Inactive, false).await;
    let other_domain = unique("proxy-domain");
    direct
        .create_user_pool_domain()
        .user_pool_id(&other)
        .domain(&other_domain)
        .send()
        .await
        .expect("domain");
    direct
        .delete_user_pool()
        .user_pool_id(&other)
        .send()
        .await
        .expect("moto deletes it");

    let rules: Vec<_> = proxy
        .calls_of("DeleteUserPool")
        .iter()
        .map(|r| r.rule)
        .collect();
    assert_eq!(rules, [Some(Rule::CognitoDomain), None]);
}

#[tokio::test]
async fn cognito_refuses_to_delete_a_protected_pool() {
    use aws_sdk_cognitoidentityprovider::types::DeletionProtectionType;
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_cognitoidentityprovider::Client::new(&once(&moto).await);
    let pool = create_pool(&idp, DeletionProtectionType::Active, false).await;

    let err = idp
        .delete_user_pool()
        .user_pool_id(&pool)
        .send()
        .await
        .expect_err("protected");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_invalid_parameter_exception()),
        "{err:?}"
    );
    assert!(
        message(&err).contains("deletion protection is activated"),
        "{}",
        message(&err)
    );

    idp.update_user_pool()
        .user_pool_id(&pool)
        .deletion_protection(DeletionProtectionType::Inactive)
        .send()
        .await
        .expect("turn protection off");
    idp.delete_user_pool()
        .user_pool_id(&pool)
        .send()
        .await
        .expect("unprotected pool");

    // moto is lenient: it deletes a protected pool.
    let other = create_pool(&direct, DeletionProtectionType::Active, false).await;
    direct
        .delete_user_pool()
        .user_pool_id(&other)
        .send()
        .await
        .expect("moto deletes it");
}

#[tokio::test]
async fn cognito_update_must_send_auto_verified_attributes() {
    use aws_sdk_cognitoidentityprovider::types::{
        DeletionProtectionType, UserAttributeUpdateSettingsType, VerifiedAttributeType,
    };
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_cognitoidentityprovider::Client::new(&once(&moto).await);
    // A pool as the console makes it: email verified, and required before an update.
    let pool = create_pool(&idp, DeletionProtectionType::Active, true).await;

    let err = idp
        .update_user_pool()
        .user_pool_id(&pool)
        .deletion_protection(DeletionProtectionType::Inactive)
        .send()
        .await
        .expect_err("UpdateUserPool resets AutoVerifiedAttributes, which the pool needs");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_invalid_parameter_exception()),
        "{err:?}"
    );
    assert_eq!(
        message(&err),
        "All attributes in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes"
    );

    // Sending the current settings back works.
    idp.update_user_pool()
        .user_pool_id(&pool)
        .deletion_protection(DeletionProtectionType::Inactive)
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .user_attribute_update_settings(
            UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        )
        .send()
        .await
        .expect("an update that keeps the verification settings");

    // moto is lenient: the bare update goes through.
    direct
        .update_user_pool()
        .user_pool_id(&pool)
        .deletion_protection(DeletionProtectionType::Inactive)
        .send()
        .await
        .expect("moto accepts it");
    direct
        .delete_user_pool()
        .user_pool_id(&pool)
        .send()
        .await
        .expect("clean up");
}

// ---------------------------------------------------------------------------------------------
// IAM

async fn create_policy(iam: &aws_sdk_iam::Client) -> String {
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let policy = iam
        .create_policy()
        .policy_name(unique("proxy-policy"))
        .policy_document(document)
        .send()
        .await
        .expect("create policy");
    policy
        .policy()
        .and_then(|p| p.arn())
        .expect("arn")
        .to_owned()
}

#[tokio::test]
async fn iam_refuses_to_delete_an_attached_policy() {
    let moto = moto();
    // The delete right after the detach is this rule's point, not eventual consistency's.
    let proxy = proxy(ProxyConfig::aws(&moto).disable(Rule::IamEventualConsistency));
    let iam = aws_sdk_iam::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_iam::Client::new(&once(&moto).await);
    let role_arn = proxy_support::lambda_role(&direct).await;
    let role = role_arn.rsplit('/').next().expect("role name").to_owned();
    let policy = create_policy(&iam).await;
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(&policy)
        .send()
        .await
        .expect("attach");

    let err = iam
        .delete_policy()
        .policy_arn(&policy)
        .send()
        .await
        .expect_err("attached");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_delete_conflict_exception()),
        "{err:?}"
    );
    assert_eq!(status(&err), Some(409));
    assert_eq!(
        message(&err),
        "Cannot delete a policy attached to entities."
    );

    iam.detach_role_policy()
        .role_name(&role)
        .policy_arn(&policy)
        .send()
        .await
        .expect("detach");
    iam.delete_policy()
        .policy_arn(&policy)
        .send()
        .await
        .expect("a detached policy is deleted");

    // moto is lenient: it deletes an attached policy.
    let other = create_policy(&direct).await;
    direct
        .attach_role_policy()
        .role_name(&role)
        .policy_arn(&other)
        .send()
        .await
        .expect("attach");
    direct
        .delete_policy()
        .policy_arn(&other)
        .send()
        .await
        .expect("moto deletes it");

    let deletes = proxy.calls_of("DeletePolicy");
    assert_eq!(deletes[0].rule, Some(Rule::IamDeleteConflict));
    assert_eq!(deletes[0].resource.as_deref(), policy.rsplit('/').next());
}

#[tokio::test]
async fn iam_refuses_to_delete_a_policy_with_versions() {
    let moto = moto();
    // The delete right after the detach is this rule's point, not eventual consistency's.
    let proxy = proxy(ProxyConfig::aws(&moto).disable(Rule::IamEventualConsistency));
    let iam = aws_sdk_iam::Client::new(&once(proxy.endpoint()).await);
    let policy = create_policy(&iam).await;
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
    iam.create_policy_version()
        .policy_arn(&policy)
        .policy_document(document)
        .set_as_default(true)
        .send()
        .await
        .expect("new default version");

    let err = iam
        .delete_policy()
        .policy_arn(&policy)
        .send()
        .await
        .expect_err("has versions");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_delete_conflict_exception()),
        "{err:?}"
    );
    assert!(
        message(&err).contains("more than one version"),
        "{}",
        message(&err)
    );

    iam.delete_policy_version()
        .policy_arn(&policy)
        .version_id("v1")
        .send()
        .await
        .expect("v1");
    iam.delete_policy()
        .policy_arn(&policy)
        .send()
        .await
        .expect("only the default is left");
}

// ---------------------------------------------------------------------------------------------
// API Gateway

#[tokio::test]
async fn rest_api_deletes_are_rate_limited() {
    let moto = moto();
    let window = Duration::from_secs(2);
    let proxy = proxy(ProxyConfig::aws(&moto).rest_api_delete_window(window));
    let apigw = aws_sdk_apigateway::Client::new(&once(proxy.endpoint()).await);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let api = apigw
            .create_rest_api()
            .name(unique("proxy-api"))
            .send()
            .await
            .expect("create");
        ids.push(api.id().expect("id").to_owned());
    }

    apigw
        .delete_rest_api()
        .rest_api_id(&ids[0])
        .send()
        .await
        .expect("the first delete");
    let err = apigw
        .delete_rest_api()
        .rest_api_id(&ids[1])
        .send()
        .await
        .expect_err("a second delete inside the window");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_too_many_requests_exception()),
        "{err:?}"
    );
    assert_eq!(status(&err), Some(429));
    assert_eq!(
        header(&err, "x-amzn-errortype").as_deref(),
        Some("TooManyRequestsException")
    );
    assert!(header(&err, "retry-after").is_some());

    // After the window a failed delete (no such API) does not start a new one ...
    tokio::time::sleep(window + Duration::from_millis(500)).await;
    let err = apigw
        .delete_rest_api()
        .rest_api_id("nosuchapi")
        .send()
        .await
        .expect_err("absent");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_not_found_exception()),
        "{err:?}"
    );
    // ... so the next one goes through, and it does start one.
    apigw
        .delete_rest_api()
        .rest_api_id(&ids[1])
        .send()
        .await
        .expect("after the window");
    let err = apigw
        .delete_rest_api()
        .rest_api_id(&ids[2])
        .send()
        .await
        .expect_err("window");
    assert_eq!(status(&err), Some(429));

    let direct = aws_sdk_apigateway::Client::new(&once(&moto).await);
    direct
        .delete_rest_api()
        .rest_api_id(&ids[2])
        .send()
        .await
        .expect("moto has no such limit");
}

#[tokio::test]
async fn deleting_what_does_not_exist_answers_not_found() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let conf = once(proxy.endpoint()).await;
    let apigw = aws_sdk_apigateway::Client::new(&conf);
    let apigwv2 = aws_sdk_apigatewayv2::Client::new(&conf);
    let cf = aws_sdk_cloudfront::Client::new(&conf);
    let lambda = aws_sdk_lambda::Client::new(&conf);

    let err = apigw
        .delete_rest_api()
        .rest_api_id("nosuch")
        .send()
        .await
        .expect_err("absent");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_not_found_exception()),
        "{err:?}"
    );
    assert_eq!(status(&err), Some(404));
    let err = apigw
        .delete_usage_plan()
        .usage_plan_id("nosuch")
        .send()
        .await
        .expect_err("absent");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_not_found_exception()),
        "{err:?}"
    );
    let err = apigwv2
        .delete_api()
        .api_id("nosuch")
        .send()
        .await
        .expect_err("absent");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_not_found_exception()),
        "{err:?}"
    );
    let err = cf
        .delete_origin_access_control()
        .id("ENOSUCH")
        .if_match("E1")
        .send()
        .await
        .expect_err("absent");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_no_such_origin_access_control()),
        "{err:?}"
    );
    let err = cf
        .delete_cloud_front_origin_access_identity()
        .id("ENOSUCH")
        .if_match("E1")
        .send()
        .await
        .expect_err("absent");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_no_such_cloud_front_origin_access_identity()),
        "{err:?}"
    );
    let err = lambda
        .delete_event_source_mapping()
        .uuid("00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .expect_err("absent");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{err:?}"
    );
    assert!(
        proxy
            .log()
            .iter()
            .all(|r| r.rule == Some(Rule::MissingNotFound) && !r.forwarded)
    );

    // moto: a 500 for the REST API, success for the HTTP API.
    let direct = once(&moto).await;
    let err = aws_sdk_apigateway::Client::new(&direct)
        .delete_rest_api()
        .rest_api_id("nosuch")
        .send()
        .await
        .expect_err("moto fails");
    assert_eq!(status(&err), Some(500));
    aws_sdk_apigatewayv2::Client::new(&direct)
        .delete_api()
        .api_id("nosuch")
        .send()
        .await
        .expect("moto says it deleted an API that never existed");

    // Existing resources are deleted as usual.
    let api = apigwv2
        .create_api()
        .name(unique("proxy-http-api"))
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .expect("create HTTP API");
    apigwv2
        .delete_api()
        .api_id(api.api_id().expect("id"))
        .send()
        .await
        .expect("delete it");
}

// ---------------------------------------------------------------------------------------------
// DynamoDB

async fn create_table(ddb: &aws_sdk_dynamodb::Client, name: &str) -> TableStatus {
    let created = ddb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect("create table");
    created
        .table_description()
        .and_then(|t| t.table_status())
        .cloned()
        .expect("status")
}

async fn table_status(ddb: &aws_sdk_dynamodb::Client, name: &str) -> Option<TableStatus> {
    match ddb.describe_table().table_name(name).send().await {
        Ok(out) => out.table().and_then(|t| t.table_status()).cloned(),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            None
        }
        Err(err) => panic!("describe table: {err:?}"),
    }
}

#[tokio::test]
async fn dynamodb_new_table_reads_creating() {
    let moto = moto();
    let proxy = proxy(
        ProxyConfig::aws(&moto)
            .dynamodb_creating_time(Duration::from_secs(2))
            .dynamodb_deleting_time(Duration::ZERO),
    );
    let ddb = aws_sdk_dynamodb::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_dynamodb::Client::new(&once(&moto).await);
    let table = unique("proxy-creating");

    assert_eq!(create_table(&ddb, &table).await, TableStatus::Creating);
    assert_eq!(
        table_status(&ddb, &table).await,
        Some(TableStatus::Creating)
    );
    assert_eq!(
        table_status(&direct, &table).await,
        Some(TableStatus::Active),
        "moto: at once"
    );

    let err = ddb
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .expect_err("still creating");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_in_use_exception()),
        "{err:?}"
    );

    let active = eventually(Duration::from_secs(30), || async {
        table_status(&ddb, &table).await == Some(TableStatus::Active)
    })
    .await;
    assert!(active, "the table never became ACTIVE");
    ddb.delete_table()
        .table_name(&table)
        .send()
        .await
        .expect("an ACTIVE table is deleted");
    assert_eq!(table_status(&ddb, &table).await, None);
}

#[tokio::test]
async fn dynamodb_deleted_table_reads_deleting() {
    let moto = moto();
    let proxy = proxy(
        ProxyConfig::aws(&moto)
            .dynamodb_creating_time(Duration::ZERO)
            .dynamodb_deleting_time(Duration::from_secs(2)),
    );
    let ddb = aws_sdk_dynamodb::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_dynamodb::Client::new(&once(&moto).await);
    let table = unique("proxy-deleting");
    assert_eq!(create_table(&ddb, &table).await, TableStatus::Active);

    let deleted = ddb
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .expect("delete table");
    let status = deleted
        .table_description()
        .and_then(|t| t.table_status())
        .cloned();
    assert_eq!(status, Some(TableStatus::Deleting));
    let described = ddb
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .expect("still there");
    let described = described.table().expect("table");
    assert_eq!(described.table_status(), Some(&TableStatus::Deleting));
    assert_eq!(described.table_name(), Some(table.as_str()));
    assert_eq!(
        table_status(&direct, &table).await,
        None,
        "moto: gone at once"
    );

    let gone = eventually(Duration::from_secs(30), || async {
        table_status(&ddb, &table).await.is_none()
    })
    .await;
    assert!(gone, "the table never went away");
    let describes = proxy.calls_of("DescribeTable");
    assert_eq!(describes[0].rule, Some(Rule::DynamoDbDeleting));
    assert!(!describes[0].forwarded);
}

// ---------------------------------------------------------------------------------------------
// Lambda

async fn create_function(
    lambda: &aws_sdk_lambda::Client,
    role: &str,
    edge_replica: bool,
) -> String {
    use aws_sdk_lambda::primitives::Blob;
    use aws_sdk_lambda::types::{FunctionCode, Runtime};
    let name = unique("proxy-fn");
    let zip = proxy_support::tiny_zip("index.py", b"def handler(event, context):\n    return 1\n");
    let mut request = lambda
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Python312)
        .role(role)
        .handler("index.handler")
        .code(FunctionCode::builder().zip_file(Blob::new(zip)).build());
    if edge_replica {
        request = request.tags(EDGE_REPLICA_TAG, "true");
    }
    request.send().await.expect("create function");
    name
}

#[tokio::test]
async fn lambda_edge_replicas_refuse_deletion_for_a_while() {
    let moto = moto();
    let window = Duration::from_secs(2);
    let proxy = proxy(ProxyConfig::aws(&moto).edge_replica_time(window));
    let lambda = aws_sdk_lambda::Client::new(&once(proxy.endpoint()).await);
    let direct_iam = aws_sdk_iam::Client::new(&once(&moto).await);
    let role = proxy_support::lambda_role(&direct_iam).await;
    let replica = create_function(&lambda, &role, true).await;
    let plain = create_function(&lambda, &role, false).await;

    lambda
        .delete_function()
        .function_name(&plain)
        .send()
        .await
        .expect("an ordinary function");

    let err = lambda
        .delete_function()
        .function_name(&replica)
        .send()
        .await
        .expect_err("replica");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_invalid_parameter_value_exception()),
        "{err:?}"
    );
    let expected = format!(
        "Lambda was unable to delete arn:aws:lambda:us-east-1:123456789012:function:{replica}:1 \
         because it is a replicated function. Please see our documentation for Deleting \
         Lambda@Edge Functions and Replicas."
    );
    assert_eq!(message(&err), expected);
    let again = lambda
        .delete_function()
        .function_name(&replica)
        .send()
        .await;
    assert!(
        again.is_err(),
        "still a replica right after the first refusal"
    );

    tokio::time::sleep(window + Duration::from_millis(500)).await;
    lambda
        .delete_function()
        .function_name(&replica)
        .send()
        .await
        .expect("replicas are gone");

    let outcomes: Vec<_> = proxy
        .calls_of("DeleteFunction")
        .into_iter()
        .filter(|r| r.resource.as_deref() == Some(replica.as_str()))
        .map(|r| (r.status, r.rule))
        .collect();
    assert_eq!(
        outcomes,
        [
            (Some(400), Some(Rule::LambdaEdgeReplica)),
            (Some(400), Some(Rule::LambdaEdgeReplica)),
            (Some(204), None)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// S3

#[tokio::test]
async fn s3_bucket_in_another_region_answers_permanent_redirect() {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let us = proxy_support::s3(&once(proxy.endpoint()).await);
    let eu = proxy_support::s3(&proxy_support::config(proxy.endpoint(), "eu-west-1", 1).await);
    let direct_us = proxy_support::s3(&once(&moto).await);
    let direct_eu = proxy_support::s3(&proxy_support::config(&moto, "eu-west-1", 1).await);

    let bucket = unique("proxy-eu");
    eu.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create bucket in eu-west-1");
    eu.put_object()
        .bucket(&bucket)
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("same region");

    let err = us
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .expect_err("wrong region");
    assert_eq!(status(&err), Some(301));
    assert_eq!(code(&err), "PermanentRedirect");
    assert_eq!(
        header(&err, "x-amz-bucket-region").as_deref(),
        Some("eu-west-1")
    );
    // The region can always be asked for.
    let location = us
        .get_bucket_location()
        .bucket(&bucket)
        .send()
        .await
        .expect("location");
    assert_eq!(
        location.location_constraint(),
        Some(&BucketLocationConstraint::EuWest1)
    );
    // moto is lenient: it serves the bucket to us-east-1.
    direct_us
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .expect("moto serves any region");

    // A bucket the proxy did not see created: it asks moto for the region.
    let unseen = unique("proxy-unseen");
    direct_eu
        .create_bucket()
        .bucket(&unseen)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create bucket directly");
    let err = us
        .delete_bucket()
        .bucket(&unseen)
        .send()
        .await
        .expect_err("wrong region");
    assert_eq!(
        header(&err, "x-amz-bucket-region").as_deref(),
        Some("eu-west-1")
    );
    eu.delete_bucket()
        .bucket(&unseen)
        .send()
        .await
        .expect("right region");

    let redirected: Vec<_> = proxy
        .log()
        .into_iter()
        .filter(|r| r.rule == Some(Rule::S3RegionRedirect))
        .map(|r| (r.operation, r.region))
        .collect();
    let us_east_1 = Some("us-east-1".to_owned());
    assert_eq!(
        redirected,
        [
            ("ListObjectsV2".to_owned(), us_east_1.clone()),
            ("DeleteBucket".to_owned(), us_east_1)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Profiles

#[tokio::test]
async fn passthrough_profile_applies_no_rule() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::passthrough(&moto));
    let cf = aws_sdk_cloudfront::Client::new(&once(proxy.endpoint()).await);
    let (id, etag) = create_distribution(&cf, true).await;
    cf.delete_distribution()
        .id(&id)
        .if_match(&etag)
        .send()
        .await
        .expect("passthrough: moto's leniency shows through");
    assert!(proxy.log().iter().all(|r| r.rule.is_none() && r.forwarded));
}

#[tokio::test]
async fn a_single_rule_can_be_turned_off() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto).disable(Rule::CloudFrontNotDisabled));
    assert!(!proxy.config().is_enabled(Rule::CloudFrontNotDisabled));
    assert!(proxy.config().is_enabled(Rule::CloudFrontIfMatch));
    let cf = aws_sdk_cloudfront::Client::new(&once(proxy.endpoint()).await);
    let (id, etag) = create_distribution(&cf, true).await;
    cf.delete_distribution()
        .id(&id)
        .if_match(&etag)
        .send()
        .await
        .expect("rule off");
}
