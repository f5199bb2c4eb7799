//! A reviewed snapshot of the whole API surface: one entry per operation with
//! its method, path, scope and flags, the call a user writes in each crate,
//! what each setter takes (of the operation's builder and of its body's
//! builder), and for lists the method that reads every page.
//!
//! The calls are read from the generated sources, so a spec change that adds,
//! renames or drops an operation or a parameter, or a setter that goes back
//! to taking only its field's exact type, shows up here as a snapshot diff,
//! in both crates.

use quote::ToTokens;
use std::collections::BTreeMap;
use std::path::Path;
use studio_api::operations::OPERATIONS;
use syn::{ImplItem, Item, ReturnType};

/// One setter: its name and the bound on what it takes.
struct Setter {
    name: String,
    takes: String,
}

/// What a generated builder offers.
#[derive(Default)]
struct Builder {
    /// Setters in declaration order (without `body_map`).
    setters: Vec<Setter>,
    /// The code that sets the starting values, where a required field
    /// starts as `Err("<field> is required")`.
    start: String,
    send_is_async: bool,
    /// `stream` (async) or `iter` (blocking) on list builders.
    items: Option<String>,
    /// The body builder's name, for builders with a JSON body.
    body: Option<String>,
}

impl Builder {
    /// Required fields start as `Err("<field> is required")`; a raw body is
    /// required too.
    fn is_required(&self, setter: &str) -> bool {
        self.start.contains(&format!("\"{setter} is required\""))
    }

    fn required(&self) -> Vec<&str> {
        self.setters
            .iter()
            .map(|s| s.name.as_str())
            .filter(|s| self.is_required(s))
            .collect()
    }

    /// `name: takes` for each setter, required ones marked.
    fn listing(&self, skip: &[&str]) -> String {
        self.setters
            .iter()
            .filter(|s| !skip.contains(&s.name.as_str()))
            .map(|s| {
                let mark = if self.is_required(&s.name) {
                    " (required)"
                } else {
                    ""
                };
                format!("{}: {}{mark}", s.name, s.takes)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A type or bound as a reader writes it: without the paths.
fn short(tokens: impl ToTokens) -> String {
    let text = tokens.to_token_stream().to_string().replace(' ', "");
    [
        "::std::option::",
        "::std::string::",
        "::std::num::",
        "::std::vec::",
        "::std::collections::",
        "::chrono::offset::",
        "::chrono::",
        "::serde_json::",
        "crate::",
        "super::",
        "types::",
        "std::convert::",
        "::std::convert::",
    ]
    .iter()
    .fold(text.replace(",>", ">"), |text, path| text.replace(path, ""))
}

/// The bound on a setter's value: the first generic parameter's bounds,
/// or its `where` clause.
fn takes(f: &syn::ImplItemFn) -> String {
    let generics = &f.sig.generics;
    let bounds: Vec<String> = generics
        .type_params()
        .flat_map(|p| p.bounds.iter().map(short))
        .chain(
            generics
                .where_clause
                .iter()
                .flat_map(|w| w.predicates.iter().map(short)),
        )
        .collect();
    if bounds.is_empty() {
        f.sig
            .inputs
            .iter()
            .skip(1)
            .map(short)
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        bounds.join(" + ")
    }
}

fn builder(imp: &syn::ItemImpl, builder: &mut Builder) {
    for item in &imp.items {
        let ImplItem::Fn(f) = item else { continue };
        let name = f.sig.ident.to_string();
        if name == "new" {
            builder.start = f.block.to_token_stream().to_string();
        }
        if !matches!(f.vis, syn::Visibility::Public(_)) {
            continue;
        }
        match name.as_str() {
            "send" => builder.send_is_async = f.sig.asyncness.is_some(),
            "stream" | "iter" => builder.items = Some(name),
            "body_map" => {
                let input = f.sig.generics.where_clause.to_token_stream().to_string();
                builder.body = input
                    .split("builder ::")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next().map(str::to_string));
            }
            _ => builder.setters.push(Setter {
                takes: takes(f),
                name,
            }),
        }
    }
}

/// The builders of one module, by type name; typify's keep their starting
/// values in `impl Default`.
fn builders(items: &[Item]) -> BTreeMap<String, Builder> {
    let mut builders: BTreeMap<String, Builder> = BTreeMap::new();
    for item in items {
        if let Item::Impl(imp) = item {
            let name = imp.self_ty.to_token_stream().to_string();
            let name = name.split_whitespace().next().unwrap().to_string();
            let entry = builders.entry(name).or_default();
            match &imp.trait_ {
                None => builder(imp, entry),
                Some((_, path, _))
                    if path.is_ident("Default")
                        || path.to_token_stream().to_string().ends_with("Default") =>
                {
                    entry.start = imp.to_token_stream().to_string();
                }
                Some(_) => {}
            }
        }
    }
    builders
}

fn module<'a>(items: &'a [Item], name: &str) -> &'a [Item] {
    items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| &items[..]),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no module {name}"))
}

fn parse(relative: &str) -> syn::File {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Client method name → its builder, read from one generated file.
fn surface(relative: &str) -> BTreeMap<String, Builder> {
    let file = parse(relative);
    let mut methods = Vec::new();
    for item in &file.items {
        if let Item::Impl(imp) = item
            && imp.self_ty.to_token_stream().to_string() == "Client"
        {
            for item in &imp.items {
                if let ImplItem::Fn(f) = item
                    && let ReturnType::Type(_, ty) = &f.sig.output
                    && let Some(builder) = ty
                        .to_token_stream()
                        .to_string()
                        .replace(' ', "")
                        .strip_prefix("builder::")
                {
                    let builder = builder.trim_end_matches("<'_>").to_string();
                    methods.push((f.sig.ident.to_string(), builder));
                }
            }
        }
    }
    let mut operations = builders(module(&file.items, "builder"));
    methods
        .into_iter()
        .filter_map(|(method, name)| operations.remove(&name).map(|b| (method, b)))
        .collect()
}

/// The call as a user writes it: the required setters (checked to exist
/// in `builder`; a JSON body's required fields go inside `body_map`), then
/// `send()`.
fn call(
    method: &str,
    required: &[&str],
    builder: Option<&Builder>,
    body: Option<&Builder>,
) -> String {
    let Some(builder) = builder else {
        return "MISSING".into();
    };
    let mut out = format!("client.{method}()");
    for setter in required {
        if builder.setters.iter().any(|s| s.name == *setter) {
            out.push_str(&format!(".{setter}(..)"));
        } else {
            out.push_str(&format!(".MISSING_{setter}(..)"));
        }
    }
    let fields: Vec<String> = body
        .map(Builder::required)
        .unwrap_or_default()
        .iter()
        .map(|f| format!(".{f}(..)"))
        .collect();
    if !fields.is_empty() {
        out.push_str(&format!(".body_map(|b| b{})", fields.concat()));
    }
    out.push_str(".send()");
    if builder.send_is_async {
        out.push_str(".await");
    }
    out
}

#[test]
fn api_surface() {
    let async_surface = surface("studio-api/src/generated.rs");
    let blocking_surface = surface("studio-api-blocking/src/generated.rs");
    let types = parse("studio-api/src/generated.rs");
    let bodies = builders(module(module(&types.items, "types"), "builder"));
    let mut out = String::new();
    for op in OPERATIONS {
        let async_builder = async_surface.get(op.id);
        let body_name = async_builder.and_then(|b| b.body.clone());
        let body = body_name.as_ref().and_then(|name| bodies.get(name));
        out.push_str(&format!(
            "{} {} {}  scope={} paid={} bearer_only={} status={}\n",
            op.id, op.method, op.path, op.scope, op.paid, op.bearer_only, op.success_status
        ));
        let required = async_builder.map(Builder::required).unwrap_or_default();
        out.push_str(&format!(
            "  async:    {}\n",
            call(op.id, &required, async_builder, body)
        ));
        out.push_str(&format!(
            "  blocking: {}\n",
            call(op.id, &required, blocking_surface.get(op.id), body)
        ));
        if let Some(builder) = async_builder {
            let skip = if body.is_some() { &["body"][..] } else { &[] };
            let listing = builder.listing(skip);
            if !listing.is_empty() {
                out.push_str(&format!("  setters:  {listing}\n"));
            }
        }
        if let (Some(name), Some(body)) = (&body_name, body) {
            out.push_str(&format!("  body {name}: {}\n", body.listing(&[])));
        }
        if let Some(items) = async_builder.and_then(|b| b.items.as_deref()) {
            let blocking = blocking_surface
                .get(op.id)
                .and_then(|b| b.items.as_deref())
                .unwrap_or("MISSING");
            out.push_str(&format!(
                "  items:    async .{items}(), blocking .{blocking}()\n"
            ));
        }
    }
    assert_eq!(
        async_surface.len(),
        OPERATIONS.len(),
        "async client methods"
    );
    assert_eq!(
        blocking_surface.len(),
        OPERATIONS.len(),
        "blocking client methods"
    );
    insta::assert_snapshot!(out);
}
