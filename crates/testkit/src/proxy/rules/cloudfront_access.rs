//! CloudFront origin access (OAC and OAI) and function associations, as AWS has them.
//!
//! [`Rule::CloudFrontOriginAccess`]: the proxy serves origin access identities itself (moto
//! answers 404 to every OAI operation), puts each origin's OAC id and OAI back into the
//! distributions moto returns, serves GetOriginAccessControlConfig (moto crashes on it), issues
//! OAC ETags and enforces `If-Match` on OAC writes, and refuses to delete an OAC or OAI that a
//! distribution still uses (AWS-NOTES.md, "CloudFront": "in use until their distributions are
//! gone; each delete needs its own ETag").
//!
//! [`Rule::CloudFrontLambdaAssociations`]: the proxy puts each cache behavior's Lambda@Edge (and
//! CloudFront Functions) associations back into the distributions moto returns.
//!
//! Both keep what they remember in the per-emulator [`Memory`].

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use http::{Method, StatusCode};

use super::cloudfront::new_etag;
use super::cloudfront_memory::{self, Memory, Oai, Restore};
use super::{Exchange, Verdict};
use crate::proxy::classify::{query_get, query_pairs};
use crate::proxy::config::Rule;
use crate::proxy::server::{Answer, State, lock};
use crate::proxy::shape::{self, CLOUDFRONT_NS, Resp};
use crate::proxy::xml::{self, escape};

fn memory(state: &State) -> MutexGuard<'_, Memory> {
    lock(&state.rules.cloudfront_memory)
}

/// The per-emulator memory itself, for [`super::RuleState`].
pub(crate) fn memory_for(upstream: &str) -> Arc<Mutex<Memory>> {
    cloudfront_memory::memory_for(upstream)
}

/// Whether the proxy serves this origin access identity (for the missing-not-found rule).
pub(crate) fn oai_exists(state: &State, id: &str) -> bool {
    memory(state).oais.contains_key(id)
}

fn origin_access_on(state: &State) -> bool {
    state.config.is_enabled(Rule::CloudFrontOriginAccess)
}

fn associations_on(state: &State) -> bool {
    state.config.is_enabled(Rule::CloudFrontLambdaAssociations)
}

fn respond(resp: Resp) -> Verdict {
    Verdict::Respond(resp, Rule::CloudFrontOriginAccess)
}

fn error(ex: &Exchange<'_>, status: StatusCode, code: &str, message: &str) -> Verdict {
    respond(shape::error(ex.call, status, code, message))
}

fn missing_if_match(ex: &Exchange<'_>) -> Verdict {
    error(
        ex,
        StatusCode::BAD_REQUEST,
        "InvalidIfMatchVersion",
        "The If-Match version is missing or not valid for the resource.",
    )
}

fn precondition_failed(ex: &Exchange<'_>) -> Verdict {
    error(
        ex,
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
        "The precondition given in one or more of the request-header fields evaluated to false.",
    )
}

fn no_such_oai(ex: &Exchange<'_>) -> Verdict {
    error(
        ex,
        StatusCode::NOT_FOUND,
        "NoSuchCloudFrontOriginAccessIdentity",
        "The specified origin access identity does not exist.",
    )
}

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    if !origin_access_on(state) {
        return Verdict::Forward;
    }
    match ex.call.operation.as_str() {
        "CreateCloudFrontOriginAccessIdentity" => create_oai(state, ex),
        "GetCloudFrontOriginAccessIdentity" => get_oai(state, ex, false),
        "GetCloudFrontOriginAccessIdentityConfig" => get_oai(state, ex, true),
        "ListCloudFrontOriginAccessIdentities" => list_oais(state, ex),
        "UpdateCloudFrontOriginAccessIdentity" => update_oai(state, ex),
        "DeleteCloudFrontOriginAccessIdentity" => delete_oai(state, ex).await,
        "GetOriginAccessControlConfig" => oac_config(state, ex).await,
        "UpdateOriginAccessControl" | "DeleteOriginAccessControl" => oac_write(state, ex).await,
        _ => Verdict::Forward,
    }
}

/// The answers that carry distributions (and so what moto forgot of them).
const DISTRIBUTION_ANSWERS: &[&str] = &[
    "CreateDistribution",
    "CreateDistributionWithTags",
    "UpdateDistribution",
    "GetDistribution",
    "GetDistributionConfig",
    "ListDistributions",
];

pub(crate) fn after(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    let access = origin_access_on(state);
    let associations = associations_on(state);
    if !(access || associations) || !answer.is_success() {
        return None;
    }
    let op = ex.call.operation.as_str();
    match op {
        "CreateDistribution" | "CreateDistributionWithTags" | "UpdateDistribution" => {
            let id = match op {
                "UpdateDistribution" => ex.call.resource.clone(),
                _ => xml::text_at(answer.body_str(), "Distribution/Id"),
            };
            let request = std::str::from_utf8(ex.body).unwrap_or("");
            if let (Some(id), Some(remembered)) = (id, cloudfront_memory::from_request(request)) {
                memory(state).distributions.insert(id, remembered);
            }
        }
        "DeleteDistribution" => {
            if let Some(id) = &ex.call.resource {
                memory(state).distributions.remove(id);
            }
            return None;
        }
        _ => {}
    }
    if DISTRIBUTION_ANSWERS.contains(&op) {
        let config_id = (op == "GetDistributionConfig")
            .then_some(ex.call.resource.as_deref())
            .flatten();
        let what = Restore {
            origin_access: access,
            associations,
        };
        let restored =
            cloudfront_memory::restore(answer.body_str(), &memory(state), config_id, what);
        let (body, restored) = restored?;
        answer.set_body(body);
        return Some(if restored.origin_access {
            Rule::CloudFrontOriginAccess
        } else {
            Rule::CloudFrontLambdaAssociations
        });
    }
    if access {
        return oac_etags(state, ex, answer);
    }
    None
}

/// OAC ETags: adopt moto's, hand out the proxy's, issue a new one with every update.
fn oac_etags(state: &State, ex: &Exchange<'_>, answer: &mut Answer) -> Option<Rule> {
    match ex.call.operation.as_str() {
        "CreateOriginAccessControl" => {
            let id = xml::text_at(answer.body_str(), "OriginAccessControl/Id")?;
            let etag = answer.header("etag")?.to_owned();
            memory(state).oac_etags.insert(id, etag);
            None
        }
        "GetOriginAccessControl" => {
            let id = ex.call.resource.clone()?;
            let mut memory = memory(state);
            match memory.oac_etags.get(&id) {
                Some(etag) => {
                    let changed = answer.header("etag") != Some(etag.as_str());
                    answer.set_header("etag", etag);
                    changed.then_some(Rule::CloudFrontOriginAccess)
                }
                None => {
                    if let Some(etag) = answer.header("etag") {
                        memory.oac_etags.insert(id, etag.to_owned());
                    }
                    None
                }
            }
        }
        "UpdateOriginAccessControl" => {
            // moto keeps one ETag for life; AWS issues a new one with every change.
            let id = ex.call.resource.clone()?;
            let etag = new_etag();
            answer.set_header("etag", &etag);
            memory(state).oac_etags.insert(id, etag);
            Some(Rule::CloudFrontOriginAccess)
        }
        "DeleteOriginAccessControl" => {
            let id = ex.call.resource.as_deref()?;
            memory(state).oac_etags.remove(id);
            None
        }
        _ => None,
    }
}

/// Whether one of these distributions still exists in moto. The ones that are gone (deleted
/// without the proxy seeing it) are forgotten.
async fn any_still_there(state: &State, ex: &Exchange<'_>, ids: Vec<String>) -> bool {
    for id in ids {
        let target = format!("/2020-05-31/distribution/{id}");
        match state
            .call_upstream(Method::GET, &target, &ex.parts.headers, &[], "")
            .await
        {
            Ok(answer) if answer.is_success() => return true,
            Ok(answer) if answer.status == StatusCode::NOT_FOUND => {
                memory(state).distributions.remove(&id);
            }
            // moto unreachable or confused: do not claim it is in use.
            _ => {}
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Origin access controls (moto has them, without If-Match, in-use or the config read)

/// The ETag the proxy expects for an OAC; for one it has not seen, moto's (current, since no
/// update went through the proxy). `None`: moto does not know it either.
async fn current_oac_etag(state: &State, ex: &Exchange<'_>, id: &str) -> Option<String> {
    if let Some(etag) = memory(state).oac_etags.get(id) {
        return Some(etag.clone());
    }
    let answer = oac_from_moto(state, ex, id).await?;
    if !answer.is_success() {
        return None;
    }
    let etag = answer.header("etag")?.to_owned();
    let mut memory = memory(state);
    let current = memory.oac_etags.entry(id.to_owned()).or_insert(etag);
    Some(current.clone())
}

async fn oac_from_moto(state: &State, ex: &Exchange<'_>, id: &str) -> Option<Answer> {
    let target = format!("/2020-05-31/origin-access-control/{id}");
    state
        .call_upstream(Method::GET, &target, &ex.parts.headers, &[], "")
        .await
        .ok()
}

/// UpdateOriginAccessControl and DeleteOriginAccessControl: `If-Match` must be the current
/// ETag, and a delete waits until no distribution uses the OAC.
async fn oac_write(state: &State, ex: &Exchange<'_>) -> Verdict {
    let Some(id) = ex.call.resource.as_deref() else {
        return Verdict::Forward;
    };
    let Some(if_match) = ex.header("if-match") else {
        return missing_if_match(ex);
    };
    // Unknown to moto too: let it answer (the missing-not-found rule answers deletes first).
    let Some(current) = current_oac_etag(state, ex, id).await else {
        return Verdict::Forward;
    };
    if current != if_match {
        return precondition_failed(ex);
    }
    if ex.call.operation == "DeleteOriginAccessControl" {
        let users = memory(state).oac_users(id);
        if any_still_there(state, ex, users).await {
            return error(
                ex,
                StatusCode::CONFLICT,
                "OriginAccessControlInUse",
                "Cannot delete the origin access control because it's in use by one or more \
                 distributions.",
            );
        }
    }
    Verdict::Forward
}

/// GetOriginAccessControlConfig, which moto answers with a 500: the config part of moto's
/// GetOriginAccessControl answer.
async fn oac_config(state: &State, ex: &Exchange<'_>) -> Verdict {
    let Some(id) = ex.call.resource.as_deref() else {
        return Verdict::Forward;
    };
    let Some(answer) = oac_from_moto(state, ex, id).await else {
        return Verdict::Forward;
    };
    if answer.status == StatusCode::NOT_FOUND {
        return error(
            ex,
            StatusCode::NOT_FOUND,
            "NoSuchOriginAccessControl",
            "The specified origin access control does not exist.",
        );
    }
    let body = answer.body_str();
    let elements = xml::elements(body);
    let Some(config) = elements
        .iter()
        .find(|e| e.path == "OriginAccessControl/OriginAccessControlConfig")
    else {
        return Verdict::Forward;
    };
    let inner = &body[config.inner.clone()];
    let etag = {
        let mut memory = memory(state);
        match (memory.oac_etags.get(id), answer.header("etag")) {
            (Some(etag), _) => Some(etag.clone()),
            (None, Some(etag)) => {
                memory.oac_etags.insert(id.to_owned(), etag.to_owned());
                Some(etag.to_owned())
            }
            (None, None) => None,
        }
    };
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OriginAccessControlConfig \
         xmlns=\"{CLOUDFRONT_NS}\">{inner}</OriginAccessControlConfig>"
    );
    respond(shape::xml_answer(StatusCode::OK, xml, etag.as_deref()))
}

// ---------------------------------------------------------------------------------------------
// Origin access identities (moto has none: the proxy serves them)

/// A new OAI id, shaped like CloudFront's (`E` and 13 upper-case alphanumerics).
fn new_oai_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!("E{:04X}{:09X}", n & 0xFFFF, (nanos >> 8) & 0xF_FFFF_FFFF)
}

/// 64 hex digits derived from the id, like S3's canonical user ids.
fn canonical_user_id(id: &str) -> String {
    let mut out = String::with_capacity(64);
    for i in 0u8..8 {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&[i]);
        hasher.update(id.as_bytes());
        let _ = write!(out, "{:08x}", hasher.finalize());
    }
    out
}

fn oai_config_xml(oai: &Oai, namespace: bool) -> String {
    let xmlns = if namespace {
        format!(" xmlns=\"{CLOUDFRONT_NS}\"")
    } else {
        String::new()
    };
    format!(
        "<CloudFrontOriginAccessIdentityConfig{xmlns}><CallerReference>{}</CallerReference>\
         <Comment>{}</Comment></CloudFrontOriginAccessIdentityConfig>",
        escape(&oai.caller_reference),
        escape(&oai.comment)
    )
}

fn oai_xml(oai: &Oai) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CloudFrontOriginAccessIdentity \
         xmlns=\"{CLOUDFRONT_NS}\"><Id>{}</Id><S3CanonicalUserId>{}</S3CanonicalUserId>{}\
         </CloudFrontOriginAccessIdentity>",
        escape(&oai.id),
        escape(&oai.s3_canonical_user_id),
        oai_config_xml(oai, false)
    )
}

/// `CallerReference` and `Comment` of a `CloudFrontOriginAccessIdentityConfig` body.
fn read_oai_config(ex: &Exchange<'_>) -> Option<(String, String)> {
    let body = std::str::from_utf8(ex.body).ok()?;
    let reference = xml::text_at(body, "CloudFrontOriginAccessIdentityConfig/CallerReference")?;
    let comment =
        xml::text_at(body, "CloudFrontOriginAccessIdentityConfig/Comment").unwrap_or_default();
    Some((reference, comment))
}

fn invalid_config(ex: &Exchange<'_>) -> Verdict {
    error(
        ex,
        StatusCode::BAD_REQUEST,
        "InvalidArgument",
        "The CloudFrontOriginAccessIdentityConfig needs a CallerReference.",
    )
}

fn create_oai(state: &State, ex: &Exchange<'_>) -> Verdict {
    let Some((caller_reference, comment)) = read_oai_config(ex) else {
        return invalid_config(ex);
    };
    let mut memory = memory(state);
    // CallerReference makes the create idempotent: the same config again gives the same OAI.
    if let Some(existing) = memory
        .oais
        .values()
        .find(|o| o.caller_reference == caller_reference)
    {
        if existing.comment != comment {
            return error(
                ex,
                StatusCode::CONFLICT,
                "CloudFrontOriginAccessIdentityAlreadyExists",
                "If the CallerReference is a value you already sent in a previous request to \
                 create an identity but the content of the CloudFrontOriginAccessIdentityConfig \
                 is different from the original request, CloudFront returns a \
                 CloudFrontOriginAccessIdentityAlreadyExists error.",
            );
        }
        return respond(created(existing));
    }
    let id = new_oai_id();
    let oai = Oai {
        s3_canonical_user_id: canonical_user_id(&id),
        id: id.clone(),
        caller_reference,
        comment,
        etag: new_etag(),
    };
    let resp = created(&oai);
    memory.oais.insert(id, oai);
    respond(resp)
}

fn created(oai: &Oai) -> Resp {
    let resp = shape::xml_answer(StatusCode::CREATED, oai_xml(oai), Some(&oai.etag));
    let location = format!(
        "https://cloudfront.amazonaws.com/2020-05-31/origin-access-identity/cloudfront/{}",
        oai.id
    );
    shape::with_header(resp, "location", &location)
}

fn get_oai(state: &State, ex: &Exchange<'_>, config_only: bool) -> Verdict {
    let Some(id) = ex.call.resource.as_deref() else {
        return no_such_oai(ex);
    };
    let memory = memory(state);
    let Some(oai) = memory.oais.get(id) else {
        return no_such_oai(ex);
    };
    let body = if config_only {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
            oai_config_xml(oai, true)
        )
    } else {
        oai_xml(oai)
    };
    respond(shape::xml_answer(StatusCode::OK, body, Some(&oai.etag)))
}

fn list_oais(state: &State, ex: &Exchange<'_>) -> Verdict {
    let query = query_pairs(ex.parts);
    let marker = query_get(&query, "Marker").unwrap_or("").to_owned();
    let max_items: usize = query_get(&query, "MaxItems")
        .and_then(|m| m.parse().ok())
        .filter(|m| *m > 0)
        .unwrap_or(100);
    let memory = memory(state);
    let after_marker: Vec<&Oai> = memory
        .oais
        .values()
        .filter(|o| marker.is_empty() || o.id.as_str() > marker.as_str())
        .collect();
    let page = &after_marker[..after_marker.len().min(max_items)];
    let truncated = after_marker.len() > page.len();
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CloudFrontOriginAccessIdentityList \
         xmlns=\"{CLOUDFRONT_NS}\"><Marker>{}</Marker>",
        escape(&marker)
    );
    if truncated && let Some(last) = page.last() {
        let _ = write!(body, "<NextMarker>{}</NextMarker>", escape(&last.id));
    }
    let _ = write!(
        body,
        "<MaxItems>{max_items}</MaxItems><IsTruncated>{truncated}</IsTruncated>\
         <Quantity>{}</Quantity>",
        page.len()
    );
    if !page.is_empty() {
        body.push_str("<Items>");
        for oai in page {
            let _ = write!(
                body,
                "<CloudFrontOriginAccessIdentitySummary><Id>{}</Id><S3CanonicalUserId>{}\
                 </S3CanonicalUserId><Comment>{}</Comment></CloudFrontOriginAccessIdentitySummary>",
                escape(&oai.id),
                escape(&oai.s3_canonical_user_id),
                escape(&oai.comment)
            );
        }
        body.push_str("</Items>");
    }
    body.push_str("</CloudFrontOriginAccessIdentityList>");
    respond(shape::xml_answer(StatusCode::OK, body, None))
}

fn update_oai(state: &State, ex: &Exchange<'_>) -> Verdict {
    let Some(id) = ex.call.resource.as_deref() else {
        return no_such_oai(ex);
    };
    let Some((caller_reference, comment)) = read_oai_config(ex) else {
        return invalid_config(ex);
    };
    let mut memory = memory(state);
    let Some(oai) = memory.oais.get_mut(id) else {
        return no_such_oai(ex);
    };
    let Some(if_match) = ex.header("if-match") else {
        return missing_if_match(ex);
    };
    if if_match != oai.etag {
        return precondition_failed(ex);
    }
    if caller_reference != oai.caller_reference {
        return error(
            ex,
            StatusCode::BAD_REQUEST,
            "IllegalUpdate",
            "The update contains modifications that are not allowed: CallerReference.",
        );
    }
    oai.comment = comment;
    oai.etag = new_etag();
    respond(shape::xml_answer(
        StatusCode::OK,
        oai_xml(oai),
        Some(&oai.etag),
    ))
}

async fn delete_oai(state: &State, ex: &Exchange<'_>) -> Verdict {
    let Some(id) = ex.call.resource.as_deref() else {
        return no_such_oai(ex);
    };
    let Some(etag) = memory(state).oais.get(id).map(|o| o.etag.clone()) else {
        return no_such_oai(ex);
    };
    let Some(if_match) = ex.header("if-match") else {
        return missing_if_match(ex);
    };
    if if_match != etag {
        return precondition_failed(ex);
    }
    let users = memory(state).oai_users(id);
    if any_still_there(state, ex, users).await {
        return error(
            ex,
            StatusCode::CONFLICT,
            "CloudFrontOriginAccessIdentityInUse",
            "The CloudFront origin access identity is still being used.",
        );
    }
    memory(state).oais.remove(id);
    let mut resp = shape::xml_answer(StatusCode::NO_CONTENT, String::new(), None);
    resp.headers_mut().remove(http::header::CONTENT_TYPE);
    respond(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oai_ids_look_like_cloudfront_ids() {
        let a = new_oai_id();
        let b = new_oai_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 14);
        assert!(a.starts_with('E'));
        assert!(
            a.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        let canonical = canonical_user_id(&a);
        assert_eq!(canonical.len(), 64);
        assert_ne!(canonical, canonical_user_id(&b));
    }
}
