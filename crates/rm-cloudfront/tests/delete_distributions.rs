//! rm-cloudfront against the emulator: what is selected, what the user sees, and what is left
//! in the account. The real-AWS sequence (disable, deploy, ETags) is checked through the proxy
//! in aws_behaviour.rs.

mod support;

use support::*;
use testkit::proxy::{Proxy, ProxyConfig};
use testkit::{endpoint, unique_name};

#[tokio::test(flavor = "multi_thread")]
async fn deletes_a_distribution_by_id_and_leaves_the_others() {
    let cf = client().await;
    let target = create_enabled(&cf).await;
    let decoy = create_enabled(&cf).await;

    let output = command()
        .args(["--distribution", &target, "-y", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "distribution", &target), "deleted");
    assert_eq!(distributions(&report), std::slice::from_ref(&target));
    assert_eq!(
        enabled(&cf, &target).await,
        None,
        "the target is still there"
    );
    assert_eq!(
        enabled(&cf, &decoy).await,
        Some(true),
        "the decoy was touched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_shows_domain_aliases_comment_state_and_origins() {
    let cf = client().await;
    let alias = format!("{}.shop.example", unique_name("plan"));
    let id = create(
        &cf,
        &Spec {
            enabled: true,
            comment: "easyshop frontend",
            aliases: &[&alias],
            origins: &["frontend-fcj.s3.us-east-1.amazonaws.com"],
        },
    )
    .await;

    let output = command()
        .args(["--distribution", &id, "--dry-run"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    for expected in [
        id.as_str(),
        ".cloudfront.net",
        alias.as_str(),
        "easyshop frontend",
        "frontend-fcj.s3.us-east-1.amazonaws.com",
        "Deployed",
        "dry run",
        "it will be disabled, then deleted",
    ] {
        assert!(text.contains(expected), "no {expected:?} in:\n{text}");
    }
    assert_eq!(enabled(&cf, &id).await, Some(true), "a dry run changed it");
}

#[tokio::test(flavor = "multi_thread")]
async fn origin_bucket_selects_only_distributions_of_that_bucket() {
    let cf = client().await;
    let bucket = unique_name("frontend-fcj");
    let rest = format!("{bucket}.s3.amazonaws.com");
    let regional = format!("{bucket}.s3.us-east-1.amazonaws.com");
    let website = format!("{bucket}.s3-website-us-east-1.amazonaws.com");
    let old = format!("{bucket}-old.s3.amazonaws.com");
    let prefixed = format!("old-{bucket}.s3.amazonaws.com");
    let other_host = format!("{bucket}.example.com");

    let mut targets = Vec::new();
    for origin in [&rest, &regional, &website] {
        let spec = Spec {
            enabled: true,
            origins: &[origin.as_str()],
            ..Spec::default()
        };
        targets.push(create(&cf, &spec).await);
    }
    // A second origin serving the bucket is enough to select the distribution.
    let api_first = Spec {
        enabled: true,
        origins: &["api.example.com", regional.as_str()],
        ..Spec::default()
    };
    targets.push(create(&cf, &api_first).await);
    let mut decoys = Vec::new();
    for origin in [&old, &prefixed, &other_host] {
        let spec = Spec {
            enabled: true,
            origins: &[origin.as_str()],
            ..Spec::default()
        };
        decoys.push(create(&cf, &spec).await);
    }

    let output = command()
        .args(["--origin-bucket", &bucket, "-y", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    let mut reported = distributions(&report);
    reported.sort();
    let mut expected = targets.clone();
    expected.sort();
    assert_eq!(reported, expected, "{report:#}");
    for id in &targets {
        assert_eq!(outcome(&report, "distribution", id), "deleted");
        assert_eq!(enabled(&cf, id).await, None, "{id} is still there");
    }
    for id in &decoys {
        assert_eq!(enabled(&cf, id).await, Some(true), "decoy {id} was touched");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn match_selects_by_comment_or_alias() {
    let cf = client().await;
    let tag = unique_name("easyshop");
    let by_comment = create(
        &cf,
        &Spec {
            enabled: true,
            comment: &format!("{tag} frontend"),
            ..Spec::default()
        },
    )
    .await;
    let alias = format!("www.{tag}.example");
    let by_alias = create(
        &cf,
        &Spec {
            enabled: true,
            comment: "no comment",
            aliases: &["other.example.org", &alias],
            ..Spec::default()
        },
    )
    .await;
    let decoy_comment = create(
        &cf,
        &Spec {
            enabled: true,
            comment: &format!("not {tag} frontend"),
            ..Spec::default()
        },
    )
    .await;
    let decoy_alias = format!("www.{tag}.example.org");
    let decoy_by_alias = create(
        &cf,
        &Spec {
            enabled: true,
            aliases: &[&decoy_alias],
            ..Spec::default()
        },
    )
    .await;

    let output = command()
        .args([
            "--match",
            &format!("{tag} *"),
            "--match",
            &format!("*.{tag}.example"),
        ])
        .args(["-y", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "distribution", &by_comment), "deleted");
    assert_eq!(outcome(&report, "distribution", &by_alias), "deleted");
    assert_eq!(enabled(&cf, &by_comment).await, None);
    assert_eq!(enabled(&cf, &by_alias).await, None);
    for decoy in [&decoy_comment, &decoy_by_alias] {
        assert!(
            !distributions(&report).contains(decoy),
            "decoy {decoy} selected"
        );
        assert_eq!(
            enabled(&cf, decoy).await,
            Some(true),
            "decoy {decoy} touched"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_makes_no_mutating_call() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    let bucket = unique_name("dry-run-fcj");
    let by_bucket = create(
        &cf,
        &Spec {
            enabled: true,
            origins: &[&format!("{bucket}.s3.amazonaws.com")],
            ..Spec::default()
        },
    )
    .await;
    let proxy = aws_proxy();

    let output = command()
        .args(["--distribution", &id, "--origin-bucket", &bucket])
        .args(["--dry-run", "--output", "json", "--endpoint-url"])
        .arg(proxy.endpoint())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(
        proxy.mutating_calls(),
        vec![],
        "a dry run changed something"
    );
    assert!(
        !proxy.calls_to("cloudfront").is_empty(),
        "the dry run did not go through the proxy"
    );
    let report = json(&output);
    assert_eq!(report["dry_run"], true);
    assert_eq!(outcome(&report, "distribution", &id), "none");
    assert_eq!(outcome(&report, "distribution", &by_bucket), "none");
    assert_eq!(enabled(&cf, &id).await, Some(true));
    assert_eq!(enabled(&cf, &by_bucket).await, Some(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_finds_nothing_and_exits_0() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    let run = || {
        command()
            .args(["--distribution", &id, "-y", "--output", "json"])
            .output()
            .unwrap()
    };

    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
    let second = run();

    assert_eq!(second.status.code(), Some(0), "{}", describe(&second));
    assert_eq!(
        outcome(&json(&second), "distribution", &id),
        "already-absent"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_id_is_already_absent() {
    let output = command()
        .args(["--distribution", "E0000000000000", "-y"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("0 deleted, 1 already absent"),
        "{}",
        describe(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn disable_only_disables_and_keeps_the_distribution() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    // A deploy longer than the test: --disable-only must not wait for it.
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();

    let output = command()
        .args([
            "--distribution",
            &id,
            "--disable-only",
            "-y",
            "--output",
            "json",
        ])
        .arg("--endpoint-url")
        .arg(proxy.endpoint())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "distribution", &id), "disabled");
    assert_eq!(action(&report, "distribution", &id)["operation"], "disable");
    assert_eq!(
        enabled(&cf, &id).await,
        Some(false),
        "not disabled, or deleted"
    );
    assert_eq!(proxy.calls_of("DeleteDistribution"), vec![]);
    assert_eq!(
        folded(&calls_for(&proxy, &id)).last().map(String::as_str),
        Some("UpdateDistribution"),
        "it went on after disabling"
    );

    // Run again: already disabled, nothing to do, still exit 0.
    let again = command()
        .args([
            "--distribution",
            &id,
            "--disable-only",
            "-y",
            "--output",
            "json",
        ])
        .arg("--endpoint-url")
        .arg(proxy.endpoint())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", describe(&again));
    assert_eq!(outcome(&json(&again), "distribution", &id), "disabled");
    assert_eq!(proxy.calls_of("UpdateDistribution").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_wait_disables_and_reports_pending() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    // The proxy's AWS-like deploy (a minute) outlasts the run.
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();

    let output = command()
        .args(["--distribution", &id, "--no-wait", "-y", "--output", "json"])
        .arg("--endpoint-url")
        .arg(proxy.endpoint())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "distribution", &id), "pending");
    let reason = action(&report, "distribution", &id)["outcome"]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("run the same command again"), "{reason}");
    assert_eq!(enabled(&cf, &id).await, Some(false));
    assert_eq!(proxy.calls_of("DeleteDistribution"), vec![]);
}

#[tokio::test(flavor = "multi_thread")]
async fn origin_access_controls_not_used_by_the_selection_are_untouched() {
    let cf = client().await;
    let oac = create_oac(&cf, &unique_name("easyshop-oac")).await;
    let id = create_enabled(&cf).await;

    let output = command()
        .args(["--distribution", &id, "-y", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(distributions(&report), std::slice::from_ref(&id));
    assert_eq!(report["actions"].as_array().unwrap().len(), 1, "{report:#}");
    assert!(oac_exists(&cf, &oac).await, "an unrelated OAC was deleted");
    let etag = cf
        .get_origin_access_control()
        .id(&oac)
        .send()
        .await
        .unwrap();
    cf.delete_origin_access_control()
        .id(&oac)
        .set_if_match(etag.e_tag().map(str::to_string))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudfront_is_called_in_us_east_1_whatever_the_session_region() {
    let cf = client().await;
    let id = create_enabled(&cf).await;
    let proxy = Proxy::start(ProxyConfig::passthrough(endpoint())).unwrap();

    let output = command()
        .args(["--distribution", &id, "-y", "--output", "json"])
        .args(["--region", "ap-southeast-1", "--endpoint-url"])
        .arg(proxy.endpoint())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(report["region"], "ap-southeast-1");
    assert_eq!(outcome(&report, "distribution", &id), "deleted");
    let calls = proxy.calls_to("cloudfront");
    assert!(!calls.is_empty());
    assert!(
        calls
            .iter()
            .all(|r| r.region.as_deref() == Some("us-east-1")),
        "{calls:#?}"
    );
    assert!(
        proxy
            .calls_to("sts")
            .iter()
            .all(|r| r.region.as_deref() == Some("ap-southeast-1")),
        "the session itself should use the given region: {:#?}",
        proxy.log()
    );
}
