//! A reviewed snapshot of the whole API surface: one entry per operation with
//! its method, path, scope and flags, the call a user writes in each crate,
//! and for lists the method that reads every page.
//!
//! The calls are read from the generated sources, so a spec change that adds,
//! renames or drops an operation or a parameter shows up here as a snapshot
//! diff, in both crates.

use quote::ToTokens;
use std::collections::BTreeMap;
use std::path::Path;
use studio_api::operations::OPERATIONS;
use syn::{ImplItem, Item, ReturnType};

/// What a generated builder offers.
#[derive(Default)]
struct Builder {
    /// Setters in declaration order (without the `*_map` variants).
    setters: Vec<String>,
    /// The body of `new()`, where progenitor marks required fields.
    new_body: String,
    send_is_async: bool,
    /// `stream` (async) or `iter` (blocking) on list builders.
    items: Option<String>,
}

impl Builder {
    /// Required in the async builders: initialised as `Err("x was not initialized")`.
    /// A body is listed as required too: a user always writes it.
    fn is_required(&self, setter: &str) -> bool {
        setter == "body"
            || self
                .new_body
                .contains(&format!("\"{setter} was not initialized\""))
    }
}

/// Client method name → its builder, read from one generated file.
fn surface(relative: &str) -> BTreeMap<String, Builder> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut methods = Vec::new();
    let mut builders = BTreeMap::new();
    for item in &file.items {
        match item {
            Item::Impl(imp) if imp.self_ty.to_token_stream().to_string() == "Client" => {
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
            Item::Mod(m) if m.ident == "builder" => {
                for item in &m.content.as_ref().unwrap().1 {
                    if let Item::Impl(imp) = item {
                        let name = imp.self_ty.to_token_stream().to_string();
                        let name = name.split_whitespace().next().unwrap().to_string();
                        builders.insert(name, builder(imp));
                    }
                }
            }
            _ => {}
        }
    }
    methods
        .into_iter()
        .filter_map(|(method, name)| builders.remove(&name).map(|b| (method, b)))
        .collect()
}

fn builder(imp: &syn::ItemImpl) -> Builder {
    let mut builder = Builder::default();
    for item in &imp.items {
        let ImplItem::Fn(f) = item else { continue };
        if !matches!(f.vis, syn::Visibility::Public(_)) {
            continue;
        }
        match f.sig.ident.to_string().as_str() {
            "new" => builder.new_body = f.block.to_token_stream().to_string(),
            "send" => builder.send_is_async = f.sig.asyncness.is_some(),
            "stream" | "iter" => builder.items = Some(f.sig.ident.to_string()),
            name if name.ends_with("_map") => {}
            name => builder.setters.push(name.to_string()),
        }
    }
    builder
}

/// The call as a user writes it: required setters, then `send()`.
fn call(method: &str, required: &[&str], builder: Option<&Builder>) -> String {
    let Some(builder) = builder else {
        return "MISSING".into();
    };
    let mut out = format!("client.{method}()");
    for setter in required {
        if builder.setters.iter().any(|s| s == setter) {
            out.push_str(&format!(".{setter}(..)"));
        } else {
            out.push_str(&format!(".MISSING_{setter}(..)"));
        }
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
    let mut out = String::new();
    for op in OPERATIONS {
        let async_builder = async_surface.get(op.id);
        let (required, optional): (Vec<&str>, Vec<&str>) = async_builder
            .map(|b| {
                b.setters
                    .iter()
                    .map(String::as_str)
                    .partition(|s| b.is_required(s))
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "{} {} {}  scope={} paid={} bearer_only={} status={}\n",
            op.id, op.method, op.path, op.scope, op.paid, op.bearer_only, op.success_status
        ));
        out.push_str(&format!(
            "  async:    {}\n",
            call(op.id, &required, async_builder)
        ));
        out.push_str(&format!(
            "  blocking: {}\n",
            call(op.id, &required, blocking_surface.get(op.id))
        ));
        if !optional.is_empty() {
            out.push_str(&format!("  optional: {}\n", optional.join(", ")));
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
