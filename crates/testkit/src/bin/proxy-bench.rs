//! `proxy-bench`: what the real-AWS behaviour proxy adds to a request when no rule or fault
//! applies. Run by `cargo xtask bench proxy` (release build); figures in crates/testkit/BENCH.md.
//!
//! In one run, against the same emulator and the same fixtures, it sends N small requests of
//! each kind (DynamoDB DescribeTable and ListTables, S3 HeadObject) straight to moto, through a
//! proxy in the passthrough profile and through one in the aws profile (every rule on, none
//! applying to these requests: it checks the log), interleaved so that drift in moto's speed
//! hits all three alike. It prints per-request mean, p50 and p95 for each, the difference to
//! moto direct, and the proxy's own time from its log (time in the proxy less time waiting for
//! moto).
//!
//! moto answers every request with `Connection: close`, so a client talking to it directly
//! opens a new TCP connection for each request. Through the proxy the client keeps its
//! connection to the proxy, and the proxy opens the new connection to moto instead: both paths
//! pay one connect per request, so the difference is the proxy's hop and handling. The cost of
//! one connect is measured and printed too.
//!
//!   proxy-bench --endpoint http://127.0.0.1:5000 --requests 500

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use clap::Parser;
use testkit::proxy::{Proxy, ProxyConfig, Record};

/// Measure the latency the real-AWS behaviour proxy adds to small requests.
#[derive(Debug, Parser)]
#[command(name = "proxy-bench")]
struct Args {
    /// The emulator's endpoint.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint: String,
    /// Measured requests per operation and per path (direct, passthrough, aws).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    requests: u32,
    /// Unmeasured requests per operation and path first (connections, caches, moto's warm-up).
    #[arg(long, default_value_t = 30)]
    warmup: u32,
}

/// The small requests measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    DescribeTable,
    ListTables,
    HeadObject,
}

const OPS: [Op; 3] = [Op::DescribeTable, Op::ListTables, Op::HeadObject];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::DescribeTable => "DynamoDB DescribeTable",
            Op::ListTables => "DynamoDB ListTables",
            Op::HeadObject => "S3 HeadObject",
        }
    }

    fn operation(self) -> &'static str {
        match self {
            Op::DescribeTable => "DescribeTable",
            Op::ListTables => "ListTables",
            Op::HeadObject => "HeadObject",
        }
    }
}

/// One way to reach moto.
struct Path {
    name: &'static str,
    proxy: Option<Proxy>,
    dynamodb: aws_sdk_dynamodb::Client,
    s3: aws_sdk_s3::Client,
}

struct Fixtures {
    table: String,
    bucket: String,
    key: String,
}

async fn config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "bench"))
        .region(Region::new(testkit::REGION))
        .endpoint_url(endpoint)
        // One attempt: a failure is a broken bench, not something to time around.
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .load()
        .await
}

async fn path(name: &'static str, endpoint: &str, proxy: Option<Proxy>) -> Path {
    let config = config(endpoint).await;
    Path {
        name,
        proxy,
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        ),
    }
}

impl Path {
    async fn call(&self, op: Op, fixtures: &Fixtures) -> anyhow::Result<()> {
        match op {
            Op::DescribeTable => {
                self.dynamodb
                    .describe_table()
                    .table_name(&fixtures.table)
                    .send()
                    .await
                    .context("DescribeTable")?;
            }
            Op::ListTables => {
                self.dynamodb
                    .list_tables()
                    .limit(1)
                    .send()
                    .await
                    .context("ListTables")?;
            }
            Op::HeadObject => {
                self.s3
                    .head_object()
                    .bucket(&fixtures.bucket)
                    .key(&fixtures.key)
                    .send()
                    .await
                    .context("HeadObject")?;
            }
        }
        Ok(())
    }
}

/// The `p` quantile (nearest rank) of sorted values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Mean, p50 and p95 of a sample, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Stats {
    mean: f64,
    p50: f64,
    p95: f64,
}

impl Stats {
    fn of(samples: &[Duration]) -> Stats {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        Stats {
            mean: ms.iter().sum::<f64>() / ms.len().max(1) as f64,
            p50: quantile(&ms, 0.50),
            p95: quantile(&ms, 0.95),
        }
    }
}

async fn create_fixtures(config: &SdkConfig) -> anyhow::Result<Fixtures> {
    let fixtures = Fixtures {
        table: testkit::unique_name("proxy-bench"),
        bucket: testkit::unique_name("proxy-bench"),
        key: "bench/object.txt".to_owned(),
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    dynamodb
        .create_table()
        .table_name(&fixtures.table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .send()
        .await
        .context("creating the bench table")?;
    let s3 = s3_client(config);
    s3.create_bucket()
        .bucket(&fixtures.bucket)
        .send()
        .await
        .context("creating the bench bucket")?;
    s3.put_object()
        .bucket(&fixtures.bucket)
        .key(&fixtures.key)
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"bench"))
        .send()
        .await
        .context("putting the bench object")?;
    Ok(fixtures)
}

fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

async fn delete_fixtures(config: &SdkConfig, fixtures: &Fixtures) -> anyhow::Result<()> {
    let s3 = s3_client(config);
    s3.delete_object()
        .bucket(&fixtures.bucket)
        .key(&fixtures.key)
        .send()
        .await
        .context("deleting the bench object")?;
    s3.delete_bucket()
        .bucket(&fixtures.bucket)
        .send()
        .await
        .context("deleting the bench bucket")?;
    aws_sdk_dynamodb::Client::new(config)
        .delete_table()
        .table_name(&fixtures.table)
        .send()
        .await
        .context("deleting the bench table")?;
    Ok(())
}

/// Time to open (and close) one TCP connection to moto: what `Connection: close` costs each
/// request. Few and spaced out: connections that never send a request hold one of moto's
/// server threads each until they close, and a burst of them overflows its listen backlog.
async fn connect_cost(endpoint: &str, n: u32) -> anyhow::Result<Stats> {
    let uri: http::Uri = endpoint.parse().context("the endpoint is not a URL")?;
    let host = uri.host().context("the endpoint has no host")?;
    let port = uri.port_u16().unwrap_or(80);
    let mut samples = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let start = Instant::now();
        let stream = tokio::net::TcpStream::connect((host, port))
            .await
            .with_context(|| format!("connecting to {host}:{port}"))?;
        samples.push(start.elapsed());
        drop(stream);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(Stats::of(&samples))
}

/// The measured latencies: `[path][op]`.
type Samples = Vec<Vec<Vec<Duration>>>;

async fn measure(
    paths: &[Path],
    fixtures: &Fixtures,
    warmup: u32,
    requests: u32,
) -> anyhow::Result<Samples> {
    for _ in 0..warmup {
        for op in OPS {
            for path in paths {
                path.call(op, fixtures)
                    .await
                    .with_context(|| format!("warming up {} via {}", op.name(), path.name))?;
            }
        }
    }
    for path in paths {
        if let Some(proxy) = &path.proxy {
            proxy.clear_log();
        }
    }
    let mut samples: Samples =
        vec![vec![Vec::with_capacity(requests as usize); OPS.len()]; paths.len()];
    for round in 0..requests as usize {
        for (o, op) in OPS.into_iter().enumerate() {
            // Rotate which path goes first, so none always follows another's request.
            for k in 0..paths.len() {
                let p = (round + k) % paths.len();
                let start = Instant::now();
                paths[p]
                    .call(op, fixtures)
                    .await
                    .with_context(|| format!("{} via {}", op.name(), paths[p].name))?;
                samples[p][o].push(start.elapsed());
            }
        }
    }
    Ok(samples)
}

fn ms(value: f64) -> String {
    format!("{value:.3}")
}

fn signed(value: f64) -> String {
    format!("{value:+.3}")
}

/// Print rows as an aligned table (the first row is the header).
fn print_table(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c == 0 {
                    format!("{cell:<width$}", width = widths[c])
                } else {
                    format!("{cell:>width$}", width = widths[c])
                }
            })
            .collect();
        println!("  {}", line.join("  "));
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            println!("  {}", rule.join("  "));
        }
    }
}

fn report(paths: &[Path], samples: &Samples, connect: Stats, args: &Args) -> anyhow::Result<()> {
    let build = if cfg!(debug_assertions) {
        "DEBUG build: the proxy's figures include unoptimised code"
    } else {
        "release build"
    };
    println!(
        "proxy-bench: {} measured requests per operation and path ({} warm-up), sequential, \
         {build}",
        args.requests, args.warmup
    );
    println!(
        "note: moto answers every request with `Connection: close`: direct requests open a new \
         TCP connection each; through the proxy the client keeps its connection to the proxy \
         and the proxy opens one to moto instead, so both paths pay one connect per request \
         (one connect to moto: p50 {} ms, p95 {} ms)",
        ms(connect.p50),
        ms(connect.p95)
    );
    println!();
    println!("Client-side latency per request (ms), and the difference to moto direct:");
    let mut rows = vec![
        [
            "operation",
            "path",
            "mean",
            "p50",
            "p95",
            "Δmean",
            "Δp50",
            "Δp95",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for (o, op) in OPS.into_iter().enumerate() {
        let direct = Stats::of(&samples[0][o]);
        for (p, path) in paths.iter().enumerate() {
            let stats = Stats::of(&samples[p][o]);
            let (dm, d50, d95) = if p == 0 {
                ("".to_owned(), "".to_owned(), "".to_owned())
            } else {
                (
                    signed(stats.mean - direct.mean),
                    signed(stats.p50 - direct.p50),
                    signed(stats.p95 - direct.p95),
                )
            };
            rows.push(vec![
                op.name().to_owned(),
                path.name.to_owned(),
                ms(stats.mean),
                ms(stats.p50),
                ms(stats.p95),
                dm,
                d50,
                d95,
            ]);
        }
    }
    print_table(&rows);

    println!();
    println!(
        "The proxy's own time per request (ms), from its log: time in the proxy less time \
         waiting for moto (connect included in the latter):"
    );
    let mut rows = vec![
        ["operation", "path", "mean", "p50", "p95", "moto mean"]
            .map(str::to_owned)
            .to_vec(),
    ];
    let mut applied: Vec<Record> = Vec::new();
    for path in paths {
        let Some(proxy) = &path.proxy else { continue };
        let log = proxy.log();
        applied.extend(
            log.iter()
                .filter(|r| r.rule.is_some() || r.fault.is_some() || !r.forwarded)
                .cloned(),
        );
        for op in OPS {
            let records: Vec<&Record> = log
                .iter()
                .filter(|r| r.operation == op.operation())
                .collect();
            let own: Vec<Duration> = records.iter().map(|r| r.own_time()).collect();
            let upstream: Vec<Duration> = records.iter().map(|r| r.upstream).collect();
            let stats = Stats::of(&own);
            rows.push(vec![
                op.name().to_owned(),
                path.name.to_owned(),
                ms(stats.mean),
                ms(stats.p50),
                ms(stats.p95),
                ms(Stats::of(&upstream).mean),
            ]);
        }
    }
    print_table(&rows);
    println!();
    if !applied.is_empty() {
        bail!(
            "a rule or fault applied to {} measured requests (the bench measures the case where \
             none does): {:#?}",
            applied.len(),
            &applied[..applied.len().min(3)]
        );
    }
    println!("No rule or fault applied to any measured request (checked in both proxies' logs).");
    println!();
    println!(
        "Paired difference per request (ms): each proxied request less the direct request of \
         the same round and operation. moto's own latency varies a lot (its p95 is several times \
         its p50), and the means carry its outliers; the median of the paired differences is \
         the robust figure."
    );
    let mut rows = vec![
        ["operation", "path", "median", "mean", "p25", "p75"]
            .map(str::to_owned)
            .to_vec(),
    ];
    let mut pooled: Vec<Vec<f64>> = vec![Vec::new(); paths.len()];
    for (o, op) in OPS.into_iter().enumerate() {
        for (p, path) in paths.iter().enumerate().skip(1) {
            let mut diffs: Vec<f64> = samples[p][o]
                .iter()
                .zip(&samples[0][o])
                .map(|(via, direct)| (via.as_secs_f64() - direct.as_secs_f64()) * 1000.0)
                .collect();
            pooled[p].extend(&diffs);
            diffs.sort_by(f64::total_cmp);
            rows.push(vec![
                op.name().to_owned(),
                path.name.to_owned(),
                signed(quantile(&diffs, 0.50)),
                signed(diffs.iter().sum::<f64>() / diffs.len().max(1) as f64),
                signed(quantile(&diffs, 0.25)),
                signed(quantile(&diffs, 0.75)),
            ]);
        }
    }
    print_table(&rows);
    println!();
    for (p, path) in paths.iter().enumerate().skip(1) {
        let diffs = &mut pooled[p];
        diffs.sort_by(f64::total_cmp);
        let median = quantile(diffs, 0.50);
        let own: Vec<Duration> = path
            .proxy
            .as_ref()
            .map(|proxy| proxy.log().iter().map(Record::own_time).collect())
            .unwrap_or_default();
        let own = Stats::of(&own);
        let verdict = if median <= 1.0 {
            "within the ~1 ms budget"
        } else {
            "OVER the ~1 ms budget"
        };
        println!(
            "{}: adds {} ms per request (median paired difference, all operations); its own \
             handling takes {} ms mean, {} ms p95: {verdict}",
            path.name,
            signed(median),
            ms(own.mean),
            ms(own.p95),
        );
    }
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<()> {
    let endpoint = args.endpoint.trim_end_matches('/').to_owned();
    let direct = config(&endpoint).await;
    let fixtures = create_fixtures(&direct)
        .await
        .with_context(|| format!("creating the fixtures in the emulator at {endpoint}"))?;
    let outcome = async {
        let passthrough = Proxy::start(ProxyConfig::passthrough(&endpoint))?;
        let aws = Proxy::start(ProxyConfig::aws(&endpoint))?;
        let (passthrough_url, aws_url) =
            (passthrough.endpoint().to_owned(), aws.endpoint().to_owned());
        let paths = vec![
            path("moto direct", &endpoint, None).await,
            path("proxy passthrough", &passthrough_url, Some(passthrough)).await,
            path("proxy aws", &aws_url, Some(aws)).await,
        ];
        let samples = measure(&paths, &fixtures, args.warmup, args.requests).await?;
        let connect = connect_cost(&endpoint, args.requests.min(50)).await?;
        report(&paths, &samples, connect, &args)
    }
    .await;
    let cleanup = delete_fixtures(&direct, &fixtures).await;
    outcome?;
    cleanup
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("proxy-bench: starting a runtime: {err}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("proxy-bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(quantile(&values, 0.50), 5.0);
        assert_eq!(quantile(&values, 0.95), 10.0);
        assert_eq!(quantile(&values, 0.0), 1.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn stats_are_in_milliseconds() {
        let samples: Vec<Duration> = (1..=20).map(Duration::from_millis).collect();
        let stats = Stats::of(&samples);
        assert!((stats.mean - 10.5).abs() < 1e-9);
        assert!((stats.p50 - 10.0).abs() < 1e-9);
        assert!((stats.p95 - 19.0).abs() < 1e-9);
    }
}
