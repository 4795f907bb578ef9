//! rm-iam with AWS-managed policies, which the emulator loads as AWS has them
//! (MOTO_IAM_LOAD_MANAGED_POLICIES): they are only ever detached, never deleted.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use support::*;
use testkit::command;
use testkit::proxy::{Proxy, ProxyConfig, Record};

const AWS_MANAGED: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const AWS_MANAGED_NAME: &str = "AmazonS3ReadOnlyAccess";

/// The roles an AWS-managed policy is attached to. The largest page: moto looks for
/// attachments among the first MaxItems roles of the account only (100 by default), and the
/// shared emulator holds more roles than that after a few test runs.
async fn roles_of(client: &aws_sdk_iam::Client, arn: &str) -> Vec<String> {
    client
        .list_entities_for_policy()
        .policy_arn(arn)
        .max_items(1000)
        .send()
        .await
        .unwrap()
        .policy_roles()
        .iter()
        .filter_map(|r| r.role_name().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_aws_managed_policy_is_detached_and_the_customer_managed_one_deleted() {
    let iam = iam().await;
    assert!(
        policy_exists(&iam, AWS_MANAGED).await,
        "the emulator has no AWS-managed policies: start it with MOTO_IAM_LOAD_MANAGED_POLICIES=true"
    );
    let role = unique("lambda-s3-read-role");
    create_role(&iam, &role, "/", TRUST_LAMBDA).await;
    let customer_name = unique("easyshop-s3-policy");
    let customer = create_policy(&iam, &customer_name, "/", 1).await;
    attach(&iam, &role, AWS_MANAGED).await;
    attach(&iam, &role, &customer).await;
    // A role that keeps the AWS-managed policy: it must stay attached there.
    let keeper = unique("keeper-s3-read-role");
    create_role(&iam, &keeper, "/", TRUST_LAMBDA).await;
    attach(&iam, &keeper, AWS_MANAGED).await;

    let proxy = Proxy::start(ProxyConfig::aws(testkit::endpoint())).unwrap();
    let output = command(BIN)
        .args(["--role", &role, "--yes", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let report = json(&output);
    let role_action = action(&report, "role", &role);
    assert_eq!(role_action["outcome"]["status"], "deleted");
    let managed = role_action["details"]["managed policies"].as_str().unwrap();
    assert!(
        managed.contains(AWS_MANAGED_NAME) && managed.contains(&customer_name),
        "{managed}"
    );
    assert_eq!(
        action(&report, "policy", &customer_name)["outcome"]["status"],
        "deleted"
    );
    assert!(
        report["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["name"] != AWS_MANAGED_NAME && a["id"] != AWS_MANAGED),
        "the AWS-managed policy was planned as an action: {report:#}"
    );

    assert!(!role_exists(&iam, &role).await, "the role is still there");
    assert!(
        !policy_exists(&iam, &customer).await,
        "the customer-managed policy is still there"
    );
    assert!(
        policy_exists(&iam, AWS_MANAGED).await,
        "the AWS-managed policy is gone"
    );
    let still_attached = roles_of(&iam, AWS_MANAGED).await;
    assert!(!still_attached.contains(&role), "{still_attached:?}");
    assert!(
        still_attached.contains(&keeper),
        "detached from a role that stays: {still_attached:?}"
    );

    let log = proxy.log();
    // Both policies were detached from the role (the proxy names the role, not the policy,
    // as the resource of a DetachRolePolicy), before the role was deleted.
    let detaches: Vec<u64> = log
        .iter()
        .filter(|r| r.operation == "DetachRolePolicy")
        .inspect(|r| assert_eq!(r.resource.as_deref(), Some(role.as_str()), "{r:?}"))
        .map(|r| r.seq)
        .collect();
    assert_eq!(detaches.len(), 2, "{log:#?}");
    let role_deleted = log
        .iter()
        .find(|r| r.operation == "DeleteRole" && r.succeeded())
        .unwrap()
        .seq;
    assert!(detaches.iter().all(|&d| d < role_deleted), "{log:#?}");
    // Every policy write is about the customer-managed policy (the AWS-managed one has old
    // versions too: v1 and v2 besides its default v3).
    let policy_writes: Vec<_> = log
        .iter()
        .filter(|r| {
            r.is_mutating() && r.operation.contains("Policy") && r.operation != "DetachRolePolicy"
        })
        .collect();
    assert!(!policy_writes.is_empty(), "{log:#?}");
    for record in &policy_writes {
        assert_eq!(
            record.resource.as_deref(),
            Some(customer_name.as_str()),
            "a policy write not about the customer-managed policy: {record:?}"
        );
    }
    assert!(
        log.iter()
            .all(|r| r.resource.as_deref() != Some(AWS_MANAGED_NAME) || !r.is_mutating()),
        "{log:#?}"
    );
    assert_eq!(
        refusals(&log),
        Vec::<&Record>::new(),
        "the proxy had to refuse a call"
    );

    // Tidy up: the keeper holds an attachment to a policy every test shares.
    iam.detach_role_policy()
        .role_name(&keeper)
        .policy_arn(AWS_MANAGED)
        .send()
        .await
        .unwrap();
    iam.delete_role().role_name(&keeper).send().await.unwrap();
}

/// `--policy` with the bare name of an AWS-managed policy (no customer policy has that name):
/// refused at plan time, naming why; nothing is detached or deleted.
#[tokio::test(flavor = "multi_thread")]
async fn policy_flag_naming_an_aws_managed_policy_is_refused() {
    let iam = iam().await;
    let role = unique("aws-managed-user-role");
    create_role(&iam, &role, "/", TRUST_LAMBDA).await;
    attach(&iam, &role, AWS_MANAGED).await;

    let proxy = Proxy::start(ProxyConfig::aws(testkit::endpoint())).unwrap();
    let output = command(BIN)
        .args(["--policy", AWS_MANAGED_NAME, "--yes", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    let report = json(&output);
    let refused = action(&report, "policy", AWS_MANAGED_NAME);
    assert_eq!(refused["id"], AWS_MANAGED);
    assert_eq!(refused["outcome"]["status"], "skipped", "{report:#}");
    assert!(
        refused["outcome"]["reason"]
            .as_str()
            .unwrap()
            .contains("AWS-managed"),
        "{refused}"
    );
    assert_eq!(proxy.mutating_calls(), vec![], "something was changed");
    assert!(policy_exists(&iam, AWS_MANAGED).await);
    assert_eq!(attached(&iam, &role).await, [AWS_MANAGED]);

    iam.detach_role_policy()
        .role_name(&role)
        .policy_arn(AWS_MANAGED)
        .send()
        .await
        .unwrap();
    iam.delete_role().role_name(&role).send().await.unwrap();
}

/// AWS-managed policies under a path (`service-role/AWSLambdaBasicExecutionRole`, which the
/// Lambda console attaches) and as a permissions boundary: the role goes, the policies stay,
/// and nothing about them is left behind for the user to do.
#[tokio::test(flavor = "multi_thread")]
async fn aws_managed_policies_under_a_path_or_as_a_boundary_are_left_alone() {
    const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
    const BOUNDARY: &str = "arn:aws:iam::aws:policy/PowerUserAccess";
    let iam = iam().await;
    let role = unique("lambda-basic-role");
    create_role(&iam, &role, "/service-role/", TRUST_LAMBDA).await;
    attach(&iam, &role, BASIC).await;
    iam.put_role_permissions_boundary()
        .role_name(&role)
        .permissions_boundary(BOUNDARY)
        .send()
        .await
        .unwrap();

    let proxy = Proxy::start(ProxyConfig::aws(testkit::endpoint())).unwrap();
    let output = command(BIN)
        .args(["--role", &role, "--yes", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let report = json(&output);
    let role_action = action(&report, "role", &role);
    assert_eq!(role_action["outcome"]["status"], "deleted");
    assert_eq!(
        role_action["details"]["managed policies"],
        "AWSLambdaBasicExecutionRole"
    );
    assert_eq!(
        role_action["details"]["permissions boundary"],
        "PowerUserAccess"
    );
    assert_eq!(
        report["actions"].as_array().unwrap().len(),
        1,
        "only the role: {report:#}"
    );
    assert_eq!(report["left_behind"], serde_json::json!([]), "{report:#}");
    assert!(!role_exists(&iam, &role).await);
    assert!(policy_exists(&iam, BASIC).await);
    assert!(policy_exists(&iam, BOUNDARY).await);
    let writes: Vec<String> = proxy
        .mutating_calls()
        .iter()
        .map(|r| r.operation.clone())
        .collect();
    assert!(
        writes
            .iter()
            .all(|op| !op.starts_with("DeletePolicy") && !op.contains("PolicyVersion")),
        "{writes:?}"
    );
    assert!(
        writes.contains(&"DetachRolePolicy".to_string()),
        "{writes:?}"
    );
}
