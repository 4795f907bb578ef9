//! rm-cloudfront with origin access controls, origin access identities and Lambda@Edge, all made
//! THROUGH the real-AWS behaviour proxy, which remembers what moto forgets of them
//! (`Rule::CloudFrontOriginAccess`, `Rule::CloudFrontLambdaAssociations`) and refuses to delete
//! an OAC or OAI still in use, or without the current ETag in If-Match.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::process::Output;

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::{
    CloudFrontOriginAccessIdentityConfig, EventType, LambdaFunctionAssociation,
    LambdaFunctionAssociations, S3OriginConfig,
};
use serde_json::Value;
use support::*;
use testkit::proxy::{FaultConfig, FaultKind, Proxy, ProxyConfig, Record};
use testkit::{endpoint, sdk_config_for, unique_name};

/// A CloudFront client whose requests go through the proxy, so the proxy remembers them.
async fn through(proxy: &Proxy) -> Client {
    Client::new(&sdk_config_for(proxy.endpoint()).await)
}

fn run_through(proxy: &Proxy, args: &[&str]) -> Output {
    command()
        .args(args)
        .args(["-y", "--output", "json", "--endpoint-url", proxy.endpoint()])
        .output()
        .expect("run the binary")
}

/// How the test distribution's S3 origin reaches its bucket.
enum Access<'a> {
    Oac(&'a str),
    Oai(&'a str),
    /// No origin access; a Lambda@Edge function on the default cache behavior.
    Edge(&'a str),
}

/// Creates a distribution (through `client`) whose one S3 origin uses `access`; returns its id.
async fn create_with(client: &Client, enabled: bool, access: Access<'_>) -> String {
    let mut config = distribution_config(&Spec {
        enabled,
        comment: "origin-access-test",
        ..Spec::default()
    });
    let origin = &mut config.origins.as_mut().unwrap().items[0];
    match access {
        Access::Oac(id) => origin.origin_access_control_id = Some(id.to_string()),
        Access::Oai(id) => {
            origin.s3_origin_config = Some(
                S3OriginConfig::builder()
                    .origin_access_identity(format!("origin-access-identity/cloudfront/{id}"))
                    .build(),
            );
        }
        Access::Edge(arn) => {
            let association = LambdaFunctionAssociation::builder()
                .lambda_function_arn(arn)
                .event_type(EventType::OriginRequest)
                .build()
                .unwrap();
            config
                .default_cache_behavior
                .as_mut()
                .unwrap()
                .lambda_function_associations = Some(
                LambdaFunctionAssociations::builder()
                    .quantity(1)
                    .items(association)
                    .build()
                    .unwrap(),
            );
        }
    }
    let created = client
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .unwrap();
    created.distribution().unwrap().id().to_string()
}

/// A disabled distribution with two S3 origins: the first uses the OAC, the second the OAI.
async fn create_with_both(client: &Client, oac: &str, oai: &str) -> String {
    let mut config = distribution_config(&Spec {
        comment: "origin-access-test",
        origins: &["one.s3.amazonaws.com", "two.s3.amazonaws.com"],
        ..Spec::default()
    });
    let origins = &mut config.origins.as_mut().unwrap().items;
    origins[0].origin_access_control_id = Some(oac.to_string());
    origins[1].s3_origin_config = Some(
        S3OriginConfig::builder()
            .origin_access_identity(format!("origin-access-identity/cloudfront/{oai}"))
            .build(),
    );
    let created = client
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .unwrap();
    created.distribution().unwrap().id().to_string()
}

/// An origin access identity, made through the proxy (which serves them: moto has none).
async fn create_oai(client: &Client) -> String {
    let created = client
        .create_cloud_front_origin_access_identity()
        .cloud_front_origin_access_identity_config(
            CloudFrontOriginAccessIdentityConfig::builder()
                .caller_reference(unique_name("oai-ref"))
                .comment("easyshop OAI")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    created
        .cloud_front_origin_access_identity()
        .unwrap()
        .id()
        .to_string()
}

async fn oai_exists(client: &Client, id: &str) -> bool {
    match client
        .get_cloud_front_origin_access_identity()
        .id(id)
        .send()
        .await
    {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_cloud_front_origin_access_identity()) =>
        {
            false
        }
        Err(e) => panic!("reading origin access identity {id}: {e:?}"),
    }
}

/// The report's action for an OAC or OAI, found by id (its name is the OAC's name).
fn access_action<'a>(report: &'a Value, kind: &str, id: &str) -> &'a Value {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == kind && a["id"] == id)
        .unwrap_or_else(|| panic!("no {kind} {id} in the report: {report:#}"))
}

/// The seq of the one successful call of `operation` on `resource`.
fn successful(proxy: &Proxy, operation: &str, resource: &str) -> Record {
    let calls: Vec<Record> = proxy
        .calls_of(operation)
        .into_iter()
        .filter(|r| r.resource.as_deref() == Some(resource) && r.succeeded())
        .collect();
    assert_eq!(
        calls.len(),
        1,
        "{operation} {resource} did not succeed exactly once: {:#?}",
        proxy.log()
    );
    calls[0].clone()
}

/// Every call of `operation` on `resource` that the proxy refused for a missing or stale
/// If-Match (400 InvalidIfMatchVersion, 412 PreconditionFailed).
fn if_match_refusals(proxy: &Proxy, operation: &str, resource: &str) -> Vec<Record> {
    proxy
        .calls_of(operation)
        .into_iter()
        .filter(|r| r.resource.as_deref() == Some(resource))
        .filter(|r| matches!(r.status, Some(400) | Some(412)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oac_used_only_by_the_distribution_is_deleted_after_it() {
    let cf = client().await;
    let proxy = aws_proxy();
    let via_proxy = through(&proxy).await;
    let oac_name = unique_name("easyshop-oac");
    let oac = create_oac(&via_proxy, &oac_name).await;
    let id = create_with(&via_proxy, true, Access::Oac(&oac)).await;
    proxy.clear_log();

    let output = run_through(&proxy, &["--distribution", &id]);

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(
        action(&report, "distribution", &id)["details"]["origin access"],
        format!("OAC {oac}"),
        "{report:#}"
    );
    let oac_action = access_action(&report, "origin access control", &oac);
    assert_eq!(oac_action["name"], oac_name.as_str());
    assert_eq!(oac_action["outcome"]["status"], "deleted", "{report:#}");
    assert_eq!(outcome(&report, "distribution", &id), "deleted");
    assert_eq!(report["left_behind"], serde_json::json!([]));
    assert_eq!(
        enabled(&cf, &id).await,
        None,
        "the distribution is still there"
    );
    assert!(!oac_exists(&cf, &oac).await, "the OAC is still there");
    // The OAC goes once the distribution is gone, with its current ETag: the proxy answers a
    // missing If-Match with 400 and a stale one with 412.
    let distribution_deleted = successful(&proxy, "DeleteDistribution", &id);
    let oac_deleted = successful(&proxy, "DeleteOriginAccessControl", &oac);
    assert!(
        distribution_deleted.seq < oac_deleted.seq,
        "the OAC was deleted before its distribution: {:#?}",
        proxy.log()
    );
    assert_eq!(
        if_match_refusals(&proxy, "DeleteOriginAccessControl", &oac),
        vec![]
    );
    assert!(
        proxy
            .calls_of("DeleteOriginAccessControl")
            .iter()
            .all(|r| r.seq > distribution_deleted.seq),
        "a delete of the OAC was tried while the distribution existed: {:#?}",
        proxy.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oac_shared_with_an_unselected_distribution_is_left_behind() {
    let cf = client().await;
    let proxy = aws_proxy();
    let via_proxy = through(&proxy).await;
    let oac_name = unique_name("easyshop-oac-shared");
    let oac = create_oac(&via_proxy, &oac_name).await;
    let selected = create_with(&via_proxy, false, Access::Oac(&oac)).await;
    let other = create_with(&via_proxy, false, Access::Oac(&oac)).await;
    proxy.clear_log();

    let output = run_through(&proxy, &["--distribution", &selected]);

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "distribution", &selected), "deleted");
    assert!(
        report["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["kind"] == "distribution"),
        "the shared OAC was planned for deletion: {report:#}"
    );
    let left = report["left_behind"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{report:#}");
    assert_eq!(left[0]["kind"], "origin access control");
    assert_eq!(left[0]["id"], oac.as_str());
    assert_eq!(left[0]["name"], oac_name.as_str());
    let reason = left[0]["reason"].as_str().unwrap();
    assert!(reason.contains(&other), "{reason}");
    assert!(!reason.contains(&selected), "{reason}");
    assert_eq!(enabled(&cf, &selected).await, None);
    assert_eq!(
        enabled(&cf, &other).await,
        Some(false),
        "the other one went"
    );
    assert!(oac_exists(&cf, &oac).await, "the shared OAC was deleted");
    assert_eq!(proxy.calls_of("DeleteOriginAccessControl"), vec![]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oai_used_only_by_the_distribution_is_deleted_after_it() {
    let proxy = aws_proxy();
    let via_proxy = through(&proxy).await;
    let oai = create_oai(&via_proxy).await;
    let id = create_with(&via_proxy, true, Access::Oai(&oai)).await;
    proxy.clear_log();

    let output = run_through(&proxy, &["--distribution", &id]);

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(
        action(&report, "distribution", &id)["details"]["origin access"],
        format!("OAI {oai}"),
        "{report:#}"
    );
    let oai_action = access_action(&report, "origin access identity", &oai);
    assert_eq!(oai_action["details"]["comment"], "easyshop OAI");
    assert_eq!(oai_action["outcome"]["status"], "deleted", "{report:#}");
    assert_eq!(outcome(&report, "distribution", &id), "deleted");
    assert_eq!(enabled(&via_proxy, &id).await, None);
    assert!(
        !oai_exists(&via_proxy, &oai).await,
        "the OAI is still there"
    );
    let distribution_deleted = successful(&proxy, "DeleteDistribution", &id);
    let oai_deleted = successful(&proxy, "DeleteCloudFrontOriginAccessIdentity", &oai);
    assert!(
        distribution_deleted.seq < oai_deleted.seq,
        "the OAI was deleted before its distribution: {:#?}",
        proxy.log()
    );
    assert_eq!(
        if_match_refusals(&proxy, "DeleteCloudFrontOriginAccessIdentity", &oai),
        vec![]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lambda_at_edge_association_is_noted_in_the_dry_run() {
    let proxy = aws_proxy();
    let via_proxy = through(&proxy).await;
    let function = format!(
        "arn:aws:lambda:us-east-1:123456789012:function:{}:1",
        unique_name("edge-fn")
    );
    let id = create_with(&via_proxy, true, Access::Edge(&function)).await;
    proxy.clear_log();

    let output = command()
        .args(["--distribution", &id, "--dry-run", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(report["dry_run"], true);
    let notes = action(&report, "distribution", &id)["notes"].to_string();
    assert!(notes.contains("Lambda@Edge"), "{notes}");
    assert!(notes.contains(&function), "{notes}");
    assert!(notes.contains("rm-lambda"), "{notes}");
    assert_eq!(
        proxy.mutating_calls(),
        vec![],
        "a dry run changed something"
    );
    assert_eq!(enabled(&via_proxy, &id).await, Some(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_plans_the_oac_and_oai_and_changes_nothing() {
    let proxy = aws_proxy();
    let via_proxy = through(&proxy).await;
    let oac = create_oac(&via_proxy, &unique_name("easyshop-oac-dry")).await;
    let oai = create_oai(&via_proxy).await;
    let id = create_with_both(&via_proxy, &oac, &oai).await;
    proxy.clear_log();

    let output = command()
        .args(["--distribution", &id, "--dry-run", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(
        action(&report, "distribution", &id)["details"]["origin access"],
        format!("OAC {oac}, OAI {oai}"),
        "{report:#}"
    );
    for (kind, access) in [
        ("origin access control", &oac),
        ("origin access identity", &oai),
    ] {
        let planned = access_action(&report, kind, access);
        assert_eq!(planned["operation"], "delete", "{report:#}");
        assert_eq!(planned["details"]["used by"], id.as_str(), "{report:#}");
        assert_eq!(planned["outcome"], Value::Null, "{report:#}");
    }
    assert_eq!(
        proxy.mutating_calls(),
        vec![],
        "a dry run changed something"
    );
    assert_eq!(enabled(&via_proxy, &id).await, Some(false));
    assert!(oac_exists(&via_proxy, &oac).await);
    assert!(oai_exists(&via_proxy, &oai).await);
}

/// The answer to the OAC delete, then (another run) to the OAI delete, is lost after CloudFront
/// acted: the SDK's retry finds nothing, which is success for something the plan saw.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_to_the_oac_or_oai_delete_still_ends_deleted() {
    for lost in [
        "DeleteOriginAccessControl",
        "DeleteCloudFrontOriginAccessIdentity",
    ] {
        let faults = FaultConfig::new(3, 1.0)
            .kinds([FaultKind::DropAfterForward])
            .operations([lost])
            .max_faults(1);
        let proxy = Proxy::start(
            ProxyConfig::aws(endpoint())
                .cloudfront_settle_time(std::time::Duration::ZERO)
                .cloudfront_deploy_time(DEPLOY)
                .faults(faults),
        )
        .unwrap();
        let via_proxy = through(&proxy).await;
        let oac = create_oac(&via_proxy, &unique_name("easyshop-oac-lost")).await;
        let oai = create_oai(&via_proxy).await;
        let id = create_with_both(&via_proxy, &oac, &oai).await;
        proxy.clear_log();

        let output = run_through(&proxy, &["--distribution", &id]);

        let injected: Vec<String> = proxy.faults().iter().map(|r| r.operation.clone()).collect();
        assert_eq!(injected, [lost], "{:#?}", proxy.log());
        assert_eq!(
            output.status.code(),
            Some(0),
            "{lost}: {}",
            describe(&output)
        );
        let report = json(&output);
        assert_eq!(outcome(&report, "distribution", &id), "deleted");
        for (kind, access) in [
            ("origin access control", &oac),
            ("origin access identity", &oai),
        ] {
            assert_eq!(
                access_action(&report, kind, access)["outcome"]["status"],
                "deleted",
                "{lost}: {report:#}"
            );
        }
        assert_eq!(enabled(&via_proxy, &id).await, None);
        assert!(!oac_exists(&via_proxy, &oac).await, "{lost}");
        assert!(!oai_exists(&via_proxy, &oai).await, "{lost}");
    }
}

/// `--no-wait`: the distribution is disabled and pending, so its OAC is pending too (CloudFront
/// refuses to delete it while the distribution exists); the advised second run deletes both.
#[tokio::test(flavor = "multi_thread")]
async fn with_no_wait_the_oac_is_pending_and_the_next_run_deletes_both() {
    let proxy = aws_proxy();
    let via_proxy = through(&proxy).await;
    let oac = create_oac(&via_proxy, &unique_name("easyshop-oac-nowait")).await;
    let id = create_with(&via_proxy, true, Access::Oac(&oac)).await;
    proxy.clear_log();

    let first = run_through(&proxy, &["--distribution", &id, "--no-wait"]);

    assert_eq!(first.status.code(), Some(1), "{}", describe(&first));
    let report = json(&first);
    assert_eq!(outcome(&report, "distribution", &id), "pending");
    let oac_action = access_action(&report, "origin access control", &oac);
    assert_eq!(oac_action["outcome"]["status"], "pending", "{report:#}");
    let reason = oac_action["outcome"]["reason"].as_str().unwrap();
    assert!(reason.contains(&id) && reason.contains("again"), "{reason}");
    assert_eq!(enabled(&via_proxy, &id).await, Some(false));
    assert!(oac_exists(&via_proxy, &oac).await);
    assert_eq!(proxy.calls_of("DeleteOriginAccessControl"), vec![]);
    assert_eq!(proxy.calls_of("DeleteDistribution"), vec![]);

    let second = run_through(&proxy, &["--distribution", &id]);

    assert_eq!(second.status.code(), Some(0), "{}", describe(&second));
    let report = json(&second);
    assert_eq!(outcome(&report, "distribution", &id), "deleted");
    assert_eq!(
        access_action(&report, "origin access control", &oac)["outcome"]["status"],
        "deleted",
        "{report:#}"
    );
    assert_eq!(enabled(&via_proxy, &id).await, None);
    assert!(!oac_exists(&via_proxy, &oac).await);
}

/// `--disable-only` keeps the distribution, so its OAI is listed as left behind, saying why.
#[tokio::test(flavor = "multi_thread")]
async fn with_disable_only_the_oai_is_left_behind_with_the_reason() {
    let proxy = aws_proxy();
    let via_proxy = through(&proxy).await;
    let oai = create_oai(&via_proxy).await;
    let id = create_with(&via_proxy, true, Access::Oai(&oai)).await;
    proxy.clear_log();

    let output = run_through(&proxy, &["--distribution", &id, "--disable-only"]);

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "distribution", &id), "disabled");
    let left = report["left_behind"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{report:#}");
    assert_eq!(left[0]["kind"], "origin access identity");
    assert_eq!(left[0]["id"], oai.as_str());
    let reason = left[0]["reason"].as_str().unwrap();
    assert!(reason.contains("--disable-only"), "{reason}");
    assert_eq!(enabled(&via_proxy, &id).await, Some(false));
    assert!(oai_exists(&via_proxy, &oai).await);
    assert_eq!(
        proxy.calls_of("DeleteCloudFrontOriginAccessIdentity"),
        vec![]
    );
}
