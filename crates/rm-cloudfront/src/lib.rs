//! Step 6: disable, wait for, and delete CloudFront distributions, then the origin access
//! controls (OAC) and origin access identities (OAI) that only those distributions used.
//!
//! `discover` turns the selection into a plan; `delete` carries it out; `origins` knows how S3
//! origins and OAIs are named. AWS-NOTES.md ("CloudFront") lists the quirks handled here: an
//! enabled distribution cannot be deleted, the disable takes 5 to 40 minutes to deploy, every
//! write needs the current ETag, and OAC/OAI stay "in use" until their distributions are gone.

mod delete;
mod discover;
pub mod origins;
pub mod unused;

use std::time::Duration;

use aws_sdk_cloudfront::Client;
use common::errors::bad_input;
use common::names::{NameRule, shorten};
use common::{ApplyContext, MatchArgs, Plan, Selection, Session, Step};

/// Kinds of resource in this step's plan.
pub const DISTRIBUTION: &str = "distribution";
pub const ORIGIN_ACCESS_CONTROL: &str = "origin access control";
pub const ORIGIN_ACCESS_IDENTITY: &str = "origin access identity";

/// CloudFront is a global service whose control plane lives in us-east-1: its clients are built
/// for that region whatever the session's region is.
pub const CLOUDFRONT_REGION: &str = "us-east-1";

/// Default longest wait for disabled distributions to finish deploying. Real AWS takes 5 to 40
/// minutes (AWS-NOTES.md); past this the distributions are reported as pending.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(45 * 60);

/// Default time between two GetDistribution calls while waiting for `Deployed`. Short, because
/// the deploy ends at a moment nobody can predict and GetDistribution is cheap: with clean-all's
/// head start, step 6 usually finds the deploy nearly done, and a 30 s poll cost it up to 30 s
/// (`cargo xtask bench workshop` showed step 6 sleeping past the end of the deploy).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// A distribution id: CloudFront's are `E` plus 12 or 13 upper-case letters and digits; moto's
/// start with any upper-case letter, hence no check on the first character.
pub const DISTRIBUTION_ID: NameRule = NameRule {
    what: "distribution id",
    min_len: 13,
    max_len: 14,
    allowed: |c| c.is_ascii_uppercase() || c.is_ascii_digit(),
    allowed_text: "upper-case letters and digits, like E2QWRUHAPOMQZL",
};

/// S3's bucket naming rule, as far as `--origin-bucket` needs it.
pub const BUCKET_NAME: NameRule = NameRule {
    what: "bucket",
    min_len: 3,
    max_len: 63,
    allowed: |c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'),
    allowed_text: "lower-case letters, digits, '.' and '-'",
};

/// How far to go and how long to wait.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Disable and stop there (`--disable-only`): outcome `Disabled`, exit 0.
    pub disable_only: bool,
    /// Disable, do not wait: distributions still deploying are reported as pending.
    pub no_wait: bool,
    /// Longest wait for the disables to deploy, counted from the start of apply.
    pub max_wait: Duration,
    /// Time between two status reads while waiting.
    pub poll_interval: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            disable_only: false,
            no_wait: false,
            max_wait: DEFAULT_MAX_WAIT,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }
}

/// What the user selected. Distributions have no names: they are picked by id, by the S3
/// bucket they serve, or by a glob over their comment and aliases.
#[derive(Clone, Debug)]
pub struct Selector {
    /// Exact distribution ids, looked up directly.
    pub ids: Vec<String>,
    /// Buckets whose distributions are selected (`--origin-bucket`).
    pub buckets: Vec<String>,
    /// The `--match` globs, when any were given.
    pub globs: Option<Selection>,
    /// Origin access controls and identities that no distribution uses, selected by the bucket
    /// they were made for or by name (`--unused-origin-access-for-bucket`,
    /// `--unused-origin-access`).
    pub unused: UnusedAccess,
}

/// The selectors of leftover origin access: OACs and OAIs that outlived their distributions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnusedAccess {
    /// Buckets whose OACs (named after the bucket's S3 domain, as the console names them) and
    /// OAIs (comment `access-identity-BUCKET.s3.amazonaws.com`, the console's) are selected.
    pub buckets: Vec<String>,
    /// OACs by exact name, OAIs by exact id.
    pub names: Vec<String>,
}

impl UnusedAccess {
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty() && self.names.is_empty()
    }
}

impl Selector {
    /// Validates every id, bucket name and pattern; anything wrong is bad input.
    pub fn new(ids: &[String], buckets: &[String], matching: &MatchArgs) -> anyhow::Result<Self> {
        Selector::with_unused(ids, buckets, &UnusedAccess::default(), matching)
    }

    /// [`Selector::new`] with selectors of unused origin access too.
    pub fn with_unused(
        ids: &[String],
        buckets: &[String],
        unused: &UnusedAccess,
        matching: &MatchArgs,
    ) -> anyhow::Result<Self> {
        let mut selector = Selector {
            ids: Vec::new(),
            buckets: Vec::new(),
            globs: None,
            unused: UnusedAccess::default(),
        };
        for bucket in &unused.buckets {
            if bucket.trim().is_empty() {
                return Err(bad_input("empty --unused-origin-access-for-bucket name"));
            }
            BUCKET_NAME.check(bucket)?;
            if !selector.unused.buckets.contains(bucket) {
                selector.unused.buckets.push(bucket.clone());
            }
        }
        for name in &unused.names {
            unused::check_access_name(name)?;
            if !selector.unused.names.contains(name) {
                selector.unused.names.push(name.clone());
            }
        }
        for id in ids {
            check_distribution_id(id)?;
            if !selector.ids.contains(id) {
                selector.ids.push(id.clone());
            }
        }
        for bucket in buckets {
            if bucket.trim().is_empty() {
                return Err(bad_input("empty --origin-bucket name"));
            }
            BUCKET_NAME.check(bucket)?;
            if !selector.buckets.contains(bucket) {
                selector.buckets.push(bucket.clone());
            }
        }
        if !matching.globs.is_empty() {
            // `Selection` owns glob validation (empty, invalid, `*` without `--all`); the ids
            // were checked above, so it only sees the patterns.
            selector.globs = Some(Selection::new(
                "--distribution",
                &[],
                matching,
                &DISTRIBUTION_ID,
            )?);
        }
        if selector.ids.is_empty()
            && selector.buckets.is_empty()
            && selector.globs.is_none()
            && selector.unused.is_empty()
        {
            return Err(bad_input(
                "nothing selected: give --distribution ID, --origin-bucket NAME, --match GLOB or --unused-origin-access-for-bucket NAME",
            ));
        }
        Ok(selector)
    }

    /// Whether the selection needs the list of every distribution (buckets and globs do).
    pub fn lists(&self) -> bool {
        !self.buckets.is_empty() || self.globs.is_some() || !self.unused.is_empty()
    }

    /// Whether a glob matches the comment or one of the aliases.
    pub fn matches_glob(&self, comment: &str, aliases: &[String]) -> bool {
        let Some(globs) = &self.globs else {
            return false;
        };
        globs.matches_glob(comment) || aliases.iter().any(|alias| globs.matches_glob(alias))
    }

    /// Whether one of the origin domain names serves a selected bucket.
    pub fn matches_bucket<'a>(&self, origin_domains: impl IntoIterator<Item = &'a str>) -> bool {
        origin_domains.into_iter().any(|domain| {
            origins::bucket_of_origin(domain).is_some_and(|bucket| self.buckets.contains(&bucket))
        })
    }
}

/// One clear line for an empty or malformed id (the common rule's wording says "name").
fn check_distribution_id(id: &str) -> anyhow::Result<()> {
    if id.trim().is_empty() {
        return Err(bad_input("empty --distribution id"));
    }
    if DISTRIBUTION_ID.check(id).is_err() {
        return Err(bad_input(format!(
            "invalid distribution id {}: expected 13 or 14 upper-case letters and digits, like E2QWRUHAPOMQZL",
            shorten(id)
        )));
    }
    Ok(())
}

/// Parses a `--max-wait` or poll interval: humantime (`45m`, `90s`, `1h 30m`), not zero.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text.trim())
        .map_err(|error| format!("{error}: expected a duration such as 45m, 90s or 1h30m"))?;
    if duration.is_zero() {
        return Err("the duration must be more than zero".to_string());
    }
    Ok(duration)
}

/// Step 6 of the chapter.
#[derive(Clone, Debug)]
pub struct CloudFrontStep {
    selector: Selector,
    options: Options,
}

impl CloudFrontStep {
    /// Validates the selection; bad ids, buckets and patterns are bad input.
    pub fn new(
        ids: &[String],
        buckets: &[String],
        unused: &UnusedAccess,
        matching: &MatchArgs,
        options: Options,
    ) -> anyhow::Result<Self> {
        let selector = Selector::with_unused(ids, buckets, unused, matching)?;
        Ok(CloudFrontStep { selector, options })
    }
}

fn client(session: &Session) -> Client {
    Client::new(&session.config_for_region(CLOUDFRONT_REGION))
}

impl Step for CloudFrontStep {
    const TOOL: &'static str = "rm-cloudfront";
    const STEP: u8 = 6;
    const TITLE: &'static str = "Delete Amazon CloudFront (if used)";

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        discover::plan(&client(session), &self.selector, self.options).await
    }

    async fn apply(
        &self,
        session: &Session,
        plan: &mut Plan,
        ctx: &ApplyContext,
    ) -> anyhow::Result<()> {
        delete::apply(&client(session), plan, self.options, ctx).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::errors::is_bad_input;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn matching(globs: &[&str], all: bool) -> MatchArgs {
        MatchArgs {
            globs: strings(globs),
            all,
        }
    }

    #[test]
    fn ids_must_look_like_cloudfront_ids() {
        let no_globs = matching(&[], false);
        assert!(Selector::new(&strings(&["E2QWRUHAPOMQZL"]), &[], &no_globs).is_ok());
        assert!(Selector::new(&strings(&["YCCX54VN58V16"]), &[], &no_globs).is_ok());
        for (id, expected) in [
            ("", "empty --distribution id"),
            ("  ", "empty --distribution id"),
            ("e2qwruhapomqzl", "invalid distribution id"),
            ("E123", "invalid distribution id"),
            ("E2QWRUHAPOMQZL; rm -rf /", "invalid distribution id"),
            ("d111111abcdef8.cloudfront.net", "invalid distribution id"),
        ] {
            let error = Selector::new(&strings(&[id]), &[], &no_globs).unwrap_err();
            assert!(is_bad_input(&error), "{id}");
            assert!(error.to_string().contains(expected), "{id}: {error}");
        }
    }

    #[test]
    fn buckets_follow_s3_naming() {
        let no_globs = matching(&[], false);
        assert!(Selector::new(&[], &strings(&["frontend-fcj"]), &no_globs).is_ok());
        for bucket in ["", "Frontend", "ab", "a_b"] {
            let error = Selector::new(&[], &strings(&[bucket]), &no_globs).unwrap_err();
            assert!(is_bad_input(&error), "{bucket}: {error}");
        }
    }

    #[test]
    fn something_must_be_selected() {
        let error = Selector::new(&[], &[], &matching(&[], false)).unwrap_err();
        assert!(is_bad_input(&error));
        assert!(error.to_string().contains("--origin-bucket"), "{error}");
    }

    #[test]
    fn match_everything_needs_all() {
        let error = Selector::new(&[], &[], &matching(&["*"], false)).unwrap_err();
        assert!(error.to_string().contains("--all"), "{error}");
        let selector = Selector::new(&[], &[], &matching(&["*"], true)).unwrap();
        // With --all, `*` selects even a distribution without comment or aliases.
        assert!(selector.matches_glob("", &[]));
    }

    #[test]
    fn globs_match_comments_and_aliases() {
        let selector = Selector::new(&[], &[], &matching(&["easyshop*"], false)).unwrap();
        assert!(selector.matches_glob("easyshop frontend", &[]));
        assert!(selector.matches_glob("", &strings(&["other.example", "easyshop.example"])));
        assert!(!selector.matches_glob("my easyshop", &strings(&["shop.example"])));
    }

    #[test]
    fn buckets_match_whole_bucket_names_only() {
        let selector =
            Selector::new(&[], &strings(&["frontend-fcj"]), &matching(&[], false)).unwrap();
        assert!(selector.matches_bucket(["frontend-fcj.s3.amazonaws.com"]));
        assert!(
            selector.matches_bucket(["api.example.com", "frontend-fcj.s3.us-east-1.amazonaws.com"])
        );
        assert!(!selector.matches_bucket(["frontend-fcj-old.s3.amazonaws.com"]));
        assert!(!selector.matches_bucket(["old-frontend-fcj.s3.amazonaws.com"]));
        assert!(!selector.matches_bucket(["frontend-fcj.example.com"]));
    }

    #[test]
    fn durations_are_humantime_and_positive() {
        assert_eq!(parse_duration("45m"), Ok(Duration::from_secs(2700)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert!(parse_duration("0s").unwrap_err().contains("more than zero"));
        assert!(parse_duration("soon").unwrap_err().contains("45m"));
        assert!(parse_duration("45").is_err());
        assert!(parse_duration("").is_err());
    }
}
