//! Arguments every step binary accepts, flattened into its own clap parser.

use clap::{ArgAction, Args, ValueEnum};

use crate::errors::bad_input;

/// Where to act, how to talk, and how careful to be. Flattened into every step binary.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "AWS and safety")]
pub struct AwsArgs {
    /// AWS region, e.g. us-east-1 (default: AWS_REGION or the profile's region)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Named profile from ~/.aws/config (default: AWS_PROFILE or "default")
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Send every request to this endpoint instead of AWS (an emulator); AWS_ENDPOINT_URL also works
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Show what would be deleted, change nothing, ask nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation (needed when stdin is not a terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Refuse to run unless the credentials belong to this 12-digit account id
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub expect_account: Option<String>,

    /// Report format on stdout
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
    pub output: OutputFormat,

    /// Also write the JSON report to this file (whatever --output says); used by clean-all
    #[arg(long, value_name = "FILE")]
    pub json_report: Option<std::path::PathBuf>,

    /// More log output on stderr (-v, -vv, -vvv); RUST_LOG overrides
    #[arg(short, long, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Less output on stderr (-q: errors only, -qq: nothing)
    #[arg(short, long, action = ArgAction::Count)]
    pub quiet: u8,

    /// Never draw progress bars (they are drawn only on a terminal anyway)
    #[arg(long)]
    pub no_progress: bool,
}

/// The report format on stdout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tables for people
    #[default]
    Text,
    /// One JSON document for scripts (fields documented in the README)
    Json,
}

/// `--match GLOB` and its safety catch `--all`, shared by every step binary.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "Selection by pattern")]
pub struct MatchArgs {
    /// Also select every resource whose name matches this glob (repeatable), e.g. 'easyshop-*'
    #[arg(long = "match", value_name = "GLOB")]
    pub globs: Vec<String>,

    /// Allow a --match pattern that matches every name, such as '*'
    #[arg(long)]
    pub all: bool,
}

impl AwsArgs {
    /// Checks what can be checked without talking to AWS, so bad input fails before any call.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(region) = &self.region {
            validate_region(region)?;
        }
        if let Some(url) = &self.endpoint_url {
            validate_endpoint_url(url)?;
        }
        if let Some(account) = &self.expect_account {
            validate_account_id(account)?;
        }
        if self.profile.as_ref().is_some_and(|p| p.trim().is_empty()) {
            return Err(bad_input("--profile needs a profile name"));
        }
        Ok(())
    }
}

/// A region looks like `us-east-1`, `eu-central-2`, `us-gov-west-1` or `cn-north-1`.
pub fn validate_region(region: &str) -> anyhow::Result<()> {
    let parts: Vec<&str> = region.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts.iter().all(|part| !part.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|part| part.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit());
    if well_formed {
        Ok(())
    } else {
        Err(bad_input(format!(
            "invalid region {region:?}: expected a region code such as us-east-1"
        )))
    }
}

fn validate_endpoint_url(url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.starts_with('/')
                && !host.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(bad_input(format!(
            "invalid --endpoint-url {url:?}: expected http://HOST[:PORT] or https://HOST[:PORT]"
        ))),
    }
}

fn validate_account_id(account: &str) -> anyhow::Result<()> {
    if account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(bad_input(format!(
            "invalid --expect-account {account:?}: an AWS account id is 12 digits"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_region_codes() {
        for region in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-5",
        ] {
            assert!(validate_region(region).is_ok(), "{region}");
        }
    }

    #[test]
    fn refuses_malformed_region_codes() {
        for region in [
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "us-east-1a",
            "mars",
        ] {
            assert!(validate_region(region).is_err(), "{region}");
        }
    }

    #[test]
    fn endpoint_needs_a_scheme_and_host() {
        assert!(validate_endpoint_url("http://127.0.0.1:5000").is_ok());
        assert!(validate_endpoint_url("https://s3.example.com").is_ok());
        assert!(validate_endpoint_url("127.0.0.1:5000").is_err());
        assert!(validate_endpoint_url("http://").is_err());
        assert!(validate_endpoint_url("ftp://host").is_err());
    }

    #[test]
    fn account_id_is_twelve_digits() {
        assert!(validate_account_id("123456789012").is_ok());
        assert!(validate_account_id("12345678901").is_err());
        assert!(validate_account_id("12345678901a").is_err());
    }
}
