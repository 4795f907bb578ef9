//! discover and demo end to end against the emulator.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::process::Command;

use support::{text, workspace, xtask};
use testkit::proxy::{Proxy, ProxyConfig};
use testkit::{endpoint, unique_name};

#[test]
fn discover_follows_functions_to_roles_and_buckets_to_distributions_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let suffix = format!("-{}", unique_name("disc").to_lowercase());
    let seeded = dir.path().join("seeded.toml");
    let seed = Command::new(workspace().join("target/emulator/venv/bin/python"))
        .current_dir(workspace())
        .args([
            "scripts/demo/workshop.py",
            "--endpoint",
            &endpoint(),
            "--images",
            "2",
        ])
        .arg(format!("--suffix={suffix}"))
        .arg(format!("--manifest={}", seeded.display()))
        .output()
        .unwrap();
    assert!(seed.status.success(), "{}", text(&seed));
    // A manifest naming one function and the frontend bucket only.
    let manifest = dir.path().join("cleanup.toml");
    std::fs::write(
        &manifest,
        format!(
            "[lambda]\nfunctions = [\"resize-image{suffix}\"]\n\n[s3]\nbuckets = [\"easyshop-frontend-fcj{suffix}\"]\n"
        ),
    )
    .unwrap();
    let proposal = dir.path().join("proposed.toml");
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();

    let output = xtask(&["discover", "--config", &manifest.display().to_string()])
        .args([
            "--write",
            &proposal.display().to_string(),
            "--endpoint-url",
            proxy.endpoint(),
        ])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let proposed = std::fs::read_to_string(&proposal).unwrap();
    assert!(
        proposed.contains(&format!(
            "\"resize-image{suffix}\", # named in the manifest"
        )),
        "{proposed}"
    );
    assert!(
        proposed.contains(&format!("\"easyshop-frontend-fcj{suffix}\"")),
        "{proposed}"
    );
    // Related: the function's execution role, and the distribution serving the bucket.
    assert!(
        proposed.contains(&format!(
            "\"lambda-resize-image-role{suffix}\", # execution role"
        )),
        "{proposed}"
    );
    let cloudfront = proposed.split("[cloudfront]").nth(1).unwrap();
    assert!(
        cloudfront.contains("distributions = ["),
        "no distribution found: {proposed}"
    );
    assert_eq!(proxy.mutating_calls(), vec![], "discover changed something");
    // The proposal is a manifest clean-all accepts.
    let plan = xtask(&["plan", "--config", &proposal.display().to_string()])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert_eq!(proxy.mutating_calls(), vec![]);
}

#[test]
fn demo_tears_the_workshop_down_and_keeps_the_decoys() {
    // The emulator is running (the test harness started it), so the demo uses fresh names in it.
    let output = xtask(&["demo"])
        .env("AWS_ENDPOINT_URL", endpoint())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("real-AWS behaviour proxy"), "{stdout}");
    assert!(
        stdout.contains("nothing the manifest names remains"),
        "{stdout}"
    );
    assert!(stdout.contains("every decoy is intact"), "{stdout}");
}
