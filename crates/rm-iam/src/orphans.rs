//! Orphaned console policies: customer-managed policies under `/service-role/` that nothing is
//! attached to any more and whose default version is only about the workshop's resources.
//!
//! The Lambda console makes one such policy per execution role
//! (`AWSLambdaBasicExecutionRole-<uuid>`, granting logs on `/aws/lambda/FUNCTION`), and others
//! for DynamoDB or S3 triggers. Deleting the role by hand leaves them behind. A policy is
//! selected when all of these hold:
//! - its path is `/service-role/` (where the console puts them) and it is customer-managed;
//! - IAM counts no attachment and no permissions-boundary use for it;
//! - its default version names at least one of the given resources, and every specific resource
//!   it names is one of them: the log group `/aws/lambda/FUNCTION` (and its streams), the table
//!   `TABLE` (and its indexes and streams), the bucket `BUCKET` (and its objects). Wildcards
//!   such as `*` or `arn:aws:logs:REGION:ACCOUNT:*` name nothing in particular and are allowed;
//!   a pattern inside a name (`table/Product*`) or any other resource keeps the policy out.
//!
//! The selected policies are handed to the `--policy` code path, which plans and deletes them
//! (old versions first) exactly as if the user had named them.

use anyhow::Context;
use aws_sdk_iam::Client;
use aws_sdk_iam::types::PolicyScopeType;
use common::bad_input;

/// The path under which the console puts the policies it makes for roles.
pub const SERVICE_ROLE_PATH: &str = "/service-role/";

/// Plan detail of a policy selected here: the resources it is about.
pub const ABOUT: &str = "about";

/// The resources whose unattached `/service-role/` policies are selected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selectors {
    /// Lambda functions, through their log groups `/aws/lambda/NAME`.
    pub functions: Vec<String>,
    /// DynamoDB tables.
    pub tables: Vec<String>,
    /// S3 buckets.
    pub buckets: Vec<String>,
}

impl Selectors {
    /// Validates the names (each flag's resource naming rule, loosely: no empty names, no
    /// patterns, no separators that would make the ARN match something else).
    pub fn new(
        functions: &[String],
        tables: &[String],
        buckets: &[String],
    ) -> anyhow::Result<Selectors> {
        for (flag, names, extra) in [
            ("--unattached-policies-for-function", functions, "-_"),
            ("--unattached-policies-for-table", tables, "-_."),
            ("--unattached-policies-for-bucket", buckets, "-."),
        ] {
            for name in names {
                if name.trim().is_empty() {
                    return Err(bad_input(format!("empty {flag} name")));
                }
                if name.len() > 255
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
                {
                    return Err(bad_input(format!(
                        "invalid {flag} {}: expected a name of letters, digits and '{extra}'",
                        common::names::shorten(name)
                    )));
                }
            }
        }
        Ok(Selectors {
            functions: dedup(functions),
            tables: dedup(tables),
            buckets: dedup(buckets),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.tables.is_empty() && self.buckets.is_empty()
    }
}

fn dedup(names: &[String]) -> Vec<String> {
    let mut list: Vec<String> = Vec::new();
    for name in names {
        if !list.contains(name) {
            list.push(name.clone());
        }
    }
    list
}

/// One selected policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orphan {
    pub arn: String,
    /// What it is about, e.g. `log group /aws/lambda/resize-image`.
    pub about: Vec<String>,
}

/// Every unattached `/service-role/` policy that is only about the selected resources.
/// Read-only: ListPolicies and GetPolicyVersion.
pub async fn find(client: &Client, selectors: &Selectors) -> anyhow::Result<Vec<Orphan>> {
    let mut found = Vec::new();
    let mut pages = client
        .list_policies()
        .scope(PolicyScopeType::Local)
        .path_prefix(SERVICE_ROLE_PATH)
        .into_paginator()
        .items()
        .send();
    while let Some(policy) = pages.next().await {
        let policy =
            policy.context("listing the customer-managed policies under /service-role/")?;
        // The prefix also matches deeper paths (/service-role/x/): the console uses this one.
        if policy.path() != Some(SERVICE_ROLE_PATH)
            || policy.attachment_count().unwrap_or(0) != 0
            || policy.permissions_boundary_usage_count().unwrap_or(0) != 0
        {
            continue;
        }
        let (Some(arn), Some(version)) = (policy.arn(), policy.default_version_id()) else {
            continue;
        };
        let document = match client
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
        {
            Ok(output) => output
                .policy_version()
                .and_then(|v| v.document())
                .unwrap_or_default()
                .to_string(),
            // Deleted since the listing: nothing to select.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                continue;
            }
            Err(error) => {
                return Err(error).with_context(|| format!("reading policy {arn}"));
            }
        };
        if let Some(about) = only_about(&document, selectors) {
            found.push(Orphan {
                arn: arn.to_string(),
                about,
            });
        }
    }
    Ok(found)
}

/// What a policy document says it is about, when it is only about the selected resources;
/// `None` when it names nothing selected, or something else too, or cannot be read.
pub fn only_about(document: &str, selectors: &Selectors) -> Option<Vec<String>> {
    let text = document.trim();
    // IAM returns documents URL-encoded (RFC 3986); some emulators return them as they are.
    let decoded = if text.starts_with('{') {
        text.to_string()
    } else {
        url_decode(text)?
    };
    let json: serde_json::Value = serde_json::from_str(&decoded).ok()?;
    let statements = match &json["Statement"] {
        serde_json::Value::Array(list) => list.clone(),
        statement @ serde_json::Value::Object(_) => vec![statement.clone()],
        _ => return None,
    };
    let mut about = Vec::new();
    for statement in &statements {
        // NotResource grants everything but the named ones: not about them.
        if statement.get("NotResource").is_some() {
            return None;
        }
        let resources = match statement.get("Resource") {
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            Some(serde_json::Value::Array(list)) => list
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?,
            _ => return None,
        };
        for resource in resources {
            match classify(&resource, selectors) {
                Resource::Generic => {}
                Resource::Selected(what) => {
                    if !about.contains(&what) {
                        about.push(what);
                    }
                }
                Resource::Other => return None,
            }
        }
    }
    (!about.is_empty()).then_some(about)
}

enum Resource {
    /// `*`, or a whole service in an account: names nothing in particular.
    Generic,
    /// One of the selected resources, described.
    Selected(String),
    /// Anything else.
    Other,
}

fn classify(resource: &str, selectors: &Selectors) -> Resource {
    if resource == "*" {
        return Resource::Generic;
    }
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let [arn, _partition, service, _region, _account, rest] = parts.as_slice() else {
        return Resource::Other;
    };
    if *arn != "arn" {
        return Resource::Other;
    }
    if *rest == "*" {
        return Resource::Generic;
    }
    let selected = match *service {
        "logs" => rest
            .strip_prefix("log-group:/aws/lambda/")
            .and_then(|name| up_to(name, ':'))
            .filter(|name| selectors.functions.iter().any(|f| f == name))
            .map(|name| format!("log group /aws/lambda/{name}")),
        "dynamodb" => rest
            .strip_prefix("table/")
            .and_then(|name| up_to(name, '/'))
            .filter(|name| selectors.tables.iter().any(|t| t == name))
            .map(|name| format!("table {name}")),
        "s3" => up_to(rest, '/')
            .filter(|name| selectors.buckets.iter().any(|b| b == name))
            .map(|name| format!("bucket {name}")),
        _ => None,
    };
    selected.map_or(Resource::Other, Resource::Selected)
}

/// The text before `separator` (all of it when there is none); `None` when empty or when it
/// holds a wildcard, which would name more than one resource.
fn up_to(text: &str, separator: char) -> Option<&str> {
    let name = text.split(separator).next().unwrap_or_default();
    (!name.is_empty() && !name.contains(['*', '?'])).then_some(name)
}

/// RFC 3986 percent-decoding, as IAM encodes policy documents.
fn url_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selectors() -> Selectors {
        Selectors::new(
            &["resize-image".into()],
            &["Product".into()],
            &["upload-originals-fcj".into()],
        )
        .unwrap()
    }

    /// The console's AWSLambdaBasicExecutionRole-<uuid> for resize-image.
    const CONSOLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"arn:aws:logs:us-east-1:123456789012:*"},{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/resize-image:*"]}]}"#;

    #[test]
    fn the_consoles_policy_is_about_its_functions_log_group() {
        assert_eq!(
            only_about(CONSOLE, &selectors()),
            Some(vec!["log group /aws/lambda/resize-image".to_string()])
        );
        let encoded = CONSOLE
            .replace('%', "%25")
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
            .replace(':', "%3A")
            .replace('/', "%2F");
        assert_eq!(
            only_about(&encoded, &selectors()),
            Some(vec!["log group /aws/lambda/resize-image".to_string()])
        );
    }

    #[test]
    fn tables_and_buckets_with_their_sub_resources() {
        let doc = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":["arn:aws:dynamodb:us-east-1:123456789012:table/Product","arn:aws:dynamodb:us-east-1:123456789012:table/Product/stream/*","arn:aws:s3:::upload-originals-fcj/*"]}}"#;
        assert_eq!(
            only_about(doc, &selectors()),
            Some(vec![
                "table Product".to_string(),
                "bucket upload-originals-fcj".to_string()
            ])
        );
    }

    #[test]
    fn other_resources_patterns_and_nothing_specific_keep_it_out() {
        for doc in [
            // Another function's log group too.
            r#"{"Statement":[{"Resource":["arn:aws:logs:us-east-1:1:log-group:/aws/lambda/resize-image:*","arn:aws:logs:us-east-1:1:log-group:/aws/lambda/other:*"]}]}"#,
            // A name that only starts like the selected one.
            r#"{"Statement":[{"Resource":"arn:aws:logs:us-east-1:1:log-group:/aws/lambda/resize-image-old:*"}]}"#,
            r#"{"Statement":[{"Resource":"arn:aws:dynamodb:us-east-1:1:table/ProductArchive"}]}"#,
            // A pattern in the name.
            r#"{"Statement":[{"Resource":"arn:aws:dynamodb:us-east-1:1:table/Product*"}]}"#,
            // Only wildcards: the demo's own BASIC_EXECUTION document.
            r#"{"Statement":[{"Resource":"*"}]}"#,
            r#"{"Statement":[{"NotResource":"arn:aws:s3:::upload-originals-fcj"}]}"#,
            "not json",
        ] {
            assert_eq!(only_about(doc, &selectors()), None, "{doc}");
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(Selectors::new(&["".into()], &[], &[]).is_err());
        assert!(Selectors::new(&["a*".into()], &[], &[]).is_err());
        assert!(Selectors::new(&[], &[], &["a/b".into()]).is_err());
        assert!(Selectors::new(&[], &[], &[]).unwrap().is_empty());
    }
}
