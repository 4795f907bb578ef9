//! Ctrl-C (SIGINT) while rm-apigateway waits out the DeleteRestApi rate limit: it stops with a
//! partial report and exit 130, and a plain re-run finishes the job.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::{Account, BIN, describe, json, outcome};
use testkit::proxy::{Proxy, ProxyConfig, Rule};
use testkit::{command, endpoint, hermetic, send_ctrl_c, unique_name};

/// How long the test waits for the run to reach the pacing wait (a run that never gets there
/// fails naming what was awaited).
const TWO_MINUTES: Duration = Duration::from_secs(120);

/// The binary through the proxy, JSON report on stdout, both streams captured.
fn spawn_through(proxy: &Proxy, args: &[&str]) -> std::process::Child {
    hermetic(&mut Command::new(BIN))
        .args(args)
        .args(["-y", "--output", "json", "--endpoint-url", proxy.endpoint()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary")
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_the_pacing_wait_exits_130_with_a_partial_report_and_a_rerun_finishes() {
    let account = Account::new().await;
    let prefix = unique_name("interrupted-api");
    let mut ids = Vec::new();
    for suffix in ["a", "b", "c"] {
        ids.push(account.rest_api(&format!("{prefix}-{suffix}")).await);
    }
    let decoy = account.rest_api(&format!("{prefix}-a-v2")).await;
    // One DeleteRestApi per ten minutes: after the first delete, only Ctrl-C ends the wait.
    let proxy =
        Proxy::start(ProxyConfig::aws(endpoint()).rest_api_delete_window(Duration::from_secs(600)))
            .unwrap();

    let child = spawn_through(
        &proxy,
        &[
            "--rest-api",
            &ids[0],
            "--rest-api",
            &ids[1],
            "--rest-api",
            &ids[2],
        ],
    );
    let refused = proxy.wait_for(
        "a DeleteRestApi refused by the rate limit",
        TWO_MINUTES,
        |r| r.operation == "DeleteRestApi" && r.rule == Some(Rule::RestApiDeleteRate),
    );
    // Let it settle into the wait that follows the 429.
    std::thread::sleep(Duration::from_millis(300));
    send_ctrl_c(&child);
    let output = child.wait_with_output().unwrap();

    assert_eq!(output.status.code(), Some(130), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(report["interrupted"], true, "{report:#}");
    let outcomes: Vec<String> = ids
        .iter()
        .map(|id| outcome(&report, "rest api", id))
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| *o == "deleted").count(),
        1,
        "exactly the first delete went through: {report:#}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| *o == "skipped").count(),
        2,
        "the other two are reported as not done: {report:#}"
    );
    let skipped_reason = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["outcome"]["status"] == "skipped")
        .map(|a| a["outcome"]["reason"].as_str().unwrap_or_default())
        .collect::<Vec<_>>();
    assert!(
        skipped_reason.iter().all(|r| r.contains("interrupted")),
        "{skipped_reason:?}"
    );
    let refused_api = refused.resource.clone().unwrap();
    assert!(
        account.rest_api_exists(&refused_api).await,
        "the API waiting for its turn was deleted"
    );
    // Only the first delete was accepted: nothing went on behind the report's back.
    let deletes_accepted = proxy
        .calls_of("DeleteRestApi")
        .iter()
        .filter(|r| r.succeeded())
        .count();
    assert_eq!(
        deletes_accepted,
        1,
        "{:#?}",
        proxy.calls_of("DeleteRestApi")
    );
    drop(proxy);

    // A plain re-run (no rate limit on the emulator) finishes, and the decoy is untouched.
    let rerun = command(BIN)
        .args([
            "--rest-api",
            &ids[0],
            "--rest-api",
            &ids[1],
            "--rest-api",
            &ids[2],
            "-y",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(rerun.status.code(), Some(0), "{}", describe(&rerun));
    let report = json(&rerun);
    assert_eq!(report["summary"]["deleted"], 2, "{report:#}");
    assert_eq!(report["summary"]["already_absent"], 1, "{report:#}");
    for id in &ids {
        assert!(!account.rest_api_exists(id).await, "{id} still exists");
    }
    assert!(
        account.rest_api_exists(&decoy).await,
        "the decoy was deleted"
    );
    account.forget(&[&decoy], &[], &[], &[]).await;
}
