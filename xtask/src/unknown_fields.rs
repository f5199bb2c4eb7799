//! Response structs keep the fields this version does not know.
//!
//! serde drops a JSON field a struct has no field for, so a response from
//! a newer server, decoded and serialised again (as the `studio` CLI
//! prints it), would lose whatever the server added. Every struct of
//! `types` that only success responses reach gains a field
//! [`FIELD`]: a `#[serde(flatten)]` map of the fields it does not know,
//! which serialise back as they came. Its builder (`types::builder::X`)
//! carries the map through `Default`, `TryFrom<builder::X>` and
//! `From<X>`, without a setter.
//!
//! A request body never gets it: an unknown key must not be silently
//! accepted into a request. So a struct that both a success response and
//! a request body (or parameter) reach is an error, as is a schema that
//! already has a property named [`FIELD`], a derive a map cannot satisfy,
//! and an inline object with properties in a response (typify names its
//! struct, which cannot be found from the spec: make it a component).
//!
//! Runs after [`crate::setters`] and [`crate::client_docs`], which rewrite
//! every builder field and setter and know nothing of this one.

use crate::facts::{component, resolve};
use crate::syntax::{Content, last_ident, module, structure};
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::collections::BTreeSet;
use syn::visit_mut::VisitMut;
use syn::{Fields, Item, ItemImpl};

/// The name of the field that holds the fields a struct does not know.
pub const FIELD: &str = "unknown_fields";

/// The prefix of every reference to a component schema.
const SCHEMAS: &str = "#/components/schemas/";

/// Derives that a `serde_json::Map` does not implement.
const UNSUPPORTED_DERIVES: [&str; 5] = ["Eq", "Hash", "Ord", "PartialOrd", "Copy"];

/// Gives every struct of `file` that only success responses of `doc`
/// reach its [`FIELD`] (see the module docs).
pub fn apply(file: &mut syn::File, doc: &Value) -> Result<()> {
    for name in response_only(doc)? {
        let types = module(&mut file.items, "types")?;
        let s = structure(types.content_mut()?, &name)?;
        let Fields::Named(fields) = &mut s.fields else {
            bail!("{name} is not a struct with named fields");
        };
        if fields
            .named
            .iter()
            .any(|f| f.ident.as_ref().is_some_and(|i| i == FIELD))
        {
            bail!("{name} already has a field {FIELD}");
        }
        if let Some(derive) = unsupported_derive(&s.attrs)? {
            bail!("{name} derives {derive}, which the map of its {FIELD} does not implement");
        }
        let field = syn::Ident::new(FIELD, proc_macro2::Span::call_site());
        fields.named.push(syn::parse_quote! {
            /// Fields the server sent that this version does not know, kept as sent (they serialise back).
            #[serde(flatten)]
            pub #field: ::serde_json::Map<::std::string::String, ::serde_json::Value>
        });
        let builder = module(types.content_mut()?, "builder")?.content_mut()?;
        let Fields::Named(fields) = &mut structure(builder, &name)?.fields else {
            bail!("the builder of {name} has no named fields");
        };
        fields.named.push(syn::parse_quote! {
            #field: ::serde_json::Map<::std::string::String, ::serde_json::Value>
        });
        let mut rewritten = 0;
        for item in builder.iter_mut() {
            let Item::Impl(imp) = item else { continue };
            let Some(value) = carried(imp, &name) else {
                continue;
            };
            let mut adder = AddField { value, added: 0 };
            adder.visit_item_impl_mut(imp);
            if adder.added != 1 {
                bail!(
                    "the builder of {name}: {} `Self {{ .. }}` in one impl",
                    adder.added
                );
            }
            rewritten += 1;
        }
        if rewritten != 3 {
            bail!(
                "the builder of {name}: found {rewritten} of its Default, TryFrom and From impls"
            );
        }
    }
    Ok(())
}

/// The value the impl `imp` of the builder module gives [`FIELD`] in the
/// `Self { .. }` it builds, when it is one of the three impls of the
/// builder of `name` that carry it.
fn carried(imp: &ItemImpl, name: &str) -> Option<syn::Expr> {
    let (_, trait_path, _) = imp.trait_.as_ref()?;
    let for_name = last_ident(&imp.self_ty).is_some_and(|n| n == name);
    let from_name = || {
        let syn::PathArguments::AngleBracketed(args) = &trait_path.segments.last()?.arguments
        else {
            return None;
        };
        match args.args.first()? {
            syn::GenericArgument::Type(ty) => last_ident(ty).filter(|n| n == name),
            _ => None,
        }
    };
    match trait_path.segments.last()?.ident.to_string().as_str() {
        "Default" if for_name => Some(syn::parse_quote!(::std::default::Default::default())),
        "TryFrom" | "From" if for_name && from_name().is_some() => {
            let field = syn::Ident::new(FIELD, proc_macro2::Span::call_site());
            Some(syn::parse_quote!(value.#field))
        }
        _ => None,
    }
}

/// Adds `FIELD: value` to every `Self { .. }` it visits.
struct AddField {
    value: syn::Expr,
    added: usize,
}

impl VisitMut for AddField {
    fn visit_expr_struct_mut(&mut self, expr: &mut syn::ExprStruct) {
        syn::visit_mut::visit_expr_struct_mut(self, expr);
        if expr.path.is_ident("Self") {
            let field = syn::Ident::new(FIELD, proc_macro2::Span::call_site());
            let value = &self.value;
            expr.fields.push(syn::parse_quote!(#field: #value));
            self.added += 1;
        }
    }
}

/// The first derive in `attrs` that a map cannot satisfy.
fn unsupported_derive(attrs: &[syn::Attribute]) -> Result<Option<String>> {
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let paths = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        )?;
        for path in paths {
            let last = path.segments.last().map(|s| s.ident.to_string());
            if let Some(last) = last.filter(|l| UNSUPPORTED_DERIVES.contains(&l.as_str())) {
                return Ok(Some(last));
            }
        }
    }
    Ok(None)
}

/// The component schemas that success responses reach and no request
/// body or parameter does, by name; fails when an object schema is
/// reached from both, or has a property named [`FIELD`].
pub fn response_only(doc: &Value) -> Result<BTreeSet<String>> {
    let mut responses = Reach::new(doc, true);
    let mut requests = Reach::new(doc, false);
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let item_parameters = item["parameters"].as_array().into_iter().flatten();
        requests.parameters(item_parameters, path)?;
        for (method, op) in item.as_object().into_iter().flatten() {
            if method == "parameters" {
                continue;
            }
            let at = format!("{method} {path}");
            requests.parameters(op["parameters"].as_array().into_iter().flatten(), &at)?;
            requests.content(&resolve(doc, &op["requestBody"])["content"], &at)?;
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                if status.starts_with('2') {
                    let at = format!("{at} {status}");
                    responses.content(&resolve(doc, response)["content"], &at)?;
                }
            }
        }
    }
    let both: Vec<&String> = responses.objects.intersection(&requests.objects).collect();
    if !both.is_empty() {
        bail!(
            "{both:?} are reached from both a success response and a request; a response struct keeps unknown fields, a request must not"
        );
    }
    for name in &responses.objects {
        if !component(doc, name)?["properties"][FIELD].is_null() {
            bail!(
                "{name} has a property named {FIELD}, the name kept for fields this version does not know"
            );
        }
    }
    Ok(responses.objects)
}

/// The component object schemas reached from some schemas.
struct Reach<'a> {
    doc: &'a Value,
    /// Whether an inline object with properties is an error (in a response).
    named_objects_only: bool,
    /// Every component schema reached, objects or not.
    seen: BTreeSet<String>,
    /// The component schemas reached that are objects with properties.
    objects: BTreeSet<String>,
}

impl<'a> Reach<'a> {
    fn new(doc: &'a Value, named_objects_only: bool) -> Self {
        Reach {
            doc,
            named_objects_only,
            seen: BTreeSet::new(),
            objects: BTreeSet::new(),
        }
    }

    /// The schemas of a request body's or response's media types.
    fn content(&mut self, content: &'a Value, at: &str) -> Result<()> {
        for (media, value) in content.as_object().into_iter().flatten() {
            self.schema(&value["schema"], &format!("{at} {media}"), true)?;
        }
        Ok(())
    }

    /// The schemas of some parameters (each possibly a reference).
    fn parameters(&mut self, parameters: impl Iterator<Item = &'a Value>, at: &str) -> Result<()> {
        for parameter in parameters {
            let parameter = resolve(self.doc, parameter);
            self.schema(&parameter["schema"], at, true)?;
            self.content(&parameter["content"], at)?;
        }
        Ok(())
    }

    /// `schema` and what it reaches; `named` when it is a component's own
    /// schema (or a root) rather than one inline in another.
    fn schema(&mut self, schema: &'a Value, at: &str, named: bool) -> Result<()> {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference
                .strip_prefix(SCHEMAS)
                .with_context(|| format!("{at}: {reference} is not a component schema"))?;
            if self.seen.insert(name.to_string()) {
                let target = component(self.doc, name)?;
                if target["properties"].is_object() || target["allOf"].is_array() {
                    self.objects.insert(name.to_string());
                }
                self.schema(target, name, true)?;
            }
            return Ok(());
        }
        if self.named_objects_only && !named && schema["properties"].is_object() {
            bail!(
                "{at}: an inline object with properties in a success response; make it a component schema so that its struct keeps the fields it does not know"
            );
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            self.schema(property, &format!("{at}.{name}"), false)?;
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for member in schema[key].as_array().into_iter().flatten() {
                // A member of a component's allOf is merged into its struct.
                self.schema(member, at, named && key == "allOf")?;
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if schema[key].is_object() {
                self.schema(&schema[key], &format!("{at}.{key}"), false)?;
            }
        }
        Ok(())
    }
}
