//! rm-iam through the proxy's IAM rules: what real IAM does that moto does not, and that rm-iam
//! must get past (AWS-NOTES.md, "IAM"): DeleteConflict for a moment after the detaches,
//! service-linked roles only going through DeleteServiceLinkedRole, and permissions boundaries
//! that only a boundary-filtered ListEntitiesForPolicy reveals.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::time::Duration;

use support::*;
use testkit::command;
use testkit::proxy::{Proxy, ProxyConfig, Record, Rule};

/// (status, rule) of each call of `operation` about `resource`, in order.
fn outcomes(log: &[Record], operation: &str, resource: &str) -> Vec<(Option<u16>, Option<Rule>)> {
    log.iter()
        .filter(|r| r.operation == operation && r.resource.as_deref() == Some(resource))
        .map(|r| (r.status, r.rule))
        .collect()
}

async fn boundary_of(client: &aws_sdk_iam::Client, role: &str) -> Option<String> {
    client
        .get_role()
        .role_name(role)
        .send()
        .await
        .unwrap()
        .role()
        .and_then(|r| r.permissions_boundary())
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_conflicts_right_after_the_detaches_are_retried_until_the_role_goes() {
    let iam = iam().await;
    let role = unique("lambda-dynamodb-role");
    create_role(&iam, &role, "/", TRUST_LAMBDA).await;
    let policy_name = format!("AWSLambdaBasicExecutionRole-{}", unique("uuid"));
    let policy = create_policy(&iam, &policy_name, "/service-role/", 0).await;
    attach(&iam, &role, &policy).await;
    put_inline(&iam, &role, "dynamodb-read").await;
    put_inline(&iam, &role, "dynamodb-write").await;
    let decoy = format!("{role}-old");
    create_role(&iam, &decoy, "/", TRUST_LAMBDA).await;

    // Longer than rm-iam's first retry, so it has to retry more than once.
    let proxy = Proxy::start(
        ProxyConfig::aws(testkit::endpoint()).iam_consistency_window(Duration::from_secs(2)),
    )
    .unwrap();
    let output = command(BIN)
        .args(["--role", &role, "--yes", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let report = json(&output);
    assert_eq!(
        action(&report, "role", &role)["outcome"]["status"],
        "deleted"
    );
    assert_eq!(
        action(&report, "policy", &policy_name)["outcome"]["status"],
        "deleted"
    );
    assert!(!role_exists(&iam, &role).await);
    assert!(!policy_exists(&iam, &policy).await);
    assert!(role_exists(&iam, &decoy).await, "the decoy was touched");

    let log = proxy.log();
    let deletes = outcomes(&log, "DeleteRole", &role);
    let (last, refused) = deletes.split_last().unwrap();
    assert!(
        !refused.is_empty(),
        "DeleteRole was never refused: {deletes:?}"
    );
    assert!(
        refused
            .iter()
            .all(|d| *d == (Some(409), Some(Rule::IamEventualConsistency))),
        "{deletes:?}"
    );
    assert_eq!(*last, (Some(200), None), "{deletes:?}");
    // Each retry comes after the detaches, which are not repeated (nothing is left to detach).
    let first_delete = log
        .iter()
        .position(|r| r.operation == "DeleteRole" && r.resource.as_deref() == Some(role.as_str()))
        .unwrap();
    assert!(
        log[first_delete..]
            .iter()
            .all(|r| r.operation != "DetachRolePolicy" && r.operation != "DeleteRolePolicy"),
        "{log:#?}"
    );
    assert_eq!(refusals(&log), Vec::<&Record>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_matched_service_linked_role_is_skipped_without_the_flag_and_deleted_with_it() {
    let iam = iam().await;
    let linked = create_service_linked_role(&iam).await;
    // An ordinary role the same glob matches.
    let ordinary = format!("{linked}-copy");
    create_role(&iam, &ordinary, "/", TRUST_LAMBDA).await;
    let glob = format!("{linked}*");
    let proxy = Proxy::start(ProxyConfig::aws(testkit::endpoint())).unwrap();

    let skipped = command(BIN)
        .args(["--match", &glob, "--yes", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(skipped.status.code(), Some(1), "{}", show(&skipped));
    let report = json(&skipped);
    let refused = action(&report, "role", &linked);
    assert_eq!(refused["outcome"]["status"], "skipped", "{refused:#}");
    let reason = refused["outcome"]["reason"].as_str().unwrap();
    assert!(reason.contains("--service-linked"), "{reason}");
    assert_eq!(
        action(&report, "role", &ordinary)["outcome"]["status"],
        "deleted"
    );
    assert!(role_exists(&iam, &linked).await);
    assert!(!role_exists(&iam, &ordinary).await);
    let log = proxy.log();
    assert!(
        log.iter()
            .all(|r| !r.is_mutating() || r.resource.as_deref() != Some(linked.as_str())),
        "the service-linked role was touched: {log:#?}"
    );
    proxy.clear_log();

    let deleted = command(BIN)
        .args([
            "--match",
            &glob,
            "--service-linked",
            "--yes",
            "--output",
            "json",
        ])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(deleted.status.code(), Some(0), "{}", show(&deleted));
    let report = json(&deleted);
    assert_eq!(
        action(&report, "role", &linked)["outcome"]["status"],
        "deleted"
    );
    assert!(!role_exists(&iam, &linked).await);
    let log = proxy.log();
    let mutating: Vec<&str> = log
        .iter()
        .filter(|r| r.is_mutating())
        .map(|r| r.operation.as_str())
        .collect();
    assert_eq!(
        mutating,
        ["DeleteServiceLinkedRole"],
        "DeleteRole answers UnmodifiableEntity on AWS"
    );
    // The task reads IN_PROGRESS first (as on AWS): rm-iam polls until it succeeds.
    let polls: Vec<Option<Rule>> = log
        .iter()
        .filter(|r| r.operation == "GetServiceLinkedRoleDeletionStatus")
        .map(|r| r.rule)
        .collect();
    assert_eq!(polls, [Some(Rule::IamServiceLinkedRole), None], "{log:#?}");
    assert_eq!(refusals(&log), Vec::<&Record>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_flag_removes_it_as_a_permissions_boundary_and_keeps_the_roles() {
    let iam = iam().await;
    let proxy = Proxy::start(ProxyConfig::aws(testkit::endpoint())).unwrap();
    // Boundaries are set through the proxy, which remembers them: moto cannot list them.
    let through_proxy = aws_sdk_iam::Client::new(&testkit::sdk_config_for(proxy.endpoint()).await);
    let name = unique("easyshop-guardrail");
    let policy = create_policy(&iam, &name, "/", 0).await;
    let bounded = unique("bounded-role");
    create_role(&iam, &bounded, "/", TRUST_LAMBDA).await;
    through_proxy
        .put_role_permissions_boundary()
        .role_name(&bounded)
        .permissions_boundary(&policy)
        .send()
        .await
        .unwrap();
    let attached_role = unique("attached-role");
    create_role(&iam, &attached_role, "/", TRUST_LAMBDA).await;
    attach(&iam, &attached_role, &policy).await;
    // A role bounded by another policy, whose name shares the prefix: untouched.
    let other = create_policy(&iam, &format!("{name}-old"), "/", 0).await;
    let other_bounded = unique("other-bounded-role");
    create_role(&iam, &other_bounded, "/", TRUST_LAMBDA).await;
    through_proxy
        .put_role_permissions_boundary()
        .role_name(&other_bounded)
        .permissions_boundary(&other)
        .send()
        .await
        .unwrap();
    proxy.clear_log();

    let output = command(BIN)
        .args(["--policy", &name, "--yes", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let report = json(&output);
    let planned = action(&report, "policy", &name);
    assert_eq!(planned["outcome"]["status"], "deleted");
    assert_eq!(
        planned["details"]["boundary of"],
        format!("role {bounded}").as_str()
    );
    assert_eq!(
        planned["details"]["attached to"],
        format!("role {attached_role}").as_str()
    );
    assert!(!policy_exists(&iam, &policy).await);
    for role in [&bounded, &attached_role, &other_bounded] {
        assert!(role_exists(&iam, role).await, "role {role} was deleted");
    }
    assert_eq!(boundary_of(&iam, &bounded).await, None);
    assert_eq!(boundary_of(&iam, &other_bounded).await, Some(other.clone()));
    assert!(attached(&iam, &attached_role).await.is_empty());
    assert!(policy_exists(&iam, &other).await);

    let log = proxy.log();
    assert_eq!(
        outcomes(&log, "DeleteRolePermissionsBoundary", &bounded),
        [(Some(200), None)]
    );
    assert!(
        log.iter()
            .all(|r| r.operation != "DeleteRolePermissionsBoundary"
                || r.resource.as_deref() == Some(bounded.as_str())),
        "{log:#?}"
    );
    // The boundary use was found by the filtered listing the proxy answers as AWS does.
    assert!(
        log.iter()
            .any(|r| r.operation == "ListEntitiesForPolicy"
                && r.rule == Some(Rule::IamEntitiesBoundary)),
        "{log:#?}"
    );
    let mutating: Vec<&str> = log
        .iter()
        .filter(|r| r.is_mutating() && r.succeeded())
        .map(|r| r.operation.as_str())
        .collect();
    assert_eq!(
        mutating.last(),
        Some(&"DeletePolicy"),
        "the policy goes last: {mutating:?}"
    );
    assert_eq!(refusals(&log), Vec::<&Record>::new());
}
