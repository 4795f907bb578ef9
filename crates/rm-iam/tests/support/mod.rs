//! Fixtures shared by rm-iam's integration tests: roles made the way the Lambda console makes
//! them, policies with versions, existence checks, and report parsing.

#![allow(dead_code, clippy::unwrap_used)]

use aws_sdk_iam::Client;
use serde_json::Value;
use testkit::proxy::{Record, Rule};

pub const BIN: &str = env!("CARGO_BIN_EXE_rm-iam");

pub const TRUST_LAMBDA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// moto's STS AssumeRole needs a principal it can map; any AWS account principal will do.
pub const TRUST_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

pub async fn iam() -> Client {
    Client::new(&testkit::sdk_config().await)
}

pub fn policy_document(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

pub async fn create_role(client: &Client, name: &str, path: &str, trust: &str) -> String {
    client
        .create_role()
        .role_name(name)
        .path(path)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string()
}

/// A service-linked role for Auto Scaling with a fresh custom suffix (`unique("shop")`, without
/// hyphens); returns its name.
pub async fn create_service_linked_role(client: &Client) -> String {
    let suffix = unique("shop").replace('-', "");
    client
        .create_service_linked_role()
        .aws_service_name("autoscaling.amazonaws.com")
        .custom_suffix(&suffix)
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .role_name()
        .to_string()
}

/// A customer-managed policy with `extra_versions` versions besides the first (the last one
/// made is the default). Returns its ARN.
pub async fn create_policy(
    client: &Client,
    name: &str,
    path: &str,
    extra_versions: usize,
) -> String {
    let arn = client
        .create_policy()
        .policy_name(name)
        .path(path)
        .policy_document(policy_document("logs:CreateLogGroup"))
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    for i in 0..extra_versions {
        client
            .create_policy_version()
            .policy_arn(&arn)
            .policy_document(policy_document(&format!("logs:PutLogEvents{i}")))
            .set_as_default(true)
            .send()
            .await
            .unwrap();
    }
    arn
}

pub async fn attach(client: &Client, role: &str, policy: &str) {
    client
        .attach_role_policy()
        .role_name(role)
        .policy_arn(policy)
        .send()
        .await
        .unwrap();
}

pub async fn put_inline(client: &Client, role: &str, name: &str) {
    client
        .put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(policy_document("dynamodb:GetItem"))
        .send()
        .await
        .unwrap();
}

/// An instance profile holding `role`.
pub async fn add_profile(client: &Client, name: &str, role: &str) {
    client
        .create_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .unwrap();
    client
        .add_role_to_instance_profile()
        .instance_profile_name(name)
        .role_name(role)
        .send()
        .await
        .unwrap();
}

pub async fn role_exists(client: &Client, name: &str) -> bool {
    match client.get_role().role_name(name).send().await {
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

pub async fn policy_exists(client: &Client, arn: &str) -> bool {
    match client.get_policy().policy_arn(arn).send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            false
        }
        Err(e) => panic!("get policy {arn}: {e:?}"),
    }
}

pub async fn profile_exists(client: &Client, name: &str) -> bool {
    match client
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
    {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            false
        }
        Err(e) => panic!("get instance profile {name}: {e:?}"),
    }
}

/// The managed policies attached to a role, by ARN.
pub async fn attached(client: &Client, role: &str) -> Vec<String> {
    client
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap()
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect()
}

/// Temporary credentials of `role` (STS AssumeRole), as (key id, secret, token).
pub async fn assume(role_arn: &str) -> (String, String, String) {
    let sts = aws_sdk_sts::Client::new(&testkit::sdk_config().await);
    let credentials = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("rm-iam-test")
        .send()
        .await
        .unwrap()
        .credentials()
        .unwrap()
        .clone();
    (
        credentials.access_key_id().to_string(),
        credentials.secret_access_key().to_string(),
        credentials.session_token().to_string(),
    )
}

pub fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

pub fn show(output: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The action of the report with this kind and name.
pub fn action<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == kind && a["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {report:#}"))
}

/// The left-behind entry with this kind and name.
pub fn leftover<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["left_behind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == kind && a["name"] == name)
        .unwrap_or_else(|| panic!("no leftover {kind} {name} in {report:#}"))
}

/// The calls the proxy refused as AWS would, but for the DeleteConflicts of IAM's eventual
/// consistency, which every run meets right after its detaches and must retry.
pub fn refusals(log: &[Record]) -> Vec<&Record> {
    log.iter()
        .filter(|r| {
            r.rule.is_some() && !r.succeeded() && r.rule != Some(Rule::IamEventualConsistency)
        })
        .collect()
}

pub fn unique(prefix: &str) -> String {
    testkit::unique_name(prefix)
}
