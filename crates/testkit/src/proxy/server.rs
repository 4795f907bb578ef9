//! The HTTP side: accept connections, run each request through latency, faults and rules,
//! forward it to moto over a pooled client, and record it.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use tokio::sync::oneshot;

use super::classify::{Call, classify, query_get, query_pairs};
use super::config::{FaultKind, ProxyConfig};
use super::record::{Record, is_mutating};
use super::rules::{self, Exchange, RuleState, Verdict};
use super::shape::{self, Resp};

tokio::task_local! {
    /// Time the current request has spent waiting for moto so far.
    static UPSTREAM_TIME: Cell<Duration>;
}

/// Lock a mutex, ignoring poisoning: the proxy's state stays usable after a panicking test.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
pub(crate) struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by the testkit proxy")
    }
}

impl std::error::Error for Dropped {}

/// A buffered answer from moto.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn set_header(&mut self, name: &'static str, value: &str) {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
    }

    /// Replace the body, keeping `Content-Length` and DynamoDB's `x-amz-crc32` true.
    pub fn set_body(&mut self, body: impl Into<Bytes>) {
        self.body = body.into();
        self.headers.insert(
            http::header::CONTENT_LENGTH,
            HeaderValue::from(self.body.len()),
        );
        if self.headers.contains_key("x-amz-crc32") {
            let crc = crc32fast::hash(&self.body);
            self.headers.insert("x-amz-crc32", HeaderValue::from(crc));
        }
    }

    pub fn body_str(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("")
    }

    fn into_response(self) -> Resp {
        let mut resp = Response::new(Full::new(self.body));
        *resp.status_mut() = self.status;
        *resp.headers_mut() = self.headers;
        strip_hop_by_hop(resp.headers_mut());
        resp
    }
}

/// Headers that describe one connection, not the message: never forwarded either way. The
/// body is buffered, so chunked transfer-encoding becomes a `Content-Length`; an aws-chunked
/// *content*-encoding (S3 uploads with trailing checksums) is part of the body and passes
/// through unchanged.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
}

struct FaultState {
    rng: ChaCha8Rng,
    injected: u64,
}

/// Everything the running proxy shares between connections.
pub(crate) struct State {
    pub config: ProxyConfig,
    upstream: String,
    client: Client<HttpConnector, Full<Bytes>>,
    started: Instant,
    seq: AtomicU64,
    log: Mutex<Vec<Record>>,
    faults: Mutex<FaultState>,
    pub rules: RuleState,
    echo: bool,
}

impl State {
    pub fn new(config: ProxyConfig, upstream: String, echo: bool) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        let seed = config.faults.as_ref().map_or(0, |f| f.seed);
        let rules = RuleState::new(&upstream);
        State {
            config,
            upstream,
            client,
            started: Instant::now(),
            seq: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(FaultState {
                rng: ChaCha8Rng::seed_from_u64(seed),
                injected: 0,
            }),
            rules,
            echo,
        }
    }

    /// The log, in arrival order.
    pub fn log(&self) -> Vec<Record> {
        let mut log = lock(&self.log).clone();
        log.sort_by_key(|record| record.seq);
        log
    }

    pub fn clear_log(&self) {
        lock(&self.log).clear();
    }

    fn push(&self, mut record: Record) {
        record.duration = self.started.elapsed().saturating_sub(record.elapsed);
        record.upstream = UPSTREAM_TIME.try_with(Cell::get).unwrap_or_default();
        if self.echo
            && let Ok(line) = serde_json::to_string(&record)
        {
            eprintln!("{line}");
        }
        lock(&self.log).push(record);
    }

    fn latency_for(&self, call: &Call) -> Duration {
        let latency = &self.config.latency;
        let keyed = format!("{}:{}", call.service, call.operation);
        let extra = [
            keyed.as_str(),
            call.operation.as_str(),
            call.service.as_str(),
        ]
        .iter()
        .find_map(|key| {
            latency
                .per_key
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, d)| *d)
        })
        .unwrap_or_default();
        latency.fixed + extra
    }

    /// Draw a fault for this call (see `FaultConfig` for the rules of the draw).
    fn draw_fault(&self, call: &Call) -> Option<FaultKind> {
        let faults = self.config.faults.as_ref()?;
        if faults.rate <= 0.0 || faults.kinds.is_empty() || call.service == "moto" {
            return None;
        }
        if faults.only_mutating && !is_mutating(&call.operation) {
            return None;
        }
        if !faults.services.is_empty() && !faults.services.contains(&call.service) {
            return None;
        }
        if !faults.operations.is_empty() {
            let keyed = format!("{}:{}", call.service, call.operation);
            if !faults
                .operations
                .iter()
                .any(|op| *op == call.operation || *op == keyed)
            {
                return None;
            }
        }
        let mut state = lock(&self.faults);
        if faults.max_faults.is_some_and(|max| state.injected >= max) {
            return None;
        }
        // 53 random bits -> a uniform f64 in [0, 1).
        let draw = (state.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        if draw >= faults.rate {
            return None;
        }
        let index = (state.rng.next_u64() % faults.kinds.len() as u64) as usize;
        state.injected += 1;
        Some(faults.kinds[index])
    }

    /// Forward the client's request to moto unchanged (but for hop-by-hop headers).
    async fn forward(&self, parts: &Parts, body: Bytes) -> anyhow::Result<Answer> {
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let mut headers = parts.headers.clone();
        strip_hop_by_hop(&mut headers);
        // The body was read whole, so moto gets it as a plain request: no 100-continue dance.
        headers.remove(http::header::EXPECT);
        if !body.is_empty() || headers.contains_key(http::header::CONTENT_LENGTH) {
            headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        self.send(parts.method.clone(), target, headers, body).await
    }

    /// A request of the proxy's own to moto (the rules use it to learn a resource's state).
    /// It carries the client's `Authorization` (moto reads the account and region from it; it
    /// checks no signature) and is not recorded.
    pub async fn call_upstream(
        &self,
        method: Method,
        target: &str,
        like: &HeaderMap,
        extra: &[(&'static str, &str)],
        body: impl Into<Bytes>,
    ) -> anyhow::Result<Answer> {
        let body = body.into();
        let mut headers = HeaderMap::new();
        for name in [
            "authorization",
            "host",
            "x-amz-date",
            "x-amz-security-token",
            "user-agent",
        ] {
            if let Some(value) = like.get(name) {
                headers.insert(HeaderName::from_static(name), value.clone());
            }
        }
        for (name, value) in extra {
            headers.insert(*name, HeaderValue::from_str(value)?);
        }
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        self.send(method, target, headers, body).await
    }

    async fn send(
        &self,
        method: Method,
        target: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> anyhow::Result<Answer> {
        let uri = format!("{}{}", self.upstream, target);
        let mut request = Request::builder()
            .method(method)
            .uri(&uri)
            .body(Full::new(body))
            .with_context(|| format!("building the upstream request {uri}"))?;
        *request.headers_mut() = headers;
        let sent = Instant::now();
        let answer = self.exchange(request, &uri).await;
        let _ = UPSTREAM_TIME.try_with(|time| time.set(time.get() + sent.elapsed()));
        answer
    }

    async fn exchange(&self, request: Request<Full<Bytes>>, uri: &str) -> anyhow::Result<Answer> {
        let response = self
            .client
            .request(request)
            .await
            .with_context(|| format!("sending {uri} to the emulator"))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .with_context(|| format!("reading the emulator's answer to {uri}"))?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// Accept connections until `shutdown` fires.
pub(crate) async fn serve(
    state: Arc<State>,
    listener: std::net::TcpListener,
    mut shutdown: oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("aws-proxy: cannot listen: {err}");
            return;
        }
    };
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        UPSTREAM_TIME.scope(Cell::new(Duration::ZERO), handle(Arc::clone(&state), req))
                    });
                    // An error here is a client gone away or a fault's deliberate drop.
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<Resp, Dropped> {
    let seq = state.seq.fetch_add(1, Ordering::Relaxed);
    let elapsed = state.started.elapsed();
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();

    if parts.uri.path().starts_with("/_proxy/") {
        return Ok(control(&state, &parts));
    }

    let call = classify(&parts, &body);
    let mut record = Record {
        seq,
        service: call.service.clone(),
        operation: call.operation.clone(),
        resource: call.resource.clone(),
        region: call.region.clone(),
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned(),
        status: None,
        elapsed,
        fault: None,
        rule: None,
        forwarded: false,
        duration: Duration::ZERO,
        upstream: Duration::ZERO,
    };

    let latency = state.latency_for(&call);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let fault = state.draw_fault(&call);
    record.fault = fault;
    if let Some(kind) = fault {
        if let Some(resp) = shape::fault(&call, kind) {
            return Ok(finish(&state, record, resp, &parts.method));
        }
        if kind == FaultKind::DropBeforeForward {
            state.push(record);
            return Err(Dropped);
        }
    }

    let exchange = Exchange {
        parts: &parts,
        body: &body,
        call: &call,
    };
    if let Verdict::Respond(resp, rule) = rules::before(&state, &exchange).await {
        record.rule = Some(rule);
        if fault == Some(FaultKind::DropAfterForward) {
            // The rule answered in moto's place; the client still never hears it.
            state.push(record);
            return Err(Dropped);
        }
        return Ok(finish(&state, record, resp, &parts.method));
    }

    let mut answer = match state.forward(&parts, body.clone()).await {
        Ok(answer) => answer,
        Err(err) => {
            rules::after(&state, &exchange, None);
            let resp = bad_gateway(&err);
            return Ok(finish(&state, record, resp, &parts.method));
        }
    };
    record.forwarded = true;
    record.rule = rules::after(&state, &exchange, Some(&mut answer));

    if fault == Some(FaultKind::DropAfterForward) {
        state.push(record);
        return Err(Dropped);
    }
    Ok(finish(
        &state,
        record,
        answer.into_response(),
        &parts.method,
    ))
}

fn finish(state: &State, mut record: Record, mut resp: Resp, method: &Method) -> Resp {
    record.status = Some(resp.status().as_u16());
    state.push(record);
    if method == Method::HEAD {
        *resp.body_mut() = Full::new(Bytes::new());
    }
    resp
}

fn bad_gateway(err: &anyhow::Error) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(format!(
        "testkit proxy: the emulator did not answer: {err:#}"
    ))));
    *resp.status_mut() = StatusCode::BAD_GATEWAY;
    resp
}

/// `/_proxy/...`: the proxy's own endpoints. No AWS service uses this path (bucket names cannot
/// start with `_`).
///
/// - `GET /_proxy/log[?service=s3][&mutating=true]`: the log as a JSON array.
/// - `DELETE /_proxy/log`: clear the log.
/// - `GET /_proxy/health`: `ok`.
fn control(state: &State, parts: &Parts) -> Resp {
    let query = query_pairs(parts);
    let json = |status: StatusCode, body: String| -> Resp {
        let mut resp = Response::new(Full::new(Bytes::from(body)));
        *resp.status_mut() = status;
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp
    };
    match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/_proxy/log") => {
            let service = query_get(&query, "service");
            let mutating = query_get(&query, "mutating") == Some("true");
            let log: Vec<Record> = state
                .log()
                .into_iter()
                .filter(|r| service.is_none_or(|s| r.service == s))
                .filter(|r| !mutating || r.is_mutating())
                .collect();
            match serde_json::to_string(&log) {
                Ok(body) => json(StatusCode::OK, body),
                Err(err) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("{{\"error\":\"{err}\"}}"),
                ),
            }
        }
        (&Method::DELETE, "/_proxy/log") => {
            state.clear_log();
            json(StatusCode::OK, "[]".to_owned())
        }
        (&Method::GET, "/_proxy/health") => json(StatusCode::OK, "\"ok\"".to_owned()),
        _ => json(
            StatusCode::NOT_FOUND,
            "{\"error\":\"unknown proxy endpoint\"}".to_owned(),
        ),
    }
}
