//! The real-AWS behaviour proxy: an HTTP proxy between AWS SDK clients and moto that makes
//! moto behave like AWS, injects faults on a seed, and records every operation.
//!
//! ```no_run
//! use std::time::Duration;
//! use testkit::proxy::{Proxy, ProxyConfig};
//!
//! let moto = std::env::var("AWS_ENDPOINT_URL")?;
//! let proxy = Proxy::start(ProxyConfig::aws(moto).cloudfront_deploy_time(Duration::from_secs(1)))?;
//! // Point the SDK client (or a step binary's --endpoint-url) at proxy.endpoint() ...
//! let deletes: Vec<_> = proxy.mutating_calls();
//! # anyhow::Ok(())
//! ```
//!
//! What it does to each request, in order:
//! 1. identifies service, operation, resource and region (SigV4 scope, `X-Amz-Target`, the
//!    `Action` field, or the REST route);
//! 2. waits the configured latency;
//! 3. draws a fault (seeded RNG): answers a throttling/500/503 error in the service's own error
//!    shape, or drops the connection before or after forwarding;
//! 4. applies the realism rules ([`Rule`]), which may answer instead of moto (asking moto about
//!    the resource first where they need to);
//! 5. forwards the request unchanged (path, query, `Host`, body) to moto over a pooled client;
//! 6. lets the rules see (and rewrite) moto's answer;
//! 7. records it ([`Record`]).
//!
//! The log is also served at `GET /_proxy/log` (JSON; `?service=s3`, `?mutating=true` filter
//! it) and cleared by `DELETE /_proxy/log`, for the `aws-proxy` binary's users.

mod classify;
mod config;
mod record;
mod routes;
mod rules;
mod server;
mod shape;
mod xml;

use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::sync::oneshot;

pub use config::{FaultConfig, FaultKind, ProxyConfig, Rule};
pub use record::{Record, is_mutating};

use server::State;

/// The tag key (value `true`) that marks a Lambda function as a Lambda@Edge replica for
/// [`Rule::LambdaEdgeReplica`].
pub const EDGE_REPLICA_TAG: &str = "testkit:edge-replica";

/// A running proxy. It serves on its own thread with its own tokio runtime, so it works from
/// `#[test]` and `#[tokio::test]` alike; dropping it stops it.
pub struct Proxy {
    endpoint: String,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Bind 127.0.0.1 (port 0 unless [`ProxyConfig::port`] says otherwise) and start serving.
    pub fn start(config: ProxyConfig) -> anyhow::Result<Proxy> {
        Proxy::start_inner(config, false)
    }

    /// Like [`start`](Self::start), and print every record to stderr as a JSON line.
    pub fn start_echoing(config: ProxyConfig) -> anyhow::Result<Proxy> {
        Proxy::start_inner(config, true)
    }

    fn start_inner(config: ProxyConfig, echo: bool) -> anyhow::Result<Proxy> {
        let upstream = normalize_upstream(config.upstream())?;
        if let Some(faults) = &config.faults
            && !(0.0..=1.0).contains(&faults.rate)
        {
            bail!(
                "the fault rate must be between 0.0 and 1.0, got {}",
                faults.rate
            );
        }
        let listener = TcpListener::bind(("127.0.0.1", config.port))
            .with_context(|| format!("binding 127.0.0.1:{}", config.port))?;
        listener
            .set_nonblocking(true)
            .context("making the listener non-blocking")?;
        let address = listener
            .local_addr()
            .context("reading the listener's address")?;
        let state = Arc::new(State::new(config, upstream, echo));

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("aws-proxy-worker")
            .enable_all()
            .build()
            .context("starting the proxy's tokio runtime")?;
        let (shutdown, stop) = oneshot::channel();
        let serving = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("aws-proxy".to_owned())
            .spawn(move || {
                runtime.block_on(server::serve(serving, listener, stop));
                // Connections still open are cut here; nobody is listening for them anymore.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .context("starting the proxy thread")?;

        Ok(Proxy {
            endpoint: format!("http://{address}"),
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`: the endpoint URL to give SDK clients.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The configuration the proxy runs with.
    pub fn config(&self) -> &ProxyConfig {
        &self.state.config
    }

    /// Every request so far, in arrival order.
    pub fn log(&self) -> Vec<Record> {
        self.state.log()
    }

    /// The requests whose operation is mutating ([`is_mutating`]), in arrival order.
    pub fn mutating_calls(&self) -> Vec<Record> {
        self.log().into_iter().filter(Record::is_mutating).collect()
    }

    /// The requests to one service (`dynamodb`, `s3`, `cloudfront`, `cognito-idp`, `iam`,
    /// `lambda`, `apigateway`, `apigatewayv2`, `sts`, ...), in arrival order.
    pub fn calls_to(&self, service: &str) -> Vec<Record> {
        self.log()
            .into_iter()
            .filter(|r| r.service == service)
            .collect()
    }

    /// The requests for one operation (`DeleteTable`), in arrival order.
    pub fn calls_of(&self, operation: &str) -> Vec<Record> {
        self.log()
            .into_iter()
            .filter(|r| r.operation == operation)
            .collect()
    }

    /// The requests that got an injected fault, in arrival order.
    pub fn faults(&self) -> Vec<Record> {
        self.log()
            .into_iter()
            .filter(|r| r.fault.is_some())
            .collect()
    }

    /// Waits until `found` picks a request from the log and returns it; panics after `within`
    /// with the log (`what` names the awaited request). For tests that act on a binary running
    /// in the background once it has reached a given call (Ctrl-C during a wait, ...).
    pub fn wait_for(
        &self,
        what: &str,
        within: std::time::Duration,
        found: impl Fn(&Record) -> bool,
    ) -> Record {
        let start = std::time::Instant::now();
        loop {
            if let Some(record) = self.log().into_iter().find(|r| found(r)) {
                return record;
            }
            assert!(
                start.elapsed() < within,
                "never saw {what} in the proxy log: {:#?}",
                self.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Forget the log so far (the rules' state is kept).
    pub fn clear_log(&self) {
        self.state.clear_log();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// `http://host:port` without a trailing slash. Only plain HTTP: moto serves no TLS here.
fn normalize_upstream(upstream: &str) -> anyhow::Result<String> {
    let uri: http::Uri = upstream
        .parse()
        .with_context(|| format!("the upstream {upstream:?} is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        bail!("the upstream {upstream:?} must be an http:// URL");
    }
    let Some(authority) = uri.authority() else {
        bail!("the upstream {upstream:?} has no host");
    };
    let path = uri.path().trim_end_matches('/');
    Ok(format!("http://{authority}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_is_normalized() {
        assert_eq!(
            normalize_upstream("http://127.0.0.1:5000/").expect("valid"),
            "http://127.0.0.1:5000"
        );
        assert!(normalize_upstream("https://example.com").is_err());
        assert!(normalize_upstream("not a url").is_err());
    }

    #[test]
    fn a_fault_rate_above_one_is_refused() {
        let config =
            ProxyConfig::passthrough("http://127.0.0.1:9").faults(FaultConfig::new(0, 1.5));
        let err = Proxy::start(config).expect_err("rate 1.5");
        assert!(err.to_string().contains("fault rate"), "{err}");
    }

    #[test]
    fn starts_and_stops_without_a_caller_runtime() {
        let proxy = Proxy::start(ProxyConfig::passthrough("http://127.0.0.1:9")).expect("start");
        assert!(proxy.endpoint().starts_with("http://127.0.0.1:"));
        assert!(proxy.log().is_empty());
        drop(proxy);
    }
}
