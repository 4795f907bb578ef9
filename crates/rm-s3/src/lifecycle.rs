//! `--strategy lifecycle`: let S3's own fleet empty a bucket too big to delete from one machine.
//!
//! The configuration expires current versions after 1 day, noncurrent versions 1 day after they
//! become noncurrent, aborts incomplete multipart uploads after 1 day, and, in a separate rule
//! (S3 refuses `ExpiredObjectDeleteMarker` next to `Days` in one Expiration), removes delete
//! markers left with no versions behind them. Expiration is free and asynchronous: a later run
//! finds the bucket empty and deletes it (AWS-NOTES.md, "S3").

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
};

/// The id of the rule that expires objects, versions and uploads.
pub(crate) const EXPIRE_RULE: &str = "rm-s3-expire-everything";
/// The id of the rule that removes expired delete markers.
pub(crate) const MARKER_RULE: &str = "rm-s3-remove-expired-delete-markers";

/// The configuration that empties a bucket.
pub(crate) fn emptying_configuration() -> anyhow::Result<BucketLifecycleConfiguration> {
    let everything = || LifecycleRuleFilter::builder().prefix("").build();
    let expire = LifecycleRule::builder()
        .id(EXPIRE_RULE)
        .status(ExpirationStatus::Enabled)
        .filter(everything())
        .expiration(LifecycleExpiration::builder().days(1).build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(1)
                .build(),
        )
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(1)
                .build(),
        )
        .build()?;
    let markers = LifecycleRule::builder()
        .id(MARKER_RULE)
        .status(ExpirationStatus::Enabled)
        .filter(everything())
        .expiration(
            LifecycleExpiration::builder()
                .expired_object_delete_marker(true)
                .build(),
        )
        .build()?;
    Ok(BucketLifecycleConfiguration::builder()
        .rules(expire)
        .rules(markers)
        .build()?)
}

/// Whether a bucket's rules are the ones this step installs (a re-run must not reinstall them,
/// and must say they are already at work).
pub(crate) fn is_ours(rules: &[LifecycleRule]) -> bool {
    let ids: Vec<&str> = rules.iter().filter_map(LifecycleRule::id).collect();
    ids.contains(&EXPIRE_RULE) && ids.contains(&MARKER_RULE)
}

/// One line for the plan: the rules a configuration has (by id, with their status).
pub(crate) fn describe(rules: &[LifecycleRule]) -> String {
    if rules.is_empty() {
        return "none".to_string();
    }
    if is_ours(rules) && rules.len() == 2 {
        return "rm-s3 expiration rules".to_string();
    }
    let names: Vec<String> = rules
        .iter()
        .map(|rule| {
            format!(
                "{} ({})",
                rule.id().unwrap_or("unnamed"),
                rule.status().as_str().to_ascii_lowercase()
            )
        })
        .collect();
    format!("{} rule(s): {}", rules.len(), names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_expires_everything_in_two_rules() {
        let config = emptying_configuration().unwrap();
        let rules = config.rules();
        assert_eq!(rules.len(), 2);
        assert!(is_ours(rules));
        let expire = &rules[0];
        assert_eq!(expire.expiration().and_then(|e| e.days()), Some(1));
        assert_eq!(
            expire
                .noncurrent_version_expiration()
                .and_then(|e| e.noncurrent_days()),
            Some(1)
        );
        assert_eq!(
            expire
                .abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation()),
            Some(1)
        );
        let markers = &rules[1];
        assert_eq!(
            markers
                .expiration()
                .and_then(|e| e.expired_object_delete_marker()),
            Some(true)
        );
        assert_eq!(markers.expiration().and_then(|e| e.days()), None);
        assert_eq!(describe(rules), "rm-s3 expiration rules");
        assert_eq!(
            describe(&rules[..1]),
            format!("1 rule(s): {EXPIRE_RULE} (enabled)")
        );
    }
}
