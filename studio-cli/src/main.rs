//! `studio`: the Studio API from the shell. Every operation of the spec is
//! a command (generated into `generated.rs` by `cargo xtask codegen`);
//! waiting, files, output and exit codes are the hand-written parts.

mod confirm;
mod failure;
mod files;
#[rustfmt::skip]
mod generated;
mod input;
mod reply;
mod table;
mod terminal;
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
    terminal::say(&failure.report());
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
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut table::tree(), "studio", &mut script);
            return std::io::Write::write_all(&mut std::io::stdout(), &script)
                .or_else(reply::closed);
        }
        "download" => {
            // A download sends no credential, so it needs none.
            let client = client(matches, false)?;
            let path = files::download(&client, area_matches).await?;
            return reply::print(&serde_json::json!({ "path": path }));
        }
        _ => {}
    }
    let Some((verb, command_matches)) = area_matches.subcommand() else {
        return Err(Failure::input(format!("no {area} command given")));
    };
    let client = client(matches, true)?;
    if (area, verb) == ("jobs", "wait") {
        return wait::wait_ids(&client, command_matches).await;
    }
    let command = generated::COMMANDS
        .iter()
        .find(|c| c.area == area && c.verb == verb)
        .ok_or_else(|| Failure::input(format!("no such command: {area} {verb}")))?;
    let input = input::Input::new(command_matches, command);
    if table::deletes(command) {
        confirm::delete(command, &input)?;
    }
    match generated::send(&client, command, &input).await? {
        Reply::Items(items) => reply::print_items(items).await,
        Reply::Value(value) => match command.starts {
            Some(starts) => wait::started(&client, starts, value, command_matches).await,
            None => reply::print(&value),
        },
    }
}

/// The client, from the flags over the environment, through the SDK's
/// checked builder: a missing or malformed setting fails here, before any
/// request, naming the flag or variable it came from. Without
/// `credential` (a download, which sends none) no credential is used.
fn client(matches: &ArgMatches, credential: bool) -> Result<Client, Failure> {
    let set = |name: &str| std::env::var_os(name).is_some();
    let mut builder = ClientBuilder::<Client>::new().with_env();
    let key_from = if let Some(key) = matches.get_one::<String>("api-key") {
        builder = builder.api_key(key);
        "--api-key"
    } else if let Some(token) = matches.get_one::<String>("token") {
        builder = builder.bearer_token(token);
        "--token"
    } else if set("STUDIO_API_KEY") {
        "STUDIO_API_KEY"
    } else if set("STUDIO_BEARER_TOKEN") {
        "STUDIO_BEARER_TOKEN"
    } else {
        ""
    };
    if !credential {
        builder = builder.no_credential();
    } else if key_from.is_empty() {
        return Err(Failure::Config(
            "no credential: set STUDIO_API_KEY (or STUDIO_BEARER_TOKEN), or pass --api-key \
             (or --token)"
                .into(),
        ));
    }
    let url_from = match matches.get_one::<String>("base-url") {
        Some(url) => {
            builder = builder.base_url(url);
            "--base-url"
        }
        None => "STUDIO_BASE_URL",
    };
    builder.build().map_err(|error| {
        let message = failure::in_shell_words(error.message());
        let from = if message.starts_with("the credential") {
            key_from
        } else if message.starts_with("the base URL") {
            url_from
        } else if message.contains("shared quota") {
            "STUDIO_QUOTA_URL"
        } else {
            ""
        };
        Failure::Config(match from {
            "" => message,
            from => format!("{from}: {message}"),
        })
    })
}
