//! Step 3: empty and delete S3 buckets, whatever is inside and however big they are.
//!
//! `discover` turns the selection into a plan (one action per bucket, with what is inside it and
//! what stands in the way); `delete` carries the plan out, emptying each bucket with `empty` (a
//! bounded, pipelined list-and-`DeleteObjects` loop) or, with `--strategy lifecycle`, handing the
//! emptying to S3 with an expiration configuration (`lifecycle`). AWS-NOTES.md ("S3") lists the
//! quirks handled here: versions and delete markers, keys that cannot go in XML, Object Lock,
//! deny policies, buckets in other regions, incomplete multipart uploads, and huge buckets.

mod clients;
mod delete;
mod discover;
mod empty;
mod lifecycle;
mod listing;
mod lock;
mod policy;
mod uploads;

use std::collections::HashMap;
use std::sync::Mutex;

use common::names::{NameRule, shorten};
use common::{ApplyContext, MatchArgs, Plan, Selection, Session, Step, bad_input};

use crate::clients::Clients;
use crate::discover::BucketFacts;

/// The kind of resource in this step's plan.
pub const BUCKET: &str = "bucket";

/// DeleteObjects requests in flight by default. Chosen with `cargo xtask bench s3`
/// (crates/rm-s3/BENCH.md); it also keeps one bucket under S3's documented 3,500 deletes per
/// second per prefix, past which S3 answers 503 SlowDown (AWS-NOTES.md).
pub const DEFAULT_CONCURRENCY: usize = 8;

/// The most DeleteObjects requests `--concurrency` may ask for at once.
pub const MAX_CONCURRENCY: usize = 256;

/// S3's bucket naming rule: length and characters. The rest of the rules (first and last
/// character, "..", IP addresses) are in [`check_bucket_name`].
pub const BUCKET_NAME: NameRule = NameRule {
    what: "bucket",
    min_len: 3,
    max_len: 63,
    allowed: |c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'),
    allowed_text: "lowercase letters, digits, '.' and '-'",
};

/// Checks a bucket name against S3's naming rules, one clear line per violation.
pub fn check_bucket_name(name: &str) -> anyhow::Result<()> {
    BUCKET_NAME.check(name)?;
    let quoted = shorten(name);
    let starts_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric());
    let ends_ok = name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !starts_ok || !ends_ok {
        return Err(bad_input(format!(
            "invalid bucket name {quoted}: must start and end with a lowercase letter or a digit"
        )));
    }
    if name.contains("..") {
        return Err(bad_input(format!(
            "invalid bucket name {quoted}: must not contain two adjacent periods"
        )));
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(bad_input(format!(
            "invalid bucket name {quoted}: must not be formatted as an IP address"
        )));
    }
    Ok(())
}

/// How a bucket gets emptied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// List every object version and delete them in batches of 1000, then delete the bucket
    #[default]
    Delete,
    /// Install an expiration lifecycle configuration so S3 empties the bucket in the
    /// background (for buckets too big to delete from one machine); run again later to delete it
    Lifecycle,
}

/// Opt-in behaviour and tuning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Remove legal holds and bypass governance-mode retention instead of refusing.
    pub bypass_governance: bool,
    pub strategy: Strategy,
    /// DeleteObjects requests in flight, at least 1.
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bypass_governance: false,
            strategy: Strategy::Delete,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// Step 3 of the chapter.
#[derive(Debug)]
pub struct S3Step {
    selection: Selection,
    options: Options,
    /// What discovery learned about each bucket that the plan's table does not carry (its
    /// region, versioning, the first pages of its listing), for apply.
    facts: Mutex<HashMap<String, BucketFacts>>,
}

impl S3Step {
    /// Validates the selection and options; bad names, patterns and options are bad input.
    pub fn new(buckets: &[String], matching: &MatchArgs, options: Options) -> anyhow::Result<Self> {
        for name in buckets {
            check_bucket_name(name)?;
        }
        if options.concurrency == 0 || options.concurrency > MAX_CONCURRENCY {
            return Err(bad_input(format!(
                "--concurrency must be between 1 and {MAX_CONCURRENCY}, not {}",
                options.concurrency
            )));
        }
        let selection = Selection::new("--bucket", buckets, matching, &BUCKET_NAME)?;
        Ok(S3Step {
            selection,
            options,
            facts: Mutex::new(HashMap::new()),
        })
    }
}

impl Step for S3Step {
    const TOOL: &'static str = "rm-s3";
    const STEP: u8 = 3;
    const TITLE: &'static str = "Delete S3 Buckets";

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        let clients = Clients::new(session);
        let (plan, facts) = discover::plan(&clients, &self.selection, self.options).await?;
        if let Ok(mut stored) = self.facts.lock() {
            *stored = facts;
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        session: &Session,
        plan: &mut Plan,
        ctx: &ApplyContext,
    ) -> anyhow::Result<()> {
        let clients = Clients::new(session);
        let facts = self
            .facts
            .lock()
            .map(|mut stored| std::mem::take(&mut *stored))
            .unwrap_or_default();
        delete::apply(&clients, plan, facts, self.options, ctx).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workshop_bucket_names_are_valid() {
        for name in [
            "upload-originals-fcj",
            "resized-image-fcj",
            "my.bucket.example",
            "a1b",
        ] {
            assert!(check_bucket_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn each_naming_rule_has_its_own_message() {
        let message = |name: &str| check_bucket_name(name).unwrap_err().to_string();
        assert!(message("ab").contains("3 to 63 characters"));
        assert!(message(&"a".repeat(64)).contains("3 to 63 characters"));
        assert!(message("Upload-Originals").contains("'U' is not allowed"));
        assert!(message("under_score").contains("'_' is not allowed"));
        assert!(message("-leading").contains("start and end"));
        assert!(message("trailing.").contains("start and end"));
        assert!(message("two..dots").contains("two adjacent periods"));
        assert!(message("192.168.5.4").contains("IP address"));
        assert_eq!(message(""), "empty bucket name");
    }

    #[test]
    fn concurrency_zero_is_bad_input() {
        let options = Options {
            concurrency: 0,
            ..Options::default()
        };
        let error = S3Step::new(&["abc".into()], &MatchArgs::default(), options).unwrap_err();
        assert!(common::errors::is_bad_input(&error));
        assert!(error.to_string().contains("--concurrency"), "{error}");
    }
}
