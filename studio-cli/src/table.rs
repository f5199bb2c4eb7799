//! What a generated command is, and the clap command tree built from
//! every one of them plus the hand-written commands.

use crate::failure;
use clap::{Arg, ArgAction, builder::PossibleValuesParser, value_parser};

/// One operation's command, as the spec declares it.
#[derive(Debug)]
pub struct Command {
    /// The operationId.
    pub id: &'static str,
    /// The area, the first word of `x-studio-cli`.
    pub area: &'static str,
    /// The verb, the second word.
    pub verb: &'static str,
    /// The one-line summary.
    pub about: &'static str,
    /// The summary and the description.
    pub long_about: &'static str,
    /// The flags of its parameters and body properties.
    pub fields: &'static [Field],
    /// What its request body is made from.
    pub body: Body,
    /// Whether it lists items a page at a time (it has `--all`).
    pub paged: bool,
    /// The work its `202` response starts, which `--wait` waits for.
    pub starts: Option<Starts>,
}

/// One flag of a command: a path or query parameter, or a body property.
#[derive(Debug)]
pub struct Field {
    /// The flag, without `--`.
    pub flag: &'static str,
    /// The parameter's or property's name on the wire.
    pub key: &'static str,
    /// Where the value goes.
    pub place: Place,
    /// The type of one value.
    pub kind: Kind,
    /// A list: the flag may be given more than once.
    pub repeated: bool,
    /// The spec requires it.
    pub required: bool,
    /// A nullable property of an update, which `--clear-<flag>` sets to null.
    pub clearable: bool,
    /// Its description.
    pub help: &'static str,
    /// The values an enum accepts; empty for any.
    pub values: &'static [&'static str],
}

/// Where a field goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A `{name}` of the path.
    Path,
    /// A query parameter.
    Query,
    /// A property of the JSON body.
    Body,
}

/// The type of one value of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text, including enums and timestamps.
    Text,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Anything else, given as JSON.
    Json,
}

/// What a request body is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// There is none.
    None,
    /// JSON, from the body flags and `--body-json`.
    Json,
    /// The bytes of each FILE given; one request per file.
    Files,
}

/// The work a command starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starts {
    /// One or more generation jobs.
    Jobs,
    /// An export.
    Export,
    /// A render.
    Render,
}

/// The flag that clears `field` in an update.
pub fn clear_flag(field: &Field) -> String {
    format!("clear-{}", field.flag)
}

/// The whole command tree: every generated command under its area, and
/// `jobs wait`, `download` and `completions`.
pub fn tree() -> clap::Command {
    let mut root = clap::Command::new("studio")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The Studio API from the shell: every operation is a command.")
        .long_about(
            "The Studio API from the shell: every operation is a command.\n\n\
             Credentials come from STUDIO_API_KEY or STUDIO_BEARER_TOKEN, or from \
             --api-key or --token. Prefer the environment on a shared machine: a \
             flag's value is in the process's command line, which every local user \
             can read (ps, /proc). The server comes from --base-url or STUDIO_BASE_URL. \
             STUDIO_QUOTA_URL=redis://… shares one key's request budget across \
             invocations and machines.\n\n\
             Output: what the server sent, as JSON on stdout (pretty on a terminal, one \
             line otherwise; --all prints one item a line), values and fields this \
             version does not know included. Characters a terminal would act on are \
             escaped: as \\u escapes in JSON (the same value once parsed), and as \\x1b \
             or \\u{202e} in messages. Errors and progress go to stderr; the exit code \
             says what kind of error it was.",
        )
        .after_long_help(failure::exit_code_table())
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(global(
            "api-key",
            "KEY",
            "The API key (default: STUDIO_API_KEY, which is safer: every local user can read a flag's value).",
        ))
        .arg(global(
            "token",
            "TOKEN",
            "A bearer token instead of a key (default: STUDIO_BEARER_TOKEN).",
        ))
        .arg(global(
            "base-url",
            "URL",
            "The API's base URL (default: STUDIO_BASE_URL, else the production API).",
        ))
        .arg(
            Arg::new("verbose")
                .long("verbose")
                .short('v')
                .global(true)
                .help_heading("Connection")
                .action(ArgAction::SetTrue)
                .help("Log each request, retry and wait to stderr (never a credential)."),
        );
    for (area, about) in crate::generated::AREAS {
        let mut group = clap::Command::new(*area)
            .about(*about)
            .subcommand_required(true)
            .arg_required_else_help(true);
        for command in crate::generated::COMMANDS
            .iter()
            .filter(|c| c.area == *area)
        {
            group = group.subcommand(generated(command));
        }
        if *area == "jobs" {
            group = group.subcommand(crate::wait::command());
        }
        root = root.subcommand(group);
    }
    root.subcommand(crate::files::download_command())
        .subcommand(
            clap::Command::new("completions")
                .about("Print a shell completion script.")
                .arg(
                    Arg::new("shell")
                        .required(true)
                        .value_parser(value_parser!(clap_complete::Shell)),
                ),
        )
}

fn global(name: &'static str, value: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name(value)
        .global(true)
        .help_heading("Connection")
        .help(help)
}

/// The clap command of one generated command.
fn generated(command: &'static Command) -> clap::Command {
    let mut out = clap::Command::new(command.verb)
        .about(command.about)
        .long_about(command.long_about);
    for field in command.fields {
        out = out.arg(arg(field, command.body));
        if field.clearable {
            out = out.arg(
                Arg::new(clear_flag(field))
                    .long(clear_flag(field))
                    .action(ArgAction::SetTrue)
                    .conflicts_with(field.flag)
                    .help(format!("Clear {} (sends null).", field.key)),
            );
        }
    }
    match command.body {
        Body::Json => {
            out = out.arg(
                Arg::new("body-json")
                    .long("body-json")
                    .value_name("FILE|-")
                    .help(
                        "The whole request body as a JSON object, from a file or `-` for \
                         stdin; flags given as well override its properties.",
                    ),
            )
        }
        Body::Files => {
            out = out.arg(
                Arg::new("file")
                    .value_name("FILE")
                    .required(true)
                    .num_args(1..)
                    .value_parser(value_parser!(std::path::PathBuf))
                    .help("The files to send, one request each, with a progress bar."),
            )
        }
        Body::None => {}
    }
    if command.paged {
        out = out.arg(
            Arg::new("all")
                .long("all")
                .action(ArgAction::SetTrue)
                .conflicts_with("page")
                .help("Every item of every page, one JSON document a line."),
        );
    }
    if command.starts.is_some() {
        out = crate::wait::wait_flags(out);
    }
    if deletes(command) {
        out = out.arg(
            Arg::new("yes")
                .long("yes")
                .short('y')
                .action(ArgAction::SetTrue)
                .help("Delete without asking; needed when stdin is not a terminal."),
        );
    }
    out
}

/// Whether `command` deletes (its method is DELETE).
pub fn deletes(command: &Command) -> bool {
    studio_api::operations::find(command.id).is_some_and(|o| o.method == "DELETE")
}

fn arg(field: &'static Field, body: Body) -> Arg {
    let mut help = field.help.to_string();
    if field.kind == Kind::Json {
        help.push_str(" (JSON)");
    }
    if field.repeated {
        help.push_str(" Repeat the flag for more than one.");
    }
    // A body's required properties may come from --body-json instead, and a
    // file's name stands in for an upload's.
    let required = field.required && field.place != Place::Body && body != Body::Files;
    if field.required && body == Body::Files {
        help.push_str(" Default: from each file.");
    } else if field.required && !required {
        help.push_str(" Required.");
    }
    let arg = Arg::new(field.flag)
        .long(field.flag)
        .value_name(field.flag.to_uppercase().replace('-', "_"))
        .help(help)
        .required(required)
        .action(if field.repeated {
            ArgAction::Append
        } else {
            ArgAction::Set
        });
    match field.kind {
        Kind::Integer => arg
            .value_parser(value_parser!(i64))
            .allow_negative_numbers(true),
        Kind::Number => arg
            .value_parser(value_parser!(f64))
            .allow_negative_numbers(true),
        Kind::Boolean => arg.value_parser(value_parser!(bool)),
        Kind::Json => arg.value_parser(json).value_name("JSON"),
        Kind::Text if !field.values.is_empty() => {
            arg.value_parser(PossibleValuesParser::new(field.values))
        }
        Kind::Text => arg,
    }
}

/// A flag's value read as JSON.
fn json(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::COMMANDS;

    #[test]
    fn every_operation_is_a_command_of_the_tree_and_nothing_else_is() {
        let ids: Vec<&str> = COMMANDS.iter().map(|c| c.id).collect();
        let operations: Vec<&str> = studio_api::operations::OPERATIONS
            .iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(ids, operations);
        let tree = tree();
        for command in COMMANDS {
            let found = tree
                .find_subcommand(command.area)
                .and_then(|area| area.find_subcommand(command.verb));
            assert!(found.is_some(), "{} {}", command.area, command.verb);
        }
        let generated = COMMANDS.len();
        let in_tree: usize = tree
            .get_subcommands()
            .map(|area| area.get_subcommands().count())
            .sum();
        assert_eq!(
            in_tree,
            generated + 1,
            "the generated commands and `jobs wait`"
        );
    }

    #[test]
    fn no_help_names_an_operation_id() {
        let mut tree = tree();
        tree.build();
        for area in tree.get_subcommands_mut() {
            for command in area.get_subcommands_mut() {
                let help = command.render_long_help().to_string();
                for op in studio_api::operations::OPERATIONS {
                    assert!(
                        !help.contains(&format!("`{}`", op.id)),
                        "{} in the help of {}",
                        op.id,
                        command.get_name()
                    );
                }
            }
        }
    }

    /// `--help` of every command, so that a spec change shows up as a
    /// reviewed diff.
    #[test]
    fn the_help_of_every_command() {
        let mut tree = tree().term_width(100);
        tree.build();
        let mut out = String::new();
        fn walk(command: &mut clap::Command, path: &str, out: &mut String) {
            out.push_str(&format!(
                "==== {path} --help\n{}\n",
                command.render_long_help()
            ));
            for sub in command.get_subcommands_mut() {
                let path = format!("{path} {}", sub.get_name());
                walk(sub, &path, out);
            }
        }
        walk(&mut tree, "studio", &mut out);
        insta::assert_snapshot!(out);
    }
}
