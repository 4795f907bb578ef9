//! Incomplete multipart uploads: their parts are stored (and billed) but listed nowhere else, so
//! they are counted in the plan and aborted before the bucket is deleted (AWS-NOTES.md, "S3").
//! The SDK has no paginator for ListMultipartUploads: the loop on the markers is ours.

use std::collections::HashSet;

use anyhow::Context;
use aws_sdk_s3::Client;
use aws_sdk_s3::types::EncodingType;
use futures::StreamExt;

use crate::clients::{code_of, is_code};
use crate::listing::url_decode;

/// AbortMultipartUpload calls in flight.
const ABORTS_IN_FLIGHT: usize = 8;

/// Pages of uploads aborted before giving up on a bucket that keeps listing more (a million
/// uploads; more means something is starting them as fast as they are aborted).
const MAX_ROUNDS: usize = 1000;

/// An upload to abort.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Upload {
    pub key: String,
    pub upload_id: String,
}

/// One page of uploads (at most 1000) after the markers; the markers of the next page, if any.
async fn list_page(
    client: &Client,
    bucket: &str,
    markers: Option<(String, String)>,
) -> anyhow::Result<(Vec<Upload>, Option<(String, String)>)> {
    let (key_marker, upload_id_marker) = markers.unzip();
    let output = client
        .list_multipart_uploads()
        .bucket(bucket)
        .encoding_type(EncodingType::Url)
        .set_key_marker(key_marker)
        .set_upload_id_marker(upload_id_marker)
        .send()
        .await
        .with_context(|| format!("listing incomplete multipart uploads of {bucket}"))?;
    let encoded = output.encoding_type() == Some(&EncodingType::Url);
    let decode = |key: &str| {
        if encoded {
            url_decode(key).unwrap_or_else(|| key.to_string())
        } else {
            key.to_string()
        }
    };
    let uploads = output
        .uploads()
        .iter()
        .filter_map(|u| {
            Some(Upload {
                key: decode(u.key()?),
                upload_id: u.upload_id()?.to_string(),
            })
        })
        .collect();
    let next = match (
        output.is_truncated(),
        output.next_key_marker(),
        output.next_upload_id_marker(),
    ) {
        (Some(true), Some(key), Some(id)) => Some((decode(key), id.to_string())),
        _ => None,
    };
    Ok((uploads, next))
}

/// How many incomplete uploads there are, counting at most `limit`; `true` when there are more.
pub(crate) async fn count(
    client: &Client,
    bucket: &str,
    limit: u64,
) -> anyhow::Result<(u64, bool)> {
    let mut counted = 0;
    let mut markers = None;
    loop {
        let (uploads, next) = list_page(client, bucket, markers).await?;
        counted += uploads.len() as u64;
        match next {
            Some(next) if counted < limit => markers = Some(next),
            Some(_) => return Ok((counted, true)),
            None => return Ok((counted, false)),
        }
    }
}

/// Aborts every incomplete upload, page by page; returns how many were aborted. An upload
/// already gone (NoSuchUpload: aborted by an earlier attempt whose answer was lost) counts as
/// aborted.
pub(crate) async fn abort_all(client: &Client, bucket: &str) -> anyhow::Result<u64> {
    let mut aborted = 0;
    // The ids aborted in the last round (one page, at most 1000: memory stays bounded).
    let mut last_round: HashSet<String> = HashSet::new();
    for _ in 0..MAX_ROUNDS {
        // Always from the start: aborted uploads drop out of the listing, and a final empty
        // listing confirms none is left (uploads started meanwhile are caught too).
        let (uploads, _) = list_page(client, bucket, None).await?;
        if uploads.is_empty() {
            return Ok(aborted);
        }
        let fresh: Vec<&Upload> = uploads
            .iter()
            .filter(|u| !last_round.contains(&u.upload_id))
            .collect();
        if fresh.is_empty() {
            anyhow::bail!(
                "{} multipart upload(s) of {bucket} are still listed after being aborted",
                uploads.len()
            );
        }
        let results: Vec<anyhow::Result<()>> = futures::stream::iter(&fresh)
            .map(|upload| abort(client, bucket, upload))
            .buffer_unordered(ABORTS_IN_FLIGHT)
            .collect()
            .await;
        for result in results {
            result?;
        }
        aborted += fresh.len() as u64;
        last_round = fresh.iter().map(|u| u.upload_id.clone()).collect();
    }
    anyhow::bail!("{bucket} still lists multipart uploads after aborting {aborted}")
}

async fn abort(client: &Client, bucket: &str, upload: &Upload) -> anyhow::Result<()> {
    match client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(&upload.key)
        .upload_id(&upload.upload_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(error) if is_code(&error, "NoSuchUpload") => Ok(()),
        Err(error) => {
            let code = code_of(&error).unwrap_or("error").to_string();
            Err(anyhow::Error::new(error).context(format!(
                "aborting multipart upload of {bucket}/{:?} ({code})",
                upload.key
            )))
        }
    }
}
