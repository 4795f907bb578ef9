//! `cargo xtask discover`: finds what looks like the workshop in the account and writes a
//! proposed manifest for the user to review. Nothing is deleted.
//!
//! It asks the step binaries (dry runs, read-only) about the manifest's names and patterns plus
//! `--prefix`, then follows the relations the steps report: the buckets found lead to the
//! CloudFront distributions that serve them, and the roles that functions and identity pools use
//! lead to step 7. The proposal lists exact names, each with where it was found.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use common::{Outcome, Report};
use xshell::Shell;

use crate::clean_all::{ManifestArgs, gather_plans};
use crate::manifest::Manifest;
use crate::runner::StepRunner;
use crate::steps::{STEPS, StepInfo, step};

/// `cargo xtask discover`
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask discover",
    about = "Find the workshop's resources and write a proposed manifest; delete nothing"
)]
pub struct DiscoverArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Also look for every resource whose name starts with this (e.g. easyshop)
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Vec<String>,

    /// Where to write the proposed manifest
    #[arg(long, default_value = "cleanup.proposed.toml", value_name = "FILE")]
    pub write: PathBuf,
}

/// What was found for one step: names with the reason each was found.
#[derive(Debug, Default)]
struct Found {
    /// (manifest key, name, why)
    entries: Vec<(&'static str, String, String)>,
}

impl Found {
    fn add(&mut self, key: &'static str, name: &str, why: String) {
        if !self.entries.iter().any(|(k, n, _)| *k == key && n == name) {
            self.entries.push((key, name.to_string(), why));
        }
    }
}

pub fn run(sh: &Shell, args: DiscoverArgs) -> anyhow::Result<ExitCode> {
    if args.prefix.iter().any(|p| p.trim().is_empty()) {
        return Err(common::bad_input("--prefix needs a non-empty prefix"));
    }
    let base = args.manifest.manifest()?;
    let mut search = widen(&base, &args.prefix);
    let steps: Vec<StepInfo> = STEPS.to_vec();
    let runner = StepRunner::new(
        sh,
        &args.manifest.binaries(),
        search.clone(),
        &steps,
        args.manifest.child_env.clone(),
    )?;

    // Steps 1 to 5 first: their findings select what steps 6 and 7 look for.
    let first: Vec<StepInfo> = steps.iter().copied().filter(|s| s.number <= 5).collect();
    let mut plans = gather_plans(&runner, &first)?;
    let buckets = existing(&plans, 3, "bucket");
    let roles: Vec<(String, String)> = plans
        .iter()
        .flat_map(|(_, r)| r.left_behind.iter())
        .filter(|l| l.kind == "role")
        .map(|l| (l.name.clone(), l.reason.clone()))
        .collect();
    search
        .cloudfront
        .origin_buckets
        .extend(buckets.iter().cloned());
    search
        .iam
        .roles
        .extend(roles.iter().map(|(name, _)| name.clone()));
    let later = StepRunner::new(
        sh,
        &args.manifest.binaries(),
        search.clone(),
        &steps,
        args.manifest.child_env.clone(),
    )?;
    let last: Vec<StepInfo> = steps.iter().copied().filter(|s| s.number >= 6).collect();
    plans.extend(gather_plans(&later, &last)?);

    let proposal = propose(&base, &args.prefix, &plans, &roles);
    std::fs::write(&args.write, &proposal)?;
    let count = proposal
        .lines()
        .filter(|l| l.trim_start().starts_with('"'))
        .count();
    println!(
        "discover: {count} resource(s) found; proposed manifest written to {} (review it, then run `cargo xtask plan --config {}`)",
        args.write.display(),
        args.write.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The manifest plus a `PREFIX*` pattern in every step that selects by name pattern.
fn widen(base: &Manifest, prefixes: &[String]) -> Manifest {
    let mut search = base.clone();
    let globs: Vec<String> = prefixes.iter().map(|p| format!("{p}*")).collect();
    search.dynamodb.globs.extend(globs.iter().cloned());
    search.lambda.globs.extend(globs.iter().cloned());
    search.s3.globs.extend(globs.iter().cloned());
    search.apigateway.globs.extend(globs.iter().cloned());
    search.cognito.globs.extend(globs.iter().cloned());
    search.cloudfront.globs.extend(globs.iter().cloned());
    search.iam.globs.extend(globs.iter().cloned());
    search
}

/// Names of the resources of `kind` that the step's dry run found present.
fn existing(plans: &[(StepInfo, Report)], number: u8, kind: &str) -> Vec<String> {
    plans
        .iter()
        .filter(|(s, _)| s.number == number)
        .flat_map(|(_, r)| r.actions.iter())
        .filter(|a| a.kind == kind && a.outcome != Some(Outcome::AlreadyAbsent))
        .map(|a| a.name.clone())
        .collect()
}

/// The proposed manifest text: every present resource by exact name, with why it was found.
fn propose(
    base: &Manifest,
    prefixes: &[String],
    plans: &[(StepInfo, Report)],
    roles: &[(String, String)],
) -> String {
    let why = |name: &str, names: &[String]| {
        if names.iter().any(|n| n == name) {
            "named in the manifest".to_string()
        } else if let Some(p) = prefixes.iter().find(|p| name.starts_with(p.as_str())) {
            format!("name starts with {p:?}")
        } else {
            "matched a pattern in the manifest".to_string()
        }
    };
    let mut found: Vec<(u8, Found)> = (1..=7).map(|n| (n, Found::default())).collect();
    for (info, report) in plans {
        let entry = &mut found[usize::from(info.number - 1)].1;
        for action in report
            .actions
            .iter()
            .filter(|a| a.outcome != Some(Outcome::AlreadyAbsent))
        {
            let (key, names): (&'static str, &[String]) = match (info.number, action.kind.as_str())
            {
                (1, "table") => ("tables", &base.dynamodb.tables),
                (2, "function") => ("functions", &base.lambda.functions),
                (3, "bucket") => ("buckets", &base.s3.buckets),
                (4, "rest api") => ("rest_apis", &base.apigateway.rest_apis),
                (4, "http api") => ("http_apis", &base.apigateway.http_apis),
                (5, "user pool") => ("user_pools", &base.cognito.user_pools),
                (5, "identity pool") => ("identity_pools", &base.cognito.identity_pools),
                (6, "distribution") => ("distributions", &base.cloudfront.distributions),
                (7, "role") => ("roles", &base.iam.roles),
                (7, "policy") => ("policies", &base.iam.policies),
                _ => continue,
            };
            // Every step names its actions by what its flags take (a distribution by its id).
            let name = action.name.as_str();
            let reason = match roles.iter().find(|(r, _)| r == name) {
                Some((_, reason)) if info.number == 7 => reason.clone(),
                _ if info.number == 6 => format!(
                    "{} ({})",
                    action.name, "serves a bucket found in step 3 or matched"
                ),
                _ => why(name, names),
            };
            entry.add(key, name, reason);
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Proposed by `cargo xtask discover`: review every name before using it.\n# Each name says why it was found. Nothing has been deleted."
    );
    if let Some(region) = &base.aws.region {
        let _ = writeln!(out, "\n[aws]\nregion = {region:?}");
    }
    for (number, entry) in &found {
        let Some(info) = step(*number) else { continue };
        let _ = writeln!(
            out,
            "\n# Step {number}. {}\n[{}]",
            info.heading, info.section
        );
        let mut keys: Vec<&str> = Vec::new();
        for (key, _, _) in &entry.entries {
            if !keys.contains(key) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            let _ = writeln!(out, "# nothing found");
        }
        for key in keys {
            let _ = writeln!(out, "{key} = [");
            for (_, name, reason) in entry.entries.iter().filter(|(k, _, _)| *k == key) {
                let _ = writeln!(out, "  {name:?}, # {reason}");
            }
            let _ = writeln!(out, "]");
        }
    }
    out
}
