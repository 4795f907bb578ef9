//! What moto forgets of a CloudFront distribution's configuration, remembered by the proxy.
//!
//! moto drops `Origin.OriginAccessControlId` and the whole `S3OriginConfig` (with its
//! `OriginAccessIdentity`) from every distribution it returns, and answers every cache behavior
//! with empty `LambdaFunctionAssociations` and `FunctionAssociations`. The proxy reads them
//! from the CreateDistribution, CreateDistributionWithTags and UpdateDistribution requests and
//! writes them back into the answers that carry a distribution's configuration.
//!
//! The memory also holds the origin access identities the proxy serves itself (moto has none)
//! and the ETags it issues for origin access controls. It stands in for moto's own state, so it
//! lives as long as the process and is shared by every proxy in front of the same emulator.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use crate::proxy::server::lock;
use crate::proxy::xml::{self, Element, escape};

/// The remembered part of one distribution's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Remembered {
    pub origins: Vec<OriginAccess>,
    pub default_behavior: Associations,
    /// Cache behaviors by path pattern.
    pub behaviors: Vec<(String, Associations)>,
}

/// How one origin (by origin id) reaches its bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OriginAccess {
    pub origin_id: String,
    /// `OriginAccessControlId`, when not empty.
    pub oac: Option<String>,
    /// `S3OriginConfig/OriginAccessIdentity` when the origin has an `S3OriginConfig` (the
    /// identity may be empty: an S3 origin without an OAI).
    pub s3_oai: Option<String>,
}

impl OriginAccess {
    /// The id of the OAI it uses (`origin-access-identity/cloudfront/ID`), if any.
    pub fn oai_id(&self) -> Option<&str> {
        let oai = self.s3_oai.as_deref()?.trim();
        let id = oai.rsplit('/').next().unwrap_or_default();
        (!id.is_empty()).then_some(id)
    }
}

/// A cache behavior's function associations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Associations {
    /// Lambda@Edge: (function ARN, event type, IncludeBody as sent).
    pub lambda: Vec<(String, String, Option<String>)>,
    /// CloudFront Functions: (function ARN, event type).
    pub functions: Vec<(String, String)>,
}

impl Associations {
    fn is_empty(&self) -> bool {
        self.lambda.is_empty() && self.functions.is_empty()
    }
}

/// An origin access identity, as the proxy serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Oai {
    pub id: String,
    pub s3_canonical_user_id: String,
    pub caller_reference: String,
    pub comment: String,
    pub etag: String,
}

/// Everything remembered for one emulator.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    pub distributions: HashMap<String, Remembered>,
    /// By id (the list order, and where a `Marker` continues).
    pub oais: BTreeMap<String, Oai>,
    /// The ETag clients must send for an origin access control, once issued or seen.
    pub oac_etags: HashMap<String, String>,
}

impl Memory {
    /// The distributions whose origins use this origin access control.
    pub fn oac_users(&self, oac: &str) -> Vec<String> {
        self.users(|o| o.oac.as_deref() == Some(oac))
    }

    /// The distributions whose S3 origins use this origin access identity.
    pub fn oai_users(&self, oai: &str) -> Vec<String> {
        self.users(|o| o.oai_id() == Some(oai))
    }

    fn users(&self, uses: impl Fn(&OriginAccess) -> bool) -> Vec<String> {
        let mut ids: Vec<String> = self
            .distributions
            .iter()
            .filter(|(_, r)| r.origins.iter().any(&uses))
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }
}

/// The memory of the emulator at `upstream`, shared by every proxy of this process.
pub(crate) fn memory_for(upstream: &str) -> Arc<Mutex<Memory>> {
    static MEMORIES: OnceLock<Mutex<HashMap<String, Arc<Mutex<Memory>>>>> = OnceLock::new();
    let memories = MEMORIES.get_or_init(Mutex::default);
    Arc::clone(lock(memories).entry(upstream.to_owned()).or_default())
}

/// The element at `names` below `index` (each name a child of the one before).
fn descend(elements: &[Element], index: usize, names: &[&str]) -> Option<usize> {
    names.iter().try_fold(index, |at, name| {
        xml::child(elements, at, name).map(|(i, _)| i)
    })
}

/// The children named `name` of the element at `path` below `index`.
fn items(elements: &[Element], index: usize, path: &[&str], name: &str) -> Vec<usize> {
    descend(elements, index, path)
        .map(|list| {
            xml::children(elements, list)
                .filter(|(_, e)| e.name == name)
                .map(|(i, _)| i)
                .collect()
        })
        .unwrap_or_default()
}

/// The remembered part of the first `DistributionConfig` in a request body (the root for
/// CreateDistribution and UpdateDistribution, inside `DistributionConfigWithTags` for
/// CreateDistributionWithTags).
pub(crate) fn from_request(body: &str) -> Option<Remembered> {
    let elements = xml::elements(body);
    let config = elements
        .iter()
        .position(|e| e.name == "DistributionConfig")?;
    Some(read_config(body, &elements, config))
}

fn read_config(body: &str, elements: &[Element], config: usize) -> Remembered {
    let origins = items(elements, config, &["Origins", "Items"], "Origin")
        .into_iter()
        .map(|origin| OriginAccess {
            origin_id: xml::child_text(body, elements, origin, "Id").unwrap_or_default(),
            oac: xml::child_text(body, elements, origin, "OriginAccessControlId")
                .filter(|id| !id.is_empty()),
            s3_oai: xml::child(elements, origin, "S3OriginConfig").map(|(s3, _)| {
                xml::child_text(body, elements, s3, "OriginAccessIdentity").unwrap_or_default()
            }),
        })
        .collect();
    let default_behavior = xml::child(elements, config, "DefaultCacheBehavior")
        .map(|(b, _)| read_associations(body, elements, b))
        .unwrap_or_default();
    let behaviors = items(
        elements,
        config,
        &["CacheBehaviors", "Items"],
        "CacheBehavior",
    )
    .into_iter()
    .map(|b| {
        (
            xml::child_text(body, elements, b, "PathPattern").unwrap_or_default(),
            read_associations(body, elements, b),
        )
    })
    .collect();
    Remembered {
        origins,
        default_behavior,
        behaviors,
    }
}

fn read_associations(body: &str, elements: &[Element], behavior: usize) -> Associations {
    let text = |i: usize, name: &str| xml::child_text(body, elements, i, name).unwrap_or_default();
    let lambda = items(
        elements,
        behavior,
        &["LambdaFunctionAssociations", "Items"],
        "LambdaFunctionAssociation",
    )
    .into_iter()
    .map(|a| {
        (
            text(a, "LambdaFunctionARN"),
            text(a, "EventType"),
            xml::child_text(body, elements, a, "IncludeBody"),
        )
    })
    .collect();
    let functions = items(
        elements,
        behavior,
        &["FunctionAssociations", "Items"],
        "FunctionAssociation",
    )
    .into_iter()
    .map(|a| (text(a, "FunctionARN"), text(a, "EventType")))
    .collect();
    Associations { lambda, functions }
}

/// What [`restore`] put back.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Restored {
    pub origin_access: bool,
    pub associations: bool,
}

/// Which parts to put back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Restore {
    pub origin_access: bool,
    pub associations: bool,
}

/// Put the remembered parts back into an answer: a `Distribution`, a root `DistributionConfig`
/// (whose id is `config_id`), or a `DistributionList` of `DistributionSummary`s. Only what moto
/// left out or empty is filled in. Returns the new body, if anything changed.
pub(crate) fn restore(
    body: &str,
    memory: &Memory,
    config_id: Option<&str>,
    what: Restore,
) -> Option<(String, Restored)> {
    if memory.distributions.is_empty() {
        return None;
    }
    let elements = xml::elements(body);
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut restored = Restored::default();
    for (index, element) in elements.iter().enumerate() {
        let id = match element.name.as_str() {
            "DistributionSummary" => xml::child_text(body, &elements, index, "Id"),
            "DistributionConfig" => match elements.get(element.parent) {
                Some(parent) if parent.name == "Distribution" => {
                    xml::child_text(body, &elements, element.parent, "Id")
                }
                Some(_) => None,
                None => config_id.map(str::to_owned),
            },
            _ => continue,
        };
        let Some(remembered) = id.and_then(|id| memory.distributions.get(&id)) else {
            continue;
        };
        if what.origin_access && restore_origins(body, &elements, index, remembered, &mut edits) {
            restored.origin_access = true;
        }
        if what.associations && restore_behaviors(body, &elements, index, remembered, &mut edits) {
            restored.associations = true;
        }
    }
    if edits.is_empty() {
        return None;
    }
    Some((xml::replace(body, edits), restored))
}

fn restore_origins(
    body: &str,
    elements: &[Element],
    config: usize,
    remembered: &Remembered,
    edits: &mut Vec<(std::ops::Range<usize>, String)>,
) -> bool {
    let before = edits.len();
    for origin in items(elements, config, &["Origins", "Items"], "Origin") {
        let origin_id = xml::child_text(body, elements, origin, "Id").unwrap_or_default();
        let Some(access) = remembered.origins.iter().find(|o| o.origin_id == origin_id) else {
            continue;
        };
        let mut appended = String::new();
        if let Some(oac) = &access.oac {
            match xml::child(elements, origin, "OriginAccessControlId") {
                None => {
                    let _ = write!(
                        appended,
                        "<OriginAccessControlId>{}</OriginAccessControlId>",
                        escape(oac)
                    );
                }
                Some((_, e)) if body[e.inner.clone()].trim().is_empty() => {
                    edits.push((e.inner.clone(), escape(oac)));
                }
                Some(_) => {}
            }
        }
        if let Some(oai) = &access.s3_oai {
            match xml::child(elements, origin, "S3OriginConfig") {
                None => {
                    let _ = write!(
                        appended,
                        "<S3OriginConfig><OriginAccessIdentity>{}</OriginAccessIdentity>\
                         </S3OriginConfig>",
                        escape(oai)
                    );
                }
                Some((s3, e)) if !oai.is_empty() => {
                    match xml::child(elements, s3, "OriginAccessIdentity") {
                        None => edits.push((
                            e.inner.end..e.inner.end,
                            format!(
                                "<OriginAccessIdentity>{}</OriginAccessIdentity>",
                                escape(oai)
                            ),
                        )),
                        Some((_, id)) if body[id.inner.clone()].trim().is_empty() => {
                            edits.push((id.inner.clone(), escape(oai)));
                        }
                        Some(_) => {}
                    }
                }
                Some(_) => {}
            }
        }
        if !appended.is_empty() {
            let end = elements[origin].inner.end;
            edits.push((end..end, appended));
        }
    }
    edits.len() > before
}

fn restore_behaviors(
    body: &str,
    elements: &[Element],
    config: usize,
    remembered: &Remembered,
    edits: &mut Vec<(std::ops::Range<usize>, String)>,
) -> bool {
    let before = edits.len();
    if let Some((default, _)) = xml::child(elements, config, "DefaultCacheBehavior") {
        restore_associations(body, elements, default, &remembered.default_behavior, edits);
    }
    for behavior in items(
        elements,
        config,
        &["CacheBehaviors", "Items"],
        "CacheBehavior",
    ) {
        let pattern = xml::child_text(body, elements, behavior, "PathPattern").unwrap_or_default();
        if let Some((_, associations)) = remembered.behaviors.iter().find(|(p, _)| *p == pattern) {
            restore_associations(body, elements, behavior, associations, edits);
        }
    }
    edits.len() > before
}

/// Replace an empty (or missing) association list of one cache behavior with the remembered
/// one.
fn restore_associations(
    body: &str,
    elements: &[Element],
    behavior: usize,
    associations: &Associations,
    edits: &mut Vec<(std::ops::Range<usize>, String)>,
) {
    if associations.is_empty() {
        return;
    }
    let lists = [
        (
            "LambdaFunctionAssociations",
            lambda_xml(&associations.lambda),
            associations.lambda.is_empty(),
        ),
        (
            "FunctionAssociations",
            functions_xml(&associations.functions),
            associations.functions.is_empty(),
        ),
    ];
    for (name, xml_text, none) in lists {
        if none {
            continue;
        }
        match xml::child(elements, behavior, name) {
            None => {
                let end = elements[behavior].inner.end;
                edits.push((end..end, xml_text));
            }
            Some((list, e)) => {
                let quantity = xml::child_text(body, elements, list, "Quantity");
                if quantity.is_none_or(|q| q == "0") {
                    edits.push((e.outer.clone(), xml_text));
                }
            }
        }
    }
}

fn lambda_xml(associations: &[(String, String, Option<String>)]) -> String {
    let mut out = format!(
        "<LambdaFunctionAssociations><Quantity>{}</Quantity><Items>",
        associations.len()
    );
    for (arn, event, include_body) in associations {
        let _ = write!(
            out,
            "<LambdaFunctionAssociation><LambdaFunctionARN>{}</LambdaFunctionARN>\
             <EventType>{}</EventType>",
            escape(arn),
            escape(event)
        );
        if let Some(include) = include_body {
            let _ = write!(out, "<IncludeBody>{}</IncludeBody>", escape(include));
        }
        out.push_str("</LambdaFunctionAssociation>");
    }
    out.push_str("</Items></LambdaFunctionAssociations>");
    out
}

fn functions_xml(associations: &[(String, String)]) -> String {
    let mut out = format!(
        "<FunctionAssociations><Quantity>{}</Quantity><Items>",
        associations.len()
    );
    for (arn, event) in associations {
        let _ = write!(
            out,
            "<FunctionAssociation><FunctionARN>{}</FunctionARN><EventType>{}</EventType>\
             </FunctionAssociation>",
            escape(arn),
            escape(event)
        );
    }
    out.push_str("</Items></FunctionAssociations>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
<CallerReference>r</CallerReference>
<Origins><Quantity>2</Quantity><Items>
  <Origin><Id>a</Id><DomainName>b.s3.amazonaws.com</DomainName><S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig><OriginAccessControlId>OAC1</OriginAccessControlId></Origin>
  <Origin><Id>b</Id><DomainName>c.s3.amazonaws.com</DomainName><S3OriginConfig><OriginAccessIdentity>origin-access-identity/cloudfront/OAI1</OriginAccessIdentity></S3OriginConfig></Origin>
</Items></Origins>
<DefaultCacheBehavior><TargetOriginId>a</TargetOriginId><LambdaFunctionAssociations><Quantity>1</Quantity><Items><LambdaFunctionAssociation><LambdaFunctionARN>arn:f:1</LambdaFunctionARN><EventType>viewer-request</EventType><IncludeBody>false</IncludeBody></LambdaFunctionAssociation></Items></LambdaFunctionAssociations></DefaultCacheBehavior>
<CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior><PathPattern>/api/*</PathPattern><FunctionAssociations><Quantity>1</Quantity><Items><FunctionAssociation><FunctionARN>arn:cf</FunctionARN><EventType>viewer-response</EventType></FunctionAssociation></Items></FunctionAssociations></CacheBehavior></Items></CacheBehaviors>
</DistributionConfig>"#;

    /// moto's answer to the same config: no OAC id, no S3OriginConfig, no associations.
    const ANSWER: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>D1</Id><Status>Deployed</Status><DistributionConfig><CallerReference>r</CallerReference><Origins><Quantity>2</Quantity><Items><Origin><Id>a</Id><DomainName>b.s3.amazonaws.com</DomainName><OriginPath></OriginPath></Origin><Origin><Id>b</Id><DomainName>c.s3.amazonaws.com</DomainName></Origin></Items></Origins><DefaultCacheBehavior><TargetOriginId>a</TargetOriginId><LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations><FunctionAssociations><Quantity>0</Quantity></FunctionAssociations></DefaultCacheBehavior><CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior><PathPattern>/api/*</PathPattern><LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations><FunctionAssociations><Quantity>0</Quantity></FunctionAssociations></CacheBehavior></Items></CacheBehaviors></DistributionConfig></Distribution>"#;

    const BOTH: Restore = Restore {
        origin_access: true,
        associations: true,
    };

    fn memory() -> Memory {
        let mut memory = Memory::default();
        memory
            .distributions
            .insert("D1".to_owned(), from_request(REQUEST).expect("a config"));
        memory
    }

    #[test]
    fn reads_origin_access_and_associations_from_a_request() {
        let remembered = from_request(REQUEST).expect("a config");
        assert_eq!(remembered.origins.len(), 2);
        assert_eq!(remembered.origins[0].oac.as_deref(), Some("OAC1"));
        assert_eq!(remembered.origins[0].s3_oai.as_deref(), Some(""));
        assert_eq!(remembered.origins[0].oai_id(), None);
        assert_eq!(remembered.origins[1].oai_id(), Some("OAI1"));
        assert_eq!(
            remembered.default_behavior.lambda,
            [(
                "arn:f:1".to_owned(),
                "viewer-request".to_owned(),
                Some("false".to_owned())
            )]
        );
        assert_eq!(remembered.behaviors.len(), 1);
        assert_eq!(remembered.behaviors[0].0, "/api/*");
        assert_eq!(remembered.behaviors[0].1.functions.len(), 1);
        let memory = memory();
        assert_eq!(memory.oac_users("OAC1"), ["D1"]);
        assert_eq!(memory.oai_users("OAI1"), ["D1"]);
        assert!(memory.oai_users("OAC1").is_empty());
    }

    #[test]
    fn puts_them_back_into_an_answer() {
        let (body, restored) = restore(ANSWER, &memory(), None, BOTH).expect("changed");
        assert!(restored.origin_access && restored.associations);
        let again = from_request(&body).expect("a config");
        assert_eq!(again, from_request(REQUEST).expect("a config"));
        // Nothing left to restore the second time round.
        assert_eq!(restore(&body, &memory(), None, BOTH), None);
    }

    #[test]
    fn restores_only_what_is_asked_for() {
        let only_access = Restore {
            origin_access: true,
            associations: false,
        };
        let (body, restored) = restore(ANSWER, &memory(), None, only_access).expect("changed");
        assert!(restored.origin_access && !restored.associations);
        let again = from_request(&body).expect("a config");
        assert!(again.default_behavior.lambda.is_empty());
        assert_eq!(again.origins[1].oai_id(), Some("OAI1"));
    }

    #[test]
    fn restores_summaries_and_root_configs_by_id() {
        let list = ANSWER
            .replace("<Distribution xmlns", "<DistributionList xmlns")
            .replace("</Distribution>", "</DistributionList>")
            .replace(
                "<DistributionConfig>",
                "<Items><DistributionSummary><Id>D1</Id>",
            )
            .replace("</DistributionConfig>", "</DistributionSummary></Items>");
        let (body, _) = restore(&list, &memory(), None, BOTH).expect("changed");
        assert!(body.contains("<OriginAccessControlId>OAC1</OriginAccessControlId>"));

        let start = ANSWER.find("<DistributionConfig>").expect("config");
        let end = ANSWER.find("</Distribution>").expect("end");
        let config = &ANSWER[start..end];
        assert_eq!(restore(config, &memory(), None, BOTH), None, "no id");
        let (body, _) = restore(config, &memory(), Some("D1"), BOTH).expect("changed");
        assert!(body.contains("origin-access-identity/cloudfront/OAI1"));
        assert_eq!(restore(config, &memory(), Some("D2"), BOTH), None);
    }
}
