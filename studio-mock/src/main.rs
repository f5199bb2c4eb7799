//! `studio-mock`: serve the local Studio API until Ctrl-C.

use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;
use studio_mock::{BodyLimits, ConnectionLimits, Fault, MockServer, Scope};

/// A stateful local Studio API server.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 4010)]
    port: u16,
    /// Seconds a generation job, export or render takes.
    #[arg(long, default_value_t = 3.0)]
    job_seconds: f64,
    /// Chance (0-1) that a job, export or render fails.
    #[arg(long, default_value_t = 0.0)]
    failure_rate: f64,
    /// Starting wallet balance in credits.
    #[arg(long, default_value_t = 1000.0)]
    wallet: f64,
    /// Length of a rate-limit window in seconds (the quotas are the spec's, per API key and per bearer user).
    #[arg(long, default_value_t = 60.0)]
    rate_window_seconds: f64,
    /// Turn rate limiting off.
    #[arg(long)]
    no_rate_limit: bool,
    /// Largest JSON request body accepted, in bytes (413 beyond it).
    #[arg(long, value_name = "BYTES", default_value_t = BodyLimits::default().json)]
    json_body_limit: usize,
    /// Largest upload accepted, in bytes (413 beyond it).
    #[arg(long, value_name = "BYTES", default_value_t = BodyLimits::default().upload)]
    upload_limit: usize,
    /// Seconds a client has to send a request's whole head, idle
    /// kept-alive connections included (closed unanswered beyond it).
    #[arg(long, value_name = "SECONDS", default_value_t = ConnectionLimits::default().head_timeout.as_secs_f64())]
    head_timeout_seconds: f64,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, value_name = "COUNT", default_value_t = ConnectionLimits::default().max_connections)]
    max_connections: usize,
    /// Limit the printed API key to these scopes (comma-separated, e.g.
    /// `frames,projects`); without it the key has every scope. The bearer
    /// token always has every scope.
    #[arg(long, value_name = "SCOPES", value_delimiter = ',', value_parser = parse_scope)]
    scopes: Option<Vec<Scope>>,
    /// Answer the next COUNT (default 1) calls of operation OP with error
    /// STATUS (400-599), e.g. `create_project=503:2`; repeatable, and
    /// faults for one operation apply in the order given.
    #[arg(long = "fail", value_name = "OP=STATUS[:COUNT]", value_parser = parse_fail)]
    fail: Vec<ScriptedFault>,
}

/// A `--fail` value: the next `count` calls of `operation` answer `status`.
#[derive(Debug, Clone, PartialEq)]
struct ScriptedFault {
    operation: &'static str,
    status: u16,
    count: usize,
}

/// Reads a scope as the API spells it, e.g. `image_generation`.
fn parse_scope(value: &str) -> Result<Scope, String> {
    Scope::ALL
        .into_iter()
        .find(|scope| scope.as_str() == value)
        .ok_or_else(|| {
            let names: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
            format!("unknown scope; the scopes are {}", names.join(", "))
        })
}

/// Reads `OP=STATUS[:COUNT]`, checking that OP is an operation id, STATUS
/// an error status and COUNT at least 1.
fn parse_fail(value: &str) -> Result<ScriptedFault, String> {
    let (operation, fault) = value
        .split_once('=')
        .ok_or("expected OP=STATUS[:COUNT], e.g. create_project=503:2")?;
    let operation = studio_mock::operation(operation)
        .map_err(|error| error.to_string())?
        .id;
    let (status, count) = match fault.split_once(':') {
        Some((status, count)) => (status, Some(count)),
        None => (fault, None),
    };
    let status = status
        .parse()
        .ok()
        .filter(|status| (400..=599).contains(status))
        .ok_or_else(|| format!("`{status}` is not an error status (400-599)"))?;
    let count = match count {
        None => 1,
        Some(count) => count
            .parse()
            .ok()
            .filter(|count| *count >= 1)
            .ok_or_else(|| format!("`{count}` is not a count of calls (1 or more)"))?,
    };
    Ok(ScriptedFault {
        operation,
        status,
        count,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "error: cannot listen on {}:{}: {error}",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let mut builder = MockServer::builder()
        .job_duration(Duration::from_secs_f64(args.job_seconds.max(0.0)))
        .failure_rate(args.failure_rate)
        .wallet(args.wallet)
        .json_body_limit(args.json_body_limit)
        .upload_limit(args.upload_limit)
        .head_timeout(Duration::from_secs_f64(
            args.head_timeout_seconds.max(0.001),
        ))
        .max_connections(args.max_connections)
        .rate_limit(
            studio_api::operations::API_KEY_QUOTA_PER_MINUTE,
            studio_api::operations::BEARER_QUOTA_PER_MINUTE,
            Duration::from_secs_f64(args.rate_window_seconds.max(0.001)),
        )
        .log_requests(true);
    if args.no_rate_limit {
        builder = builder.no_rate_limit();
    }
    if let Some(scopes) = &args.scopes {
        builder = builder.api_key_scopes(scopes);
    }
    for fault in &args.fail {
        let status = Fault::Status {
            status: fault.status,
            retry_after: None,
        };
        builder = match builder.fail_next(fault.operation, fault.count, status) {
            Ok(builder) => builder,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        };
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("shutting down");
    };
    match builder.serve(listener, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fail_value_reads_op_status_and_count() {
        let fault = |operation, status, count| ScriptedFault {
            operation,
            status,
            count,
        };
        assert_eq!(
            parse_fail("create_project=503:2"),
            Ok(fault("create_project", 503, 2))
        );
        assert_eq!(
            parse_fail("list_voices=429"),
            Ok(fault("list_voices", 429, 1))
        );
    }

    #[test]
    fn a_malformed_fail_value_says_what_is_wrong() {
        let refused = |value| parse_fail(value).unwrap_err();
        assert!(refused("create_project").contains("OP=STATUS[:COUNT]"));
        assert!(refused("create_projct=503").contains("`create_projct`"));
        assert!(refused("create_project=200").contains("`200`"));
        assert!(refused("create_project=5o3").contains("`5o3`"));
        assert!(refused("create_project=503:0").contains("`0`"));
        assert!(refused("create_project=503:").contains("``"));
    }

    #[test]
    fn scopes_are_read_as_the_api_spells_them() {
        assert_eq!(parse_scope("image_generation"), Ok(Scope::ImageGeneration));
        assert!(parse_scope("Frames").unwrap_err().contains("frames, "));
    }
}
