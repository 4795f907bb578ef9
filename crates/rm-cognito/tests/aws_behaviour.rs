//! rm-cognito through the proxy's Cognito identity rule: an identity pool's IAM roles, which
//! moto cannot store (it has no Set/GetIdentityPoolRoles), are reported as left for step 7 and
//! never touched.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::collections::HashMap;

use support::*;
use testkit::command;
use testkit::proxy::{Proxy, ProxyConfig, Rule};

const TRUST_COGNITO: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#;

/// An IAM role for the identity pool to hand out; returns its ARN.
async fn create_role(iam: &aws_sdk_iam::Client, name: &str) -> String {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST_COGNITO)
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string()
}

async fn role_exists(iam: &aws_sdk_iam::Client, name: &str) -> bool {
    match iam.get_role().role_name(name).send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            false
        }
        Err(e) => panic!("get role {name}: {e:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn identity_pool_roles_are_left_for_step_7_and_kept() {
    let idp = idp().await;
    let identity = identity().await;
    let iam = aws_sdk_iam::Client::new(&testkit::sdk_config().await);
    let user_pool = create_pool(&idp, &unique("easyshop-user-pool"), false).await;
    let name = unique("easyshop_identity_pool").replace('-', "_");
    let pool = create_identity_pool(&identity, &name, Some(&user_pool)).await;
    let decoy = create_identity_pool(&identity, &format!("{name}_old"), None).await;
    let authenticated = unique("Cognito_easyshopAuth_Role");
    let unauthenticated = unique("Cognito_easyshopUnauth_Role");
    let authenticated_arn = create_role(&iam, &authenticated).await;
    let unauthenticated_arn = create_role(&iam, &unauthenticated).await;

    let proxy = Proxy::start(ProxyConfig::aws(testkit::endpoint())).unwrap();
    let through_proxy =
        aws_sdk_cognitoidentity::Client::new(&testkit::sdk_config_for(proxy.endpoint()).await);
    through_proxy
        .set_identity_pool_roles()
        .identity_pool_id(&pool)
        .set_roles(Some(HashMap::from([
            ("authenticated".to_string(), authenticated_arn.clone()),
            ("unauthenticated".to_string(), unauthenticated_arn.clone()),
        ])))
        .send()
        .await
        .unwrap();
    proxy.clear_log();

    // The plan, as a person reads it.
    let planned = command(BIN)
        .args(["--identity-pool", &name, "--dry-run"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();
    assert_eq!(planned.status.code(), Some(0), "{}", show(&planned));
    let text = String::from_utf8_lossy(&planned.stdout);
    for role in [&authenticated, &unauthenticated] {
        let line = text
            .lines()
            .find(|l| l.contains(role.as_str()))
            .unwrap_or_else(|| panic!("role {role} is not in the plan:\n{text}"));
        assert!(line.contains("rm-iam --role"), "{line}");
    }
    assert_eq!(proxy.mutating_calls(), Vec::new());

    let output = command(BIN)
        .args(["--identity-pool", &name, "--yes", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let report = json(&output);
    let deleted = action(&report, "identity pool", &pool);
    assert_eq!(deleted["outcome"]["status"], "deleted");
    assert_eq!(deleted["details"]["roles"], "2");
    let left = report["left_behind"].as_array().unwrap();
    assert_eq!(left.len(), 2, "{report:#}");
    for (role, arn, use_) in [
        (&authenticated, &authenticated_arn, "authenticated role"),
        (
            &unauthenticated,
            &unauthenticated_arn,
            "unauthenticated role",
        ),
    ] {
        let leftover = left
            .iter()
            .find(|l| l["name"] == role.as_str())
            .unwrap_or_else(|| panic!("no leftover {role} in {report:#}"));
        assert_eq!(leftover["kind"], "role");
        assert_eq!(leftover["id"], arn.as_str());
        let reason = leftover["reason"].as_str().unwrap();
        assert!(reason.contains(use_) && reason.contains(&pool), "{reason}");
        assert!(
            reason.contains(&format!("rm-iam --role {role}")),
            "{reason}"
        );
        assert!(role_exists(&iam, role).await, "role {role} was deleted");
    }
    assert!(!identity_pool_exists(&identity, &pool).await);
    assert!(identity_pool_exists(&identity, &decoy).await);

    let log = proxy.log();
    assert!(
        log.iter().all(|r| r.service != "iam"),
        "rm-cognito called IAM: {log:#?}"
    );
    assert!(
        log.iter().any(|r| r.operation == "GetIdentityPoolRoles"
            && r.rule == Some(Rule::CognitoIdentityPoolRoles)
            && r.succeeded()),
        "{log:#?}"
    );
}
