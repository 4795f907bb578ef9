//! The plan (what will happen to which resource) and the report (what did happen).
//!
//! Every binary speaks these types, so xtask can read each step's JSON and aggregate it. The JSON
//! field names are a public interface, documented in the README: add fields, never rename them.

use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{Cell, ContentArrangement, Table};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::exit::Exit;

/// Version of the JSON report layout.
pub const REPORT_SCHEMA: u32 = 1;

/// What will be done to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// Delete it (with whatever must go first: emptying, detaching, disabling).
    Delete,
    /// Disable it only (CloudFront `--disable-only`).
    Disable,
    /// Change it so that something else can be deleted (remove a stage from a usage plan).
    Update,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Delete => "delete",
            Operation::Disable => "disable",
            Operation::Update => "update",
        }
    }
}

/// What happened to a resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// It was there and now it is gone.
    Deleted,
    /// It was disabled as asked (`--disable-only`).
    Disabled,
    /// It updated as asked.
    Updated,
    /// It was not there: a success, so a re-run is a no-op.
    AlreadyAbsent,
    /// Left alone on purpose (a guard, or the run was interrupted before it).
    Skipped { reason: String },
    /// Started, finishing later (CloudFront deploying, Lambda@Edge replicas): run again.
    Pending { reason: String },
    /// Tried and failed.
    Failed { error: String },
}

impl Outcome {
    /// Whether this outcome leaves nothing for the user to do.
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            Outcome::Deleted | Outcome::Disabled | Outcome::Updated | Outcome::AlreadyAbsent
        )
    }

    pub fn skipped(reason: impl Into<String>) -> Outcome {
        Outcome::Skipped {
            reason: reason.into(),
        }
    }

    pub fn pending(reason: impl Into<String>) -> Outcome {
        Outcome::Pending {
            reason: reason.into(),
        }
    }

    /// A failure, with the whole error chain on one line.
    pub fn failed(error: &anyhow::Error) -> Outcome {
        Outcome::Failed {
            error: format!("{error:#}"),
        }
    }
}

/// One resource and what will happen (or happened) to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// The kind of resource, singular and lowercase: "table", "backup", "bucket".
    pub kind: String,
    /// Its name as the user knows it.
    pub name: String,
    /// Its ARN or id, when there is one and it differs from the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub operation: Operation,
    /// What the plan shows about it, in display order ("status": "ACTIVE", "items": "12").
    #[serde(default)]
    pub details: IndexMap<String, String>,
    /// Sentences the user should read before confirming ("deletion protection will be turned off").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Set at plan time for resources already absent or refused by a guard; set by apply for the
    /// rest. `None` in a dry run.
    #[serde(default)]
    pub outcome: Option<Outcome>,
}

impl Action {
    pub fn new(kind: &str, name: impl Into<String>, operation: Operation) -> Action {
        Action {
            kind: kind.to_string(),
            name: name.into(),
            id: None,
            operation,
            details: IndexMap::new(),
            notes: Vec::new(),
            outcome: None,
        }
    }

    /// A selected name that does not exist: nothing to do, and that is a success.
    pub fn absent(kind: &str, name: impl Into<String>) -> Action {
        let mut action = Action::new(kind, name, Operation::Delete);
        action.outcome = Some(Outcome::AlreadyAbsent);
        action
    }

    pub fn with_id(mut self, id: impl Into<String>) -> Action {
        self.id = Some(id.into());
        self
    }

    pub fn detail(mut self, key: &str, value: impl ToString) -> Action {
        self.details.insert(key.to_string(), value.to_string());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Action {
        self.notes.push(note.into());
        self
    }

    /// Refused at plan time by a guard: shown in the plan, never attempted.
    pub fn refused(mut self, reason: impl Into<String>) -> Action {
        self.outcome = Some(Outcome::skipped(reason));
        self
    }

    /// Whether apply still has work to do on it.
    pub fn is_to_do(&self) -> bool {
        self.outcome.is_none()
    }
}

/// Something related that this step does not delete, and why: backups kept, roles left for
/// step 7, log groups kept with `--keep-logs`. Listed so nothing costs money unseen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leftover {
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
}

impl Leftover {
    pub fn new(kind: &str, name: impl Into<String>, reason: impl Into<String>) -> Leftover {
        Leftover {
            kind: kind.to_string(),
            name: name.into(),
            id: None,
            reason: reason.into(),
        }
    }

    pub fn with_id(mut self, id: impl Into<String>) -> Leftover {
        self.id = Some(id.into());
        self
    }
}

/// What a step will do: its actions in the order they will run, and what it leaves behind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub left_behind: Vec<Leftover>,
}

impl Plan {
    pub fn push(&mut self, action: Action) {
        self.actions.push(action);
    }

    pub fn leave(&mut self, leftover: Leftover) {
        self.left_behind.push(leftover);
    }

    /// How many actions still need doing (not absent, not refused).
    pub fn to_do(&self) -> usize {
        self.actions.iter().filter(|a| a.is_to_do()).count()
    }
}

impl From<&Report> for Plan {
    /// The plan part of a report (a step's dry run, read back by xtask).
    fn from(report: &Report) -> Plan {
        Plan {
            actions: report.actions.clone(),
            left_behind: report.left_behind.clone(),
        }
    }
}

/// Counts per outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Deleted, disabled or updated as planned.
    pub deleted: usize,
    pub already_absent: usize,
    pub skipped: usize,
    pub pending: usize,
    pub failed: usize,
    /// Not run (dry run).
    pub planned: usize,
}

/// The whole story of one run, printed at the end as a table or as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    /// The binary, e.g. "rm-dynamodb".
    pub tool: String,
    /// The chapter's step number, 1 to 7.
    pub step: u8,
    /// The chapter's heading for the step, e.g. "Delete DynamoDB Tables".
    pub title: String,
    pub account: String,
    pub region: String,
    pub dry_run: bool,
    pub interrupted: bool,
    pub actions: Vec<Action>,
    pub left_behind: Vec<Leftover>,
    pub summary: Summary,
    pub exit_code: u8,
}

impl Report {
    /// Builds the report from a (possibly applied) plan and computes the summary and exit code.
    pub fn new(header: ReportHeader, plan: Plan, interrupted: bool) -> Report {
        let mut report = Report {
            schema: REPORT_SCHEMA,
            tool: header.tool,
            step: header.step,
            title: header.title,
            account: header.account,
            region: header.region,
            dry_run: header.dry_run,
            interrupted,
            actions: plan.actions,
            left_behind: plan.left_behind,
            summary: Summary::default(),
            exit_code: 0,
        };
        report.summary = report.count();
        report.exit_code = report.exit().code();
        report
    }

    fn count(&self) -> Summary {
        let mut summary = Summary::default();
        for action in &self.actions {
            match &action.outcome {
                None => summary.planned += 1,
                Some(Outcome::Deleted | Outcome::Disabled | Outcome::Updated) => {
                    summary.deleted += 1
                }
                Some(Outcome::AlreadyAbsent) => summary.already_absent += 1,
                Some(Outcome::Skipped { .. }) => summary.skipped += 1,
                Some(Outcome::Pending { .. }) => summary.pending += 1,
                Some(Outcome::Failed { .. }) => summary.failed += 1,
            }
        }
        summary
    }

    /// 130 if interrupted; 0 if every action succeeded (or, in a dry run, if nothing was
    /// refused); 1 otherwise.
    pub fn exit(&self) -> Exit {
        if self.interrupted {
            return Exit::Interrupted;
        }
        let all_fine = self
            .actions
            .iter()
            .all(|a| a.outcome.as_ref().is_none_or(Outcome::is_success));
        if all_fine {
            Exit::Done
        } else {
            Exit::Incomplete
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The report as text: a heading, one table per kind of resource, what is left behind, and
    /// a summary line.
    pub fn to_text(&self) -> String {
        let mode = if self.dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        };
        format!(
            "Step {}/7: {} - account {}, region {}{mode}\n{}",
            self.step,
            self.title,
            self.account,
            self.region,
            self.to_text_body()
        )
    }

    /// The report as text without its heading line (for when the heading was printed already,
    /// before the run started).
    pub fn to_text_body(&self) -> String {
        let mut out = String::new();
        if self.actions.is_empty() {
            out.push_str("nothing selected exists\n");
        }
        // A dry run shows outcomes only where the plan already knows them (absent, refused).
        let with_outcomes = !self.dry_run || self.actions.iter().any(|a| a.outcome.is_some());
        out.push_str(&render_actions(&self.actions, with_outcomes));
        out.push_str(&render_left_behind(&self.left_behind));
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let mut parts = Vec::new();
        if self.dry_run {
            parts.push(format!("{} to delete", s.planned));
        } else {
            parts.push(format!("{} deleted", s.deleted));
        }
        parts.push(format!("{} already absent", s.already_absent));
        parts.push(format!("{} skipped", s.skipped));
        if s.pending > 0 {
            parts.push(format!("{} pending", s.pending));
        }
        parts.push(format!("{} failed", s.failed));
        let mut line = parts.join(", ");
        if self.interrupted {
            line.push_str(" (interrupted: run the same command again to finish)");
        }
        line
    }
}

/// Who ran what where: the parts of a report that do not come from the plan.
#[derive(Clone, Debug)]
pub struct ReportHeader {
    pub tool: String,
    pub step: u8,
    pub title: String,
    pub account: String,
    pub region: String,
    pub dry_run: bool,
}

/// The plan as text, shown before confirmation.
pub fn render_plan(plan: &Plan) -> String {
    let mut out = render_actions(&plan.actions, false);
    out.push_str(&render_left_behind(&plan.left_behind));
    out
}

/// One line per kind of resource about to change: "delete 2 table(s): Product, Category".
pub fn render_plan_brief(plan: &Plan) -> String {
    let mut lines: Vec<(String, Vec<&str>)> = Vec::new();
    for action in plan.actions.iter().filter(|a| a.is_to_do()) {
        let key = format!("{} {}(s)", action.operation.as_str(), action.kind);
        match lines.iter_mut().find(|(k, _)| *k == key) {
            Some((_, names)) => names.push(&action.name),
            None => lines.push((key, vec![&action.name])),
        }
    }
    let mut out = String::new();
    for (key, names) in lines {
        let (verb, kind) = key.split_once(' ').unwrap_or((&key, ""));
        out.push_str(&format!(
            "{verb} {} {kind}: {}\n",
            names.len(),
            names.join(", ")
        ));
    }
    out
}

/// One table per kind, in order of first appearance. Columns: name, id (when any has one that
/// is not an ARN: ARNs are long and only in the JSON), the details in order, the operation, and
/// (with outcomes) what happened. Reasons and notes follow the table, so cells stay short.
fn render_actions(actions: &[Action], with_outcomes: bool) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for action in actions {
        if !kinds.contains(&action.kind.as_str()) {
            kinds.push(&action.kind);
        }
    }
    let mut out = String::new();
    for kind in kinds {
        let rows: Vec<&Action> = actions.iter().filter(|a| a.kind == kind).collect();
        let mut detail_keys: Vec<&str> = Vec::new();
        for row in &rows {
            for key in row.details.keys() {
                if !detail_keys.contains(&key.as_str()) {
                    detail_keys.push(key);
                }
            }
        }
        let with_ids = rows.iter().any(|r| short_id(r).is_some());
        let mut header = vec![kind.to_string()];
        if with_ids {
            header.push("id".to_string());
        }
        header.extend(detail_keys.iter().map(|k| k.to_string()));
        header.push("action".to_string());
        if with_outcomes {
            header.push("outcome".to_string());
        }
        let mut table = Table::new();
        table
            .load_preset(UTF8_BORDERS_ONLY)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(header);
        for row in &rows {
            let mut cells = vec![Cell::new(&row.name)];
            if with_ids {
                cells.push(Cell::new(short_id(row).unwrap_or("-")));
            }
            for key in &detail_keys {
                cells.push(Cell::new(row.details.get(*key).map_or("-", String::as_str)));
            }
            cells.push(Cell::new(planned_label(row)));
            if with_outcomes {
                cells.push(Cell::new(outcome_label(row)));
            }
            table.add_row(cells);
        }
        out.push_str(&table.to_string());
        out.push('\n');
        for row in &rows {
            for note in &row.notes {
                out.push_str(&format!("  note: {} {}: {note}\n", row.kind, row.name));
            }
            match &row.outcome {
                Some(Outcome::Skipped { reason }) => {
                    out.push_str(&format!("  skipped: {} {}: {reason}\n", row.kind, row.name))
                }
                Some(Outcome::Pending { reason }) => {
                    out.push_str(&format!("  pending: {} {}: {reason}\n", row.kind, row.name))
                }
                Some(Outcome::Failed { error }) => {
                    out.push_str(&format!("  FAILED: {} {}: {error}\n", row.kind, row.name))
                }
                _ => {}
            }
        }
    }
    out
}

fn short_id(action: &Action) -> Option<&str> {
    action.id.as_deref().filter(|id| !id.starts_with("arn:"))
}

/// The operation, or why nothing will happen.
fn planned_label(action: &Action) -> String {
    match &action.outcome {
        Some(Outcome::AlreadyAbsent) => "none (not found)".to_string(),
        Some(Outcome::Skipped { .. }) => "refuse".to_string(),
        _ => action.operation.as_str().to_string(),
    }
}

/// A short outcome for the table cell; the reason, if any, is printed under the table.
fn outcome_label(action: &Action) -> String {
    match &action.outcome {
        None => "-".into(),
        Some(Outcome::Deleted) => "deleted".into(),
        Some(Outcome::Disabled) => "disabled".into(),
        Some(Outcome::Updated) => "updated".into(),
        Some(Outcome::AlreadyAbsent) => "already absent".into(),
        Some(Outcome::Skipped { .. }) => "skipped".into(),
        Some(Outcome::Pending { .. }) => "pending".into(),
        Some(Outcome::Failed { .. }) => "FAILED".into(),
    }
}

fn render_left_behind(left: &[Leftover]) -> String {
    let mut out = String::new();
    if left.is_empty() {
        return out;
    }
    out.push_str("Left behind (not deleted by this step):\n");
    for item in left {
        let id = item
            .id
            .as_deref()
            .map(|id| format!(" ({id})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {} {}{id}: {}\n",
            item.kind, item.name, item.reason
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(dry_run: bool) -> ReportHeader {
        ReportHeader {
            tool: "rm-dynamodb".into(),
            step: 1,
            title: "Delete DynamoDB Tables".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            dry_run,
        }
    }

    fn plan_with(outcomes: &[Option<Outcome>]) -> Plan {
        let mut plan = Plan::default();
        for (i, outcome) in outcomes.iter().enumerate() {
            let mut action = Action::new("table", format!("t{i}"), Operation::Delete);
            action.outcome = outcome.clone();
            plan.push(action);
        }
        plan
    }

    #[test]
    fn exit_is_zero_only_when_everything_is_gone() {
        let done = plan_with(&[Some(Outcome::Deleted), Some(Outcome::AlreadyAbsent)]);
        assert_eq!(Report::new(header(false), done, false).exit_code, 0);
        for bad in [
            Outcome::skipped("protected"),
            Outcome::pending("deploying"),
            Outcome::Failed {
                error: "boom".into(),
            },
        ] {
            let plan = plan_with(&[Some(Outcome::Deleted), Some(bad.clone())]);
            assert_eq!(
                Report::new(header(false), plan, false).exit_code,
                1,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn interrupted_runs_exit_130() {
        let plan = plan_with(&[Some(Outcome::Deleted)]);
        assert_eq!(Report::new(header(false), plan, true).exit_code, 130);
    }

    #[test]
    fn summary_counts_each_outcome() {
        let plan = plan_with(&[
            Some(Outcome::Deleted),
            Some(Outcome::AlreadyAbsent),
            Some(Outcome::skipped("x")),
            Some(Outcome::Failed { error: "y".into() }),
            None,
        ]);
        let summary = Report::new(header(false), plan, false).summary;
        assert_eq!(
            (
                summary.deleted,
                summary.already_absent,
                summary.skipped,
                summary.failed,
                summary.planned
            ),
            (1, 1, 1, 1, 1)
        );
    }

    #[test]
    fn json_round_trips_with_stable_field_names() {
        let mut plan = plan_with(&[Some(Outcome::skipped("deletion protection is on"))]);
        plan.actions[0]
            .details
            .insert("status".into(), "ACTIVE".into());
        plan.leave(Leftover::new("backup", "b1", "kept"));
        let report = Report::new(header(false), plan, false);
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["tool"], "rm-dynamodb");
        assert_eq!(json["actions"][0]["kind"], "table");
        assert_eq!(json["actions"][0]["operation"], "delete");
        assert_eq!(json["actions"][0]["details"]["status"], "ACTIVE");
        assert_eq!(json["actions"][0]["outcome"]["status"], "skipped");
        assert_eq!(
            json["actions"][0]["outcome"]["reason"],
            "deletion protection is on"
        );
        assert_eq!(json["left_behind"][0]["name"], "b1");
        assert_eq!(json["summary"]["skipped"], 1);
        assert_eq!(json["exit_code"], 1);
        let back: Report = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn brief_plan_lists_what_will_change_per_kind() {
        let mut plan = plan_with(&[None, None, Some(Outcome::AlreadyAbsent)]);
        plan.push(Action::new("backup", "b1", Operation::Delete));
        assert_eq!(
            render_plan_brief(&plan),
            "delete 2 table(s): t0, t1\ndelete 1 backup(s): b1\n"
        );
    }

    #[test]
    fn text_shows_names_details_and_outcomes() {
        let mut plan = plan_with(&[Some(Outcome::Deleted), Some(Outcome::AlreadyAbsent)]);
        plan.actions[0].details.insert("items".into(), "12".into());
        let text = Report::new(header(false), plan, false).to_text();
        assert!(text.contains("Step 1/7: Delete DynamoDB Tables"), "{text}");
        assert!(text.contains("t0") && text.contains("12") && text.contains("deleted"));
        assert!(text.contains("already absent"));
        assert!(text.contains("1 deleted, 1 already absent, 0 skipped, 0 failed"));
    }
}
