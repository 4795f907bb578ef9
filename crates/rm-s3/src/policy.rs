//! Does a bucket policy deny what emptying and deleting the bucket needs?
//!
//! A policy with `"Effect": "Deny"` on `s3:DeleteObject` (a common "protect this bucket"
//! pattern) makes every delete fail, even for the bucket's owner; the owner can still remove the
//! policy, so it goes first (AWS-NOTES.md, "S3"). Conditions and principals are not evaluated:
//! a deny that might apply is treated as applying, since the policy is about to be deleted with
//! the bucket anyway. A policy that denies nothing we need is left alone, so a bucket that ends
//! up not deleted (a compliance lock) keeps its policy.

use serde_json::Value;

/// The actions this step uses on a bucket being emptied and deleted.
pub(crate) const DELETE_ACTIONS: &[&str] = &[
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteBucket",
    "s3:AbortMultipartUpload",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
];

/// The actions the lifecycle strategy uses.
pub(crate) const LIFECYCLE_ACTIONS: &[&str] = &["s3:PutLifecycleConfiguration", "s3:DeleteBucket"];

/// The actions in `needed` that some Deny statement of `policy` covers, in `needed`'s order.
/// A policy that is not valid JSON denies nothing we can tell.
pub(crate) fn denied_actions(policy: &str, needed: &[&str]) -> Vec<String> {
    let Ok(document) = serde_json::from_str::<Value>(policy) else {
        return Vec::new();
    };
    let statements: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    let denies: Vec<&Value> = statements
        .into_iter()
        .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Deny"))
        .collect();
    needed
        .iter()
        .filter(|action| denies.iter().any(|statement| covers(statement, action)))
        .map(|action| action.to_string())
        .collect()
}

/// Whether a statement's `Action` (or, inverted, `NotAction`) covers `action`.
fn covers(statement: &Value, action: &str) -> bool {
    if let Some(patterns) = statement.get("Action") {
        return strings(patterns).any(|pattern| action_matches(pattern, action));
    }
    if let Some(patterns) = statement.get("NotAction") {
        return !strings(patterns).any(|pattern| action_matches(pattern, action));
    }
    false
}

fn strings(value: &Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match value {
        Value::String(one) => Box::new(std::iter::once(one.as_str())),
        Value::Array(many) => Box::new(many.iter().filter_map(Value::as_str)),
        _ => Box::new(std::iter::empty()),
    }
}

/// IAM action matching: case-insensitive, `*` for any run of characters, `?` for one.
fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let action: Vec<char> = action.to_ascii_lowercase().chars().collect();
    wildcard(&pattern, &action)
}

fn wildcard(pattern: &[char], text: &[char]) -> bool {
    // Iterative matching with backtracking to the last star: linear in practice.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(statements: &str) -> String {
        format!(r#"{{"Version": "2012-10-17", "Statement": {statements}}}"#)
    }

    #[test]
    fn deny_on_delete_object_is_found() {
        let p = policy(
            r#"[{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"}]"#,
        );
        assert_eq!(denied_actions(&p, DELETE_ACTIONS), ["s3:DeleteObject"]);
    }

    #[test]
    fn wildcards_and_case_are_matched_like_iam() {
        let p = policy(r#"{"Effect": "Deny", "Principal": "*", "Action": ["S3:delete*"]}"#);
        assert_eq!(
            denied_actions(&p, DELETE_ACTIONS),
            [
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:DeleteBucket"
            ]
        );
        let all = policy(r#"[{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]"#);
        assert_eq!(
            denied_actions(&all, DELETE_ACTIONS).len(),
            DELETE_ACTIONS.len()
        );
        let one = policy(r#"[{"Effect": "Deny", "Action": "s3:Delete?ucket"}]"#);
        assert_eq!(denied_actions(&one, DELETE_ACTIONS), ["s3:DeleteBucket"]);
    }

    #[test]
    fn not_action_denies_everything_else() {
        let p = policy(r#"[{"Effect": "Deny", "Principal": "*", "NotAction": "s3:Get*"}]"#);
        assert_eq!(
            denied_actions(&p, DELETE_ACTIONS).len(),
            DELETE_ACTIONS.len()
        );
    }

    #[test]
    fn allow_statements_and_other_actions_deny_nothing() {
        let p = policy(
            r#"[{"Effect": "Allow", "Principal": "*", "Action": "s3:*"},
                {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject"}]"#,
        );
        assert!(denied_actions(&p, DELETE_ACTIONS).is_empty());
        assert!(denied_actions("not json", DELETE_ACTIONS).is_empty());
    }

    #[test]
    fn lifecycle_strategy_checks_its_own_actions() {
        let p = policy(r#"[{"Effect": "Deny", "Action": "s3:PutLifecycleConfiguration"}]"#);
        assert_eq!(
            denied_actions(&p, LIFECYCLE_ACTIONS),
            ["s3:PutLifecycleConfiguration"]
        );
        assert!(denied_actions(&p, DELETE_ACTIONS).is_empty());
    }
}
