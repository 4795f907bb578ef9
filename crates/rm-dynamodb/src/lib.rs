//! Step 1: delete DynamoDB tables, and on request their on-demand backups.
//!
//! `discover` turns the selection into a plan (one action per table, then one per backup when
//! `--with-backups` is given); `delete` carries the plan out. AWS-NOTES.md ("DynamoDB") lists the
//! quirks handled here: deletion protection, tables still CREATING/UPDATING, asynchronous
//! deletion, and backups that outlive their table.

mod delete;
mod discover;

use aws_sdk_dynamodb::Client;
use common::names::NameRule;
use common::{ApplyContext, MatchArgs, Plan, Selection, Session, Step};

/// Kinds of resource in this step's plan.
pub const TABLE: &str = "table";
pub const BACKUP: &str = "backup";

/// DynamoDB's table naming rule.
pub const TABLE_NAME: NameRule = NameRule {
    what: "table",
    min_len: 3,
    max_len: 255,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'),
    allowed_text: "letters, digits, '_', '-' and '.'",
};

/// Opt-in behaviour beyond deleting unprotected tables.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Turn deletion protection off instead of refusing.
    pub disable_deletion_protection: bool,
    /// Delete the tables' on-demand backups too.
    pub with_backups: bool,
}

/// Step 1 of the chapter.
#[derive(Clone, Debug)]
pub struct DynamoDbStep {
    selection: Selection,
    options: Options,
}

impl DynamoDbStep {
    /// Validates the selection; bad names and patterns are bad input.
    pub fn new(tables: &[String], matching: &MatchArgs, options: Options) -> anyhow::Result<Self> {
        let selection = Selection::new("--table", tables, matching, &TABLE_NAME)?;
        Ok(DynamoDbStep { selection, options })
    }
}

impl Step for DynamoDbStep {
    const TOOL: &'static str = "rm-dynamodb";
    const STEP: u8 = 1;
    const TITLE: &'static str = "Delete DynamoDB Tables";

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        let client = Client::new(&session.config);
        discover::plan(&client, &self.selection, self.options).await
    }

    async fn apply(
        &self,
        session: &Session,
        plan: &mut Plan,
        ctx: &ApplyContext,
    ) -> anyhow::Result<()> {
        let client = Client::new(&session.config);
        delete::apply(&client, plan, self.options, ctx).await;
        Ok(())
    }
}
