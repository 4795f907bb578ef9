//! Error answers in each protocol's own shape, so the SDK parses the code and message exactly
//! as it would from AWS (and classifies throttling and server errors for its retries).

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

use super::classify::{Call, Protocol};
use super::config::FaultKind;
use super::xml::escape;

pub(crate) type Resp = Response<Full<Bytes>>;

/// A fresh request id (UUID-shaped, not random: ids only need to differ).
pub(crate) fn request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let salt = u64::from(std::process::id());
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (n >> 32) as u32 ^ salt as u32,
        (n >> 16) & 0xffff,
        n & 0xfff,
        (n >> 12) & 0xfff,
        n
    )
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

fn response(status: StatusCode, content_type: &str, body: String) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(http::header::CONTENT_TYPE, value);
    }
    resp
}

fn set_header(resp: &mut Resp, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, value);
    }
}

/// CloudFront's XML namespace.
pub(crate) const CLOUDFRONT_NS: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

/// A successful CloudFront-style XML answer the proxy makes itself (`text/xml`, a request id,
/// and an `ETag` when given).
pub(crate) fn xml_answer(status: StatusCode, body: String, etag: Option<&str>) -> Resp {
    let mut resp = response(status, "text/xml", body);
    set_header(&mut resp, "x-amzn-requestid", &request_id());
    if let Some(etag) = etag {
        set_header(&mut resp, "etag", etag);
    }
    resp
}

/// Set a header on an answer the proxy made (ignored when the value is not a valid header).
pub(crate) fn with_header(mut resp: Resp, name: &'static str, value: &str) -> Resp {
    set_header(&mut resp, name, value);
    resp
}

/// An error answer for `call`'s protocol.
pub(crate) fn error(call: &Call, status: StatusCode, code: &str, message: &str) -> Resp {
    error_with(call, status, code, message, &[])
}

/// An error answer with extra elements (S3: `Endpoint`, `Bucket`, ...) in XML shapes.
pub(crate) fn error_with(
    call: &Call,
    status: StatusCode,
    code: &str,
    message: &str,
    extra: &[(&str, &str)],
) -> Resp {
    let id = request_id();
    let sender = if status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    match call.protocol {
        Protocol::Json => {
            let (content_type, type_prefix) = if call.service == "dynamodb" {
                (
                    "application/x-amz-json-1.0",
                    "com.amazonaws.dynamodb.v20120810#",
                )
            } else {
                ("application/x-amz-json-1.1", "")
            };
            let body = format!(
                r#"{{"__type":{},"message":{}}}"#,
                json_string(&format!("{type_prefix}{code}")),
                json_string(message)
            );
            let crc = crc32fast::hash(body.as_bytes());
            let mut resp = response(status, content_type, body);
            set_header(&mut resp, "x-amzn-requestid", &id);
            if call.service == "dynamodb" {
                set_header(&mut resp, "x-amz-crc32", &crc.to_string());
            }
            resp
        }
        Protocol::Query => {
            let namespace = match call.service.as_str() {
                "sts" => "https://sts.amazonaws.com/doc/2011-06-15/",
                _ => "https://iam.amazonaws.com/doc/2010-05-08/",
            };
            let body = format!(
                "<ErrorResponse xmlns=\"{namespace}\">\n  <Error>\n    <Type>{sender}</Type>\n    \
                 <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{id}</RequestId>\n\
                 </ErrorResponse>\n",
                escape(code),
                escape(message)
            );
            let mut resp = response(status, "text/xml", body);
            set_header(&mut resp, "x-amzn-requestid", &id);
            resp
        }
        Protocol::S3 => {
            let extra: String = extra
                .iter()
                .map(|(name, value)| format!("<{name}>{}</{name}>", escape(value)))
                .collect();
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>\
                 {extra}<RequestId>{id}</RequestId><HostId>{id}</HostId></Error>",
                escape(code),
                escape(message)
            );
            let mut resp = response(status, "application/xml", body);
            set_header(&mut resp, "x-amz-request-id", &id);
            set_header(&mut resp, "x-amz-id-2", &id);
            resp
        }
        Protocol::RestXml => {
            let body = format!(
                "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">\
                 <Error><Type>{sender}</Type><Code>{}</Code><Message>{}</Message></Error>\
                 <RequestId>{id}</RequestId></ErrorResponse>",
                escape(code),
                escape(message)
            );
            let mut resp = response(status, "text/xml", body);
            set_header(&mut resp, "x-amzn-requestid", &id);
            resp
        }
        Protocol::RestJson => {
            // Lambda's errors also carry a `Type`; the SDK reads the code from the header.
            let body = if call.service == "lambda" {
                let kind = if status.is_server_error() {
                    "Service"
                } else {
                    "User"
                };
                format!(r#"{{"Type":"{kind}","message":{}}}"#, json_string(message))
            } else {
                format!(r#"{{"message":{}}}"#, json_string(message))
            };
            let mut resp = response(status, "application/json", body);
            set_header(&mut resp, "x-amzn-errortype", code);
            set_header(&mut resp, "x-amzn-requestid", &id);
            resp
        }
    }
}

/// The answer for an injected error fault (`None` for the connection-dropping kinds).
pub(crate) fn fault(call: &Call, kind: FaultKind) -> Option<Resp> {
    let resp = match kind {
        FaultKind::Throttle => match call.protocol {
            Protocol::Json => error(
                call,
                StatusCode::BAD_REQUEST,
                "ThrottlingException",
                "Rate exceeded (injected by the testkit proxy)",
            ),
            Protocol::Query | Protocol::RestXml => error(
                call,
                StatusCode::BAD_REQUEST,
                "Throttling",
                "Rate exceeded (injected by the testkit proxy)",
            ),
            Protocol::S3 => error(
                call,
                StatusCode::SERVICE_UNAVAILABLE,
                "SlowDown",
                "Please reduce your request rate. (injected by the testkit proxy)",
            ),
            Protocol::RestJson => {
                let mut resp = error(
                    call,
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequestsException",
                    "Too Many Requests (injected by the testkit proxy)",
                );
                set_header(&mut resp, "retry-after", "1");
                resp
            }
        },
        FaultKind::InternalError => {
            let code = match (call.protocol, call.service.as_str()) {
                (_, "dynamodb") => "InternalServerError",
                (Protocol::S3 | Protocol::RestXml, _) => "InternalError",
                (_, "lambda") => "ServiceException",
                _ => "InternalFailure",
            };
            error(
                call,
                StatusCode::INTERNAL_SERVER_ERROR,
                code,
                "We encountered an internal error. Please try again. (injected by the testkit proxy)",
            )
        }
        FaultKind::ServiceUnavailable => error(
            call,
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Service is unavailable. Please try again later. (injected by the testkit proxy)",
        ),
        FaultKind::DropBeforeForward | FaultKind::DropAfterForward => return None,
    };
    Some(resp)
}
