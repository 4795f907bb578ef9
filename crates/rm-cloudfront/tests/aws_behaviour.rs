//! rm-cloudfront through the real-AWS behaviour proxy: the refusals moto does not make
//! (AWS-NOTES.md, "CloudFront") and how the binary gets past each, read from the proxy's log.
//!
//! - DistributionNotDisabled: DeleteDistribution of an enabled distribution, or of one whose
//!   disable is still deploying (the proxy keeps it InProgress for a simulated deploy time).
//! - PreconditionFailed: a write whose If-Match is not the current ETag (the proxy issues a new
//!   ETag on every update, as AWS does; moto keeps one for life and takes any If-Match).

mod support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use aws_sdk_cloudfront::Client;
use support::*;
use testkit::proxy::{FaultConfig, FaultKind, Proxy, ProxyConfig, Record, Rule};
use testkit::{endpoint, hermetic, sdk_config_for, send_ctrl_c};

/// How long a test waits for a background run to reach a given call.
const A_MINUTE: Duration = Duration::from_secs(60);

fn run_through(proxy: &Proxy, args: &[&str]) -> Output {
    command()
        .args(args)
        .args(["-y", "--output", "json", "--endpoint-url", proxy.endpoint()])
        .output()
        .expect("run the binary")
}

/// The binary as a child process (for Ctrl-C and for changes made while it runs), with the
/// same hermetic environment as `testkit::command`.
fn spawn_through(proxy: &Proxy, args: &[&str]) -> std::process::Child {
    hermetic(&mut Command::new(BIN))
        .args(args)
        .args(["-y", "--output", "json", "--endpoint-url", proxy.endpoint()])
        .env("RM_CLOUDFRONT_POLL_INTERVAL", POLL)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary")
}

fn assert_no_precondition_failed(records: &[Record]) {
    assert!(
        records.iter().all(|r| r.status != Some(412)),
        "a stale ETag was sent: {records:#?}"
    );
}

fn assert_deleted(output: &Output, id: &str) {
    assert_eq!(output.status.code(), Some(0), "{}", describe(output));
    assert_eq!(outcome(&json(output), "distribution", id), "deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn disables_waits_for_deployed_then_deletes_with_a_fresh_etag() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    let proxy = aws_proxy();

    let output = run_through(&proxy, &["--distribution", &id]);

    assert_deleted(&output, &id);
    assert_eq!(enabled(&cf, &id).await, None, "still there");
    let calls = calls_for(&proxy, &id);
    // The plan's look, then: config and ETag, disable with If-Match, polls until Deployed (the
    // last poll gives the ETag), delete with If-Match.
    assert_eq!(
        folded(&calls),
        [
            "GetDistribution",
            "GetDistributionConfig",
            "UpdateDistribution",
            "GetDistribution",
            "DeleteDistribution"
        ],
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .any(|r| r.operation == "GetDistribution" && r.rule == Some(Rule::CloudFrontDeploy)),
        "the binary never saw the disable InProgress: {calls:#?}"
    );
    assert!(
        calls
            .iter()
            .all(|r| r.rule != Some(Rule::CloudFrontNotDisabled)),
        "deleted before Deployed: {calls:#?}"
    );
    assert_no_precondition_failed(&calls);
    assert!(calls.last().unwrap().succeeded(), "{calls:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn several_distributions_are_disabled_before_any_is_waited_for() {
    let cf = client().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create_enabled(&cf).await);
    }
    let proxy = aws_proxy();

    let mut args = Vec::new();
    for id in &ids {
        args.extend(["--distribution", id.as_str()]);
    }
    let output = run_through(&proxy, &args);

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    for id in &ids {
        assert_eq!(outcome(&report, "distribution", id), "deleted");
        assert_eq!(enabled(&cf, id).await, None);
    }
    // They wait side by side: every disable goes out before the first delete.
    let last_update = proxy
        .calls_of("UpdateDistribution")
        .iter()
        .map(|r| r.seq)
        .max()
        .unwrap();
    let first_delete = proxy
        .calls_of("DeleteDistribution")
        .iter()
        .map(|r| r.seq)
        .min()
        .unwrap();
    assert!(last_update < first_delete, "{:#?}", proxy.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disable_still_in_progress_is_waited_for_not_repeated() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    // Long enough to still be InProgress when the binary starts.
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint())
            .cloudfront_settle_time(Duration::ZERO)
            .cloudfront_deploy_time(Duration::from_secs(5)),
    )
    .unwrap();
    let via_proxy = Client::new(&sdk_config_for(proxy.endpoint()).await);
    set_enabled(&via_proxy, &id, false).await;
    let earlier_disable = proxy.calls_of("UpdateDistribution")[0].seq;

    let output = run_through(&proxy, &["--distribution", &id]);

    assert_deleted(&output, &id);
    assert_eq!(
        proxy.calls_of("UpdateDistribution").len(),
        1,
        "the binary disabled it again"
    );
    let notes = action(&json(&output), "distribution", &id)["notes"].to_string();
    assert!(notes.contains("still deploying"), "{notes}");
    let calls: Vec<Record> = calls_for(&proxy, &id)
        .into_iter()
        .filter(|r| r.seq > earlier_disable)
        .collect();
    assert_eq!(
        folded(&calls),
        [
            "GetDistribution",
            "GetDistributionConfig",
            "GetDistribution",
            "DeleteDistribution"
        ],
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .all(|r| r.rule != Some(Rule::CloudFrontNotDisabled)),
        "{calls:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn already_disabled_and_deployed_goes_straight_to_delete() {
    let cf = client().await;
    let id = create(&cf, &Spec::default()).await;
    let proxy = aws_proxy();

    let output = run_through(&proxy, &["--distribution", &id]);

    assert_deleted(&output, &id);
    let calls = calls_for(&proxy, &id);
    assert_eq!(proxy.calls_of("UpdateDistribution"), vec![]);
    assert_eq!(
        folded(&calls),
        [
            "GetDistribution",
            "GetDistributionConfig",
            "GetDistribution",
            "DeleteDistribution"
        ],
        "{calls:#?}"
    );
}

/// PreconditionFailed: the answer to the disable is lost after CloudFront applied it, so the
/// SDK's retry carries an ETag that is no longer current. The binary re-reads and goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_stale_etag_is_reread_and_the_run_goes_on() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    let faults = FaultConfig::new(1, 1.0)
        .kinds([FaultKind::DropAfterForward])
        .operations(["UpdateDistribution"])
        .max_faults(1);
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint())
            .cloudfront_settle_time(Duration::ZERO)
            .cloudfront_deploy_time(DEPLOY)
            .faults(faults),
    )
    .unwrap();

    let output = run_through(&proxy, &["--distribution", &id]);

    assert_deleted(&output, &id);
    assert_eq!(enabled(&cf, &id).await, None);
    let calls = calls_for(&proxy, &id);
    let refused = calls
        .iter()
        .position(|r| r.status == Some(412))
        .unwrap_or_else(|| panic!("no PreconditionFailed in {calls:#?}"));
    assert_eq!(calls[refused].operation, "UpdateDistribution");
    assert_eq!(calls[refused].rule, Some(Rule::CloudFrontIfMatch));
    // After the refusal: a fresh read (already disabled now), the wait, the delete.
    assert_eq!(
        folded(&calls[refused + 1..]),
        [
            "GetDistributionConfig",
            "GetDistribution",
            "DeleteDistribution"
        ],
        "{calls:#?}"
    );
    assert!(calls.last().unwrap().succeeded());
}

/// DistributionNotDisabled on the delete: here because someone enabled the distribution again
/// while the binary waited (moto is changed directly, so only the delete finds out). The
/// binary reads the config again, disables it again, waits, and deletes.
#[tokio::test(flavor = "multi_thread")]
async fn distribution_not_disabled_on_delete_is_retried_after_a_new_disable() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint())
            .cloudfront_settle_time(Duration::ZERO)
            .cloudfront_deploy_time(Duration::from_secs(4)),
    )
    .unwrap();

    let child = spawn_through(&proxy, &["--distribution", &id]);
    proxy.wait_for("the disable", A_MINUTE, |r| {
        r.operation == "UpdateDistribution" && r.succeeded()
    });
    set_enabled(&cf, &id, true).await;
    let output = child.wait_with_output().unwrap();

    assert_deleted(&output, &id);
    assert_eq!(enabled(&cf, &id).await, None);
    let calls = calls_for(&proxy, &id);
    let refused = calls
        .iter()
        .position(|r| r.rule == Some(Rule::CloudFrontNotDisabled))
        .unwrap_or_else(|| panic!("no DistributionNotDisabled in {calls:#?}"));
    assert_eq!(calls[refused].operation, "DeleteDistribution");
    assert_eq!(calls[refused].status, Some(409));
    assert_eq!(
        folded(&calls[refused + 1..]),
        [
            "GetDistributionConfig",
            "UpdateDistribution",
            "GetDistribution",
            "DeleteDistribution"
        ],
        "{calls:#?}"
    );
    assert_no_precondition_failed(&calls);
}

/// The delete reaches CloudFront but its answer is lost: the SDK's retry finds nothing, which
/// is success for something the plan saw.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_delete_answer_still_ends_deleted() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    let faults = FaultConfig::new(2, 1.0)
        .kinds([FaultKind::DropAfterForward])
        .operations(["DeleteDistribution"])
        .max_faults(1);
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint())
            .cloudfront_settle_time(Duration::ZERO)
            .cloudfront_deploy_time(DEPLOY)
            .faults(faults),
    )
    .unwrap();

    let output = run_through(&proxy, &["--distribution", &id]);

    assert_deleted(&output, &id);
    assert_eq!(enabled(&cf, &id).await, None);
    assert_eq!(
        proxy.faults()[0].fault,
        Some(FaultKind::DropAfterForward),
        "{:#?}",
        proxy.log()
    );
}

/// Throttling, 500s, 503s and dropped connections (before or after CloudFront acted) on the
/// reads and, separately, on the writes: each run still ends with the distribution gone.
#[tokio::test(flavor = "multi_thread")]
async fn faults_on_cloudfront_calls_still_end_with_the_distribution_gone() {
    let cf = client().await;
    for (seed, only_writes) in [(6, false), (9, true), (11, true), (12, true)] {
        let id = create_enabled(&cf).await;
        let mut faults = FaultConfig::new(seed, 0.4)
            .services(["cloudfront"])
            .max_faults(6);
        if only_writes {
            faults = faults.only_mutating();
        }
        let proxy = Proxy::start(
            ProxyConfig::aws(endpoint())
                .cloudfront_settle_time(Duration::ZERO)
                .cloudfront_deploy_time(DEPLOY)
                .faults(faults),
        )
        .unwrap();

        let output = run_through(&proxy, &["--distribution", &id]);

        let injected: Vec<String> = proxy
            .faults()
            .iter()
            .map(|r| format!("{} {:?}", r.operation, r.fault))
            .collect();
        eprintln!("seed {seed}: {injected:?}");
        assert_eq!(
            output.status.code(),
            Some(0),
            "seed {seed} {injected:?}: {}",
            describe(&output)
        );
        assert_eq!(enabled(&cf, &id).await, None, "seed {seed} {injected:?}");
        assert!(!injected.is_empty(), "seed {seed}: no fault injected");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn max_wait_ends_the_wait_with_pending() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    // The AWS-like deploy (a minute) outlasts --max-wait.
    let proxy =
        Proxy::start(ProxyConfig::aws(endpoint()).cloudfront_settle_time(Duration::ZERO)).unwrap();

    let output = run_through(&proxy, &["--distribution", &id, "--max-wait", "1s"]);

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "distribution", &id), "pending");
    let reason = action(&report, "distribution", &id)["outcome"]["reason"].to_string();
    assert!(reason.contains("--max-wait"), "{reason}");
    assert_eq!(enabled(&cf, &id).await, Some(false));
    assert_eq!(proxy.calls_of("DeleteDistribution"), vec![]);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_the_wait_stops_with_a_partial_report() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    let other = create(&cf, &Spec::default()).await;
    // A minute-long deploy: only Ctrl-C ends the wait early.
    let proxy =
        Proxy::start(ProxyConfig::aws(endpoint()).cloudfront_settle_time(Duration::ZERO)).unwrap();

    let child = spawn_through(
        &proxy,
        &[
            "--distribution",
            &id,
            "--distribution",
            &other,
            "--max-wait",
            "5m",
        ],
    );
    proxy.wait_for("the other distribution's delete", A_MINUTE, |r| {
        r.operation == "DeleteDistribution"
            && r.resource.as_deref() == Some(other.as_str())
            && r.succeeded()
    });
    proxy.wait_for("a poll that reads InProgress", A_MINUTE, |r| {
        r.operation == "GetDistribution" && r.rule == Some(Rule::CloudFrontDeploy)
    });
    send_ctrl_c(&child);
    let output = child.wait_with_output().unwrap();

    assert_eq!(output.status.code(), Some(130), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(report["interrupted"], true);
    assert_eq!(outcome(&report, "distribution", &id), "skipped");
    // The other one was already disabled and deployed: it went while the first one waited.
    assert_eq!(outcome(&report, "distribution", &other), "deleted");
    assert_eq!(
        enabled(&cf, &id).await,
        Some(false),
        "disabled, not deleted"
    );
    assert!(
        proxy
            .calls_of("DeleteDistribution")
            .iter()
            .all(|r| r.resource.as_deref() != Some(id.as_str())),
        "{:#?}",
        proxy.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn distribution_not_disabled_right_after_deployed_is_waited_out_without_a_new_disable() {
    // AWS's eventual consistency: for a moment after the disable reads Deployed, DeleteDistribution
    // still answers DistributionNotDisabled. The run must wait that out, not disable again.
    let cf = client().await;
    let id = create_enabled(&cf).await;
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint())
            .cloudfront_deploy_time(Duration::from_secs(1))
            .cloudfront_settle_time(Duration::from_secs(2)),
    )
    .unwrap();

    let output = run_through(&proxy, &["--distribution", &id]);

    assert_deleted(&output, &id);
    let calls = calls_for(&proxy, &id);
    let deletes: Vec<&Record> = calls
        .iter()
        .filter(|r| r.operation == "DeleteDistribution")
        .collect();
    assert!(
        deletes.iter().any(|r| r.status == Some(409)),
        "the settle rule never refused: {deletes:#?}"
    );
    assert!(deletes.last().unwrap().succeeded(), "{deletes:#?}");
    let disables = calls
        .iter()
        .filter(|r| r.operation == "UpdateDistribution")
        .count();
    assert_eq!(
        disables, 1,
        "the distribution was disabled again: {calls:#?}"
    );
}
