//! rm-lambda against the emulator (and the behaviour proxy in front of it): what a user sees and
//! what is left in the account.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::time::Duration;

use support::{Account, BIN, action, describe, full_function, json, outcome};
use testkit::proxy::{FaultConfig, FaultKind, Proxy, ProxyConfig, Record};
use testkit::{command, endpoint, unique_name};

fn first_seq(log: &[Record], operation: &str) -> u64 {
    log.iter()
        .filter(|r| r.operation == operation)
        .map(|r| r.seq)
        .min()
        .unwrap_or_else(|| panic!("no {operation} in the log"))
}

fn last_seq(log: &[Record], operation: &str) -> u64 {
    log.iter()
        .filter(|r| r.operation == operation)
        .map(|r| r.seq)
        .max()
        .unwrap_or_else(|| panic!("no {operation} in the log"))
}

#[tokio::test(flavor = "multi_thread")]
async fn deletes_mappings_then_functions_then_log_groups_and_leaves_decoys() {
    let account = Account::new().await;
    let (role, role_arn) = account.role("lambda-dynamodb-role").await;
    let product = unique_name("create-product");
    let resize = unique_name("resize-image");
    let decoy = format!("{product}-v2");
    let case_decoy = product.to_uppercase();
    let product_mapping = full_function(&account, &product, &role_arn).await;
    account.function(&resize, &role_arn, false, &[]).await;
    let resize_mapping = account.mapping(&resize).await;
    account.log_group(&format!("/aws/lambda/{resize}")).await;
    let decoy_mapping = full_function(&account, &decoy, &role_arn).await;
    account.function(&case_decoy, &role_arn, false, &[]).await;
    account
        .log_group(&format!("/aws/lambda/{case_decoy}"))
        .await;
    let proxy = Proxy::start(ProxyConfig::passthrough(endpoint())).unwrap();

    let output = command(BIN)
        .args(["--function", &product, "--function", &resize, "-y"])
        .args(["--output", "json", "--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "function", &product), "deleted");
    assert_eq!(outcome(&report, "function", &resize), "deleted");
    assert_eq!(
        outcome(&report, "event source mapping", &product_mapping),
        "deleted"
    );
    assert_eq!(
        outcome(&report, "event source mapping", &resize_mapping),
        "deleted"
    );
    for name in [&product, &resize] {
        let group = format!("/aws/lambda/{name}");
        assert_eq!(outcome(&report, "log group", &group), "deleted");
        assert!(!account.function_exists(name).await, "{name} still exists");
        assert!(
            !account.log_group_exists(&group).await,
            "{group} still exists"
        );
    }
    assert!(!account.mapping_exists(&product_mapping).await);
    assert!(!account.mapping_exists(&resize_mapping).await);

    // Decoys sharing a prefix or differing in case are untouched, with their mapping and logs.
    assert!(
        account.function_exists(&decoy).await,
        "the -v2 decoy was deleted"
    );
    assert!(
        account.mapping_exists(&decoy_mapping).await,
        "the decoy's mapping was deleted"
    );
    assert!(
        account
            .log_group_exists(&format!("/aws/lambda/{decoy}"))
            .await
    );
    assert!(
        account.function_exists(&case_decoy).await,
        "the case decoy was deleted"
    );
    assert!(
        account
            .log_group_exists(&format!("/aws/lambda/{case_decoy}"))
            .await
    );
    let log = proxy.log();
    for record in log.iter().filter(|r| r.is_mutating()) {
        let resource = record.resource.as_deref().unwrap_or_default();
        assert!(
            ![decoy.as_str(), case_decoy.as_str(), decoy_mapping.as_str()].contains(&resource)
                && !record.path.contains(&decoy)
                && !record.path.contains(&case_decoy),
            "a decoy was touched: {record:?}"
        );
    }

    // Mappings (which outlive DeleteFunction) go first; log groups go last, once nothing can
    // write to them any more.
    assert!(last_seq(&log, "DeleteEventSourceMapping") < first_seq(&log, "DeleteFunction"));
    assert!(last_seq(&log, "DeleteFunction") < first_seq(&log, "DeleteLogGroup"));

    // The execution role is left for step 7, named so the runner can hand it to rm-iam.
    let roles: Vec<_> = report["left_behind"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "role")
        .collect();
    assert_eq!(roles.len(), 1, "{report:#}");
    assert_eq!(roles[0]["name"], role.as_str());
    assert_eq!(roles[0]["id"], role_arn.as_str());
    let reason = roles[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("execution role of deleted function "),
        "{reason}"
    );
    assert!(
        reason.contains(&format!("step 7 (rm-iam --role {role}) deletes it")),
        "{reason}"
    );
    assert!(
        reason.contains(&product) && reason.contains(&resize),
        "{reason}"
    );
    assert!(
        reason.contains("still used by function"),
        "the decoys share the role: {reason}"
    );
    assert!(
        account.iam.get_role().role_name(&role).send().await.is_ok(),
        "the role was deleted"
    );
    account.forget_function(&decoy).await;
    account.forget_function(&case_decoy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_shows_the_plan_and_makes_no_mutating_call() {
    let account = Account::new().await;
    let (_, role_arn) = account.role("plan-role").await;
    let name = unique_name("get-presigned-url");
    let mapping = full_function(&account, &name, &role_arn).await;
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();

    let output = command(BIN)
        .args(["--function", &name, "--dry-run", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(
        proxy.mutating_calls(),
        vec![],
        "a dry run changed something"
    );
    let report = json(&output);
    assert_eq!(report["dry_run"], true);
    let function = action(&report, "function", &name);
    let details = &function["details"];
    assert_eq!(details["runtime"], "python3.12");
    assert!(
        details["last modified"].as_str().unwrap().starts_with("20"),
        "{details}"
    );
    assert!(
        details["code size"].as_str().unwrap().ends_with(" B"),
        "{details}"
    );
    assert_eq!(details["versions"], "1");
    assert_eq!(details["aliases"], "live");
    assert_eq!(details["event sources"], "1");
    assert_eq!(details["url"], "yes");
    assert!(
        function["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("its function URL https://"),
        "{function}"
    );
    assert!(
        details["logs stored"].as_str().unwrap().ends_with('B'),
        "{details}"
    );
    assert_eq!(details["edge"], "no");
    assert_eq!(function["outcome"], serde_json::Value::Null);
    let mapping_action = action(&report, "event source mapping", &mapping);
    assert_eq!(mapping_action["details"]["function"], name.as_str());
    assert!(
        mapping_action["details"]["source"]
            .as_str()
            .unwrap()
            .contains(":dynamodb:")
    );
    action(&report, "log group", &format!("/aws/lambda/{name}"));

    // The text plan says the same to a person.
    let text = command(BIN)
        .args(["--function", &name, "--dry-run"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("dry run: nothing changed"), "{stdout}");
    assert!(stdout.contains("3 to delete"), "{stdout}");
    assert!(stdout.contains("rm-iam --role"), "{stdout}");
    assert!(account.function_exists(&name).await);
    assert!(account.mapping_exists(&mapping).await);
    account.forget_function(&name).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rerun_and_unknown_names_are_already_absent_and_exit_zero() {
    let account = Account::new().await;
    let (_, role_arn) = account.role("rerun-role").await;
    let name = unique_name("delete-product");
    let never = unique_name("never-created");
    full_function(&account, &name, &role_arn).await;

    let first = command(BIN)
        .args([
            "--function",
            &name,
            "--function",
            &never,
            "-y",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
    assert_eq!(outcome(&json(&first), "function", &never), "already-absent");

    let second = command(BIN)
        .args([
            "--function",
            &name,
            "--function",
            &never,
            "-y",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(0), "{}", describe(&second));
    let report = json(&second);
    assert_eq!(outcome(&report, "function", &name), "already-absent");
    assert_eq!(outcome(&report, "function", &never), "already-absent");
    assert_eq!(report["summary"]["already_absent"], 2);
    assert_eq!(report["actions"].as_array().unwrap().len(), 2, "{report:#}");
    assert!(
        report["left_behind"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn leftovers_of_a_function_deleted_elsewhere_are_finished() {
    let account = Account::new().await;
    let (_, role_arn) = account.role("orphan-role").await;
    let name = unique_name("create-category");
    let mapping = full_function(&account, &name, &role_arn).await;
    // Deleted in the console: its mapping and log group stay behind (as in real AWS).
    account
        .lambda
        .delete_function()
        .function_name(&name)
        .send()
        .await
        .unwrap();

    let output = command(BIN)
        .args(["--function", &name, "-y", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "function", &name), "already-absent");
    assert_eq!(
        outcome(&report, "event source mapping", &mapping),
        "deleted"
    );
    let group = format!("/aws/lambda/{name}");
    assert_eq!(outcome(&report, "log group", &group), "deleted");
    assert!(!account.mapping_exists(&mapping).await);
    assert!(!account.log_group_exists(&group).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_logs_leaves_the_log_group_and_lists_it() {
    let account = Account::new().await;
    let (_, role_arn) = account.role("keep-role").await;
    let name = unique_name("resize-image");
    account.function(&name, &role_arn, false, &[]).await;
    let group = format!("/aws/lambda/{name}");
    account.log_group(&group).await;

    let output = command(BIN)
        .args(["--function", &name, "--keep-logs", "-y", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "function", &name), "deleted");
    let kept = report["left_behind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "log group")
        .unwrap_or_else(|| panic!("log group not listed: {report:#}"));
    assert_eq!(kept["name"], group.as_str());
    assert!(kept["reason"].as_str().unwrap().contains("--keep-logs"));
    assert!(!account.function_exists(&name).await);
    assert!(
        account.log_group_exists(&group).await,
        "--keep-logs deleted the log group"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn match_selects_matching_functions_only() {
    let account = Account::new().await;
    let (_, role_arn) = account.role("match-role").await;
    let prefix = unique_name("easyshop");
    let (a, b) = (format!("{prefix}-orders"), format!("{prefix}-carts"));
    let decoys = [
        format!("x{prefix}-orders"),
        format!("{prefix}_orders"),
        prefix.to_uppercase() + "-orders",
    ];
    for name in [&a, &b].into_iter().chain(decoys.iter()) {
        account.function(name, &role_arn, false, &[]).await;
    }

    let output = command(BIN)
        .args(["--match", &format!("{prefix}-*"), "-y", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(json(&output)["summary"]["deleted"], 2);
    assert!(!account.function_exists(&a).await && !account.function_exists(&b).await);
    for decoy in &decoys {
        assert!(
            account.function_exists(decoy).await,
            "decoy {decoy} was touched"
        );
    }
    for decoy in &decoys {
        account.forget_function(decoy).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_edge_replicas_are_pending_and_the_rest_still_runs() {
    let account = Account::new().await;
    let (role, role_arn) = account.role("edge-role").await;
    let edge = unique_name("viewer-request");
    let plain = unique_name("create-product");
    account
        .function(
            &edge,
            &role_arn,
            true,
            &[(testkit::proxy::EDGE_REPLICA_TAG, "true")],
        )
        .await;
    let edge_group = format!("/aws/lambda/{edge}");
    account.log_group(&edge_group).await;
    full_function(&account, &plain, &role_arn).await;
    // CloudFront keeps the replicas for an hour (the proxy's default): longer than this test.
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();
    let run = || {
        command(BIN)
            .args(["--function", &edge, "--function", &plain, "-y"])
            .args(["--endpoint-url", proxy.endpoint()])
            .output()
            .unwrap()
    };

    let output = run();

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("pending: function {edge}: Lambda@Edge")),
        "{stdout}"
    );
    assert!(stdout.contains("run this step again"), "{stdout}");
    assert!(stdout.contains("1 pending"), "{stdout}");
    assert!(account.function_exists(&edge).await);
    assert!(
        account.log_group_exists(&edge_group).await,
        "the edge function's logs went first"
    );
    assert!(
        stdout.contains(&format!("skipped: log group {edge_group}")),
        "{stdout}"
    );
    // Everything else still ran.
    assert!(!account.function_exists(&plain).await);
    assert!(
        !account
            .log_group_exists(&format!("/aws/lambda/{plain}"))
            .await
    );
    assert!(
        stdout.contains(&format!("rm-iam --role {role}")),
        "{stdout}"
    );

    // Still replicated: the same answer, still exit 1.
    let again = run();
    assert_eq!(again.status.code(), Some(1), "{}", describe(&again));
    assert!(account.function_exists(&edge).await);

    // Hours later CloudFront has removed the replicas (here: no proxy rule any more).
    let later = command(BIN)
        .args([
            "--function",
            &edge,
            "--function",
            &plain,
            "-y",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(later.status.code(), Some(0), "{}", describe(&later));
    let report = json(&later);
    assert_eq!(outcome(&report, "function", &edge), "deleted");
    assert_eq!(outcome(&report, "log group", &edge_group), "deleted");
    assert!(!account.function_exists(&edge).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_answers_still_end_with_everything_gone() {
    let account = Account::new().await;
    let (_, role_arn) = account.role("fault-role").await;
    let name = unique_name("upload-original");
    let mapping = full_function(&account, &name, &role_arn).await;
    let seed = 11;
    // Every delete reaches the emulator and acts, but its answer is lost: the SDK's retry then
    // meets "not found", which must count as done.
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint()).faults(
            FaultConfig::new(seed, 1.0)
                .kinds([FaultKind::DropAfterForward])
                .operations([
                    "DeleteEventSourceMapping",
                    "DeleteFunction",
                    "DeleteLogGroup",
                ])
                .max_faults(3),
        ),
    )
    .unwrap();

    let output = command(BIN)
        .args(["--function", &name, "-y", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();

    assert_eq!(
        output.status.code(),
        Some(0),
        "seed {seed}: {}",
        describe(&output)
    );
    assert_eq!(proxy.faults().len(), 3, "seed {seed}: {:#?}", proxy.log());
    let report = json(&output);
    assert_eq!(report["summary"]["deleted"], 3, "{report:#}");
    assert!(!account.function_exists(&name).await);
    assert!(!account.mapping_exists(&mapping).await);
    assert!(
        !account
            .log_group_exists(&format!("/aws/lambda/{name}"))
            .await
    );
}
