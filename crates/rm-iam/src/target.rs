//! What the user named, validated once, before any AWS call: role names, and policies by name
//! or ARN.

use common::bad_input;
use common::names::{NameRule, shorten};

/// IAM's role naming rule: `[\w+=,.@-]+`, up to 64 characters.
pub const ROLE_NAME: NameRule = NameRule {
    what: "role",
    min_len: 1,
    max_len: 64,
    allowed: |c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c),
    allowed_text: "letters, digits and '_+=,.@-'",
};

/// IAM's managed policy naming rule: `[\w+=,.@-]+`, up to 128 characters.
pub const POLICY_NAME: NameRule = NameRule {
    what: "policy",
    min_len: 1,
    max_len: 128,
    allowed: |c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c),
    allowed_text: "letters, digits and '_+=,.@-'",
};

/// A policy as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyRef {
    /// `arn:PARTITION:iam::ACCOUNT:policy/PATH/NAME`, a customer-managed policy.
    Arn(String),
    /// A bare name: looked up at the root path, then among the account's policies at any path
    /// (console-made ones live under `/service-role/`).
    Name(String),
}

impl PolicyRef {
    pub fn parse(text: &str) -> anyhow::Result<PolicyRef> {
        if !text.starts_with("arn:") {
            POLICY_NAME.check(text)?;
            return Ok(PolicyRef::Name(text.to_string()));
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let invalid = || {
            bad_input(format!(
                "invalid policy ARN {}: expected arn:aws:iam::ACCOUNT_ID:policy/[PATH/]NAME",
                shorten(text)
            ))
        };
        let [_, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(invalid());
        };
        let Some(path_and_name) = resource.strip_prefix("policy/") else {
            return Err(invalid());
        };
        if partition.is_empty() || *service != "iam" || !region.is_empty() {
            return Err(invalid());
        }
        if *account == "aws" {
            return Err(bad_input(format!(
                "{} is an AWS-managed policy: it cannot be deleted (rm-iam detaches AWS-managed policies from the roles it deletes)",
                shorten(text)
            )));
        }
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        POLICY_NAME.check(name)?;
        if !path_and_name
            .chars()
            .all(|c| c == '/' || c.is_ascii_graphic())
        {
            return Err(invalid());
        }
        Ok(PolicyRef::Arn(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            PolicyRef::Arn(s) | PolicyRef::Name(s) => s,
        }
    }
}

/// Parses every `--policy`, dropping duplicates (first occurrence wins).
pub fn parse_policies(texts: &[String]) -> anyhow::Result<Vec<PolicyRef>> {
    let mut policies = Vec::new();
    for text in texts {
        let policy = PolicyRef::parse(text)?;
        if !policies.contains(&policy) {
            policies.push(policy);
        }
    }
    Ok(policies)
}

/// The policy name at the end of an ARN (`.../policy/service-role/Name` -> `Name`).
pub fn policy_name_from_arn(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Whether an ARN is an AWS-managed policy (`arn:aws:iam::aws:policy/...`).
pub fn is_aws_managed(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_customer_managed_arns_are_accepted() {
        assert_eq!(
            PolicyRef::parse("AWSLambdaBasicExecutionRole-0a1b").unwrap(),
            PolicyRef::Name("AWSLambdaBasicExecutionRole-0a1b".into())
        );
        let arn = "arn:aws:iam::123456789012:policy/service-role/AWSLambdaBasicExecutionRole-0a1b";
        assert_eq!(PolicyRef::parse(arn).unwrap(), PolicyRef::Arn(arn.into()));
        assert!(PolicyRef::parse("arn:aws-cn:iam::123456789012:policy/Shop").is_ok());
    }

    #[test]
    fn aws_managed_arns_are_refused_with_the_reason() {
        let error = PolicyRef::parse("arn:aws:iam::aws:policy/AdministratorAccess").unwrap_err();
        assert!(common::errors::is_bad_input(&error));
        assert!(error.to_string().contains("AWS-managed"), "{error}");
    }

    #[test]
    fn malformed_arns_and_names_are_bad_input() {
        for bad in [
            "arn:aws:iam::123456789012:role/Shop",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::12345:policy/Shop",
            "arn:aws:iam::123456789012:policy/",
            "arn:aws:iam:us-east-1:123456789012:policy/Shop",
            "arn:aws",
            "Shop Policy",
            "Shop;rm",
        ] {
            let error = PolicyRef::parse(bad).unwrap_err();
            assert!(common::errors::is_bad_input(&error), "{bad}");
        }
    }

    #[test]
    fn helpers_read_arns() {
        assert_eq!(
            policy_name_from_arn("arn:aws:iam::1:policy/service-role/Name"),
            "Name"
        );
        assert!(is_aws_managed(
            "arn:aws:iam::aws:policy/service-role/AWSLambdaRole"
        ));
        assert!(!is_aws_managed("arn:aws:iam::123456789012:policy/Shop"));
    }
}
