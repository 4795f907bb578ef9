//! rm-dynamodb against the emulator: what a user sees and what is left in the account.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use serde_json::Value;
use testkit::{command, sdk_config, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_rm-dynamodb");

async fn client() -> Client {
    Client::new(&sdk_config().await)
}

async fn create_table(client: &Client, name: &str, protected: bool) {
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .deletion_protection_enabled(protected)
        .send()
        .await
        .unwrap();
}

async fn exists(client: &Client, name: &str) -> bool {
    match client.describe_table().table_name(name).send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(e) => panic!("describe {name}: {e:?}"),
    }
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn deletes_named_tables_and_leaves_prefix_sharing_decoys() {
    let client = client().await;
    let product = unique_name("Product");
    let category = unique_name("Category");
    let decoy = format!("{product}Archive");
    let lowercase_decoy = product.to_lowercase();
    for name in [&product, &category, &decoy, &lowercase_decoy] {
        create_table(&client, name, false).await;
    }

    let output = command(BIN)
        .args(["--table", &product, "--table", &category, "--yes"])
        .output()
        .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("2 deleted"), "{stdout}");
    assert!(!exists(&client, &product).await);
    assert!(!exists(&client, &category).await);
    assert!(
        exists(&client, &decoy).await,
        "a table sharing the prefix was touched"
    );
    assert!(
        exists(&client, &lowercase_decoy).await,
        "a case variant was touched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_shows_status_items_size_protection_and_backups() {
    let client = client().await;
    let name = unique_name("Plan");
    create_table(&client, &name, false).await;
    client
        .put_item()
        .table_name(&name)
        .item("id", aws_sdk_dynamodb::types::AttributeValue::S("1".into()))
        .send()
        .await
        .unwrap();
    client
        .create_backup()
        .table_name(&name)
        .backup_name("plan-backup")
        .send()
        .await
        .unwrap();

    let output = command(BIN)
        .args(["--table", &name, "--dry-run", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    let details = &report["actions"][0]["details"];
    assert_eq!(details["status"], "ACTIVE");
    assert_eq!(details["items (approx.)"], "1");
    assert!(details["size"].as_str().unwrap().ends_with('B'));
    assert_eq!(details["deletion protection"], "off");
    assert_eq!(details["backups"], "1");
    assert_eq!(
        report["actions"][0]["outcome"],
        Value::Null,
        "a dry run has no outcomes"
    );
    assert_eq!(report["dry_run"], true);
    assert!(exists(&client, &name).await, "--dry-run deleted the table");
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_changes_nothing_and_says_so() {
    let client = client().await;
    let name = unique_name("DryRun");
    create_table(&client, &name, false).await;

    let output = command(BIN)
        .args(["--table", &name, "--dry-run"])
        .output()
        .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("dry run: nothing changed"), "{stdout}");
    assert!(stdout.contains("1 to delete"), "{stdout}");
    assert!(exists(&client, &name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn protected_table_is_refused_then_deleted_with_the_flag() {
    let client = client().await;
    let name = unique_name("Protected");
    create_table(&client, &name, true).await;

    let refused = command(BIN)
        .args(["--table", &name, "--yes"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert_eq!(refused.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("--disable-deletion-protection"), "{stdout}");
    assert!(
        exists(&client, &name).await,
        "a protected table was deleted without the flag"
    );

    let deleted = command(BIN)
        .args([
            "--table",
            &name,
            "--yes",
            "--disable-deletion-protection",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        deleted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&deleted.stdout)
    );
    assert_eq!(json(&deleted)["actions"][0]["outcome"]["status"], "deleted");
    assert!(!exists(&client, &name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn rerun_after_deletion_reports_already_absent_and_exits_zero() {
    let client = client().await;
    let name = unique_name("Rerun");
    create_table(&client, &name, false).await;

    let first = command(BIN)
        .args(["--table", &name, "-y"])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0));
    let second = command(BIN)
        .args(["--table", &name, "-y", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(second.status.code(), Some(0));
    let report = json(&second);
    assert_eq!(report["actions"][0]["outcome"]["status"], "already-absent");
    assert_eq!(report["summary"]["already_absent"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn backups_are_left_behind_and_listed_unless_with_backups() {
    let client = client().await;
    let name = unique_name("Backed");
    create_table(&client, &name, false).await;
    let backup_arn = client
        .create_backup()
        .table_name(&name)
        .backup_name("before-teardown")
        .send()
        .await
        .unwrap()
        .backup_details()
        .unwrap()
        .backup_arn()
        .to_string();

    let kept = command(BIN)
        .args(["--table", &name, "-y", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(kept.status.code(), Some(0));
    let report = json(&kept);
    assert_eq!(report["left_behind"][0]["kind"], "backup");
    assert_eq!(report["left_behind"][0]["id"], backup_arn.as_str());
    assert!(
        report["left_behind"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("--with-backups")
    );
    assert!(!exists(&client, &name).await);
    assert!(
        client
            .describe_backup()
            .backup_arn(&backup_arn)
            .send()
            .await
            .is_ok(),
        "backup deleted without --with-backups"
    );

    // A re-run with --with-backups finds the backup of the (now absent) table and deletes it.
    let deleted = command(BIN)
        .args(["--table", &name, "-y", "--with-backups", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(
        deleted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&deleted.stdout)
    );
    let report = json(&deleted);
    let backup = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "backup")
        .unwrap();
    assert_eq!(backup["outcome"]["status"], "deleted");
    assert!(
        client
            .describe_backup()
            .backup_arn(&backup_arn)
            .send()
            .await
            .is_err(),
        "backup still there"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn match_selects_matching_tables_only() {
    let client = client().await;
    let prefix = unique_name("easyshop");
    let (a, b) = (format!("{prefix}-orders"), format!("{prefix}-carts"));
    let decoys = [
        format!("x{prefix}-orders"),
        format!("{prefix}_orders"),
        prefix.to_uppercase() + "-orders",
    ];
    for name in [&a, &b].into_iter().chain(decoys.iter()) {
        create_table(&client, name, false).await;
    }

    let output = command(BIN)
        .args(["--match", &format!("{prefix}-*"), "-y", "--output", "json"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json(&output)["summary"]["deleted"], 2);
    assert!(!exists(&client, &a).await && !exists(&client, &b).await);
    for decoy in &decoys {
        assert!(exists(&client, decoy).await, "decoy {decoy} was touched");
    }
}
