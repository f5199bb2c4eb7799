//! `studio`: the Studio API from the shell. Every operation of the spec is
//! a command (generated into `generated.rs` by `cargo xtask codegen`);
//! waiting, files, output and exit codes are the hand-written parts.

mod failure;
mod files;
#[rustfmt::skip]
mod generated;
mod input;
mod reply;
mod table;
mod wait;

use clap::ArgMatches;
use failure::Failure;
use reply::Reply;
use std::process::ExitCode;
use studio_api::{Client, ClientBuilder};

fn main() -> ExitCode {
    let matches = table::tree().get_matches();
    if matches.get_flag("verbose") {
        use tracing_subscriber::prelude::*;
        // The SDK's own events: requests, retries, waits. It never logs a
        // credential; other crates' chatter stays out.
        let only_sdk = tracing_subscriber::filter::Targets::new()
            .with_target("studio_api", tracing_subscriber::filter::LevelFilter::DEBUG);
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE),
            )
            .with(only_sdk)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&Failure::io(format!("starting the runtime: {e}"))),
    };
    match runtime.block_on(run(&matches)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(&failure),
    }
}

fn fail(failure: &Failure) -> ExitCode {
    eprintln!("{}", failure.report());
    ExitCode::from(failure.exit_code())
}

/// Runs the command `matches` names.
async fn run(matches: &ArgMatches) -> Result<(), Failure> {
    let Some((area, area_matches)) = matches.subcommand() else {
        return Err(Failure::input("no command given"));
    };
    match area {
        "completions" => {
            let shell = *area_matches
                .get_one::<clap_complete::Shell>("shell")
                .ok_or_else(|| Failure::missing("shell"))?;
            clap_complete::generate(shell, &mut table::tree(), "studio", &mut std::io::stdout());
            return Ok(());
        }
        "download" => {
            let client = client(matches)?;
            let path = files::download(&client, area_matches).await?;
            return reply::print(&serde_json::json!({ "path": path }));
        }
        _ => {}
    }
    let Some((verb, command_matches)) = area_matches.subcommand() else {
        return Err(Failure::input(format!("no {area} command given")));
    };
    let client = client(matches)?;
    if (area, verb) == ("jobs", "wait") {
        return reply::print(&wait::wait_ids(&client, command_matches).await?);
    }
    let command = generated::COMMANDS
        .iter()
        .find(|c| c.area == area && c.verb == verb)
        .ok_or_else(|| Failure::input(format!("no such command: {area} {verb}")))?;
    let input = input::Input::new(command_matches, command);
    match generated::send(&client, command, &input).await? {
        Reply::Items(items) => reply::print_items(items).await,
        Reply::Value(value) => {
            let value = match command.starts {
                Some(starts) => wait::started(&client, starts, value, command_matches).await?,
                None => value,
            };
            reply::print(&value)
        }
    }
}

/// The client, from the flags over the environment, through the SDK's
/// checked builder: a missing or malformed credential fails here, before
/// any request.
fn client(matches: &ArgMatches) -> Result<Client, Failure> {
    let mut builder = ClientBuilder::<Client>::new().with_env();
    if let Some(key) = matches.get_one::<String>("api-key") {
        builder = builder.api_key(key);
    } else if let Some(token) = matches.get_one::<String>("token") {
        builder = builder.bearer_token(token);
    }
    if let Some(url) = matches.get_one::<String>("base-url") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    if client.credential().is_none() {
        return Err(Failure::Api(studio_api::Error::configuration(
            "studio",
            "no credential: pass --api-key or --token, or set STUDIO_API_KEY or STUDIO_BEARER_TOKEN",
        )));
    }
    Ok(client)
}
