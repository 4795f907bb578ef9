//! Carrying out the plan: tables first (all at once, each waited until gone), then the backups
//! of the tables that are gone.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::TableStatus;
use common::wait::Waited;
use common::{ApplyContext, Outcome, Plan};
use futures::StreamExt;

use crate::discover::describe_table;
use crate::{BACKUP, Options, TABLE};

/// Longest wait for one table to become ACTIVE or to disappear. Real deletions take seconds to a
/// few minutes; past this the table is reported as pending, not failed.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// Attempts at DeleteTable while DynamoDB answers ResourceInUseException, which the SDK does not
/// retry (AWS-NOTES.md: "CREATING/UPDATING tables answer ResourceInUseException").
const IN_USE_ATTEMPTS: u32 = 6;

/// Tables deleted at once. DeleteTable has a per-account limit of concurrent table operations
/// (500 in most regions), far above this.
const TABLES_IN_FLIGHT: usize = 10;

pub(crate) async fn apply(client: &Client, plan: &mut Plan, options: Options, ctx: &ApplyContext) {
    let tables: Vec<(usize, String)> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == TABLE && a.is_to_do())
        .map(|(i, a)| (i, a.name.clone()))
        .collect();
    let outcomes: Vec<(usize, Outcome)> = futures::stream::iter(tables)
        .map(|(i, name)| async move { (i, delete_table(client, &name, options, ctx).await) })
        .buffer_unordered(TABLES_IN_FLIGHT)
        .collect()
        .await;
    for (i, outcome) in outcomes {
        plan.actions[i].outcome = Some(outcome);
    }

    let gone: HashSet<String> = plan
        .actions
        .iter()
        .filter(|a| a.kind == TABLE && a.outcome.as_ref().is_some_and(Outcome::is_success))
        .map(|a| a.name.clone())
        .collect();
    for action in plan
        .actions
        .iter_mut()
        .filter(|a| a.kind == BACKUP && a.is_to_do())
    {
        if ctx.interrupt.is_raised() {
            return;
        }
        let table = action.details.get("table").cloned().unwrap_or_default();
        action.outcome = Some(if gone.contains(&table) {
            delete_backup(client, action.id.as_deref().unwrap_or_default()).await
        } else {
            Outcome::skipped(format!("its table {table} was not deleted"))
        });
    }
}

/// Deletes one table and waits until it is gone, showing a spinner meanwhile.
async fn delete_table(
    client: &Client,
    name: &str,
    options: Options,
    ctx: &ApplyContext,
) -> Outcome {
    let spinner = ctx.progress.spinner(format!("table {name}: deleting"));
    let outcome = tokio::select! {
        outcome = delete_and_wait(client, name, options) => outcome,
        () = ctx.interrupt.raised() => Outcome::skipped(
            "interrupted: a deletion already sent still completes in AWS; run again to check",
        ),
    };
    spinner.finish_and_clear();
    outcome
}

async fn delete_and_wait(client: &Client, name: &str, options: Options) -> Outcome {
    let mut existed = false;
    for attempt in 0..IN_USE_ATTEMPTS {
        let table = match describe_table(client, name).await {
            Ok(Some(table)) => table,
            // Gone between our look and now. If we saw it in this loop, our earlier request
            // deleted it (its answer may have been lost on the way back).
            Ok(None) if existed => return Outcome::Deleted,
            Ok(None) => return Outcome::AlreadyAbsent,
            Err(error) => return Outcome::failed(&error),
        };
        existed = true;
        match table.table_status() {
            Some(TableStatus::Deleting) => return wait_until_gone(client, name).await,
            Some(TableStatus::Creating | TableStatus::Updating) => {
                tracing::info!(
                    "table {name} is {:?}: waiting until it is ACTIVE",
                    table.table_status()
                );
                if let Some(outcome) = wait_until_active(client, name).await {
                    return outcome;
                }
                continue;
            }
            _ => {}
        }
        if table.deletion_protection_enabled().unwrap_or(false) {
            if !options.disable_deletion_protection {
                // Turned on after the plan was shown: still refuse.
                return Outcome::skipped(
                    "deletion protection is on: pass --disable-deletion-protection to turn it off and delete the table",
                );
            }
            match client
                .update_table()
                .table_name(name)
                .deletion_protection_enabled(false)
                .send()
                .await
            {
                Ok(_) => tracing::info!("table {name}: deletion protection turned off"),
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(|e| e.is_resource_in_use_exception()) =>
                {
                    back_off(attempt).await;
                    continue;
                }
                Err(error) => {
                    return Outcome::failed(
                        &anyhow::Error::new(error)
                            .context(format!("turning off deletion protection of table {name}")),
                    );
                }
            }
        }
        match client.delete_table().table_name(name).send().await {
            Ok(_) => return wait_until_gone(client, name).await,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Outcome::Deleted;
            }
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                tracing::info!("table {name} is in use: retrying");
                back_off(attempt).await;
            }
            Err(error) => {
                return Outcome::failed(
                    &anyhow::Error::new(error).context(format!("deleting table {name}")),
                );
            }
        }
    }
    Outcome::Failed {
        error: format!(
            "table {name} stayed in use (ResourceInUseException) through {IN_USE_ATTEMPTS} attempts"
        ),
    }
}

/// Waits for ACTIVE; `Some(outcome)` when the wait ends the story (timed out or failed).
async fn wait_until_active(client: &Client, name: &str) -> Option<Outcome> {
    let result = client
        .wait_until_table_exists()
        .table_name(name)
        .wait(MAX_WAIT)
        .await;
    match Waited::from_result(result) {
        Waited::Reached => None,
        Waited::TimedOut => Some(Outcome::pending(format!(
            "still not ACTIVE after {}; run again later",
            humantime_minutes(MAX_WAIT)
        ))),
        Waited::Failed(error) => Some(Outcome::Failed {
            error: format!("waiting for table {name} to become ACTIVE: {error}"),
        }),
    }
}

async fn wait_until_gone(client: &Client, name: &str) -> Outcome {
    let result = client
        .wait_until_table_not_exists()
        .table_name(name)
        .wait(MAX_WAIT)
        .await;
    match Waited::from_result(result) {
        Waited::Reached => Outcome::Deleted,
        Waited::TimedOut => Outcome::pending(format!(
            "deletion started but the table still exists after {}; run again to check",
            humantime_minutes(MAX_WAIT)
        )),
        Waited::Failed(error) => Outcome::Failed {
            error: format!("waiting for table {name} to be deleted: {error}"),
        },
    }
}

async fn delete_backup(client: &Client, arn: &str) -> Outcome {
    match client.delete_backup().backup_arn(arn).send().await {
        Ok(_) => Outcome::Deleted,
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_backup_not_found_exception()) =>
        {
            // It was listed a moment ago: if it is gone now, our request (or a retry of it) did it.
            Outcome::Deleted
        }
        Err(error) => {
            Outcome::failed(&anyhow::Error::new(error).context(format!("deleting backup {arn}")))
        }
    }
}

/// 1, 2, 4, ... seconds between attempts at a table that is in use.
async fn back_off(attempt: u32) {
    tokio::time::sleep(Duration::from_secs(1 << attempt.min(5))).await;
}

fn humantime_minutes(duration: Duration) -> String {
    format!("{} minutes", duration.as_secs() / 60)
}
