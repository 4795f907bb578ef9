//! Fixtures shared by rm-cognito's integration tests: pools made the way the console makes
//! them, existence checks, and report parsing.

#![allow(dead_code, clippy::unwrap_used)]

use aws_sdk_cognitoidentity::Client as IdentityClient;
use aws_sdk_cognitoidentity::types::CognitoIdentityProvider;
use aws_sdk_cognitoidentityprovider::Client as IdpClient;
use aws_sdk_cognitoidentityprovider::types::{
    DeletionProtectionType, UserAttributeUpdateSettingsType, VerifiedAttributeType,
};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_rm-cognito");

pub async fn idp() -> IdpClient {
    IdpClient::new(&testkit::sdk_config().await)
}

pub async fn identity() -> IdentityClient {
    IdentityClient::new(&testkit::sdk_config().await)
}

/// A user pool as the console makes it: `email` auto-verified and required to be verified
/// before an update (the pair AWS checks on UpdateUserPool). Returns its id.
pub async fn create_pool(client: &IdpClient, name: &str, protected: bool) -> String {
    client
        .create_user_pool()
        .pool_name(name)
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .user_attribute_update_settings(
            UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        )
        .deletion_protection(if protected {
            DeletionProtectionType::Active
        } else {
            DeletionProtectionType::Inactive
        })
        .send()
        .await
        .unwrap()
        .user_pool()
        .unwrap()
        .id()
        .unwrap()
        .to_string()
}

pub async fn add_domain(client: &IdpClient, pool: &str, domain: &str) {
    client
        .create_user_pool_domain()
        .user_pool_id(pool)
        .domain(domain)
        .send()
        .await
        .unwrap();
}

/// Returns the client id.
pub async fn add_client(client: &IdpClient, pool: &str, name: &str) -> String {
    client
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name(name)
        .send()
        .await
        .unwrap()
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_string()
}

/// An identity pool trusting `user_pool` (when given). Returns its id.
pub async fn create_identity_pool(
    client: &IdentityClient,
    name: &str,
    user_pool: Option<&str>,
) -> String {
    let mut request = client
        .create_identity_pool()
        .identity_pool_name(name)
        .allow_unauthenticated_identities(false);
    if let Some(pool) = user_pool {
        request = request.cognito_identity_providers(
            CognitoIdentityProvider::builder()
                .provider_name(format!("cognito-idp.us-east-1.amazonaws.com/{pool}"))
                .client_id("web")
                .build(),
        );
    }
    request.send().await.unwrap().identity_pool_id().to_string()
}

pub async fn pool_exists(client: &IdpClient, id: &str) -> bool {
    match client.describe_user_pool().user_pool_id(id).send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(e) => panic!("describe user pool {id}: {e:?}"),
    }
}

pub async fn client_exists(client: &IdpClient, pool: &str, id: &str) -> bool {
    match client
        .describe_user_pool_client()
        .user_pool_id(pool)
        .client_id(id)
        .send()
        .await
    {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(e) => panic!("describe app client {id}: {e:?}"),
    }
}

pub async fn identity_pool_exists(client: &IdentityClient, id: &str) -> bool {
    match client
        .describe_identity_pool()
        .identity_pool_id(id)
        .send()
        .await
    {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(e) => panic!("describe identity pool {id}: {e:?}"),
    }
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

/// Both streams, for assertion messages.
pub fn show(output: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The action of the report with this kind and id.
pub fn action<'a>(report: &'a Value, kind: &str, id: &str) -> &'a Value {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == kind && a["id"] == id)
        .unwrap_or_else(|| panic!("no {kind} {id} in {report:#}"))
}

/// A Cognito-friendly unique name: letters, digits and '-' (identity pools want '_').
pub fn unique(prefix: &str) -> String {
    testkit::unique_name(prefix)
}
