//! rm-apigateway against the emulator (and the behaviour proxy in front of it): what a user
//! sees and what is left in the account.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::time::Duration;

use aws_sdk_apigatewayv2::types::ProtocolType;
use support::{Account, BIN, action, actions, describe, domain, json, outcome};
use testkit::proxy::{FaultConfig, FaultKind, Proxy, ProxyConfig, Record, Rule};
use testkit::{command, endpoint, unique_name};

fn seq_of(log: &[Record], operation: &str) -> Vec<u64> {
    log.iter()
        .filter(|r| r.operation == operation && r.succeeded())
        .map(|r| r.seq)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn deletes_a_rest_api_after_its_mappings_and_usage_plans_and_leaves_decoys() {
    let account = Account::new().await;
    let name = unique_name("easyshop-api");
    let api = account.rest_api(&name).await;
    let decoy_name = format!("{name}-v2");
    let decoy = account.rest_api(&decoy_name).await;
    let case_decoy = account.rest_api(&name.to_uppercase()).await;
    let host = domain("api");
    account.base_path_mapping(&host, &api, None).await;
    account.base_path_mapping(&host, &decoy, Some("v2")).await;
    // Only covers the API: deleted, with the key that nothing else uses.
    let basic = account
        .usage_plan(&unique_name("basic"), &[(&api, "prod")])
        .await;
    let basic_key = account.api_key(&unique_name("basic-key"), &[&basic]).await;
    // Also covers the decoy: only the API's stage is removed; its key stays.
    let shared = account
        .usage_plan(&unique_name("shared"), &[(&api, "prod"), (&decoy, "prod")])
        .await;
    let shared_key = account
        .api_key(&unique_name("shared-key"), &[&basic, &shared])
        .await;
    let proxy = Proxy::start(ProxyConfig::passthrough(endpoint())).unwrap();

    let output = command(BIN)
        .args(["--rest-api", &name, "-y", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "rest api", &api), "deleted");
    assert_eq!(
        outcome(&report, "base path mapping", &format!("{host}/(none)")),
        "deleted"
    );
    assert_eq!(outcome(&report, "usage plan", &basic), "deleted");
    assert_eq!(outcome(&report, "usage plan", &shared), "updated");
    assert_eq!(outcome(&report, "api key", &basic_key), "deleted");
    let kept_key = report["left_behind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == shared_key.as_str())
        .unwrap_or_else(|| panic!("the shared key is not listed: {report:#}"));
    assert!(
        kept_key["reason"]
            .as_str()
            .unwrap()
            .contains("still used by usage plan")
    );

    assert!(!account.rest_api_exists(&api).await);
    assert!(account.usage_plan_state(&basic).await.is_none());
    assert!(!account.api_key_exists(&basic_key).await);
    let shared_now = account
        .usage_plan_state(&shared)
        .await
        .expect("shared plan kept");
    let stages: Vec<_> = shared_now
        .api_stages()
        .iter()
        .filter_map(|s| s.api_id())
        .collect();
    assert_eq!(
        stages,
        [decoy.as_str()],
        "only the deleted API's stage is removed"
    );
    assert!(account.api_key_exists(&shared_key).await);
    // Decoys: a name sharing the prefix, a case variant, and the decoy's mapping on the same domain.
    assert!(
        account.rest_api_exists(&decoy).await,
        "the -v2 decoy was deleted"
    );
    assert!(
        account.rest_api_exists(&case_decoy).await,
        "the case decoy was deleted"
    );
    assert_eq!(account.base_path_targets(&host).await, vec![decoy.clone()]);

    // What points to the API goes first; the API last.
    let log = proxy.log();
    let mapping = seq_of(&log, "DeleteBasePathMapping");
    let update = seq_of(&log, "UpdateUsagePlan");
    let plan_delete = seq_of(&log, "DeleteUsagePlan");
    let key_delete = seq_of(&log, "DeleteApiKey");
    let api_delete = seq_of(&log, "DeleteRestApi");
    assert_eq!(
        (
            mapping.len(),
            update.len(),
            plan_delete.len(),
            key_delete.len(),
            api_delete.len()
        ),
        (1, 2, 1, 1, 1),
        "{log:#?}"
    );
    let basic_update = log
        .iter()
        .find(|r| r.operation == "UpdateUsagePlan" && r.resource.as_deref() == Some(basic.as_str()))
        .map(|r| r.seq)
        .unwrap();
    assert!(mapping[0] < update[0], "{log:#?}");
    assert!(
        basic_update < plan_delete[0],
        "stages are removed before the plan: {log:#?}"
    );
    assert!(
        update[1] < key_delete[0] && plan_delete[0] < key_delete[0],
        "{log:#?}"
    );
    assert!(key_delete[0] < api_delete[0], "{log:#?}");
    for record in log.iter().filter(|r| r.is_mutating()) {
        assert!(
            !record.path.contains(&decoy) && !record.path.contains(&case_decoy),
            "a decoy was touched: {record:?}"
        );
    }
    account.forget_domain(&host).await;
    account
        .forget(&[&decoy, &case_decoy], &[], &[&shared], &[&shared_key])
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deletes_http_and_websocket_apis_after_their_api_mappings() {
    let account = Account::new().await;
    let name = unique_name("easyshop-http");
    let http = account.http_api(&name, ProtocolType::Http).await;
    let ws = account
        .http_api(&unique_name("easyshop-ws"), ProtocolType::Websocket)
        .await;
    let decoy = account
        .http_api(&format!("{name}-v2"), ProtocolType::Http)
        .await;
    let host = domain("http");
    account.api_mapping(&host, &http, "v1").await;
    account.api_mapping(&host, &decoy, "v2").await;
    let proxy = Proxy::start(ProxyConfig::passthrough(endpoint())).unwrap();

    let output = command(BIN)
        .args([
            "--http-api",
            &name,
            "--http-api",
            &ws,
            "-y",
            "--output",
            "json",
        ])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "http api", &http), "deleted");
    assert_eq!(outcome(&report, "http api", &ws), "deleted");
    assert_eq!(
        action(&report, "http api", &ws)["details"]["protocol"],
        "WEBSOCKET"
    );
    assert_eq!(
        outcome(&report, "api mapping", &format!("{host}/v1")),
        "deleted"
    );
    assert!(!account.http_api_exists(&http).await);
    assert!(!account.http_api_exists(&ws).await);
    assert!(
        account.http_api_exists(&decoy).await,
        "the decoy was deleted"
    );
    assert_eq!(
        account.api_mapping_targets(&host).await,
        vec![decoy.clone()]
    );
    let log = proxy.log();
    assert!(
        seq_of(&log, "DeleteApiMapping")[0] < seq_of(&log, "DeleteApi")[0],
        "{log:#?}"
    );
    account.forget_domain(&host).await;
    account.forget(&[], &[&decoy], &[], &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_shows_the_plan_and_makes_no_mutating_call() {
    let account = Account::new().await;
    let name = unique_name("easyshop-api");
    let api = account.rest_api(&name).await;
    let host = domain("dry");
    account.base_path_mapping(&host, &api, None).await;
    let plan_name = unique_name("basic");
    let plan = account.usage_plan(&plan_name, &[(&api, "prod")]).await;
    let key_name = unique_name("key");
    let key = account.api_key(&key_name, &[&plan]).await;
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();

    let output = command(BIN)
        .args(["--rest-api", &name, "--dry-run", "--output", "json"])
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
    let row = action(&report, "rest api", &api);
    assert_eq!(row["name"], name.as_str());
    let details = &row["details"];
    assert!(
        details["created"].as_str().unwrap().starts_with("20"),
        "{details}"
    );
    assert_eq!(details["stages"], "prod");
    assert_eq!(
        details["domain mappings"],
        format!("{host}/(none)").as_str()
    );
    assert_eq!(details["usage plans"], plan_name.as_str());
    assert_eq!(details["api keys"], key_name.as_str());
    assert_eq!(action(&report, "usage plan", &plan)["operation"], "delete");
    assert_eq!(action(&report, "api key", &key)["operation"], "delete");
    assert!(account.rest_api_exists(&api).await);
    assert!(account.api_key_exists(&key).await);

    let text = command(BIN)
        .args(["--rest-api", &name, "--dry-run"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("dry run: nothing changed"), "{stdout}");
    assert!(stdout.contains("4 to delete"), "{stdout}");
    assert!(stdout.contains(&api), "the id is shown: {stdout}");
    account.forget_domain(&host).await;
    account.forget(&[&api], &[], &[&plan], &[&key]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn apis_sharing_a_name_are_all_shown_and_an_id_picks_one() {
    let account = Account::new().await;
    let name = unique_name("easyshop-api");
    let first = account.rest_api(&name).await;
    let second = account.rest_api(&name).await;
    let third = account.rest_api(&name).await;

    // By id: only that one.
    let by_id = command(BIN)
        .args(["--rest-api", &first, "-y", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(by_id.status.code(), Some(0), "{}", describe(&by_id));
    assert!(!account.rest_api_exists(&first).await);
    assert!(account.rest_api_exists(&second).await && account.rest_api_exists(&third).await);

    // By name: every API with that name, each shown with its id and date, and a note saying so.
    let plan = command(BIN)
        .args(["--rest-api", &name, "--dry-run", "--output", "json"])
        .output()
        .unwrap();
    let report = json(&plan);
    let rows = actions(&report, "rest api");
    assert_eq!(rows.len(), 2, "{report:#}");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&second.as_str()) && ids.contains(&third.as_str()),
        "{ids:?}"
    );
    for row in &rows {
        assert!(
            row["details"]["created"]
                .as_str()
                .unwrap()
                .starts_with("20"),
            "{row}"
        );
    }
    let note = rows[0]["notes"][0].as_str().unwrap();
    assert!(note.contains("2 REST APIs are named"), "{note}");
    assert!(note.contains(&second) && note.contains(&third), "{note}");
    assert!(note.contains("give its id"), "{note}");

    let by_name = command(BIN)
        .args(["--rest-api", &name, "-y"])
        .output()
        .unwrap();
    assert_eq!(by_name.status.code(), Some(0), "{}", describe(&by_name));
    assert!(!account.rest_api_exists(&second).await && !account.rest_api_exists(&third).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_api_deletes_are_paced_by_the_rate_limit() {
    let account = Account::new().await;
    let prefix = unique_name("paced");
    let mut ids = Vec::new();
    for suffix in ["a", "b", "c"] {
        ids.push(account.rest_api(&format!("{prefix}-{suffix}")).await);
    }
    let window = Duration::from_secs(2);
    let proxy = Proxy::start(ProxyConfig::aws(endpoint()).rest_api_delete_window(window)).unwrap();

    let output = command(BIN)
        .args(["--match", &format!("{prefix}-*"), "-y", "--output", "json"])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(json(&output)["summary"]["deleted"], 3);
    for id in &ids {
        assert!(!account.rest_api_exists(id).await);
    }
    let deletes = proxy.calls_of("DeleteRestApi");
    let accepted: Vec<&Record> = deletes.iter().filter(|r| r.succeeded()).collect();
    assert_eq!(accepted.len(), 3, "{deletes:#?}");
    for pair in accepted.windows(2) {
        assert!(
            pair[1].elapsed - pair[0].elapsed >= window,
            "two accepted DeleteRestApi calls closer than the window: {deletes:#?}"
        );
    }
    // It reacted to the 429s, and did not hammer: each refused call was followed by a wait.
    let refused = deletes
        .iter()
        .filter(|r| r.rule == Some(Rule::RestApiDeleteRate))
        .count();
    assert!(
        refused >= 1,
        "no 429 seen, so no pacing was tested: {deletes:#?}"
    );
    assert!(refused <= 6, "too many refused calls: {deletes:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wait_for_the_rate_limit_is_bounded() {
    let account = Account::new().await;
    let prefix = unique_name("bounded");
    let first = account.rest_api(&format!("{prefix}-a")).await;
    let second = account.rest_api(&format!("{prefix}-b")).await;
    // AWS's own window, and a bound far below it.
    let proxy = Proxy::start(ProxyConfig::aws(endpoint())).unwrap();

    let output = command(BIN)
        .args([
            "--rest-api",
            &first,
            "--rest-api",
            &second,
            "-y",
            "--output",
            "json",
        ])
        .args(["--endpoint-url", proxy.endpoint(), "--max-rate-wait", "1s"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(outcome(&report, "rest api", &first), "deleted");
    assert_eq!(outcome(&report, "rest api", &second), "failed");
    let error = action(&report, "rest api", &second)["outcome"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.contains("TooManyRequestsException") && error.contains("run again"),
        "{error}"
    );
    assert!(account.rest_api_exists(&second).await);
    account.forget(&[&second], &[], &[], &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rerun_and_unknown_names_are_already_absent_and_exit_zero() {
    let account = Account::new().await;
    let name = unique_name("easyshop-api");
    let api = account.rest_api(&name).await;
    let http_name = unique_name("easyshop-http");
    account.http_api(&http_name, ProtocolType::Http).await;
    let never = unique_name("never-created");
    let args = [
        "--rest-api",
        &name,
        "--http-api",
        &http_name,
        "--rest-api",
        &never,
        "-y",
        "--output",
        "json",
    ];

    let first = command(BIN).args(args).output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
    assert_eq!(outcome(&json(&first), "rest api", &never), "already-absent");
    assert!(!account.rest_api_exists(&api).await);

    let second = command(BIN).args(args).output().unwrap();
    assert_eq!(second.status.code(), Some(0), "{}", describe(&second));
    let report = json(&second);
    assert_eq!(report["summary"]["already_absent"], 3, "{report:#}");
    assert_eq!(report["summary"]["deleted"], 0, "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_answers_still_end_with_everything_gone() {
    let account = Account::new().await;
    let name = unique_name("easyshop-api");
    let api = account.rest_api(&name).await;
    let host = domain("fault");
    account.base_path_mapping(&host, &api, None).await;
    let plan = account
        .usage_plan(&unique_name("basic"), &[(&api, "prod")])
        .await;
    let key = account.api_key(&unique_name("key"), &[&plan]).await;
    let http_name = unique_name("easyshop-http");
    let http = account.http_api(&http_name, ProtocolType::Http).await;
    let http_host = domain("fault-http");
    account.api_mapping(&http_host, &http, "v1").await;
    let seed = 5;
    // Each change reaches the emulator and happens, but its answer is lost.
    let operations = [
        "DeleteBasePathMapping",
        "DeleteApiMapping",
        "UpdateUsagePlan",
        "DeleteUsagePlan",
        "DeleteApiKey",
        "DeleteRestApi",
        "DeleteApi",
    ];
    let proxy = Proxy::start(
        ProxyConfig::aws(endpoint())
            .rest_api_delete_window(Duration::from_secs(1))
            .faults(
                FaultConfig::new(seed, 1.0)
                    .kinds([FaultKind::DropAfterForward])
                    .operations(operations)
                    .max_faults(operations.len() as u64),
            ),
    )
    .unwrap();

    let output = command(BIN)
        .args([
            "--rest-api",
            &name,
            "--http-api",
            &http_name,
            "-y",
            "--output",
            "json",
        ])
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
    // Each change lost its answer once, and was not sent again once it was seen to be done.
    let mut faulted: Vec<String> = proxy.faults().iter().map(|r| r.operation.clone()).collect();
    faulted.sort();
    let mut expected: Vec<String> = operations.iter().map(|o| o.to_string()).collect();
    expected.sort();
    assert_eq!(faulted, expected, "seed {seed}");
    assert!(!account.rest_api_exists(&api).await);
    assert!(!account.http_api_exists(&http).await);
    assert!(account.usage_plan_state(&plan).await.is_none());
    assert!(!account.api_key_exists(&key).await);
    assert!(account.base_path_targets(&host).await.is_empty());
    assert!(account.api_mapping_targets(&http_host).await.is_empty());
    account.forget_domain(&host).await;
    account.forget_domain(&http_host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn match_selects_matching_apis_of_both_kinds_only() {
    let account = Account::new().await;
    let prefix = unique_name("easyshop");
    let rest = account.rest_api(&format!("{prefix}-api")).await;
    let http = account
        .http_api(&format!("{prefix}-http"), ProtocolType::Http)
        .await;
    let decoys = [
        account.rest_api(&format!("x{prefix}-api")).await,
        account.rest_api(&format!("{prefix}_api")).await,
        account.rest_api(&(prefix.to_uppercase() + "-api")).await,
    ];
    let http_decoy = account
        .http_api(&format!("my-{prefix}-http"), ProtocolType::Http)
        .await;

    let output = command(BIN)
        .args(["--match", &format!("{prefix}-*"), "-y", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(json(&output)["summary"]["deleted"], 2);
    assert!(!account.rest_api_exists(&rest).await);
    assert!(!account.http_api_exists(&http).await);
    for decoy in &decoys {
        assert!(
            account.rest_api_exists(decoy).await,
            "decoy {decoy} was touched"
        );
    }
    assert!(account.http_api_exists(&http_decoy).await);
    let decoys: Vec<&str> = decoys.iter().map(String::as_str).collect();
    account.forget(&decoys, &[&http_decoy], &[], &[]).await;
}
