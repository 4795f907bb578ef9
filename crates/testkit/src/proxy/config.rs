//! What the proxy does: which realism rules are on, how long AWS's asynchronous states last,
//! which faults to inject and how much latency to add.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;

/// One real-AWS behaviour that moto does not reproduce and the proxy enforces.
///
/// Each rule can be turned on or off on its own (`ProxyConfig::enable` / `disable`); the
/// `aws` profile turns them all on, `passthrough` none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// CloudFront DeleteDistribution of an enabled distribution, or of one whose last update is
    /// still deploying, answers 409 `DistributionNotDisabled`.
    CloudFrontNotDisabled,
    /// After UpdateDistribution the distribution reads `InProgress` for
    /// [`ProxyConfig::cloudfront_deploy_time`], then `Deployed`.
    CloudFrontDeploy,
    /// Every UpdateDistribution gives the distribution a new ETag (moto keeps one for life), and
    /// an `If-Match` that is not the current ETag answers 412 `PreconditionFailed`.
    CloudFrontIfMatch,
    /// For [`ProxyConfig::cloudfront_settle_time`] after a distribution first reads `Deployed`
    /// following an UpdateDistribution that leaves it disabled, DeleteDistribution still answers
    /// 409 `DistributionNotDisabled`: AWS's eventual consistency (AWS-NOTES.md, "CloudFront").
    DistributionNotDisabled,
    /// Origin access controls and identities as AWS has them. moto drops
    /// `Origin.OriginAccessControlId` and `S3OriginConfig` from the distributions it returns,
    /// has no origin access identities at all, ignores `If-Match` on OAC writes and never says
    /// "in use". The proxy remembers each origin's OAC id and OAI from the CreateDistribution,
    /// CreateDistributionWithTags and UpdateDistribution requests and puts them back into
    /// GetDistribution, GetDistributionConfig, ListDistributions (and the create and update)
    /// answers; serves the OAI operations itself (create, get, get config, list, update,
    /// delete, with ETags); serves GetOriginAccessControlConfig (moto crashes on it); issues a
    /// new OAC ETag on every update and answers a stale or missing `If-Match` on OAC writes
    /// with 412 `PreconditionFailed` / 400 `InvalidIfMatchVersion`; and refuses
    /// DeleteOriginAccessControl with 409 `OriginAccessControlInUse` and
    /// DeleteCloudFrontOriginAccessIdentity with 409 `CloudFrontOriginAccessIdentityInUse` while
    /// a distribution that still exists (in moto) uses them.
    ///
    /// What moto forgets is kept per emulator for the whole process, as moto keeps its own
    /// state: every proxy in the process in front of the same emulator shares it, so a fixture
    /// made through one proxy is seen through another. Only requests that went through a proxy
    /// with this rule (or [`Rule::CloudFrontLambdaAssociations`]) on are remembered.
    CloudFrontOriginAccess,
    /// moto answers every distribution with empty `LambdaFunctionAssociations` (and
    /// `FunctionAssociations`). The proxy remembers each cache behavior's associations from the
    /// create and update requests (per distribution; cache behaviors by path pattern) and puts
    /// them back into the answers, as [`Rule::CloudFrontOriginAccess`] does for origins.
    CloudFrontLambdaAssociations,
    /// Cognito DeleteUserPool of a pool with a domain answers `InvalidParameterException`.
    CognitoDomain,
    /// Cognito DeleteUserPool of a pool with `DeletionProtection` ACTIVE answers
    /// `InvalidParameterException`.
    CognitoDeletionProtection,
    /// Cognito UpdateUserPool must send `AutoVerifiedAttributes` covering every attribute in
    /// `UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate` (the request's, or
    /// the pool's when the request leaves it out), else `InvalidParameterException`.
    CognitoUpdateVerification,
    /// moto has no SetIdentityPoolRoles / GetIdentityPoolRoles (it answers 500). The proxy serves
    /// both from its own store of each identity pool's roles and role mappings (kept per
    /// emulator for the whole process), and forgets a pool on DeleteIdentityPool.
    CognitoIdentityPoolRoles,
    /// IAM DeletePolicy of a policy that is attached (also as a permissions boundary) or has
    /// non-default versions answers 409 `DeleteConflict`.
    IamDeleteConflict,
    /// For [`ProxyConfig::iam_consistency_window`] after a successful DetachRolePolicy,
    /// DeleteRolePolicy or RemoveRoleFromInstanceProfile, IAM DeleteRole of that role answers 409
    /// `DeleteConflict`; after DetachRolePolicy, DetachUserPolicy, DetachGroupPolicy or
    /// DeletePolicyVersion, DeletePolicy of that policy does: IAM is eventually consistent, and
    /// moto is not.
    IamEventualConsistency,
    /// IAM DeleteRole of a service-linked role (path `/aws-service-role/`) answers 400
    /// `UnmodifiableEntity` (moto deletes it); only DeleteServiceLinkedRole works. The first
    /// GetServiceLinkedRoleDeletionStatus of a task started through the proxy reads
    /// `IN_PROGRESS` (moto answers `SUCCEEDED` at once), so the status must be polled.
    IamServiceLinkedRole,
    /// moto ignores ListEntitiesForPolicy's `PolicyUsageFilter=PermissionsBoundary` and leaves
    /// `PermissionsBoundaryUsageCount` out of GetPolicy. The proxy remembers the boundaries set
    /// through it (CreateRole/CreateUser with `PermissionsBoundary`, Put/Delete
    /// Role/UserPermissionsBoundary), confirms them with moto's GetRole/GetUser, answers the
    /// filtered ListEntitiesForPolicy itself and puts the count into GetPolicy (and
    /// [`Rule::IamDeleteConflict`] counts them). moto has no user boundaries at all: the proxy
    /// serves Put/DeleteUserPermissionsBoundary and puts the boundary into GetUser. Kept per
    /// emulator for the whole process, like [`Rule::CloudFrontOriginAccess`]'s memory.
    IamEntitiesBoundary,
    /// API Gateway DeleteRestApi more often than once per [`ProxyConfig::rest_api_delete_window`]
    /// answers 429 `TooManyRequestsException`. Only successful deletes start the window.
    RestApiDeleteRate,
    /// A new DynamoDB table reads `CREATING` for [`ProxyConfig::dynamodb_creating_time`];
    /// DeleteTable and UpdateTable answer `ResourceInUseException` meanwhile.
    DynamoDbCreating,
    /// A deleted DynamoDB table reads `DELETING` for [`ProxyConfig::dynamodb_deleting_time`]
    /// before DescribeTable answers `ResourceNotFoundException`.
    DynamoDbDeleting,
    /// Lambda functions tagged `testkit:edge-replica=true` refuse DeleteFunction as replicated
    /// Lambda@Edge functions for [`ProxyConfig::edge_replica_time`] after the first refusal.
    LambdaEdgeReplica,
    /// S3 requests signed for another region than the bucket's answer 301 `PermanentRedirect`
    /// with `x-amz-bucket-region`.
    S3RegionRedirect,
    /// S3 GetBucketLocation answers 403 `AccessDenied` for buckets whose name contains a marker
    /// ([`ProxyConfig::s3_location_denied`]; default `location-denied`), as when a bucket
    /// policy or an SCP denies `s3:GetBucketLocation`. HeadBucket still answers.
    S3LocationDenied,
    /// S3 DeleteObjects answers 200 with per-key `<Error>` entries, leaving those keys in
    /// place: every attempt at keys with a marker ([`ProxyConfig::s3_delete_fails`]; default
    /// `testkit-delete-fails`, `InternalError`), the first attempt at others
    /// ([`ProxyConfig::s3_delete_flaky`]; default `testkit-delete-flaky`, `SlowDown`).
    S3DeleteObjectsErrors,
    /// Deleting an unknown REST API, usage plan, HTTP API, origin access control or identity,
    /// or event source mapping answers AWS's 404 (moto answers 500, or success). With
    /// [`Rule::CloudFrontOriginAccess`] on, an origin access identity is unknown when the
    /// proxy's own OAI store does not have it.
    MissingNotFound,
}

impl Rule {
    /// Every rule, in a stable order.
    pub const ALL: [Rule; 22] = [
        Rule::CloudFrontNotDisabled,
        Rule::CloudFrontDeploy,
        Rule::CloudFrontIfMatch,
        Rule::DistributionNotDisabled,
        Rule::CloudFrontOriginAccess,
        Rule::CloudFrontLambdaAssociations,
        Rule::CognitoDomain,
        Rule::CognitoDeletionProtection,
        Rule::CognitoUpdateVerification,
        Rule::CognitoIdentityPoolRoles,
        Rule::IamDeleteConflict,
        Rule::IamEventualConsistency,
        Rule::IamServiceLinkedRole,
        Rule::IamEntitiesBoundary,
        Rule::RestApiDeleteRate,
        Rule::DynamoDbCreating,
        Rule::DynamoDbDeleting,
        Rule::LambdaEdgeReplica,
        Rule::S3RegionRedirect,
        Rule::S3LocationDenied,
        Rule::S3DeleteObjectsErrors,
        Rule::MissingNotFound,
    ];

    /// The kebab-case name used in the log and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Rule::CloudFrontNotDisabled => "cloudfront-not-disabled",
            Rule::CloudFrontDeploy => "cloudfront-deploy",
            Rule::CloudFrontIfMatch => "cloudfront-if-match",
            Rule::DistributionNotDisabled => "cloudfront-deployed-not-disabled",
            Rule::CloudFrontOriginAccess => "cloudfront-origin-access",
            Rule::CloudFrontLambdaAssociations => "cloudfront-lambda-associations",
            Rule::CognitoDomain => "cognito-domain",
            Rule::CognitoDeletionProtection => "cognito-deletion-protection",
            Rule::CognitoUpdateVerification => "cognito-update-verification",
            Rule::CognitoIdentityPoolRoles => "cognito-identity-pool-roles",
            Rule::IamDeleteConflict => "iam-delete-conflict",
            Rule::IamEventualConsistency => "iam-eventual-consistency",
            Rule::IamServiceLinkedRole => "iam-service-linked-role",
            Rule::IamEntitiesBoundary => "iam-entities-boundary",
            Rule::RestApiDeleteRate => "rest-api-delete-rate",
            Rule::DynamoDbCreating => "dynamodb-creating",
            Rule::DynamoDbDeleting => "dynamodb-deleting",
            Rule::LambdaEdgeReplica => "lambda-edge-replica",
            Rule::S3RegionRedirect => "s3-region-redirect",
            Rule::S3LocationDenied => "s3-location-denied",
            Rule::S3DeleteObjectsErrors => "s3-delete-objects-errors",
            Rule::MissingNotFound => "missing-not-found",
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Rule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .into_iter()
            .find(|rule| rule.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Rule::ALL.iter().map(|rule| rule.name()).collect();
                format!("unknown rule {s:?} (known: {})", names.join(", "))
            })
    }
}

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// The protocol's own throttling error: JSON `ThrottlingException` 400, query
    /// `Throttling` 400, S3 `SlowDown` 503, CloudFront `Throttling` 400, REST JSON
    /// `TooManyRequestsException` 429. Not forwarded.
    Throttle,
    /// 500 `InternalError`/`InternalFailure` in the protocol's shape. Not forwarded.
    InternalError,
    /// 503 `ServiceUnavailable` in the protocol's shape. Not forwarded.
    ServiceUnavailable,
    /// The connection is closed before the request is forwarded: moto never sees it.
    DropBeforeForward,
    /// The request is forwarded (moto acts on it), then the connection is closed before the
    /// client hears the answer.
    DropAfterForward,
}

impl FaultKind {
    /// Every fault kind, in a stable order.
    pub const ALL: [FaultKind; 5] = [
        FaultKind::Throttle,
        FaultKind::InternalError,
        FaultKind::ServiceUnavailable,
        FaultKind::DropBeforeForward,
        FaultKind::DropAfterForward,
    ];

    /// The name used in the log and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Throttle => "throttle",
            FaultKind::InternalError => "internal-error",
            FaultKind::ServiceUnavailable => "service-unavailable",
            FaultKind::DropBeforeForward => "drop-before-forward",
            FaultKind::DropAfterForward => "drop-after-forward",
        }
    }
}

impl Serialize for FaultKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Short aliases for the command line.
        let kind = match s {
            "500" => FaultKind::InternalError,
            "503" => FaultKind::ServiceUnavailable,
            "drop-before" => FaultKind::DropBeforeForward,
            "drop-after" => FaultKind::DropAfterForward,
            _ => {
                return FaultKind::ALL
                    .into_iter()
                    .find(|kind| kind.name() == s)
                    .ok_or_else(|| {
                        format!(
                            "unknown fault kind {s:?} (known: throttle, 500, 503, drop-before, \
                             drop-after)"
                        )
                    });
            }
        };
        Ok(kind)
    }
}

/// Which faults to inject, how often, and where.
///
/// Every request that passes the filters (`only_mutating`, `services`, `operations`) draws one
/// number from a ChaCha8 RNG seeded with `seed`: below `rate` it gets a fault, whose kind is a
/// second draw among `kinds`. Requests that do not pass the filters draw nothing, so a run with
/// the same seed and the same sequence of eligible requests injects the same faults: print the
/// seed of a failing test to replay it. (Concurrent requests make the sequence depend on
/// scheduling; replay is exact for sequential clients.)
///
/// ```
/// use testkit::proxy::{FaultConfig, FaultKind};
/// let faults = FaultConfig { seed: 7, rate: 0.3, kinds: vec![FaultKind::Throttle], ..FaultConfig::default() };
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Seed of the RNG.
    pub seed: u64,
    /// Probability (0.0 to 1.0) that an eligible request gets a fault.
    pub rate: f64,
    /// The kinds to choose from (uniformly). Empty means no faults.
    pub kinds: Vec<FaultKind>,
    /// Only mutating operations ([`is_mutating`](super::is_mutating)) get faults.
    pub only_mutating: bool,
    /// Only these services (signing names such as `dynamodb`, `s3`) get faults; empty means all.
    pub services: Vec<String>,
    /// Only these operations (such as `DeleteTable`, or `s3:DeleteObjects`) get faults; empty
    /// means all.
    pub operations: Vec<String>,
    /// Stop injecting after this many faults (`None`: no limit).
    pub max_faults: Option<u64>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            seed: 0,
            rate: 0.0,
            kinds: FaultKind::ALL.to_vec(),
            only_mutating: false,
            services: Vec::new(),
            operations: Vec::new(),
            max_faults: None,
        }
    }
}

impl FaultConfig {
    /// Every fault kind at `rate`, on every operation.
    pub fn new(seed: u64, rate: f64) -> Self {
        FaultConfig {
            seed,
            rate,
            ..FaultConfig::default()
        }
    }

    /// Only these kinds.
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = FaultKind>) -> Self {
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// Only mutating operations.
    pub fn only_mutating(mut self) -> Self {
        self.only_mutating = true;
        self
    }

    /// Only these services.
    pub fn services(mut self, services: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.services = services.into_iter().map(Into::into).collect();
        self
    }

    /// Only these operations (`DeleteTable` or `dynamodb:DeleteTable`).
    pub fn operations(mut self, operations: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.operations = operations.into_iter().map(Into::into).collect();
        self
    }

    /// At most `n` faults in all.
    pub fn max_faults(mut self, n: u64) -> Self {
        self.max_faults = Some(n);
        self
    }
}

/// Timings of AWS's asynchronous states, as the proxy simulates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timings {
    pub cloudfront_deploy: Duration,
    pub cloudfront_settle: Duration,
    pub rest_api_delete_window: Duration,
    pub dynamodb_creating: Duration,
    pub dynamodb_deleting: Duration,
    pub edge_replica: Duration,
    pub iam_consistency: Duration,
}

impl Timings {
    /// AWS-like values, shortened where real AWS would make a test suite unbearable.
    const AWS: Timings = Timings {
        // Real AWS: 5 to 40 minutes. A minute is long enough that a tool which does not wait for
        // `Deployed` fails, and short enough for a patient test.
        cloudfront_deploy: Duration::from_secs(60),
        // Real AWS: seconds to a minute or so. A few seconds make a tool that does not retry
        // DistributionNotDisabled fail, without slowing the tests of one that does.
        cloudfront_settle: Duration::from_secs(3),
        // Real AWS: 1 DeleteRestApi per 30 s per account.
        rest_api_delete_window: Duration::from_secs(30),
        // Real AWS: a few seconds for an on-demand table without indexes.
        dynamodb_creating: Duration::from_secs(5),
        dynamodb_deleting: Duration::from_secs(5),
        // Real AWS: hours after the distribution is gone. An hour outlasts any test run.
        edge_replica: Duration::from_secs(3600),
        // Real AWS: usually well under a second, sometimes seconds. Long enough that a tool which
        // does not retry DeleteConflict fails, short enough not to slow one that does.
        iam_consistency: Duration::from_millis(300),
    };
}

/// Added latency: `fixed` on every request, plus the first matching per-key value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Latency {
    pub fixed: Duration,
    /// Keys: `service:Operation`, `Operation` or `service`, tried in that order.
    pub per_key: Vec<(String, Duration)>,
}

/// Everything the proxy does. Build with [`ProxyConfig::aws`] or [`ProxyConfig::passthrough`],
/// then adjust with the builder methods.
///
/// ```no_run
/// use std::time::Duration;
/// use testkit::proxy::{FaultConfig, Proxy, ProxyConfig};
/// let config = ProxyConfig::aws("http://127.0.0.1:5000")
///     .cloudfront_deploy_time(Duration::from_secs(1))
///     .rest_api_delete_window(Duration::from_secs(2))
///     .faults(FaultConfig::new(7, 0.2));
/// let proxy = Proxy::start(config)?;
/// # anyhow::Ok(())
/// ```
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub(crate) upstream: String,
    pub(crate) port: u16,
    pub(crate) rules: BTreeSet<Rule>,
    pub(crate) timings: Timings,
    pub(crate) faults: Option<FaultConfig>,
    pub(crate) latency: Latency,
    /// Markers and codes of the S3 rules ([`Rule::S3LocationDenied`],
    /// [`Rule::S3DeleteObjectsErrors`]).
    pub(crate) s3: super::rules::S3Settings,
}

impl ProxyConfig {
    /// The "aws" profile: every realism rule on, AWS-like timings (CloudFront deploy 60 s,
    /// DistributionNotDisabled after Deployed 3 s, DeleteRestApi window 30 s, DynamoDB CREATING 5 s and DELETING 5 s, Lambda@Edge replicas
    /// 1 h, IAM DeleteConflict after a detach 300 ms), no faults, no latency.
    pub fn aws(upstream: impl Into<String>) -> Self {
        ProxyConfig {
            rules: Rule::ALL.into_iter().collect(),
            ..ProxyConfig::passthrough(upstream)
        }
    }

    /// The "passthrough" profile: no rules, no faults, no latency; the proxy only records.
    pub fn passthrough(upstream: impl Into<String>) -> Self {
        ProxyConfig {
            upstream: upstream.into(),
            port: 0,
            rules: BTreeSet::new(),
            timings: Timings::AWS,
            faults: None,
            latency: Latency::default(),
            s3: super::rules::S3Settings::default(),
        }
    }

    /// Listen on this port of 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Turn one rule on.
    pub fn enable(mut self, rule: Rule) -> Self {
        self.rules.insert(rule);
        self
    }

    /// Turn one rule off.
    pub fn disable(mut self, rule: Rule) -> Self {
        self.rules.remove(&rule);
        self
    }

    /// Is this rule on?
    pub fn is_enabled(&self, rule: Rule) -> bool {
        self.rules.contains(&rule)
    }

    /// How long a distribution reads `InProgress` after UpdateDistribution.
    pub fn cloudfront_deploy_time(mut self, time: Duration) -> Self {
        self.timings.cloudfront_deploy = time;
        self
    }

    /// How long DeleteDistribution still answers `DistributionNotDisabled` after a disabled
    /// distribution first reads `Deployed` ([`Rule::DistributionNotDisabled`]); zero turns the
    /// rule off.
    pub fn cloudfront_settle_time(mut self, time: Duration) -> Self {
        self.timings.cloudfront_settle = time;
        self
    }

    /// The minimum time between two DeleteRestApi calls.
    pub fn rest_api_delete_window(mut self, window: Duration) -> Self {
        self.timings.rest_api_delete_window = window;
        self
    }

    /// How long a new DynamoDB table reads `CREATING`.
    pub fn dynamodb_creating_time(mut self, time: Duration) -> Self {
        self.timings.dynamodb_creating = time;
        self
    }

    /// How long a deleted DynamoDB table reads `DELETING`.
    pub fn dynamodb_deleting_time(mut self, time: Duration) -> Self {
        self.timings.dynamodb_deleting = time;
        self
    }

    /// How long a Lambda@Edge replica refuses deletion, counted from the first refusal.
    pub fn edge_replica_time(mut self, time: Duration) -> Self {
        self.timings.edge_replica = time;
        self
    }

    /// How long after a detach IAM still answers `DeleteConflict` to DeleteRole / DeletePolicy
    /// ([`Rule::IamEventualConsistency`]; default 300 ms); zero turns the rule off.
    pub fn iam_consistency_window(mut self, window: Duration) -> Self {
        self.timings.iam_consistency = window;
        self
    }

    /// Inject faults.
    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.faults = Some(faults);
        self
    }

    /// Add this latency to every request.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency.fixed = latency;
        self
    }

    /// Add this latency to the requests matching `key`: `service:Operation`
    /// (`dynamodb:DeleteTable`), `Operation` (`DeleteTable`) or `service` (`dynamodb`). A request
    /// gets the first match in that order, on top of [`latency`](Self::latency).
    pub fn latency_for(mut self, key: impl Into<String>, latency: Duration) -> Self {
        self.latency.per_key.push((key.into(), latency));
        self
    }

    /// The upstream (moto) endpoint.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }
}
