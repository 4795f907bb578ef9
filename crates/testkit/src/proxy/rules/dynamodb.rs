//! DynamoDB: tables are created and deleted asynchronously.
//!
//! moto creates and deletes tables at once (AWS-NOTES.md, "DynamoDB"). The proxy makes a new
//! table read `CREATING` for a while (DeleteTable and UpdateTable answer
//! `ResourceInUseException` meanwhile), and a deleted table read `DELETING` for a while before
//! DescribeTable answers `ResourceNotFoundException`; for that it keeps the table's last
//! description, since moto has already forgotten it. Data-plane calls (PutItem, ...) and
//! ListTables are left alone.

use std::collections::HashMap;
use std::time::Instant;

use http::{Response, StatusCode};
use serde_json::Value;

use super::{Exchange, Verdict};
use crate::proxy::config::Rule;
use crate::proxy::server::{Answer, State, lock};
use crate::proxy::shape;

enum Table {
    Creating { until: Instant },
    Deleting { until: Instant, description: Value },
}

impl Table {
    fn current(&self) -> bool {
        let until = match self {
            Table::Creating { until } | Table::Deleting { until, .. } => *until,
        };
        Instant::now() < until
    }
}

/// Tables by (region, name): tables are regional.
#[derive(Default)]
pub(crate) struct Tracker {
    tables: HashMap<(String, String), Table>,
}

fn key(ex: &Exchange<'_>) -> Option<(String, String)> {
    let name = ex.call.resource.clone()?;
    let region = ex
        .call
        .region
        .clone()
        .unwrap_or_else(|| "us-east-1".to_owned());
    Some((region, name))
}

fn in_use(ex: &Exchange<'_>, message: String, rule: Rule) -> Verdict {
    Verdict::Respond(
        shape::error(
            ex.call,
            StatusCode::BAD_REQUEST,
            "ResourceInUseException",
            &message,
        ),
        rule,
    )
}

pub(crate) fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    let op = ex.call.operation.as_str();
    if !matches!(
        op,
        "DeleteTable" | "UpdateTable" | "DescribeTable" | "CreateTable"
    ) {
        return Verdict::Forward;
    }
    let Some(key) = key(ex) else {
        return Verdict::Forward;
    };
    let mut tracker = lock(&state.rules.dynamodb);
    if !tracker.tables.get(&key).is_some_and(Table::current) {
        tracker.tables.remove(&key);
        return Verdict::Forward;
    }
    let name = &key.1;
    match (tracker.tables.get(&key), op) {
        (Some(Table::Creating { .. }), "DeleteTable" | "UpdateTable") => in_use(
            ex,
            format!(
                "Attempt to change a resource which is still in use: Table is being created: {name}"
            ),
            Rule::DynamoDbCreating,
        ),
        (Some(Table::Deleting { .. }), "DeleteTable" | "UpdateTable") => in_use(
            ex,
            format!(
                "Attempt to change a resource which is still in use: Table is being deleted: {name}"
            ),
            Rule::DynamoDbDeleting,
        ),
        (Some(Table::Deleting { .. }), "CreateTable") => in_use(
            ex,
            format!("Table already exists: {name}"),
            Rule::DynamoDbDeleting,
        ),
        (Some(Table::Deleting { description, .. }), "DescribeTable") => {
            let body = serde_json::json!({ "Table": description }).to_string();
            let mut resp =
                Response::new(http_body_util::Full::new(bytes::Bytes::from(body.clone())));
            let headers = resp.headers_mut();
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/x-amz-json-1.0"),
            );
            headers.insert("x-amz-crc32", crc32fast::hash(body.as_bytes()).into());
            if let Ok(id) = http::HeaderValue::from_str(&shape::request_id()) {
                headers.insert("x-amzn-requestid", id);
            }
            Verdict::Respond(resp, Rule::DynamoDbDeleting)
        }
        _ => Verdict::Forward,
    }
}

pub(crate) fn after(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    if !answer.is_success() {
        return None;
    }
    let timings = state.config.timings;
    match ex.call.operation.as_str() {
        "CreateTable"
            if state.config.is_enabled(Rule::DynamoDbCreating)
                && !timings.dynamodb_creating.is_zero() =>
        {
            let key = key(ex)?;
            let until = Instant::now() + timings.dynamodb_creating;
            lock(&state.rules.dynamodb)
                .tables
                .insert(key, Table::Creating { until });
            set_status(answer, "TableDescription", "CREATING")?;
            Some(Rule::DynamoDbCreating)
        }
        "DescribeTable" => {
            let key = key(ex)?;
            let creating = matches!(
                lock(&state.rules.dynamodb).tables.get(&key),
                Some(table @ Table::Creating { .. }) if table.current()
            );
            if !creating {
                return None;
            }
            set_status(answer, "Table", "CREATING")?;
            Some(Rule::DynamoDbCreating)
        }
        "DeleteTable"
            if state.config.is_enabled(Rule::DynamoDbDeleting)
                && !timings.dynamodb_deleting.is_zero() =>
        {
            let key = key(ex)?;
            let description = set_status(answer, "TableDescription", "DELETING")?;
            let until = Instant::now() + timings.dynamodb_deleting;
            lock(&state.rules.dynamodb)
                .tables
                .insert(key, Table::Deleting { until, description });
            Some(Rule::DynamoDbDeleting)
        }
        _ => None,
    }
}

/// Set `{wrapper}.TableStatus` in moto's answer; returns the rewritten description.
fn set_status(answer: &mut Answer, wrapper: &str, status: &str) -> Option<Value> {
    let mut body: Value = serde_json::from_slice(&answer.body).ok()?;
    let description = body.get_mut(wrapper)?.as_object_mut()?;
    description.insert("TableStatus".to_owned(), Value::String(status.to_owned()));
    let description = Value::Object(description.clone());
    answer.set_body(body.to_string());
    Some(description)
}
