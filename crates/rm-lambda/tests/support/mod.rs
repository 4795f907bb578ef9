//! Fixtures for rm-lambda's tests: an execution role, functions (with versions, aliases, URLs,
//! tags), log groups as Lambda would create them, and event source mappings on a DynamoDB
//! stream.

#![allow(dead_code)]

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    StreamSpecification, StreamViewType,
};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{EventSourcePosition, FunctionCode, FunctionUrlAuthType, Runtime};
use serde_json::Value;
use testkit::{sdk_config, unique_name};

pub const BIN: &str = env!("CARGO_BIN_EXE_rm-lambda");

/// SDK clients for fixtures and checks, talking to the emulator directly.
pub struct Account {
    pub lambda: aws_sdk_lambda::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub iam: aws_sdk_iam::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
}

impl Account {
    pub async fn new() -> Account {
        let config = sdk_config().await;
        Account {
            lambda: aws_sdk_lambda::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
        }
    }

    /// A new execution role (the emulator checks that it exists); returns its ARN.
    pub async fn role(&self, prefix: &str) -> (String, String) {
        let name = unique_name(prefix);
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let role = self
            .iam
            .create_role()
            .role_name(&name)
            .path("/service-role/")
            .assume_role_policy_document(trust)
            .send()
            .await
            .unwrap();
        let arn = role.role().unwrap().arn().to_string();
        (name, arn)
    }

    /// A function with the given tags; `publish` also publishes version 1.
    pub async fn function(&self, name: &str, role_arn: &str, publish: bool, tags: &[(&str, &str)]) {
        let mut create = self
            .lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python312)
            .role(role_arn)
            .handler("index.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(zip_with(
                        "index.py",
                        b"def handler(event, context):\n    return {}\n",
                    )))
                    .build(),
            )
            .publish(publish);
        for (key, value) in tags {
            create = create.tags(*key, *value);
        }
        create.send().await.unwrap();
    }

    pub async fn alias(&self, function: &str, alias: &str, version: &str) {
        self.lambda
            .create_alias()
            .function_name(function)
            .name(alias)
            .function_version(version)
            .send()
            .await
            .unwrap();
    }

    pub async fn url(&self, function: &str) -> String {
        self.lambda
            .create_function_url_config()
            .function_name(function)
            .auth_type(FunctionUrlAuthType::None)
            .send()
            .await
            .unwrap()
            .function_url()
            .to_string()
    }

    /// The log group Lambda creates on a function's first invocation, with one event in it.
    pub async fn log_group(&self, name: &str) {
        self.logs
            .create_log_group()
            .log_group_name(name)
            .send()
            .await
            .unwrap();
        self.logs
            .create_log_stream()
            .log_group_name(name)
            .log_stream_name("2024/01/01/[$LATEST]abc")
            .send()
            .await
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        self.logs
            .put_log_events()
            .log_group_name(name)
            .log_stream_name("2024/01/01/[$LATEST]abc")
            .log_events(
                InputLogEvent::builder()
                    .timestamp(now)
                    .message("START RequestId: 1")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    /// An event source mapping from a new DynamoDB stream to the function; returns its UUID.
    pub async fn mapping(&self, function: &str) -> String {
        let table = unique_name("LambdaSource");
        let created = self
            .dynamodb
            .create_table()
            .table_name(&table)
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
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let stream = created
            .table_description()
            .unwrap()
            .latest_stream_arn()
            .unwrap()
            .to_string();
        self.lambda
            .create_event_source_mapping()
            .event_source_arn(stream)
            .function_name(function)
            .starting_position(EventSourcePosition::Latest)
            .send()
            .await
            .unwrap()
            .uuid()
            .unwrap()
            .to_string()
    }

    pub async fn function_exists(&self, name: &str) -> bool {
        match self.lambda.get_function().function_name(name).send().await {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                false
            }
            Err(e) => panic!("get function {name}: {e:?}"),
        }
    }

    pub async fn mapping_exists(&self, uuid: &str) -> bool {
        match self
            .lambda
            .get_event_source_mapping()
            .uuid(uuid)
            .send()
            .await
        {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                false
            }
            Err(e) => panic!("get mapping {uuid}: {e:?}"),
        }
    }

    pub async fn log_group_exists(&self, name: &str) -> bool {
        self.logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .unwrap()
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(name))
    }
}

impl Account {
    /// Deletes what a test left on purpose (decoys, dry-run subjects), best effort: every plan
    /// lists every event source mapping in the region, so leftovers slow down later runs.
    pub async fn forget_function(&self, name: &str) {
        if let Ok(page) = self
            .lambda
            .list_event_source_mappings()
            .function_name(name)
            .send()
            .await
        {
            for mapping in page.event_source_mappings() {
                if let Some(uuid) = mapping.uuid() {
                    let _ = self
                        .lambda
                        .delete_event_source_mapping()
                        .uuid(uuid)
                        .send()
                        .await;
                }
            }
        }
        let _ = self
            .lambda
            .delete_function()
            .function_name(name)
            .send()
            .await;
        let _ = self
            .logs
            .delete_log_group()
            .log_group_name(format!("/aws/lambda/{name}"))
            .send()
            .await;
    }
}

/// A function with everything the plan shows: version 1, alias `live`, a URL, a mapping and its
/// log group. Returns the mapping's UUID.
pub async fn full_function(account: &Account, name: &str, role_arn: &str) -> String {
    account.function(name, role_arn, true, &[]).await;
    account.alias(name, "live", "1").await;
    account.url(name).await;
    account.log_group(&format!("/aws/lambda/{name}")).await;
    account.mapping(name).await
}

/// A zip archive holding one stored (uncompressed) file: what CreateFunction expects.
pub fn zip_with(file: &str, content: &[u8]) -> Vec<u8> {
    let crc = crc32(content);
    let size = (content.len() as u32).to_le_bytes();
    let name_len = (file.len() as u16).to_le_bytes();
    let dos_date: u16 = 0x21; // 1980-01-01
    let mut out = Vec::new();
    out.extend(0x0403_4b50u32.to_le_bytes());
    for field in [20u16, 0, 0, 0, dos_date] {
        out.extend(field.to_le_bytes());
    }
    out.extend(crc.to_le_bytes());
    out.extend(size);
    out.extend(size);
    out.extend(name_len);
    out.extend(0u16.to_le_bytes());
    out.extend(file.as_bytes());
    out.extend(content);
    let directory = out.len() as u32;
    out.extend(0x0201_4b50u32.to_le_bytes());
    for field in [20u16, 20, 0, 0, 0, dos_date] {
        out.extend(field.to_le_bytes());
    }
    out.extend(crc.to_le_bytes());
    out.extend(size);
    out.extend(size);
    out.extend(name_len);
    for field in [0u16, 0, 0, 0] {
        out.extend(field.to_le_bytes());
    }
    out.extend(0u32.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    out.extend(file.as_bytes());
    let directory_size = out.len() as u32 - directory;
    out.extend(0x0605_4b50u32.to_le_bytes());
    for field in [0u16, 0, 1, 1] {
        out.extend(field.to_le_bytes());
    }
    out.extend(directory_size.to_le_bytes());
    out.extend(directory.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The action of `kind` named `name` in a JSON report.
pub fn action<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == kind && a["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {report:#}"))
}

pub fn outcome(report: &Value, kind: &str, name: &str) -> String {
    action(report, kind, name)["outcome"]["status"]
        .as_str()
        .unwrap_or("none")
        .to_string()
}

pub fn describe(output: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn crc32_matches_the_reference_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}
