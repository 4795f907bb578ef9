//! Turning the selection into a plan. Read-only: only List* and Describe* calls.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::DateTimeFormat;
use aws_sdk_dynamodb::types::{
    BackupSummary, BackupType, BackupTypeFilter, TableDescription, TableStatus,
};
use common::format::{bytes, on_off};
use common::{Action, Leftover, Operation, Plan, Selection};

use crate::{BACKUP, Options, TABLE};

/// One action per selected table (absent ones included, so the user sees every name they gave),
/// then one per on-demand backup of those tables when `--with-backups` is given; otherwise the
/// backups are listed as left behind.
pub(crate) async fn plan(
    client: &Client,
    selection: &Selection,
    options: Options,
) -> anyhow::Result<Plan> {
    let backups = list_backups(client).await?;
    let mut names: Vec<String> = selection.names().to_vec();
    if selection.has_globs() {
        for name in list_table_names(client).await? {
            if selection.matches_glob(&name) && !names.contains(&name) {
                names.push(name);
            }
        }
        // Backups of matched tables that are already gone (an earlier run deleted the table).
        for backup in &backups {
            let table = backup.table_name().unwrap_or_default();
            if selection.matches_glob(table) && !names.iter().any(|n| n == table) {
                names.push(table.to_string());
            }
        }
    }

    let mut plan = Plan::default();
    let mut backup_actions = Vec::new();
    for name in &names {
        let table_backups: Vec<&BackupSummary> = backups
            .iter()
            .filter(|b| b.table_name() == Some(name.as_str()))
            .collect();
        match describe_table(client, name).await? {
            None => plan.push(Action::absent(TABLE, name)),
            Some(table) => plan.push(table_action(name, &table, table_backups.len(), options)),
        }
        for backup in table_backups {
            match backup_disposition(backup, options) {
                Ok(action) => backup_actions.push(action),
                Err(leftover) => plan.leave(leftover),
            }
        }
    }
    // Backups go after every table: a backup is only deleted once its table is gone.
    for action in backup_actions {
        plan.push(action);
    }
    Ok(plan)
}

fn table_action(name: &str, table: &TableDescription, backups: usize, options: Options) -> Action {
    let status = table.table_status().map_or("UNKNOWN", TableStatus::as_str);
    let protected = table.deletion_protection_enabled().unwrap_or(false);
    let mut action = Action::new(TABLE, name, Operation::Delete)
        .detail("status", status)
        .detail("items (approx.)", table.item_count().unwrap_or(0))
        .detail(
            "size",
            bytes(table.table_size_bytes().unwrap_or(0).max(0) as u64),
        )
        .detail("deletion protection", on_off(protected))
        .detail("backups", backups);
    if let Some(arn) = table.table_arn() {
        action = action.with_id(arn);
    }
    let replicas: Vec<&str> = table
        .replicas()
        .iter()
        .filter_map(|r| r.region_name())
        .collect();
    if !replicas.is_empty() {
        action = action.detail("replicas", replicas.join(" "));
    }
    match table.table_status() {
        Some(TableStatus::Creating | TableStatus::Updating) => {
            action = action.note(format!(
                "the table is {status}: the deletion waits until it is ACTIVE"
            ));
        }
        Some(TableStatus::Deleting) => {
            action =
                action.note("the table is already being deleted: the run waits until it is gone");
        }
        _ => {}
    }
    if protected {
        if options.disable_deletion_protection {
            action = action
                .note("deletion protection is on: it will be turned off, then the table deleted");
        } else {
            action = action.refused(
                "deletion protection is on: pass --disable-deletion-protection to turn it off and delete the table",
            );
        }
    }
    action
}

/// A backup becomes an action with `--with-backups` (when DynamoDB lets us delete it), or is
/// listed as left behind with the reason.
fn backup_disposition(backup: &BackupSummary, options: Options) -> Result<Action, Leftover> {
    let name = backup.backup_name().unwrap_or("(unnamed)");
    let table = backup.table_name().unwrap_or_default();
    let arn = backup.backup_arn().unwrap_or_default();
    let kind = backup.backup_type().cloned().unwrap_or(BackupType::User);
    if kind != BackupType::User {
        return Err(Leftover::new(
            BACKUP,
            name,
            format!(
                "{} backup of table {table}: managed by AWS Backup, delete it from its backup vault",
                kind.as_str()
            ),
        )
        .with_id(arn));
    }
    if !options.with_backups {
        return Err(Leftover::new(
            BACKUP,
            name,
            format!("on-demand backup of table {table}, kept and still billed (--with-backups deletes it)"),
        )
        .with_id(arn));
    }
    let created = backup
        .backup_creation_date_time()
        .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
        .unwrap_or_else(|| "-".to_string());
    Ok(Action::new(BACKUP, name, Operation::Delete)
        .with_id(arn)
        .detail("table", table)
        .detail("created", created)
        .detail(
            "size",
            bytes(backup.backup_size_bytes().unwrap_or(0).max(0) as u64),
        ))
}

async fn list_table_names(client: &Client) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut pages = client.list_tables().into_paginator().items().send();
    while let Some(name) = pages.next().await {
        names.push(name.context("listing tables")?);
    }
    Ok(names)
}

/// Every backup in the region of every type. ListBackups has no paginator in the SDK: loop on
/// `LastEvaluatedBackupArn`.
async fn list_backups(client: &Client) -> anyhow::Result<Vec<BackupSummary>> {
    let mut backups = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let page = client
            .list_backups()
            .backup_type(BackupTypeFilter::All)
            .set_exclusive_start_backup_arn(start.take())
            .send()
            .await
            .context("listing DynamoDB backups")?;
        backups.extend(page.backup_summaries().iter().cloned());
        match page.last_evaluated_backup_arn() {
            Some(arn) if !arn.is_empty() => start = Some(arn.to_string()),
            _ => return Ok(backups),
        }
    }
}

/// The table's description, or `None` when it does not exist.
pub(crate) async fn describe_table(
    client: &Client,
    name: &str,
) -> anyhow::Result<Option<TableDescription>> {
    match client.describe_table().table_name(name).send().await {
        Ok(output) => Ok(output.table().cloned()),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(error) => Err(error).with_context(|| format!("describing table {name}")),
    }
}
