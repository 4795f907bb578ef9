//! Object Lock: what protects each object version, and what that means for deleting it.
//!
//! On a bucket with Object Lock, a version can carry a retention (governance or compliance mode,
//! until a date) and a legal hold. A delete of a protected version fails with AccessDenied for
//! that key (AWS-NOTES.md, "S3"):
//! - governance retention: the `x-amz-bypass-governance-retention` header gets past it (only on
//!   lock-enabled buckets, and only with `--bypass-governance`);
//! - legal hold: turned off per version (PutObjectLegalHold OFF), then the delete works (again
//!   only with `--bypass-governance`);
//! - compliance retention: nobody can delete the version before its date; the bucket is reported
//!   with the latest retain-until date.
//!
//! The retention is read with HeadObject, which carries the lock headers on every version (moto
//! has no GetObjectRetention).

use std::time::SystemTime;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
use aws_sdk_s3::types::{ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetentionMode};
use futures::StreamExt;

use crate::listing::{Entry, EntryKind};

/// HeadObject calls in flight while the plan inspects a locked bucket's versions.
const HEADS_IN_FLIGHT: usize = 16;

/// The protection on one object version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Protection {
    /// Retention still in force: its mode and date.
    pub retention: Option<(ObjectLockMode, DateTime)>,
    pub legal_hold: bool,
}

impl Protection {
    pub(crate) fn is_compliance(&self) -> bool {
        matches!(self.retention, Some((ObjectLockMode::Compliance, _)))
    }

    pub(crate) fn is_governance(&self) -> bool {
        matches!(self.retention, Some((ObjectLockMode::Governance, _)))
    }
}

/// What the versions seen so far carry, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LockTally {
    pub compliance: u64,
    /// The latest compliance retain-until date.
    pub compliance_until: Option<DateTime>,
    pub governance: u64,
    pub legal_holds: u64,
}

impl LockTally {
    pub(crate) fn add(&mut self, protection: &Protection) {
        if let Some((mode, until)) = &protection.retention {
            match mode {
                ObjectLockMode::Compliance => {
                    self.compliance += 1;
                    if self.compliance_until.is_none_or(|latest| *until > latest) {
                        self.compliance_until = Some(*until);
                    }
                }
                _ => self.governance += 1,
            }
        }
        if protection.legal_hold {
            self.legal_holds += 1;
        }
    }

    pub(crate) fn merge(&mut self, other: &LockTally) {
        self.compliance += other.compliance;
        if let Some(until) = other.compliance_until
            && self.compliance_until.is_none_or(|latest| until > latest)
        {
            self.compliance_until = Some(until);
        }
        self.governance += other.governance;
        self.legal_holds += other.legal_holds;
    }

    /// Whether deleting needs `--bypass-governance`.
    pub(crate) fn needs_bypass(&self) -> bool {
        self.governance > 0 || self.legal_holds > 0
    }

    /// The refusal for a bucket with compliance retention, naming the date; `kept` says what
    /// happened to the rest of the bucket.
    pub(crate) fn compliance_reason(&self, kept: &str) -> String {
        let until = self.compliance_until.map_or("-".to_string(), format_date);
        format!(
            "Object Lock compliance-mode retention until {until} on {} object version(s): S3 lets nobody delete them before then, not even the root user; {kept}; run again after {until}",
            self.compliance
        )
    }

    /// The refusal for governance retention and legal holds without the flag.
    pub(crate) fn bypass_reason(&self) -> String {
        let mut parts = Vec::new();
        if self.governance > 0 {
            parts.push(format!(
                "{} object version(s) under governance-mode retention",
                self.governance
            ));
        }
        if self.legal_holds > 0 {
            parts.push(format!(
                "{} object version(s) under legal hold",
                self.legal_holds
            ));
        }
        format!(
            "Object Lock: {}; pass --bypass-governance to remove the legal holds and bypass the retention",
            parts.join(" and ")
        )
    }
}

/// The lock headers of one version: `None` when the version is gone.
pub(crate) async fn protection_of(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> anyhow::Result<Option<Protection>> {
    let answer = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_string))
        .send()
        .await;
    let head = match answer {
        Ok(head) => head,
        Err(error) if error.raw_response().map(|r| r.status().as_u16()) == Some(404) => {
            return Ok(None);
        }
        Err(error) => {
            return Err(anyhow::Error::new(error)
                .context(format!("reading the Object Lock state of {bucket}/{key:?}")));
        }
    };
    let now = DateTime::from(SystemTime::now());
    let retention = match (
        head.object_lock_mode(),
        head.object_lock_retain_until_date(),
    ) {
        (Some(mode), Some(until)) if *until > now => Some((mode.clone(), *until)),
        _ => None,
    };
    Ok(Some(Protection {
        retention,
        legal_hold: head.object_lock_legal_hold_status() == Some(&ObjectLockLegalHoldStatus::On),
    }))
}

/// Tallies the protection of every listed version (delete markers carry none).
pub(crate) async fn inspect(
    client: &Client,
    bucket: &str,
    entries: impl Iterator<Item = &Entry>,
) -> anyhow::Result<LockTally> {
    let versions = entries.filter(|e| e.kind != EntryKind::DeleteMarker);
    let protections: Vec<anyhow::Result<Option<Protection>>> = futures::stream::iter(versions)
        .map(|entry| protection_of(client, bucket, &entry.key, entry.version_id.as_deref()))
        .buffer_unordered(HEADS_IN_FLIGHT)
        .collect()
        .await;
    let mut tally = LockTally::default();
    for protection in protections {
        if let Some(protection) = protection? {
            tally.add(&protection);
        }
    }
    Ok(tally)
}

/// "GOVERNANCE 30 days" for a bucket's default retention.
pub(crate) fn describe_default(
    mode: Option<&ObjectLockRetentionMode>,
    days: Option<i32>,
    years: Option<i32>,
) -> String {
    let mode = mode.map_or("?", ObjectLockRetentionMode::as_str);
    match (days, years) {
        (Some(days), _) => format!("{mode} {days} days"),
        (_, Some(years)) => format!("{mode} {years} years"),
        _ => mode.to_string(),
    }
}

/// A retain-until date as `2026-11-29T13:25:12Z`.
pub(crate) fn format_date(date: DateTime) -> String {
    date.fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| format!("{} (epoch seconds)", date.secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protection(mode: Option<ObjectLockMode>, secs: i64, hold: bool) -> Protection {
        Protection {
            retention: mode.map(|m| (m, DateTime::from_secs(secs))),
            legal_hold: hold,
        }
    }

    #[test]
    fn tally_keeps_the_latest_compliance_date() {
        let mut tally = LockTally::default();
        tally.add(&protection(
            Some(ObjectLockMode::Compliance),
            2_000_000_000,
            false,
        ));
        tally.add(&protection(
            Some(ObjectLockMode::Compliance),
            2_100_000_000,
            false,
        ));
        tally.add(&protection(
            Some(ObjectLockMode::Governance),
            2_200_000_000,
            true,
        ));
        tally.add(&protection(None, 0, false));
        assert_eq!(tally.compliance, 2);
        assert_eq!(
            tally.compliance_until,
            Some(DateTime::from_secs(2_100_000_000))
        );
        assert_eq!((tally.governance, tally.legal_holds), (1, 1));
        assert!(tally.needs_bypass());
        assert!(
            tally
                .compliance_reason("kept")
                .contains("until 2036-07-18T13:20:00Z")
        );
        let reason = tally.bypass_reason();
        assert!(reason.contains("--bypass-governance") && reason.contains("legal hold"));
    }

    #[test]
    fn default_retention_reads_naturally() {
        assert_eq!(
            describe_default(Some(&ObjectLockRetentionMode::Governance), Some(30), None),
            "GOVERNANCE 30 days"
        );
        assert_eq!(
            describe_default(Some(&ObjectLockRetentionMode::Compliance), None, Some(1)),
            "COMPLIANCE 1 years"
        );
    }
}
