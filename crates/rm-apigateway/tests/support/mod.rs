//! Fixtures for rm-apigateway's tests: REST APIs with a deployed stage, usage plans, API keys,
//! custom domains with base path mappings, and v2 APIs with stages and API mappings.

#![allow(dead_code)]

use aws_sdk_apigateway::types::{ApiStage, IntegrationType, UsagePlan};
use aws_sdk_apigatewayv2::types::{DomainNameConfiguration, EndpointType, ProtocolType};
use serde_json::Value;
use testkit::sdk_config;

pub const BIN: &str = env!("CARGO_BIN_EXE_rm-apigateway");

pub struct Account {
    pub rest: aws_sdk_apigateway::Client,
    pub http: aws_sdk_apigatewayv2::Client,
}

impl Account {
    pub async fn new() -> Account {
        let config = sdk_config().await;
        Account {
            rest: aws_sdk_apigateway::Client::new(&config),
            http: aws_sdk_apigatewayv2::Client::new(&config),
        }
    }

    /// A REST API with `GET /` (a mock integration) deployed to stage `prod`; returns its id.
    pub async fn rest_api(&self, name: &str) -> String {
        let id = self
            .rest
            .create_rest_api()
            .name(name)
            .send()
            .await
            .unwrap()
            .id()
            .unwrap()
            .to_string();
        let root = self
            .rest
            .get_resources()
            .rest_api_id(&id)
            .send()
            .await
            .unwrap()
            .items()
            .iter()
            .find(|r| r.path() == Some("/"))
            .unwrap()
            .id()
            .unwrap()
            .to_string();
        self.rest
            .put_method()
            .rest_api_id(&id)
            .resource_id(&root)
            .http_method("GET")
            .authorization_type("NONE")
            .send()
            .await
            .unwrap();
        self.rest
            .put_integration()
            .rest_api_id(&id)
            .resource_id(&root)
            .http_method("GET")
            .r#type(IntegrationType::Mock)
            .send()
            .await
            .unwrap();
        self.rest
            .create_deployment()
            .rest_api_id(&id)
            .stage_name("prod")
            .send()
            .await
            .unwrap();
        id
    }

    /// A usage plan over these `(api id, stage)` pairs; returns its id.
    pub async fn usage_plan(&self, name: &str, stages: &[(&str, &str)]) -> String {
        let mut create = self.rest.create_usage_plan().name(name);
        for (api, stage) in stages {
            create = create.api_stages(ApiStage::builder().api_id(*api).stage(*stage).build());
        }
        create.send().await.unwrap().id().unwrap().to_string()
    }

    /// An API key in these usage plans; returns its id.
    pub async fn api_key(&self, name: &str, plans: &[&str]) -> String {
        let id = self
            .rest
            .create_api_key()
            .name(name)
            .enabled(true)
            .send()
            .await
            .unwrap()
            .id()
            .unwrap()
            .to_string();
        for plan in plans {
            self.rest
                .create_usage_plan_key()
                .usage_plan_id(*plan)
                .key_id(&id)
                .key_type("API_KEY")
                .send()
                .await
                .unwrap();
        }
        id
    }

    /// A custom domain (v1) with a base path mapping to the API's `prod` stage.
    pub async fn base_path_mapping(&self, domain: &str, api: &str, base_path: Option<&str>) {
        if self
            .rest
            .get_domain_name()
            .domain_name(domain)
            .send()
            .await
            .is_err()
        {
            self.rest
                .create_domain_name()
                .domain_name(domain)
                .certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/test")
                .send()
                .await
                .unwrap();
        }
        self.rest
            .create_base_path_mapping()
            .domain_name(domain)
            .rest_api_id(api)
            .stage("prod")
            .set_base_path(base_path.map(str::to_string))
            .send()
            .await
            .unwrap();
    }

    /// The APIs that the domain's base path mappings point to.
    pub async fn base_path_targets(&self, domain: &str) -> Vec<String> {
        self.rest
            .get_base_path_mappings()
            .domain_name(domain)
            .send()
            .await
            .unwrap()
            .items()
            .iter()
            .filter_map(|m| m.rest_api_id().map(str::to_string))
            .collect()
    }

    pub async fn rest_api_exists(&self, id: &str) -> bool {
        match self.rest.get_rest_api().rest_api_id(id).send().await {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                false
            }
            Err(e) => panic!("get rest api {id}: {e:?}"),
        }
    }

    pub async fn usage_plan_state(&self, id: &str) -> Option<UsagePlan> {
        match self.rest.get_usage_plan().usage_plan_id(id).send().await {
            Ok(plan) => Some(
                UsagePlan::builder()
                    .set_id(plan.id().map(str::to_string))
                    .set_api_stages(Some(plan.api_stages().to_vec()))
                    .build(),
            ),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                None
            }
            Err(e) => panic!("get usage plan {id}: {e:?}"),
        }
    }

    pub async fn api_key_exists(&self, id: &str) -> bool {
        match self.rest.get_api_key().api_key(id).send().await {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                false
            }
            Err(e) => panic!("get api key {id}: {e:?}"),
        }
    }

    /// A v2 API (HTTP or WebSocket) with a stage `prod`; returns its id.
    pub async fn http_api(&self, name: &str, protocol: ProtocolType) -> String {
        let mut create = self
            .http
            .create_api()
            .name(name)
            .protocol_type(protocol.clone());
        if protocol == ProtocolType::Websocket {
            create = create.route_selection_expression("$request.body.action");
        }
        let id = create.send().await.unwrap().api_id().unwrap().to_string();
        self.http
            .create_stage()
            .api_id(&id)
            .stage_name("prod")
            .send()
            .await
            .unwrap();
        id
    }

    /// A custom domain (v2) with an API mapping to the API's `prod` stage.
    pub async fn api_mapping(&self, domain: &str, api: &str, key: &str) {
        if self
            .http
            .get_domain_name()
            .domain_name(domain)
            .send()
            .await
            .is_err()
        {
            self.http
                .create_domain_name()
                .domain_name(domain)
                .domain_name_configurations(
                    DomainNameConfiguration::builder()
                        .certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/test")
                        .endpoint_type(EndpointType::Regional)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
        self.http
            .create_api_mapping()
            .domain_name(domain)
            .api_id(api)
            .stage("prod")
            .api_mapping_key(key)
            .send()
            .await
            .unwrap();
    }

    pub async fn api_mapping_targets(&self, domain: &str) -> Vec<String> {
        self.http
            .get_api_mappings()
            .domain_name(domain)
            .send()
            .await
            .unwrap()
            .items()
            .iter()
            .filter_map(|m| m.api_id().map(str::to_string))
            .collect()
    }

    pub async fn http_api_exists(&self, id: &str) -> bool {
        match self.http.get_api().api_id(id).send().await {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                false
            }
            Err(e) => panic!("get api {id}: {e:?}"),
        }
    }
}

impl Account {
    /// Deletes a test's custom domain (v1 and v2), best effort: every plan lists every domain's
    /// mappings, so domains left behind would slow down every later run on this emulator.
    pub async fn forget_domain(&self, domain: &str) {
        let _ = self
            .rest
            .delete_domain_name()
            .domain_name(domain)
            .send()
            .await;
        let _ = self
            .http
            .delete_domain_name()
            .domain_name(domain)
            .send()
            .await;
    }

    /// Deletes what a test left on purpose (decoys, dry-run subjects), best effort.
    pub async fn forget(
        &self,
        rest_apis: &[&str],
        http_apis: &[&str],
        plans: &[&str],
        keys: &[&str],
    ) {
        for plan in plans {
            let _ = self
                .rest
                .delete_usage_plan()
                .usage_plan_id(*plan)
                .send()
                .await;
        }
        for key in keys {
            let _ = self.rest.delete_api_key().api_key(*key).send().await;
        }
        for api in rest_apis {
            let _ = self.rest.delete_rest_api().rest_api_id(*api).send().await;
        }
        for api in http_apis {
            let _ = self.http.delete_api().api_id(*api).send().await;
        }
    }
}

/// A domain name no other test uses.
pub fn domain(prefix: &str) -> String {
    format!(
        "{}.example.com",
        testkit::unique_name(prefix).to_lowercase()
    )
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

/// The actions of `kind` in a JSON report.
pub fn actions<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == kind)
        .collect()
}

/// The action of `kind` with this id (or, failing that, this name).
pub fn action<'a>(report: &'a Value, kind: &str, id_or_name: &str) -> &'a Value {
    actions(report, kind)
        .into_iter()
        .find(|a| a["id"] == id_or_name || a["name"] == id_or_name)
        .unwrap_or_else(|| panic!("no {kind} {id_or_name} in {report:#}"))
}

pub fn outcome(report: &Value, kind: &str, id_or_name: &str) -> String {
    action(report, kind, id_or_name)["outcome"]["status"]
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
