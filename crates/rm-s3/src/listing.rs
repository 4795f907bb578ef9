//! Listing a bucket one page (at most 1000 entries) at a time, from a cursor.
//!
//! A bucket whose versioning was never enabled holds only plain objects: ListObjectsV2 lists
//! them. Any other bucket is listed with ListObjectVersions, which shows every version and delete
//! marker; the SDK has no paginator for it, so the loop is ours (AWS-NOTES.md, "S3").
//!
//! Both are asked for `EncodingType=url`: keys that are not valid XML 1.0 text (a key containing
//! U+0001, say) cannot be read from a plain XML answer. The keys are decoded here, and only when
//! the answer says it encoded them (moto ignores the parameter on ListObjectVersions).

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{BucketVersioningStatus, EncodingType};

/// One thing to delete: a plain object (no version id) or one version or delete marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub key: String,
    pub version_id: Option<String>,
    pub kind: EntryKind,
    pub size: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// An object of a bucket that never had versioning.
    Object,
    /// A version that is the current one of its key.
    CurrentVersion,
    /// An older version.
    NoncurrentVersion,
    DeleteMarker,
}

/// Where the next page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cursor {
    Start,
    /// ListObjectsV2 after this key.
    After(String),
    /// ListObjectVersions after this key and version.
    AfterVersion {
        key: String,
        version_id: String,
    },
}

/// One page of a listing and where the next one starts (`None`: the listing is complete).
#[derive(Debug)]
pub(crate) struct Page {
    pub entries: Vec<Entry>,
    pub next: Option<Cursor>,
}

/// How the bucket is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// ListObjectsV2: versioning was never enabled.
    Objects,
    /// ListObjectVersions.
    Versions,
}

/// Lists one page of `bucket` from `cursor`, at most `max` entries (S3 caps pages at 1000).
pub(crate) async fn list_page(
    client: &Client,
    bucket: &str,
    mode: Mode,
    cursor: &Cursor,
    max: i32,
) -> Result<Page, ListError> {
    match mode {
        Mode::Objects => list_objects(client, bucket, cursor, max).await,
        Mode::Versions => list_versions(client, bucket, cursor, max).await,
    }
}

/// Why a page could not be listed.
#[derive(Debug)]
pub(crate) enum ListError {
    /// The bucket is gone.
    NoSuchBucket,
    Other(anyhow::Error),
}

impl ListError {
    pub(crate) fn into_anyhow(self, bucket: &str) -> anyhow::Error {
        match self {
            ListError::NoSuchBucket => anyhow::anyhow!("bucket {bucket} no longer exists"),
            ListError::Other(error) => error,
        }
    }
}

async fn list_objects(
    client: &Client,
    bucket: &str,
    cursor: &Cursor,
    max: i32,
) -> Result<Page, ListError> {
    let start_after = match cursor {
        Cursor::After(key) => Some(key.clone()),
        _ => None,
    };
    let output = client
        .list_objects_v2()
        .bucket(bucket)
        .encoding_type(EncodingType::Url)
        .max_keys(max)
        .set_start_after(start_after)
        .send()
        .await
        .map_err(|error| {
            if crate::clients::is_code(&error, "NoSuchBucket") {
                ListError::NoSuchBucket
            } else {
                ListError::Other(
                    anyhow::Error::new(error).context(format!("listing objects of {bucket}")),
                )
            }
        })?;
    let encoded = output.encoding_type() == Some(&EncodingType::Url);
    let mut entries = Vec::with_capacity(output.contents().len());
    for object in output.contents() {
        let Some(key) = object.key() else { continue };
        entries.push(Entry {
            key: decode_key(key, encoded)?,
            version_id: None,
            kind: EntryKind::Object,
            size: object.size().unwrap_or(0).max(0) as u64,
        });
    }
    let next = if output.is_truncated() == Some(true) {
        // StartAfter rather than the continuation token: the same cursor works for a listing
        // resumed in a later process step (apply continues where the plan stopped).
        entries.last().map(|last| Cursor::After(last.key.clone()))
    } else {
        None
    };
    Ok(Page { entries, next })
}

async fn list_versions(
    client: &Client,
    bucket: &str,
    cursor: &Cursor,
    max: i32,
) -> Result<Page, ListError> {
    let (key_marker, version_id_marker) = match cursor {
        Cursor::AfterVersion { key, version_id } => (Some(key.clone()), Some(version_id.clone())),
        Cursor::After(key) => (Some(key.clone()), None),
        Cursor::Start => (None, None),
    };
    let output = client
        .list_object_versions()
        .bucket(bucket)
        .encoding_type(EncodingType::Url)
        .max_keys(max)
        .set_key_marker(key_marker)
        .set_version_id_marker(version_id_marker)
        .send()
        .await
        .map_err(|error| {
            if crate::clients::is_code(&error, "NoSuchBucket") {
                ListError::NoSuchBucket
            } else {
                ListError::Other(
                    anyhow::Error::new(error)
                        .context(format!("listing object versions of {bucket}")),
                )
            }
        })?;
    let encoded = output.encoding_type() == Some(&EncodingType::Url);
    let mut entries = Vec::with_capacity(output.versions().len() + output.delete_markers().len());
    for version in output.versions() {
        let Some(key) = version.key() else { continue };
        entries.push(Entry {
            key: decode_key(key, encoded)?,
            version_id: Some(version.version_id().unwrap_or("null").to_string()),
            kind: if version.is_latest() == Some(true) {
                EntryKind::CurrentVersion
            } else {
                EntryKind::NoncurrentVersion
            },
            size: version.size().unwrap_or(0).max(0) as u64,
        });
    }
    for marker in output.delete_markers() {
        let Some(key) = marker.key() else { continue };
        entries.push(Entry {
            key: decode_key(key, encoded)?,
            version_id: Some(marker.version_id().unwrap_or("null").to_string()),
            kind: EntryKind::DeleteMarker,
            size: 0,
        });
    }
    let next = if output.is_truncated() == Some(true) {
        match (output.next_key_marker(), output.next_version_id_marker()) {
            (Some(key), Some(version_id)) if !version_id.is_empty() => Some(Cursor::AfterVersion {
                key: decode_key(key, encoded)?,
                version_id: version_id.to_string(),
            }),
            (Some(key), _) => Some(Cursor::After(decode_key(key, encoded)?)),
            // Truncated without markers: S3 never does this; do not loop forever on it.
            (None, _) => None,
        }
    } else {
        None
    };
    Ok(Page { entries, next })
}

/// A bucket's versioning status: `None` when versioning was never enabled.
pub(crate) async fn versioning(
    client: &Client,
    bucket: &str,
) -> Result<Option<BucketVersioningStatus>, ListError> {
    match client.get_bucket_versioning().bucket(bucket).send().await {
        Ok(output) => Ok(output.status().cloned()),
        Err(error) if crate::clients::is_code(&error, "NoSuchBucket") => {
            Err(ListError::NoSuchBucket)
        }
        Err(error) => match status_from_raw_body(&error) {
            Some(status) => Ok(status),
            None => Err(ListError::Other(
                anyhow::Error::new(error).context(format!("reading the versioning of {bucket}")),
            )),
        },
    }
}

/// The `Status` of a 200 GetBucketVersioning answer the SDK could not parse. moto 5.2 names the
/// answer's root element `GetBucketVersioningResponse` where S3 says `VersioningConfiguration`,
/// and the SDK rejects the whole answer for it; the one element we need is still there.
fn status_from_raw_body<E>(
    error: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Option<Option<BucketVersioningStatus>> {
    let raw = error.raw_response()?;
    if raw.status().as_u16() != 200 {
        return None;
    }
    let body = std::str::from_utf8(raw.body().bytes()?).ok()?;
    if !body.contains("GetBucketVersioningResponse") {
        return None;
    }
    let status = body
        .split_once("<Status>")
        .and_then(|(_, rest)| rest.split_once("</Status>"))
        .map(|(status, _)| BucketVersioningStatus::from(status.trim()));
    Some(status)
}

/// Decodes a key from an `EncodingType=url` answer: `%XX` escapes and `+` for a space (S3
/// encodes like an HTML form; `+` itself arrives as `%2B`).
fn decode_key(key: &str, encoded: bool) -> Result<String, ListError> {
    if !encoded {
        return Ok(key.to_string());
    }
    url_decode(key).ok_or_else(|| {
        ListError::Other(anyhow::anyhow!(
            "S3 listed a key that does not decode to UTF-8: {key:?}"
        ))
    })
}

/// `%XX` and `+` decoding; `None` when the bytes are not UTF-8.
pub(crate) fn url_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Whether a key can be sent in a DeleteObjects XML body: every character must be XML 1.0
/// text (`Char` in the XML 1.0 grammar). Other keys are deleted one at a time with DeleteObject,
/// where the key travels in the URL (AWS-NOTES.md, "S3").
pub(crate) fn is_xml_safe(key: &str) -> bool {
    key.chars().all(|c| {
        matches!(c,
            '\u{9}' | '\u{A}' | '\u{D}'
            | '\u{20}'..='\u{D7FF}'
            | '\u{E000}'..='\u{FFFD}'
            | '\u{10000}'..='\u{10FFFF}')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_s3_url_encoding() {
        assert_eq!(url_decode("ok%20key").as_deref(), Some("ok key"));
        assert_eq!(url_decode("ok+key").as_deref(), Some("ok key"));
        assert_eq!(url_decode("a%2Bb").as_deref(), Some("a+b"));
        assert_eq!(url_decode("bad%01key").as_deref(), Some("bad\u{1}key"));
        assert_eq!(url_decode("caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(url_decode("50%").as_deref(), Some("50%"));
        assert_eq!(url_decode("50%4").as_deref(), Some("50%4"));
        assert_eq!(url_decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(url_decode("%FF"), None);
    }

    #[test]
    fn keys_outside_xml_1_0_are_not_xml_safe() {
        assert!(is_xml_safe("uploads/photo 1.jpg"));
        assert!(is_xml_safe("tab\tnew\nline\rcafé"));
        assert!(!is_xml_safe("bad\u{1}key"));
        assert!(!is_xml_safe("form\u{c}feed"));
        assert!(!is_xml_safe("\u{FFFE}"));
    }
}
