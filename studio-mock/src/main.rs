//! `studio-mock`: serve the local Studio API until Ctrl-C.

use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;
use studio_mock::{BodyLimits, MockServer};

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
        .rate_limit(
            studio_api::operations::API_KEY_QUOTA_PER_MINUTE,
            studio_api::operations::BEARER_QUOTA_PER_MINUTE,
            Duration::from_secs_f64(args.rate_window_seconds.max(0.001)),
        )
        .log_requests(true);
    if args.no_rate_limit {
        builder = builder.no_rate_limit();
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
