//! Loading the AWS SDK config and checking who we are before anything else happens.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::args::AwsArgs;
use crate::backoff::Backoff;
use crate::errors::bad_input;

/// Attempts per request for bulk work. The SDK's default of 3 gives up too soon when deleting
/// thousands of objects, where throttling is normal (AWS-NOTES.md, "Retries").
pub const BULK_MAX_ATTEMPTS: u32 = 10;

/// Backoff cap between attempts, the SDK's standard-mode cap.
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Time to open a connection. Short, so an unreachable endpoint fails fast instead of hanging.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A checked connection to one AWS account and region.
#[derive(Clone, Debug)]
pub struct Session {
    /// The SDK config every service client is built from.
    pub config: SdkConfig,
    /// The account the credentials belong to (from STS).
    pub account: String,
    /// The ARN of the caller (a user, or an assumed role's session).
    pub caller_arn: String,
    /// The region the clients talk to.
    pub region: String,
    /// The endpoint override (an emulator), when there is one.
    pub endpoint_url: Option<String>,
    /// The arguments the session came from.
    pub args: AwsArgs,
}

impl Session {
    /// Loads the config, asks STS who we are, and applies the `--expect-account` guard.
    ///
    /// Any failure here is configuration (no region, no credentials, rejected credentials,
    /// unreachable endpoint, wrong account) and comes back as [`crate::BadInput`]: nothing has
    /// been changed, and no call of the step's own service has been made.
    pub async fn start(args: &AwsArgs) -> anyhow::Result<Session> {
        args.validate()?;
        if let Some(profile) = &args.profile {
            check_profile_exists(profile).await?;
        }
        let config = load_config(args).await;
        let region = config
            .region()
            .map(|r| r.as_ref().to_string())
            .ok_or_else(|| {
                bad_input(
                    "no AWS region: pass --region, set AWS_REGION, or set a region in your profile",
                )
            })?;
        crate::args::validate_region(&region)?;
        let endpoint_url = config.endpoint_url().map(str::to_string);
        let (account, caller_arn) = who_am_i(&config, endpoint_url.as_deref()).await?;
        if let Some(expected) = args.expect_account.as_ref().filter(|e| **e != account) {
            return Err(bad_input(format!(
                "account mismatch: the credentials are for account {account}, not {expected} (--expect-account); nothing was changed"
            )));
        }
        tracing::debug!(%account, %caller_arn, %region, "session ready");
        Ok(Session {
            config,
            account,
            caller_arn,
            region,
            endpoint_url,
            args: args.clone(),
        })
    }

    /// The same config for another region (an S3 bucket that lives elsewhere).
    pub fn config_for_region(&self, region: &str) -> SdkConfig {
        self.config
            .to_builder()
            .region(Region::new(region.to_string()))
            .build()
    }

    /// Whether requests go to an endpoint override (an emulator) rather than AWS.
    pub fn has_endpoint_override(&self) -> bool {
        self.endpoint_url.is_some()
    }
}

async fn load_config(args: &AwsArgs) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(BULK_MAX_ATTEMPTS)
                .with_max_backoff(MAX_BACKOFF),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .build(),
        );
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &args.profile {
        // An explicit --profile must win over credentials in the environment, as it does for
        // aws-cli and boto3 ("an explicitly provided profile will negate an EnvProvider"): the
        // SDK's default chain reads AWS_ACCESS_KEY_ID first, which would silently run against
        // the environment's account. A profile that does not exist is then an error, not a
        // fallback.
        loader = loader.profile_name(profile).credentials_provider(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build(),
        );
    }
    if let Some(endpoint) = &args.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// Refuses a `--profile` that the AWS config files do not define. The SDK's profile provider
/// only answers "the credential provider was not enabled", which does not tell a user about the
/// typo in their profile name.
async fn check_profile_exists(profile: &str) -> anyhow::Result<()> {
    use aws_runtime::env_config::file::EnvConfigFiles;
    use aws_types::os_shim_internal::{Env, Fs};
    let profiles =
        aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), None)
            .await
            .map_err(|error| bad_input(format!("cannot read the AWS config files: {error}")))?;
    if profiles.get_profile(profile).is_none() {
        return Err(bad_input(format!(
            "profile {profile:?} is not defined in the AWS config files (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE); `aws configure list-profiles` shows the defined ones"
        )));
    }
    Ok(())
}

/// STS GetCallerIdentity. A failure that says the configuration is wrong (rejected or missing
/// credentials, a refused connection, a timeout) is bad input at once: retrying would only delay
/// the message. A transient one (throttling, a 5xx, a connection dropped mid-request) is retried
/// for a few seconds, and if it outlasts that, it is not bad input: the run stops with exit 1 and
/// the advice to run again (nothing has been changed yet).
async fn who_am_i(config: &SdkConfig, endpoint: Option<&str>) -> anyhow::Result<(String, String)> {
    let sts_config = aws_sdk_sts::config::Builder::from(config)
        .retry_config(RetryConfig::disabled())
        .build();
    let sts = aws_sdk_sts::Client::from_conf(sts_config);
    let mut backoff = Backoff::new(
        Duration::from_millis(200),
        Duration::from_secs(2),
        Duration::from_secs(8),
    );
    let identity = loop {
        match sts.get_caller_identity().send().await {
            Ok(identity) => break identity,
            Err(error) if is_transient(&error) => match backoff.next_delay() {
                Some(delay) => {
                    tracing::debug!(error = %DisplayErrorContext(&error), ?delay, "STS failed for now; retrying");
                    tokio::time::sleep(delay).await;
                }
                None => {
                    return Err(anyhow::anyhow!(
                        "{} (still failing after {:?} of retries; this looks temporary: run the same command again; nothing was changed)",
                        describe_sts_failure(&error, endpoint),
                        backoff.budget()
                    ));
                }
            },
            Err(error) => return Err(bad_input(describe_sts_failure(&error, endpoint))),
        }
    };
    let account = identity.account().unwrap_or_default().to_string();
    let arn = identity.arn().unwrap_or_default().to_string();
    if account.is_empty() {
        return Err(bad_input(
            "STS did not say which account the credentials belong to",
        ));
    }
    Ok((account, arn))
}

/// Error codes AWS uses for throttling, across protocols.
const THROTTLING_CODES: [&str; 6] = [
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
];

/// Whether a failed STS call is worth another try: throttling, a server error, or a connection
/// that opened and then broke. Not: an answer that rejects the credentials, no credentials, a
/// refused connection or a timeout (a wrong endpoint).
fn is_transient(
    error: &SdkError<
        aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError,
        aws_smithy_runtime_api::http::Response,
    >,
) -> bool {
    match error {
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || service
                    .err()
                    .code()
                    .is_some_and(|code| THROTTLING_CODES.contains(&code))
        }
        SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => {
            let cause = innermost_cause(error).to_lowercase();
            !failure.is_timeout()
                && !failure.is_user()
                && !cause.contains("refused")
                && !cause.contains("credential")
                && !cause.contains("dns")
                && !cause.contains("resolve")
        }
        _ => false,
    }
}

/// One line that says what is wrong with the configuration, from a failed GetCallerIdentity.
fn describe_sts_failure<E, R>(error: &SdkError<E, R>, endpoint: Option<&str>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let target = endpoint.map_or("AWS".to_string(), |e| e.to_string());
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().unwrap_or("error");
            let message = err.message().unwrap_or("");
            format!(
                "{target} rejected the credentials ({code}: {message}); check your profile or keys"
            )
        }
        SdkError::TimeoutError(_) => format!("cannot reach {target}: the request timed out"),
        _ => {
            let cause = innermost_cause(error);
            let text = DisplayErrorContext(error).to_string();
            if text.contains("credentials") || text.contains("identity") {
                no_credentials_message(&cause)
            } else if matches!(error, SdkError::DispatchFailure(f) if f.is_io() || f.is_timeout()) {
                format!("cannot reach {target}: {cause}")
            } else {
                format!("cannot call {target}: {cause}")
            }
        }
    }
}

fn no_credentials_message(detail: &str) -> String {
    format!(
        "no usable AWS credentials ({detail}): use --profile, run `aws sso login`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )
}

/// The innermost cause in an error's source chain ("Connection refused (os error 111)"), which
/// is the part that tells the user something.
fn innermost_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}
