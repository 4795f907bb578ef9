//! Leftover origin access: origin access controls (OAC) and identities (OAI) that no
//! distribution uses any more, selected by the S3 bucket they were made for or by name.
//!
//! They cost nothing, but they are the workshop's debris once its distribution is gone (deleted
//! by hand, or by a run that stopped before step 6 finished), and `cargo xtask verify` lists
//! them. Which ones belong to a bucket is decided by how the console names them, never by a
//! shared prefix:
//! - an OAC is named after its origin's S3 domain (`BUCKET.s3.REGION.amazonaws.com`, or any
//!   form [`bucket_of_origin`] knows), possibly followed by `-` and a suffix the console adds to
//!   keep names unique;
//! - an OAI's comment is `access-identity-BUCKET.s3.amazonaws.com` (again any S3 domain form).
//!
//! An OAC or OAI that a distribution uses is never selected here: it goes with its distribution
//! (`--distribution`, `--origin-bucket`), or stays with it.

use anyhow::Context;
use aws_sdk_cloudfront::Client;
use common::errors::bad_input;
use common::names::shorten;
use common::{Action, Operation, Plan};

use crate::discover::{Info, USED_BY};
use crate::origins::bucket_of_origin;
use crate::{ORIGIN_ACCESS_CONTROL, ORIGIN_ACCESS_IDENTITY, UnusedAccess};

/// Plan detail: why this OAC or OAI is selected.
pub const MADE_FOR: &str = "made for";

/// The console's prefix of an OAI comment.
const OAI_COMMENT_PREFIX: &str = "access-identity-";

/// `--unused-origin-access` takes an OAC name (1 to 64 characters, no control characters) or
/// an OAI id.
pub fn check_access_name(name: &str) -> anyhow::Result<()> {
    if name.trim().is_empty() {
        return Err(bad_input("empty --unused-origin-access name"));
    }
    if name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(bad_input(format!(
            "invalid --unused-origin-access {}: expected an origin access control name (up to 64 characters) or an origin access identity id",
            shorten(name)
        )));
    }
    Ok(())
}

/// The bucket an OAC name says it was made for: the name is an S3 origin domain, possibly with
/// a `-suffix` after it.
pub fn bucket_of_oac_name(name: &str) -> Option<String> {
    if let Some(bucket) = bucket_of_origin(name) {
        return Some(bucket);
    }
    // `frontend.s3.us-east-1.amazonaws.com-m7x1k2`: the console keeps names unique this way.
    let lower = name.to_ascii_lowercase();
    let end = lower.rfind(".amazonaws.com-")? + ".amazonaws.com".len();
    let suffix = &lower[end + 1..];
    if suffix.is_empty() || !suffix.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    bucket_of_origin(&name[..end])
}

/// The bucket an OAI comment says it was made for: `access-identity-DOMAIN` (the console's) or
/// the S3 origin domain alone.
pub fn bucket_of_oai_comment(comment: &str) -> Option<String> {
    let domain = comment.trim();
    let domain = domain.strip_prefix(OAI_COMMENT_PREFIX).unwrap_or(domain);
    bucket_of_origin(domain)
}

/// Why an OAC or OAI is selected, if it is.
fn reason(unused: &UnusedAccess, name: &str, id: &str, made_for: Option<String>) -> Option<String> {
    if let Some(bucket) = made_for.filter(|b| unused.buckets.contains(b)) {
        return Some(format!("bucket {bucket}"));
    }
    unused
        .names
        .iter()
        .any(|n| n == name || n == id)
        .then(|| "named on the command line".to_string())
}

/// Adds a delete action for each unused OAC and OAI that the selectors pick. `everyone` is
/// every distribution in the account; what any of them uses is left alone, and so is what the
/// plan already has (the OAC of a selected distribution).
pub(crate) async fn plan(
    client: &Client,
    plan: &mut Plan,
    unused: &UnusedAccess,
    everyone: &[Info],
) -> anyhow::Result<()> {
    let planned = |plan: &Plan, id: &str| {
        plan.actions.iter().any(|a| a.id.as_deref() == Some(id))
            || plan.left_behind.iter().any(|l| l.id.as_deref() == Some(id))
    };
    let mut oacs = client
        .list_origin_access_controls()
        .into_paginator()
        .items()
        .send();
    while let Some(oac) = oacs.next().await {
        let oac = oac.context("listing origin access controls")?;
        let (id, name) = (oac.id(), oac.name());
        let in_use = everyone.iter().any(|d| d.uses(ORIGIN_ACCESS_CONTROL, id));
        if in_use || planned(plan, id) {
            continue;
        }
        if let Some(why) = reason(unused, name, id, bucket_of_oac_name(name)) {
            plan.push(
                Action::new(ORIGIN_ACCESS_CONTROL, name, Operation::Delete)
                    .with_id(id)
                    .detail("comment", dash(oac.description()))
                    .detail(USED_BY, "")
                    .detail(MADE_FOR, &why)
                    .note(format!("no distribution uses it; made for {why}")),
            );
        }
    }
    let mut oais = client
        .list_cloud_front_origin_access_identities()
        .into_paginator()
        .items()
        .send();
    while let Some(oai) = oais.next().await {
        let oai = oai.context("listing origin access identities")?;
        let (id, comment) = (oai.id(), oai.comment());
        let in_use = everyone.iter().any(|d| d.uses(ORIGIN_ACCESS_IDENTITY, id));
        if in_use || planned(plan, id) {
            continue;
        }
        if let Some(why) = reason(unused, id, id, bucket_of_oai_comment(comment)) {
            plan.push(
                Action::new(ORIGIN_ACCESS_IDENTITY, id, Operation::Delete)
                    .with_id(id)
                    .detail("comment", dash(comment))
                    .detail(USED_BY, "")
                    .detail(MADE_FOR, &why)
                    .note(format!("no distribution uses it; made for {why}")),
            );
        }
    }
    Ok(())
}

fn dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oac_names_made_by_the_console_name_their_bucket() {
        for name in [
            "frontend-fcj.s3.us-east-1.amazonaws.com",
            "frontend-fcj.s3.amazonaws.com",
            "frontend-fcj.s3.us-east-1.amazonaws.com-m7x1k2",
        ] {
            assert_eq!(
                bucket_of_oac_name(name).as_deref(),
                Some("frontend-fcj"),
                "{name}"
            );
        }
        for name in [
            "frontend-fcj",
            "easyshop-frontend-oac",
            "frontend-fcj-old.s3.us-east-1.amazonaws.com",
            "frontend-fcj.s3.us-east-1.amazonaws.com-",
            "frontend-fcj.s3.us-east-1.amazonaws.com-x.y",
            "oac-frontend-fcj.s3.amazonaws.com",
        ] {
            assert_ne!(
                bucket_of_oac_name(name).as_deref(),
                Some("frontend-fcj"),
                "{name}"
            );
        }
    }

    #[test]
    fn oai_comments_made_by_the_console_name_their_bucket() {
        for comment in [
            "access-identity-frontend-fcj.s3.amazonaws.com",
            "access-identity-frontend-fcj.s3.us-east-1.amazonaws.com",
            "frontend-fcj.s3.amazonaws.com",
        ] {
            assert_eq!(
                bucket_of_oai_comment(comment).as_deref(),
                Some("frontend-fcj"),
                "{comment}"
            );
        }
        for comment in [
            "",
            "easyshop OAI",
            "access-identity-frontend-fcj-old.s3.amazonaws.com",
            "access-identity-frontend-fcj",
        ] {
            assert_ne!(
                bucket_of_oai_comment(comment).as_deref(),
                Some("frontend-fcj"),
                "{comment}"
            );
        }
    }

    #[test]
    fn selected_by_bucket_or_exact_name_only() {
        let unused = UnusedAccess {
            buckets: vec!["frontend-fcj".into()],
            names: vec!["easyshop-frontend-oac".into(), "E2OAIEXAMPLE02".into()],
        };
        assert_eq!(
            reason(&unused, "x", "E1", Some("frontend-fcj".into())).as_deref(),
            Some("bucket frontend-fcj")
        );
        assert!(reason(&unused, "easyshop-frontend-oac", "E1", None).is_some());
        assert!(reason(&unused, "E2OAIEXAMPLE02", "E2OAIEXAMPLE02", None).is_some());
        assert_eq!(
            reason(&unused, "easyshop-frontend-oac-old", "E3", None),
            None
        );
        assert_eq!(
            reason(&unused, "x", "E4", Some("frontend-fcj-old".into())),
            None
        );
    }

    #[test]
    fn access_names_are_checked() {
        assert!(check_access_name("easyshop-frontend-oac").is_ok());
        assert!(check_access_name("").is_err());
        assert!(check_access_name(&"x".repeat(65)).is_err());
        assert!(check_access_name("a\nb").is_err());
    }
}
