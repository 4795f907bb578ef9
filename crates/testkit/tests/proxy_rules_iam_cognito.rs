//! The proxy's IAM and Cognito identity rules against moto: identity pools' roles, IAM's
//! eventual consistency, service-linked roles and permissions boundaries.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod proxy_support;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_iam::types::{EntityType, PolicyUsageType};
use proxy_support::{code, eventually, message, moto, once, status, unique};
use testkit::proxy::{Proxy, ProxyConfig, Record, Rule};

fn proxy(config: ProxyConfig) -> Proxy {
    Proxy::start(config).expect("start the proxy")
}

const TRUST_LAMBDA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn document(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

async fn create_role(iam: &aws_sdk_iam::Client, name: &str, boundary: Option<&str>) {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST_LAMBDA)
        .set_permissions_boundary(boundary.map(str::to_owned))
        .send()
        .await
        .expect("create role");
}

async fn create_policy(iam: &aws_sdk_iam::Client, prefix: &str) -> String {
    iam.create_policy()
        .policy_name(unique(prefix))
        .policy_document(document("s3:GetObject"))
        .send()
        .await
        .expect("create policy")
        .policy()
        .and_then(|p| p.arn())
        .expect("arn")
        .to_owned()
}

async fn role_exists(iam: &aws_sdk_iam::Client, name: &str) -> bool {
    match iam.get_role().role_name(name).send().await {
        Ok(_) => true,
        Err(err) if code(&err) == "NoSuchEntity" => false,
        Err(err) => panic!("get role {name}: {err:?}"),
    }
}

/// (status, rule) of each record of `operation`, in order.
fn outcomes(proxy: &Proxy, operation: &str) -> Vec<(Option<u16>, Option<Rule>)> {
    proxy
        .calls_of(operation)
        .iter()
        .map(|r| (r.status, r.rule))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Cognito identity pools

async fn create_identity_pool(identity: &aws_sdk_cognitoidentity::Client) -> String {
    identity
        .create_identity_pool()
        .identity_pool_name(unique("proxy_ids").replace('-', "_"))
        .allow_unauthenticated_identities(true)
        .send()
        .await
        .expect("create identity pool")
        .identity_pool_id()
        .to_owned()
}

#[tokio::test]
async fn cognito_identity_pool_roles_are_served_by_the_proxy() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let identity = aws_sdk_cognitoidentity::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_cognitoidentity::Client::new(&once(&moto).await);
    let pool = create_identity_pool(&identity).await;
    let authenticated = format!("arn:aws:iam::123456789012:role/{}", unique("Cognito_Auth"));
    let unauthenticated = format!(
        "arn:aws:iam::123456789012:role/{}",
        unique("Cognito_Unauth")
    );
    let roles = HashMap::from([
        ("authenticated".to_owned(), authenticated.clone()),
        ("unauthenticated".to_owned(), unauthenticated.clone()),
    ]);

    // moto has neither operation.
    let err = direct
        .set_identity_pool_roles()
        .identity_pool_id(&pool)
        .set_roles(Some(roles.clone()))
        .send()
        .await
        .expect_err("moto lacks SetIdentityPoolRoles");
    assert_eq!(status(&err), Some(500), "{err:?}");

    // Before any Set: no roles, in AWS's shape.
    let none = identity
        .get_identity_pool_roles()
        .identity_pool_id(&pool)
        .send()
        .await
        .expect("get roles of a pool without roles");
    assert_eq!(none.identity_pool_id(), Some(pool.as_str()));
    assert!(none.roles().is_none_or(HashMap::is_empty), "{none:?}");

    identity
        .set_identity_pool_roles()
        .identity_pool_id(&pool)
        .set_roles(Some(roles.clone()))
        .send()
        .await
        .expect("set roles");
    let got = identity
        .get_identity_pool_roles()
        .identity_pool_id(&pool)
        .send()
        .await
        .expect("get roles");
    assert_eq!(got.roles(), Some(&roles));

    // Another proxy in front of the same emulator sees them too.
    let other = self::proxy(ProxyConfig::aws(&moto));
    let through_other = aws_sdk_cognitoidentity::Client::new(&once(other.endpoint()).await)
        .get_identity_pool_roles()
        .identity_pool_id(&pool)
        .send()
        .await
        .expect("get roles through another proxy");
    assert_eq!(through_other.roles(), Some(&roles));

    // An unknown pool is not found, for both.
    let missing = "us-east-1:00000000-0000-0000-0000-000000000000";
    let err = identity
        .get_identity_pool_roles()
        .identity_pool_id(missing)
        .send()
        .await
        .expect_err("no such pool");
    assert_eq!(code(&err), "ResourceNotFoundException");
    let err = identity
        .set_identity_pool_roles()
        .identity_pool_id(missing)
        .set_roles(Some(roles.clone()))
        .send()
        .await
        .expect_err("no such pool");
    assert_eq!(code(&err), "ResourceNotFoundException");

    // Deleting the pool forgets its roles.
    identity
        .delete_identity_pool()
        .identity_pool_id(&pool)
        .send()
        .await
        .expect("delete pool");
    let err = identity
        .get_identity_pool_roles()
        .identity_pool_id(&pool)
        .send()
        .await
        .expect_err("pool gone");
    assert_eq!(code(&err), "ResourceNotFoundException");

    for operation in ["SetIdentityPoolRoles", "GetIdentityPoolRoles"] {
        let calls = proxy.calls_of(operation);
        assert!(!calls.is_empty());
        assert!(
            calls
                .iter()
                .all(|r| r.rule == Some(Rule::CognitoIdentityPoolRoles) && !r.forwarded),
            "{calls:#?}"
        );
        assert!(
            calls
                .iter()
                .all(|r| r.service == "cognito-identity" && r.resource.is_some())
        );
    }

    // With the rule off, moto's 500 shows through.
    let off = self::proxy(ProxyConfig::aws(&moto).disable(Rule::CognitoIdentityPoolRoles));
    let pool = create_identity_pool(&identity).await;
    let err = aws_sdk_cognitoidentity::Client::new(&once(off.endpoint()).await)
        .get_identity_pool_roles()
        .identity_pool_id(&pool)
        .send()
        .await
        .expect_err("rule off");
    assert_eq!(status(&err), Some(500), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// IAM eventual consistency

#[tokio::test]
async fn iam_delete_right_after_a_detach_is_a_conflict_for_a_while() {
    let moto = moto();
    let window = Duration::from_secs(1);
    let proxy = proxy(ProxyConfig::aws(&moto).iam_consistency_window(window));
    let iam = aws_sdk_iam::Client::new(&once(proxy.endpoint()).await);
    let role = unique("proxy-consistent-role");
    create_role(&iam, &role, None).await;
    let policy = create_policy(&iam, "proxy-consistent-policy").await;
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(&policy)
        .send()
        .await
        .expect("attach");
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("inline")
        .policy_document(document("dynamodb:GetItem"))
        .send()
        .await
        .expect("inline");

    iam.detach_role_policy()
        .role_name(&role)
        .policy_arn(&policy)
        .send()
        .await
        .expect("detach");
    iam.delete_role_policy()
        .role_name(&role)
        .policy_name("inline")
        .send()
        .await
        .expect("delete inline");
    let err = iam
        .delete_role()
        .role_name(&role)
        .send()
        .await
        .expect_err("right after the detach");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_delete_conflict_exception()),
        "{err:?}"
    );
    assert_eq!(status(&err), Some(409));
    assert_eq!(
        message(&err),
        "Cannot delete entity, must delete policies first."
    );
    let err = iam
        .delete_policy()
        .policy_arn(&policy)
        .send()
        .await
        .expect_err("right after the detach");
    assert_eq!(code(&err), "DeleteConflict");
    assert!(role_exists(&iam, &role).await);

    // A retry a little later gets through.
    let deleted = eventually(Duration::from_secs(10), || async {
        iam.delete_role().role_name(&role).send().await.is_ok()
    })
    .await;
    assert!(deleted, "DeleteRole kept answering DeleteConflict");
    iam.delete_policy()
        .policy_arn(&policy)
        .send()
        .await
        .expect("the window has passed");
    assert!(!role_exists(&iam, &role).await);

    let refused: Vec<Record> = proxy
        .log()
        .into_iter()
        .filter(|r| r.rule == Some(Rule::IamEventualConsistency))
        .collect();
    assert!(
        refused
            .iter()
            .all(|r| r.status == Some(409) && !r.forwarded),
        "{refused:#?}"
    );
    assert!(refused.iter().any(|r| r.operation == "DeleteRole"));
    assert!(refused.iter().any(|r| r.operation == "DeletePolicy"));
    assert_eq!(
        outcomes(&proxy, "DeleteRole").last(),
        Some(&(Some(200), None))
    );

    // The same sequence straight to moto: no conflict at all.
    let direct = aws_sdk_iam::Client::new(&once(&moto).await);
    let other = unique("proxy-consistent-direct");
    create_role(&direct, &other, None).await;
    let profile = unique("proxy-consistent-profile");
    direct
        .create_instance_profile()
        .instance_profile_name(&profile)
        .send()
        .await
        .expect("profile");
    direct
        .add_role_to_instance_profile()
        .instance_profile_name(&profile)
        .role_name(&other)
        .send()
        .await
        .expect("add to profile");
    direct
        .remove_role_from_instance_profile()
        .instance_profile_name(&profile)
        .role_name(&other)
        .send()
        .await
        .expect("remove from profile");
    direct
        .delete_role()
        .role_name(&other)
        .send()
        .await
        .expect("moto is consistent at once");
}

#[tokio::test]
async fn iam_leaving_an_instance_profile_also_needs_time_and_a_zero_window_turns_it_off() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto).iam_consistency_window(Duration::from_secs(30)));
    let iam = aws_sdk_iam::Client::new(&once(proxy.endpoint()).await);
    let role = unique("proxy-profile-role");
    create_role(&iam, &role, None).await;
    let profile = unique("proxy-profile");
    iam.create_instance_profile()
        .instance_profile_name(&profile)
        .send()
        .await
        .expect("profile");
    iam.add_role_to_instance_profile()
        .instance_profile_name(&profile)
        .role_name(&role)
        .send()
        .await
        .expect("add to profile");
    iam.remove_role_from_instance_profile()
        .instance_profile_name(&profile)
        .role_name(&role)
        .send()
        .await
        .expect("remove from profile");
    let err = iam
        .delete_role()
        .role_name(&role)
        .send()
        .await
        .expect_err("in the window");
    assert_eq!(
        message(&err),
        "Cannot delete entity, must remove roles from instance profile first."
    );
    // Another role is not held back by this one's window.
    let bystander = unique("proxy-profile-bystander");
    create_role(&iam, &bystander, None).await;
    iam.delete_role()
        .role_name(&bystander)
        .send()
        .await
        .expect("no window for a role nothing was detached from");

    let zero = self::proxy(ProxyConfig::aws(&moto).iam_consistency_window(Duration::ZERO));
    let iam = aws_sdk_iam::Client::new(&once(zero.endpoint()).await);
    iam.add_role_to_instance_profile()
        .instance_profile_name(&profile)
        .role_name(&role)
        .send()
        .await
        .expect("add to profile");
    iam.remove_role_from_instance_profile()
        .instance_profile_name(&profile)
        .role_name(&role)
        .send()
        .await
        .expect("remove from profile");
    iam.delete_role()
        .role_name(&role)
        .send()
        .await
        .expect("zero window: no conflict");
}

// ---------------------------------------------------------------------------------------------
// IAM service-linked roles

#[tokio::test]
async fn iam_service_linked_roles_only_go_through_their_own_api_and_are_polled() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let iam = aws_sdk_iam::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_iam::Client::new(&once(&moto).await);
    let suffix = unique("proxy").replace('-', "");
    let role = iam
        .create_service_linked_role()
        .aws_service_name("autoscaling.amazonaws.com")
        .custom_suffix(&suffix)
        .send()
        .await
        .expect("create service-linked role")
        .role()
        .expect("role")
        .role_name()
        .to_owned();

    let err = iam
        .delete_role()
        .role_name(&role)
        .send()
        .await
        .expect_err("service-linked");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_unmodifiable_entity_exception()),
        "{err:?}"
    );
    assert_eq!(status(&err), Some(400));
    assert!(message(&err).contains(&role), "{}", message(&err));
    assert!(role_exists(&iam, &role).await);
    // A role at another path whose name looks the part is an ordinary role.
    let lookalike = format!(
        "AWSServiceRoleForAutoScaling_{}",
        unique("x").replace('-', "")
    );
    create_role(&iam, &lookalike, None).await;
    iam.delete_role()
        .role_name(&lookalike)
        .send()
        .await
        .expect("an ordinary role");

    let task = iam
        .delete_service_linked_role()
        .role_name(&role)
        .send()
        .await
        .expect("delete service-linked role")
        .deletion_task_id()
        .to_owned();
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let answer = iam
            .get_service_linked_role_deletion_status()
            .deletion_task_id(&task)
            .send()
            .await
            .expect("status");
        statuses.push(answer.status().as_str().to_owned());
    }
    assert_eq!(statuses, ["IN_PROGRESS", "SUCCEEDED"]);
    assert!(!role_exists(&iam, &role).await);
    assert_eq!(
        outcomes(&proxy, "GetServiceLinkedRoleDeletionStatus"),
        [
            (Some(200), Some(Rule::IamServiceLinkedRole)),
            (Some(200), None)
        ]
    );

    // moto deletes a service-linked role with DeleteRole.
    let suffix = unique("direct").replace('-', "");
    let other = direct
        .create_service_linked_role()
        .aws_service_name("autoscaling.amazonaws.com")
        .custom_suffix(&suffix)
        .send()
        .await
        .expect("create")
        .role()
        .expect("role")
        .role_name()
        .to_owned();
    direct
        .delete_role()
        .role_name(&other)
        .send()
        .await
        .expect("moto is lenient");
}

// ---------------------------------------------------------------------------------------------
// IAM permissions boundaries

/// (role names, user names) ListEntitiesForPolicy answers.
async fn entities(
    iam: &aws_sdk_iam::Client,
    arn: &str,
    usage: PolicyUsageType,
    filter: Option<EntityType>,
) -> (Vec<String>, Vec<String>) {
    let answer = iam
        .list_entities_for_policy()
        .policy_arn(arn)
        .policy_usage_filter(usage)
        .set_entity_filter(filter)
        .send()
        .await
        .expect("list entities");
    let mut roles: Vec<String> = answer
        .policy_roles()
        .iter()
        .filter_map(|r| r.role_name().map(str::to_owned))
        .collect();
    roles.sort();
    let users = answer
        .policy_users()
        .iter()
        .filter_map(|u| u.user_name().map(str::to_owned))
        .collect();
    (roles, users)
}

#[tokio::test]
async fn iam_permissions_boundaries_are_listed_and_counted() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto).disable(Rule::IamEventualConsistency));
    let iam = aws_sdk_iam::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_iam::Client::new(&once(&moto).await);
    let policy = create_policy(&iam, "proxy-guardrail").await;
    let (put, created, attached) = (
        unique("proxy-bounded-a"),
        unique("proxy-bounded-b"),
        unique("proxy-attached-c"),
    );
    create_role(&iam, &put, None).await;
    iam.put_role_permissions_boundary()
        .role_name(&put)
        .permissions_boundary(&policy)
        .send()
        .await
        .expect("put boundary");
    create_role(&iam, &created, Some(&policy)).await;
    create_role(&iam, &attached, None).await;
    iam.attach_role_policy()
        .role_name(&attached)
        .policy_arn(&policy)
        .send()
        .await
        .expect("attach");
    let user = unique("proxy-bounded-user");
    iam.create_user()
        .user_name(&user)
        .send()
        .await
        .expect("user");
    iam.put_user_permissions_boundary()
        .user_name(&user)
        .permissions_boundary(&policy)
        .send()
        .await
        .expect("user boundary");
    let bounded_user = iam.get_user().user_name(&user).send().await.unwrap();
    assert_eq!(
        bounded_user
            .user()
            .and_then(|u| u.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn()),
        Some(policy.as_str()),
        "moto keeps no user boundary: the proxy does"
    );
    // A role whose boundary is another policy.
    let other_policy = create_policy(&iam, "proxy-other-guardrail").await;
    let decoy = unique("proxy-bounded-decoy");
    create_role(&iam, &decoy, Some(&other_policy)).await;

    let mut bounded = vec![put.clone(), created.clone()];
    bounded.sort();
    assert_eq!(
        entities(&iam, &policy, PolicyUsageType::PermissionsBoundary, None).await,
        (bounded.clone(), vec![user.clone()])
    );
    assert_eq!(
        entities(
            &iam,
            &policy,
            PolicyUsageType::PermissionsBoundary,
            Some(EntityType::Role)
        )
        .await,
        (bounded.clone(), Vec::new())
    );
    assert_eq!(
        entities(&iam, &policy, PolicyUsageType::PermissionsPolicy, None).await,
        (vec![attached.clone()], Vec::new()),
        "attachments are moto's answer"
    );
    // moto answers the attachments whatever the filter.
    assert_eq!(
        entities(&direct, &policy, PolicyUsageType::PermissionsBoundary, None).await,
        (vec![attached.clone()], Vec::new())
    );

    let counted = iam.get_policy().policy_arn(&policy).send().await.unwrap();
    let counted = counted.policy().unwrap();
    assert_eq!(counted.permissions_boundary_usage_count(), Some(3));
    assert_eq!(counted.attachment_count(), Some(1));
    let moto_says = direct
        .get_policy()
        .policy_arn(&policy)
        .send()
        .await
        .unwrap();
    assert_eq!(
        moto_says
            .policy()
            .unwrap()
            .permissions_boundary_usage_count(),
        None
    );

    // Detached everywhere but still a boundary: AWS refuses DeletePolicy.
    iam.detach_role_policy()
        .role_name(&attached)
        .policy_arn(&policy)
        .send()
        .await
        .expect("detach");
    let err = iam
        .delete_policy()
        .policy_arn(&policy)
        .send()
        .await
        .expect_err("still a boundary");
    assert_eq!(code(&err), "DeleteConflict");

    // Removing the boundaries (and deleting a bounded role) is seen.
    iam.delete_role_permissions_boundary()
        .role_name(&put)
        .send()
        .await
        .expect("remove role boundary");
    iam.delete_role()
        .role_name(&created)
        .send()
        .await
        .expect("delete bounded role");
    assert_eq!(
        entities(&iam, &policy, PolicyUsageType::PermissionsBoundary, None).await,
        (Vec::new(), vec![user.clone()])
    );
    iam.delete_user_permissions_boundary()
        .user_name(&user)
        .send()
        .await
        .expect("remove user boundary");
    assert_eq!(
        entities(&iam, &policy, PolicyUsageType::PermissionsBoundary, None).await,
        (Vec::new(), Vec::new())
    );
    iam.delete_policy()
        .policy_arn(&policy)
        .send()
        .await
        .expect("no use left");
    // The decoy's boundary was never this policy's business.
    let decoy_role = iam.get_role().role_name(&decoy).send().await.unwrap();
    assert_eq!(
        decoy_role
            .role()
            .and_then(|r| r.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn()),
        Some(other_policy.as_str())
    );

    // An unknown policy is not found (moto answers an empty list).
    let err = iam
        .list_entities_for_policy()
        .policy_arn(&policy)
        .policy_usage_filter(PolicyUsageType::PermissionsBoundary)
        .send()
        .await
        .expect_err("policy gone");
    assert_eq!(code(&err), "NoSuchEntity");

    let lists = proxy.calls_of("ListEntitiesForPolicy");
    assert!(
        lists
            .iter()
            .filter(|r| r.rule == Some(Rule::IamEntitiesBoundary))
            .all(|r| !r.forwarded)
    );
}

#[tokio::test]
async fn iam_a_boundary_removed_behind_the_proxys_back_is_forgotten() {
    let moto = moto();
    let proxy = proxy(ProxyConfig::aws(&moto));
    let iam = aws_sdk_iam::Client::new(&once(proxy.endpoint()).await);
    let direct = aws_sdk_iam::Client::new(&once(&moto).await);
    let policy = create_policy(&iam, "proxy-forgotten-guardrail").await;
    let role = unique("proxy-forgotten-role");
    create_role(&iam, &role, Some(&policy)).await;
    assert_eq!(
        entities(&iam, &policy, PolicyUsageType::PermissionsBoundary, None).await,
        (vec![role.clone()], Vec::new())
    );
    direct
        .delete_role_permissions_boundary()
        .role_name(&role)
        .send()
        .await
        .expect("straight to moto");
    let counted = iam.get_policy().policy_arn(&policy).send().await.unwrap();
    assert_eq!(
        counted.policy().unwrap().permissions_boundary_usage_count(),
        None
    );
    assert_eq!(
        entities(&iam, &policy, PolicyUsageType::PermissionsBoundary, None).await,
        (Vec::new(), Vec::new())
    );
}
