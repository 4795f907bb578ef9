//! IAM: DeletePolicy needs a detached policy with no versions but the default.
//!
//! moto deletes attached policies and policies with extra versions (AWS-NOTES.md, "IAM"). The
//! proxy asks moto (GetPolicy, ListPolicyVersions) before deciding.

use http::{Method, StatusCode};

use super::{Exchange, Verdict};
use crate::proxy::config::Rule;
use crate::proxy::server::State;
use crate::proxy::{shape, xml};

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    if ex.call.operation != "DeletePolicy" || !state.config.is_enabled(Rule::IamDeleteConflict) {
        return Verdict::Forward;
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(ex.body).into_owned().collect();
    let Some(arn) = form
        .iter()
        .find(|(k, _)| k == "PolicyArn")
        .map(|(_, v)| v.clone())
    else {
        return Verdict::Forward;
    };

    if let Some(policy) = query(state, ex, "GetPolicy", &arn).await {
        let count = |name: &str| {
            let path = format!("GetPolicyResponse/GetPolicyResult/Policy/{name}");
            xml::text_at(&policy, &path)
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        };
        if count("AttachmentCount") + count("PermissionsBoundaryUsageCount") > 0 {
            return conflict(ex, "Cannot delete a policy attached to entities.");
        }
    }
    if let Some(versions) = query(state, ex, "ListPolicyVersions", &arn).await {
        let path =
            "ListPolicyVersionsResponse/ListPolicyVersionsResult/Versions/member/IsDefaultVersion";
        if xml::texts_at(&versions, path)
            .iter()
            .any(|default| default == "false")
        {
            return conflict(
                ex,
                "This policy has more than one version. Before you delete a policy, you must \
                 delete the policy's versions. The default version is deleted with the policy.",
            );
        }
    }
    Verdict::Forward
}

fn conflict(ex: &Exchange<'_>, message: &str) -> Verdict {
    Verdict::Respond(
        shape::error(ex.call, StatusCode::CONFLICT, "DeleteConflict", message),
        Rule::IamDeleteConflict,
    )
}

/// moto's answer (XML) to a query-protocol read of the policy, if it succeeded.
async fn query(state: &State, ex: &Exchange<'_>, action: &str, arn: &str) -> Option<String> {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", action)
        .append_pair("Version", "2010-05-08")
        .append_pair("PolicyArn", arn)
        .finish();
    let answer = state
        .call_upstream(
            Method::POST,
            "/",
            &ex.parts.headers,
            &[(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            body,
        )
        .await
        .ok()?;
    answer.is_success().then(|| answer.body_str().to_owned())
}
