//! The `studio` CLI's command table and dispatch
//! (`studio-cli/src/generated.rs`).
//!
//! Every operation becomes the command its `x-studio-cli` names. Its path
//! and query parameters are flags passed to the client's typed setters; the
//! properties of a JSON body are flags too (a list repeats its flag, an
//! object is given as JSON, a nullable property of an update gets a
//! `--clear-…` flag), gathered into one JSON document that is decoded into
//! the body's generated type, whose name is the component schema's. A raw
//! body is read from the files the command is given.

use crate::facts::{self, Facts};
use crate::spec;
use anyhow::{Context, Result, bail};
use openapiv3::OpenAPI;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use std::collections::BTreeSet;

/// The generated file's path, relative to the workspace root.
pub const PATH: &str = "studio-cli/src/generated.rs";

/// Flags and argument ids a command may have besides its fields (the
/// common ones in `studio-cli/src/table.rs` and `wait.rs`, and clap's own).
const RESERVED: [&str; 13] = [
    "body-json",
    "yes",
    "all",
    "wait",
    "timeout",
    "download",
    "api-key",
    "token",
    "base-url",
    "verbose",
    "file",
    "help",
    "version",
];

/// Where a field goes in the request.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Path,
    Query,
    Body,
}

/// One flag of a command.
struct Field {
    flag: String,
    key: String,
    place: Place,
    kind: &'static str,
    repeated: bool,
    facts: Facts,
}

/// What an operation's command needs to know.
struct Command {
    id: String,
    area: String,
    verb: String,
    about: String,
    long_about: String,
    fields: Vec<Field>,
    body: Option<String>,
    raw: bool,
    paged: bool,
    starts: Option<&'static str>,
}

/// Builds the table and the dispatch from `spec`.
pub fn generate(spec: &OpenAPI) -> Result<syn::File> {
    let doc = facts::document(spec)?;
    let mut commands: Vec<Command> = spec::operations(spec)
        .iter()
        .map(|op| command(&doc, op))
        .collect::<Result<_>>()?;
    let named: Vec<(String, String)> = commands
        .iter()
        .map(|c| (c.id.clone(), format!("studio {} {}", c.area, c.verb)))
        .collect();
    for command in &mut commands {
        let flags: Vec<(String, String)> = command
            .fields
            .iter()
            .map(|f| (f.key.clone(), format!("--{}", f.flag)))
            .collect();
        let words = [&named[..], &flags[..]].concat();
        command.long_about = in_shell_words(&command.long_about, &words);
        for field in &mut command.fields {
            field.facts.description = field
                .facts
                .description
                .as_deref()
                .map(|text| in_shell_words(text, &words));
        }
    }
    let areas = areas(spec, &commands)?
        .into_iter()
        .map(|(area, about)| quote!((#area, #about)));
    let entries = commands.iter().map(entry);
    let arms = commands.iter().map(arm);
    let tokens = quote! {
        //! Every operation of the spec as a `studio` command: the table the
        //! command tree is built from, and the dispatch that turns a parsed
        //! command into its typed request.

        use crate::failure::Failure;
        use crate::input::Input;
        use crate::reply::Reply;
        use crate::table::{Body, Command, Field, Kind, Place, Starts};
        use studio_api::types;

        /// Every operation's command, in spec order.
        pub const COMMANDS: &[Command] = &[#(#entries),*];

        /// Each area with its help, the description of its first
        /// command's tag, in the order the areas first appear.
        pub const AREAS: &[(&str, &str)] = &[#(#areas),*];

        /// Sends the request of `command` with the flags in `input`.
        pub async fn send<'a>(
            client: &'a studio_api::Client,
            command: &Command,
            input: &Input<'_>,
        ) -> Result<Reply<'a>, Failure> {
            match command.id {
                #(#arms)*
                other => Err(Failure::input(format!("no such operation: {other}"))),
            }
        }
    };
    Ok(syn::parse2(tokens)?)
}

/// `text`, from the spec for SDK users, with each `` `name` `` that
/// `words` lists (an operation id, a field of the command) written as the
/// shell user meets it (`` `studio jobs get` ``, `` `--frame-id` ``).
fn in_shell_words(text: &str, words: &[(String, String)]) -> String {
    let mut pieces = text.split('`');
    let mut out = pieces.next().unwrap_or_default().to_string();
    for (inside, piece) in pieces.enumerate() {
        out.push('`');
        let quoted = inside % 2 == 0;
        let word = words.iter().find(|(name, _)| quoted && name == piece);
        out.push_str(word.map_or(piece, |(_, shell)| shell));
    }
    out
}

/// Each area, in the order its first command appears, with the
/// description of that command's tag.
fn areas(spec: &OpenAPI, commands: &[Command]) -> Result<Vec<(String, String)>> {
    let mut areas: Vec<(String, String)> = Vec::new();
    for (command, op) in commands.iter().zip(spec::operations(spec)) {
        if areas.iter().any(|(area, _)| *area == command.area) {
            continue;
        }
        let tag = op
            .operation
            .tags
            .first()
            .with_context(|| format!("{}: no tag", op.id))?;
        let about = spec
            .tags
            .iter()
            .find(|t| t.name == *tag)
            .and_then(|t| t.description.as_deref())
            .with_context(|| format!("{}: the tag {tag} has no description", op.id))?;
        areas.push((command.area.clone(), about.trim().to_string()));
    }
    Ok(areas)
}

fn command(doc: &Value, op: &spec::SpecOperation<'_>) -> Result<Command> {
    let path = spec::extension_str(op.operation, "x-studio-cli")
        .with_context(|| format!("{}: no x-studio-cli", op.id))?;
    let (area, verb) = path
        .split_once(' ')
        .context("x-studio-cli is `area verb`")?;
    let json = &doc["paths"][op.path][op.method.to_lowercase()];
    let mut fields = Vec::new();
    let shared = &doc["paths"][op.path]["parameters"];
    for parameter in [&json["parameters"], shared]
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
    {
        let parameter = facts::resolve(doc, parameter);
        let name = parameter["name"]
            .as_str()
            .context("a parameter without a name")?;
        let place = match parameter["in"].as_str() {
            Some("path") => Place::Path,
            Some("query") => Place::Query,
            other => bail!("{}: parameter {name} is in {other:?}", op.id),
        };
        fields.push(field(
            doc,
            name,
            place,
            facts::parameter(doc, &op.id, name)?,
            &parameter["schema"],
        ));
    }
    let content = &facts::resolve(doc, &json["requestBody"])["content"];
    let body_schema = &content["application/json"]["schema"];
    let body = body_schema["$ref"]
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_string);
    if let Some(name) = &body {
        let schema = facts::component(doc, name)?;
        for (key, property) in schema["properties"].as_object().into_iter().flatten() {
            let mut facts = facts::property(doc, name, key)?;
            facts.update = op.method == "PATCH";
            fields.push(field(doc, key, Place::Body, facts, property));
        }
    }
    let mut flags = BTreeSet::new();
    for flag in fields.iter().map(|f| f.flag.as_str()) {
        if RESERVED.contains(&flag) || !flags.insert(flag) {
            bail!(
                "{}: two fields, or a field and a common flag, are both --{flag}",
                op.id
            );
        }
    }
    let summary = op.operation.summary.clone().unwrap_or_default();
    Ok(Command {
        id: op.id.clone(),
        area: area.into(),
        verb: verb.into(),
        long_about: format!(
            "{summary}\n\n{}",
            op.operation.description.clone().unwrap_or_default().trim()
        ),
        about: summary,
        paged: fields
            .iter()
            .any(|f| f.place == Place::Query && f.key == "page"),
        starts: starts(doc, json),
        raw: content.get("application/octet-stream").is_some(),
        fields,
        body,
    })
}

/// What a `202` response's `data` is, if the operation starts work.
fn starts(doc: &Value, operation: &Value) -> Option<&'static str> {
    let response = facts::resolve(doc, &operation["responses"]["202"]);
    let envelope = facts::resolve(doc, &response["content"]["application/json"]["schema"]);
    let data = &envelope["properties"]["data"];
    let data = if data["type"] == "array" {
        &data["items"]
    } else {
        data
    };
    match data["$ref"].as_str()?.rsplit('/').next()? {
        "GenerationJob" => Some("Jobs"),
        "Export" => Some("Export"),
        "Render" => Some("Render"),
        _ => None,
    }
}

fn field(doc: &Value, key: &str, place: Place, facts: Facts, schema: &Value) -> Field {
    let (own, items) = facts::types(doc, schema);
    let repeated = own.as_deref() == Some("array");
    let scalar = if repeated { items } else { own };
    let kind = match scalar.as_deref() {
        Some("integer") => "Integer",
        Some("number") => "Number",
        Some("boolean") => "Boolean",
        Some("string") => "Text",
        _ => "Json",
    };
    // A list of scalars repeats a flag named for one item.
    let repeated = repeated && kind != "Json";
    let name = match key.strip_suffix('s') {
        Some(one) if repeated && !one.ends_with('s') => one,
        _ => key,
    };
    Field {
        flag: name.replace('_', "-"),
        key: key.into(),
        place,
        kind,
        repeated,
        facts,
    }
}

fn entry(command: &Command) -> TokenStream {
    let Command {
        id,
        area,
        verb,
        about,
        long_about,
        paged,
        ..
    } = command;
    let fields = command.fields.iter().map(|field| {
        let Field {
            flag,
            key,
            repeated,
            ..
        } = field;
        let place = format_ident!(
            "{}",
            match field.place {
                Place::Path => "Path",
                Place::Query => "Query",
                Place::Body => "Body",
            }
        );
        let kind = format_ident!("{}", field.kind);
        let help = help(&field.facts);
        let values = &field.facts.values;
        let required = field.facts.required;
        let clearable = field.facts.update && field.facts.nullable;
        quote! {
            Field {
                flag: #flag, key: #key, place: Place::#place, kind: Kind::#kind,
                repeated: #repeated, required: #required, clearable: #clearable,
                help: #help, values: &[#(#values),*],
            }
        }
    });
    let body = if command.raw {
        quote!(Body::Files)
    } else if command.body.is_some() {
        quote!(Body::Json)
    } else {
        quote!(Body::None)
    };
    let starts = match command.starts {
        Some(kind) => {
            let kind = format_ident!("{kind}");
            quote!(Some(Starts::#kind))
        }
        None => quote!(None),
    };
    quote! {
        Command {
            id: #id, area: #area, verb: #verb, about: #about, long_about: #long_about,
            fields: &[#(#fields),*], body: #body, paged: #paged, starts: #starts,
        }
    }
}

/// A field's help: its description and the constraints a person needs.
fn help(facts: &Facts) -> String {
    let mut help = facts
        .description
        .clone()
        .unwrap_or_default()
        .trim()
        .to_string();
    if let Some(default) = &facts.default {
        help.push_str(&format!(" [server default: {default}]"));
    }
    help
}

fn arm(command: &Command) -> TokenStream {
    let id = &command.id;
    let method = format_ident!("{}", command.id);
    let setters = command
        .fields
        .iter()
        .filter(|f| f.place != Place::Body)
        .map(|field| setter(field, command.raw));
    if command.raw {
        return quote! {
            #id => crate::files::upload(client, input, |call| {
                #(#setters)*
                Ok(call)
            }).await,
        };
    }
    let body = command.body.as_ref().map(|name| {
        let ty = format_ident!("{name}");
        quote!(let call = call.body(input.body::<types::#ty>()?);)
    });
    let all = command.paged.then(|| {
        quote!(if input.all() {
            return Ok(Reply::items(call.stream()));
        })
    });
    quote! {
        #id => {
            let call = client.#method();
            #(#setters)*
            #body
            #all
            Reply::of(call.send().await)
        }
    }
}

/// The statement that passes one path or query flag to its setter.
/// `optional` for a field that may be left out even though the spec
/// requires it (an upload's file name, which the file gives).
fn setter(field: &Field, optional: bool) -> TokenStream {
    let flag = &field.flag;
    let name = if field.key == "type" {
        format_ident!("type_")
    } else {
        format_ident!("{}", field.key)
    };
    let read = match (field.kind, field.repeated) {
        (_, true) => quote!(input.texts(#flag)),
        ("Integer", _) => quote!(input.one::<i64>(#flag)),
        ("Number", _) => quote!(input.one::<f64>(#flag)),
        ("Boolean", _) => quote!(input.one::<bool>(#flag)),
        ("Json", _) => quote!(input.one::<serde_json::Value>(#flag)),
        _ => quote!(input.one::<String>(#flag)),
    };
    // A list is passed by reference, each item converted by its setter.
    let value = if field.repeated {
        quote!(&value)
    } else {
        quote!(value)
    };
    if field.facts.required && !optional {
        quote!(let call = call.#name(#read.ok_or_else(|| Failure::missing(#flag))?);)
    } else {
        quote!(let call = match #read { Some(value) => call.#name(#value), None => call };)
    }
}
