//! What a distribution's origins say: which S3 bucket an origin domain name serves, and which
//! origin access identity an S3 origin uses.

use common::args::validate_region;

/// The bucket an S3 origin domain name serves, or `None` for any other origin.
///
/// Recognised forms (case-insensitive, as DNS names are):
/// - `NAME.s3.amazonaws.com` (the global REST endpoint the console suggests),
/// - `NAME.s3.REGION.amazonaws.com` (regional REST endpoint),
/// - `NAME.s3-REGION.amazonaws.com` (legacy regional REST endpoint),
/// - `NAME.s3-website-REGION.amazonaws.com` and `NAME.s3-website.REGION.amazonaws.com`
///   (static website endpoints; which form depends on the region).
///
/// Bucket names may contain dots, so the name is everything before the S3 part, and the whole
/// of it must equal the selected bucket: `frontend-fcj-old.s3.amazonaws.com` serves
/// `frontend-fcj-old`, never `frontend-fcj`.
pub fn bucket_of_origin(domain: &str) -> Option<String> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let rest = domain.strip_suffix(".amazonaws.com")?;
    if let Some(bucket) = rest.strip_suffix(".s3") {
        return non_empty(bucket);
    }
    let (head, last) = rest.rsplit_once('.')?;
    // `NAME.s3-website-REGION` / `NAME.s3-REGION`: the region is glued to the S3 label.
    for glued in ["s3-website-", "s3-"] {
        if let Some(region) = last.strip_prefix(glued) {
            return is_region(region).then(|| non_empty(head)).flatten();
        }
    }
    // `NAME.s3.REGION` / `NAME.s3-website.REGION`: the region is a label of its own.
    if is_region(last) {
        for label in [".s3", ".s3-website"] {
            if let Some(bucket) = head.strip_suffix(label) {
                return non_empty(bucket);
            }
        }
    }
    None
}

/// The id of the OAI in an S3 origin's `OriginAccessIdentity` field
/// (`origin-access-identity/cloudfront/E2QWRUHAPOMQZL`), or `None` when it is empty.
pub fn oai_id(origin_access_identity: &str) -> Option<String> {
    let id = origin_access_identity
        .trim()
        .rsplit('/')
        .next()
        .unwrap_or_default();
    non_empty(id)
}

fn is_region(label: &str) -> bool {
    validate_region(label).is_ok()
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_s3_origin_form() {
        for domain in [
            "frontend-fcj.s3.amazonaws.com",
            "frontend-fcj.s3.us-east-1.amazonaws.com",
            "frontend-fcj.s3.ap-southeast-1.amazonaws.com",
            "frontend-fcj.s3-us-west-2.amazonaws.com",
            "frontend-fcj.s3-website-us-east-1.amazonaws.com",
            "frontend-fcj.s3-website.eu-central-1.amazonaws.com",
            "Frontend-FCJ.S3.Amazonaws.com",
            "frontend-fcj.s3.amazonaws.com.",
        ] {
            assert_eq!(
                bucket_of_origin(domain).as_deref(),
                Some("frontend-fcj"),
                "{domain}"
            );
        }
    }

    #[test]
    fn keeps_dots_and_suffixes_in_bucket_names() {
        assert_eq!(
            bucket_of_origin("www.example.com.s3.amazonaws.com").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(
            bucket_of_origin("frontend-fcj-old.s3.amazonaws.com").as_deref(),
            Some("frontend-fcj-old")
        );
        assert_eq!(
            bucket_of_origin("my.s3.bucket.s3.us-east-1.amazonaws.com").as_deref(),
            Some("my.s3.bucket")
        );
    }

    #[test]
    fn ignores_other_origins() {
        for domain in [
            "api.example.com",
            "abc123.execute-api.us-east-1.amazonaws.com",
            "frontend-fcj.s3.amazonaws.com.evil.example",
            "s3.amazonaws.com",
            ".s3.amazonaws.com",
            "frontend-fcj.s3.not-a-region.amazonaws.com",
            "frontend-fcj.s3-website-mars.amazonaws.com",
            "elb-123.us-east-1.elb.amazonaws.com",
        ] {
            assert_eq!(bucket_of_origin(domain), None, "{domain}");
        }
    }

    #[test]
    fn oai_ids_come_from_the_path() {
        assert_eq!(
            oai_id("origin-access-identity/cloudfront/E2QWRUHAPOMQZL").as_deref(),
            Some("E2QWRUHAPOMQZL")
        );
        assert_eq!(oai_id(""), None);
        assert_eq!(oai_id("origin-access-identity/cloudfront/"), None);
    }
}
