//! `cargo xtask chaos` on a small set, as CI can afford: clean-all of the demo workshop (with
//! its decoys) under 20% injected faults, and SIGKILL at two points followed by a plain re-run.
//! The full table (5 seeds, 10 kill points, the SIGINT timings) is `cargo xtask chaos`.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use support::{text, workspace};
use testkit::endpoint;

/// Runs `xtask chaos ARGS` on the test emulator; returns its output and its JSON results.
fn chaos(args: &[&str], dir: &Path) -> (Output, Value) {
    let json = dir.join("chaos.json");
    let markdown = dir.join("CHAOS.md");
    let output = support::xtask(&["chaos"])
        .args(args)
        .args([
            "--endpoint",
            &endpoint(),
            "--images",
            "2",
            "--no-interrupts",
        ])
        .arg("--out")
        .arg(&markdown)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let results = std::fs::read(&json)
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
        .unwrap_or_else(|_| panic!("no JSON results: {}", text(&output)));
    (output, results)
}

/// Every decoy of the workshop with this suffix, checked by workshop.py itself.
fn assert_decoys_intact(suffix: &str) {
    let output = Command::new(workspace().join("target/emulator/venv/bin/python"))
        .current_dir(workspace())
        .args([
            "scripts/demo/workshop.py",
            "--endpoint",
            &endpoint(),
            "--check-decoys",
        ])
        .arg(format!("--suffix={suffix}"))
        .output()
        .unwrap();
    assert!(output.status.success(), "decoys touched: {}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (intact, total) = stdout
        .trim()
        .strip_prefix("workshop.py: ")
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.split_once('/'))
        .unwrap();
    assert_eq!(intact, total, "{stdout}");
    assert!(
        total.parse::<usize>().unwrap() >= 50,
        "fewer than 50 decoys: {stdout}"
    );
}

#[test]
fn clean_all_under_20_percent_faults_removes_the_workshop_and_no_decoy() {
    let dir = tempfile::tempdir().unwrap();

    let (output, results) = chaos(
        &["--seed", "2", "--rate", "0.2", "--kills", "0"],
        dir.path(),
    );

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let seeds = results["seeds"].as_array().unwrap();
    assert_eq!(seeds.len(), 1);
    let seed = &seeds[0];
    // Faults were really injected, of several kinds.
    let faults = seed["faults"].as_object().unwrap();
    assert!(faults.len() >= 3, "too few fault kinds: {seed:#}");
    assert!(
        faults.values().map(|n| n.as_u64().unwrap()).sum::<u64>() >= 20,
        "too few faults: {seed:#}"
    );
    // Exit 0 after at most one plain re-run; verify finds nothing left.
    let exits: Vec<u64> = seed["clean_all_exits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_u64().unwrap())
        .collect();
    assert!(exits.len() <= 2, "{seed:#}");
    assert_eq!(exits.last(), Some(&0), "{seed:#}");
    assert_eq!(seed["verify_exit"], 0, "something left: {seed:#}");
    assert!(seed["deleted"].as_u64().unwrap() >= 20, "{seed:#}");
    assert_eq!(seed["decoys_intact"], seed["decoys_total"], "{seed:#}");
    assert_decoys_intact(seed["suffix"].as_str().unwrap());
    let markdown = std::fs::read_to_string(dir.path().join("CHAOS.md")).unwrap();
    assert!(markdown.contains("## Faults"), "{markdown}");
    assert!(markdown.contains("| 2 |"), "no row for seed 2: {markdown}");
}

#[test]
fn sigkill_at_two_points_then_a_plain_rerun_finishes_and_no_decoy_is_touched() {
    let dir = tempfile::tempdir().unwrap();

    let (output, results) = chaos(
        &["--seeds", "0", "--kills", "2", "--kill-seed", "7"],
        dir.path(),
    );

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let kills = results["kills"].as_array().unwrap();
    assert_eq!(kills.len(), 2);
    for kill in kills {
        assert_eq!(
            kill["killed"], true,
            "the kill point was not reached: {kill:#}"
        );
        assert!(
            kill["step"].as_str().unwrap().contains("rm-"),
            "the kill point names no step: {kill:#}"
        );
        assert_eq!(kill["rerun_exit"], 0, "{kill:#}");
        assert_eq!(kill["verify_exit"], 0, "something left: {kill:#}");
        assert_eq!(kill["decoys_intact"], kill["decoys_total"], "{kill:#}");
        assert_decoys_intact(kill["suffix"].as_str().unwrap());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("SIGKILL, then a plain re-run"), "{stdout}");
}
