//! `cleanup.toml`: what clean-all deletes, one table per chapter step. Every step binary's flag
//! has a key here; unknown keys and wrong types are errors naming the line.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

/// The whole manifest.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub aws: AwsSection,
    #[serde(default)]
    pub dynamodb: DynamoDb,
    #[serde(default)]
    pub lambda: Lambda,
    #[serde(default)]
    pub s3: S3,
    #[serde(default)]
    pub apigateway: ApiGateway,
    #[serde(default)]
    pub cognito: Cognito,
    #[serde(default)]
    pub cloudfront: CloudFront,
    #[serde(default)]
    pub iam: Iam,
}

/// Where to run; each key is the step binaries' flag of the same name.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSection {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub expect_account: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamoDb {
    #[serde(default)]
    pub tables: Vec<String>,
    #[serde(default, rename = "match")]
    pub globs: Vec<String>,
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub disable_deletion_protection: bool,
    #[serde(default)]
    pub with_backups: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lambda {
    #[serde(default)]
    pub functions: Vec<String>,
    #[serde(default, rename = "match")]
    pub globs: Vec<String>,
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub keep_logs: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3 {
    #[serde(default)]
    pub buckets: Vec<String>,
    #[serde(default, rename = "match")]
    pub globs: Vec<String>,
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub bypass_governance: bool,
    pub strategy: Option<String>,
    pub concurrency: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiGateway {
    #[serde(default)]
    pub rest_apis: Vec<String>,
    #[serde(default)]
    pub http_apis: Vec<String>,
    #[serde(default, rename = "match")]
    pub globs: Vec<String>,
    #[serde(default)]
    pub all: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cognito {
    #[serde(default)]
    pub user_pools: Vec<String>,
    #[serde(default)]
    pub app_clients: Vec<String>,
    #[serde(default)]
    pub identity_pools: Vec<String>,
    #[serde(default, rename = "match")]
    pub globs: Vec<String>,
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub disable_deletion_protection: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudFront {
    #[serde(default)]
    pub distributions: Vec<String>,
    #[serde(default)]
    pub origin_buckets: Vec<String>,
    #[serde(default, rename = "match")]
    pub globs: Vec<String>,
    #[serde(default)]
    pub all: bool,
    pub max_wait: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Iam {
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default, rename = "match")]
    pub globs: Vec<String>,
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub keep_policies: bool,
    #[serde(default)]
    pub service_linked: bool,
}

impl Manifest {
    /// Reads and checks a manifest file. Errors name the file and the line.
    pub fn load(path: &Path) -> anyhow::Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the manifest {}", path.display()))?;
        Manifest::parse(&text).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
    }

    /// Parses manifest text. The message of a TOML error names its line and column; it is
    /// folded onto one line so it reads as one error.
    pub fn parse(text: &str) -> anyhow::Result<Manifest> {
        toml::from_str(text).map_err(|error| {
            let message = error.message().to_string();
            let line = error
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            match line {
                Some(line) => anyhow::anyhow!("line {line}: {message}"),
                None => anyhow::anyhow!("{message}"),
            }
        })
    }

    /// The flags for one step's binary, or `None` when the manifest selects nothing for it.
    pub fn step_args(&self, step: u8) -> Option<Vec<String>> {
        let mut args = Args::default();
        match step {
            1 => {
                let s = &self.dynamodb;
                args.names("--table", &s.tables).globs(&s.globs, s.all);
                args.flag(
                    "--disable-deletion-protection",
                    s.disable_deletion_protection,
                );
                args.flag("--with-backups", s.with_backups);
            }
            2 => {
                let s = &self.lambda;
                args.names("--function", &s.functions)
                    .globs(&s.globs, s.all);
                args.flag("--keep-logs", s.keep_logs);
            }
            3 => {
                let s = &self.s3;
                args.names("--bucket", &s.buckets).globs(&s.globs, s.all);
                args.flag("--bypass-governance", s.bypass_governance);
                args.value("--strategy", s.strategy.clone());
                args.value("--concurrency", s.concurrency.map(|c| c.to_string()));
            }
            4 => {
                let s = &self.apigateway;
                args.names("--rest-api", &s.rest_apis)
                    .names("--http-api", &s.http_apis)
                    .globs(&s.globs, s.all);
            }
            5 => {
                let s = &self.cognito;
                args.names("--user-pool", &s.user_pools)
                    .names("--app-client", &s.app_clients)
                    .names("--identity-pool", &s.identity_pools)
                    .globs(&s.globs, s.all);
                args.flag(
                    "--disable-deletion-protection",
                    s.disable_deletion_protection,
                );
            }
            6 => {
                let s = &self.cloudfront;
                args.names("--distribution", &s.distributions)
                    .names("--origin-bucket", &s.origin_buckets)
                    .globs(&s.globs, s.all);
                args.value("--max-wait", s.max_wait.clone());
            }
            7 => {
                let s = &self.iam;
                args.names("--role", &s.roles)
                    .names("--policy", &s.policies)
                    .globs(&s.globs, s.all);
                args.flag("--keep-policies", s.keep_policies);
                args.flag("--service-linked", s.service_linked);
            }
            _ => return None,
        }
        args.selected.then_some(args.list)
    }

    /// The flags every step binary shares, from the `[aws]` table.
    pub fn aws_args(&self) -> Vec<String> {
        let mut args = Args::default();
        args.value("--region", self.aws.region.clone());
        args.value("--profile", self.aws.profile.clone());
        args.value("--endpoint-url", self.aws.endpoint_url.clone());
        args.value("--expect-account", self.aws.expect_account.clone());
        args.list
    }
}

/// A flag list under construction; `selected` records whether any name or glob was added.
#[derive(Default)]
struct Args {
    list: Vec<String>,
    selected: bool,
}

impl Args {
    fn names(&mut self, flag: &str, names: &[String]) -> &mut Self {
        for name in names {
            self.list.push(flag.to_string());
            self.list.push(name.clone());
            self.selected = true;
        }
        self
    }

    fn globs(&mut self, globs: &[String], all: bool) -> &mut Self {
        self.names("--match", globs);
        self.flag("--all", all);
        self
    }

    fn flag(&mut self, flag: &str, on: bool) {
        if on {
            self.list.push(flag.to_string());
        }
    }

    fn value(&mut self, flag: &str, value: Option<String>) {
        if let Some(value) = value {
            self.list.push(flag.to_string());
            self.list.push(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_manifest_parses_and_selects_the_chapter_names() {
        let text = include_str!("../../cleanup.toml");
        let manifest = Manifest::parse(text).unwrap();
        let step1 = manifest.step_args(1).unwrap();
        assert_eq!(step1, ["--table", "Product", "--table", "Category"]);
        let step7 = manifest.step_args(7).unwrap();
        assert!(step7.contains(&"lambda-resize-image-role".to_string()));
    }

    #[test]
    fn unknown_keys_name_their_line() {
        let error = Manifest::parse("[dynamodb]\ntables = [\"Product\"]\ntabels = [\"x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("line 3:"), "{error}");
        assert!(error.contains("tabels"), "{error}");
    }

    #[test]
    fn wrong_types_name_their_line() {
        let error = Manifest::parse("[s3]\nbuckets = \"one-bucket\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("line 2:"), "{error}");
    }

    #[test]
    fn unknown_sections_are_errors() {
        let error = Manifest::parse("[ec2]\ninstances = []\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("ec2"), "{error}");
    }

    #[test]
    fn a_step_without_names_or_globs_is_not_run() {
        let manifest = Manifest::parse("[s3]\nbypass_governance = true\n").unwrap();
        assert_eq!(manifest.step_args(3), None);
    }

    #[test]
    fn every_option_becomes_its_flag() {
        let manifest = Manifest::parse(
            "[s3]\nbuckets = [\"a\"]\nmatch = [\"x-*\"]\nall = true\nbypass_governance = true\nstrategy = \"lifecycle\"\nconcurrency = 4\n",
        )
        .unwrap();
        assert_eq!(
            manifest.step_args(3).unwrap(),
            [
                "--bucket",
                "a",
                "--match",
                "x-*",
                "--all",
                "--bypass-governance",
                "--strategy",
                "lifecycle",
                "--concurrency",
                "4"
            ]
        );
    }
}
