//! Setters that take the plain values a user has in hand, documented from
//! the spec.
//!
//! typify's body builders and progenitor's operation builders give every
//! setter a `TryInto<T>` bound, which `&str` does not meet for an
//! `Option<String>`, an unsuffixed integer does not meet for a `NonZeroU32`,
//! and a bare `None` never meets; and the orphan rule forbids the impls that
//! would fix it. This pass gives every setter of both kinds of builder the
//! bound `V: crate::IntoField<F>` (`F` being the field's type), generates
//! the impls of `IntoField` for each field type, adds the spec's range and
//! item-count checks to the setter, and writes each setter's docs
//! (description, required or not, default, range, what it takes). It also
//! makes a missing required field say `<field> is required`, and lists the
//! required fields in each builder's docs.

use crate::facts::{self, Facts};
use crate::syntax::{Content, inner, last_ident, module, structure};
use anyhow::{Context, Result, bail};
use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, format_ident, quote};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use syn::visit_mut::VisitMut;
use syn::{Fields, ImplItem, ImplItemFn, Item, ItemImpl, ItemStruct, Type};

/// The kind of value a field holds, under any `Option` or `Vec`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Base {
    /// `String`.
    Text,
    /// A typify newtype over a length-checked `String`.
    Newtype(String),
    /// A string enum.
    Enum(String),
    /// A whole number; the name of its Rust type.
    Int(&'static str),
    /// `f64`.
    Float,
    /// `bool`.
    Bool,
    /// `chrono::DateTime<Utc>`.
    DateTime,
    /// `serde_json::Map<String, Value>`.
    Map,
    /// `serde_json::Value`.
    Json,
    /// A generated struct.
    Object(String),
    /// A standard collection (a map of lists, say), taken only as itself;
    /// the path as written at the root of the generated file.
    Exact(String),
}

/// How a field wraps its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Wrap {
    /// `B`.
    One,
    /// `Option<B>`.
    Optional,
    /// `Option<Option<B>>`: an update's nullable field.
    Nullable,
    /// `Vec<B>`.
    List,
    /// `Option<Vec<B>>`.
    OptionalList,
}

/// A field type the generated setters take.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Shape {
    wrap: Wrap,
    base: Base,
}

/// Whole-number types a field may have, with the values they hold.
const INTEGERS: [(&str, i128, i128); 5] = [
    ("i32", i32::MIN as i128, i32::MAX as i128),
    ("i64", i64::MIN as i128, i64::MAX as i128),
    ("u32", 0, u32::MAX as i128),
    ("u64", 0, u64::MAX as i128),
    ("NonZeroU32", 1, u32::MAX as i128),
];

/// The integer types a caller may pass for a whole-number field.
const INTEGER_SOURCES: [&str; 10] = [
    "i8", "i16", "i32", "i64", "isize", "u8", "u16", "u32", "u64", "usize",
];

/// The number types a float field takes exactly (`f64::from`); the other
/// integers are converted with `as`, to the nearest `f64`.
const EXACT_FLOAT_SOURCES: [&str; 7] = ["f64", "f32", "i8", "i16", "i32", "u8", "u16"];

/// Which generated types are enums, newtypes or structs, by name.
fn kinds(types: &[Item]) -> HashMap<String, Base> {
    types
        .iter()
        .filter_map(|item| match item {
            Item::Enum(e) => Some((e.ident.to_string(), Base::Enum(e.ident.to_string()))),
            Item::Struct(s) => {
                let name = s.ident.to_string();
                let base = match &s.fields {
                    Fields::Named(_) => Base::Object(name.clone()),
                    Fields::Unnamed(_) => Base::Newtype(name.clone()),
                    Fields::Unit => return None,
                };
                Some((name, base))
            }
            _ => None,
        })
        .collect()
}

fn base_of(ty: &Type, kinds: &HashMap<String, Base>) -> Result<Base> {
    let name = last_ident(ty).with_context(|| format!("unnamed type {}", tokens(ty)))?;
    Ok(match name.as_str() {
        "String" => Base::Text,
        "f64" => Base::Float,
        "bool" => Base::Bool,
        "DateTime" => Base::DateTime,
        "Map" => Base::Map,
        "Value" => Base::Json,
        other => match INTEGERS.iter().find(|(n, ..)| *n == other) {
            Some((n, ..)) => Base::Int(n),
            None => match kinds.get(other) {
                Some(kind) => kind.clone(),
                None if tokens(ty).starts_with("::std::collections::") => Base::Exact(tokens(ty)),
                None => bail!("no setter conversion for type {}", tokens(ty)),
            },
        },
    })
}

fn shape_of(ty: &Type, kinds: &HashMap<String, Base>) -> Result<Shape> {
    let (wrap, base) = match (inner(ty, "Option"), inner(ty, "Vec")) {
        (Some(opt), _) => match (inner(opt, "Option"), inner(opt, "Vec")) {
            (Some(nullable), _) => (Wrap::Nullable, nullable),
            (_, Some(item)) => (Wrap::OptionalList, item),
            _ => (Wrap::Optional, opt),
        },
        (_, Some(item)) => (Wrap::List, item),
        _ => (Wrap::One, ty),
    };
    Ok(Shape {
        wrap,
        base: base_of(base, kinds)?,
    })
}

fn tokens(ty: &impl ToTokens) -> String {
    ty.to_token_stream().to_string().replace(' ', "")
}

impl Base {
    /// The type, as written at the root of the generated file.
    fn ty(&self) -> TokenStream {
        match self {
            Base::Text => quote!(::std::string::String),
            Base::Newtype(n) | Base::Enum(n) | Base::Object(n) => {
                let n = format_ident!("{n}");
                quote!(types::#n)
            }
            Base::Int("NonZeroU32") => quote!(::std::num::NonZeroU32),
            Base::Int(n) => format_ident!("{n}").into_token_stream(),
            Base::Float => quote!(f64),
            Base::Bool => quote!(bool),
            Base::DateTime => quote!(::chrono::DateTime<::chrono::offset::Utc>),
            Base::Map => quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>),
            Base::Json => quote!(::serde_json::Value),
            Base::Exact(path) => path.parse().expect("a type that was parsed before"),
        }
    }

    /// Each value a caller may pass, with the expression that turns `self`
    /// into a `Result<Self, String>`.
    fn sources(&self) -> Vec<(TokenStream, TokenStream)> {
        let ty = self.ty();
        let to_string = quote!(.map_err(|e| e.to_string()));
        match self {
            Base::Text => vec![
                (quote!(&str), quote!(Ok(self.to_string()))),
                (quote!(::std::string::String), quote!(Ok(self))),
                (quote!(&::std::string::String), quote!(Ok(self.clone()))),
            ],
            Base::Newtype(_) => vec![
                (quote!(&str), quote!(#ty::try_from(self) #to_string)),
                (
                    quote!(::std::string::String),
                    quote!(#ty::try_from(self) #to_string),
                ),
                (
                    quote!(&::std::string::String),
                    quote!(#ty::try_from(self.as_str()) #to_string),
                ),
                (ty.clone(), quote!(Ok(self))),
                (quote!(&#ty), quote!(Ok(self.clone()))),
            ],
            Base::Enum(name) => vec![
                (quote!(&str), quote!(self.parse::<#ty>() #to_string)),
                (
                    quote!(::std::string::String),
                    quote!(self.parse::<#ty>() #to_string),
                ),
                (
                    quote!(&::std::string::String),
                    quote!(self.parse::<#ty>() #to_string),
                ),
            ]
            .into_iter()
            .chain([ty.clone(), quote!(&#ty)].map(|source| {
                // A value read from a response may be one this client does
                // not know; only a known one can be sent.
                let convert = quote! {
                    self.to_string().parse::<#ty>().map_err(|_| format!(
                        "{} value {:?} is not known to this client and cannot be sent",
                        #name, self.as_str()
                    ))
                };
                (source, convert)
            }))
            .collect(),
            Base::Int(target) => {
                let convert = if *target == "NonZeroU32" {
                    quote! {
                        u32::try_from(self).ok().and_then(::std::num::NonZeroU32::new)
                            .ok_or_else(|| format!("{self} is not a positive whole number"))
                    }
                } else {
                    quote!(#ty::try_from(self) #to_string)
                };
                let mut sources: Vec<_> = INTEGER_SOURCES
                    .iter()
                    .map(|s| (format_ident!("{s}").into_token_stream(), convert.clone()))
                    .collect();
                if *target == "NonZeroU32" {
                    sources.push((ty, quote!(Ok(self))));
                }
                sources
            }
            Base::Float => INTEGER_SOURCES
                .iter()
                .chain(&["f64", "f32"])
                .map(|source| {
                    let ty = format_ident!("{source}");
                    let convert = if EXACT_FLOAT_SOURCES.contains(source) || *source == "u32" {
                        quote!(Ok(f64::from(self)))
                    } else {
                        quote!(Ok(self as f64))
                    };
                    (ty.into_token_stream(), convert)
                })
                .collect(),
            Base::Bool => vec![(quote!(bool), quote!(Ok(self)))],
            Base::DateTime => {
                let parse = quote! {
                    ::chrono::DateTime::parse_from_rfc3339(&self)
                        .map(|t| t.with_timezone(&::chrono::offset::Utc))
                        .map_err(|e| format!("{self:?} is not an RFC 3339 timestamp: {e}"))
                };
                vec![
                    (ty, quote!(Ok(self))),
                    (quote!(::std::time::SystemTime), quote!(Ok(self.into()))),
                    (quote!(&str), parse.clone()),
                    (quote!(::std::string::String), parse),
                ]
            }
            Base::Map => vec![
                (ty, quote!(Ok(self))),
                (
                    quote!(::serde_json::Value),
                    quote! {
                        match self {
                            ::serde_json::Value::Object(map) => Ok(map),
                            other => Err(format!("expected a JSON object, not {other}")),
                        }
                    },
                ),
            ],
            Base::Json | Base::Exact(_) => vec![(ty, quote!(Ok(self)))],
            Base::Object(n) => {
                let n = format_ident!("{n}");
                vec![
                    (ty.clone(), quote!(Ok(self))),
                    (
                        quote!(types::builder::#n),
                        quote!(#ty::try_from(self) #to_string),
                    ),
                ]
            }
        }
    }

    /// The type's name, as a reader writes it.
    fn name(&self) -> String {
        match self {
            Base::Text => "String".into(),
            Base::Newtype(n) | Base::Enum(n) | Base::Object(n) => n.clone(),
            Base::Int(n) => n.to_string(),
            Base::Float => "f64".into(),
            Base::Bool => "bool".into(),
            Base::DateTime => "DateTime<Utc>".into(),
            Base::Map => "serde_json::Map".into(),
            Base::Json => "serde_json::Value".into(),
            Base::Exact(path) => path.clone(),
        }
    }

    /// What a caller may pass, in words, for the setter's docs.
    fn takes(&self, facts: &Facts) -> String {
        match self {
            Base::Text => "a `&str` or `String`".into(),
            Base::Newtype(n) => format!("a `&str`, `String` or `{n}`"),
            Base::Enum(n) => {
                let values: Vec<String> = facts.values.iter().map(|v| format!("`{v:?}`")).collect();
                format!(
                    "a `{n}`, or its wire value as a string: {}",
                    values.join(", ")
                )
            }
            Base::Int(_) => "an integer of any integer type".into(),
            Base::Float => "a number: an `f64`, `f32` or integer".into(),
            Base::Bool => "a `bool`".into(),
            Base::DateTime => {
                "a `chrono::DateTime<Utc>`, a `std::time::SystemTime` or an RFC 3339 string".into()
            }
            Base::Map => {
                "a JSON object: a `serde_json::Map`, or a `serde_json::Value` holding one".into()
            }
            Base::Json => "a `serde_json::Value`".into(),
            Base::Object(n) => format!("the struct `{n}` or its builder"),
            Base::Exact(_) => "a value of the field's own type".into(),
        }
    }
}

impl Shape {
    /// The field type, as written at the root of the generated file.
    fn ty(&self) -> TokenStream {
        let base = self.base.ty();
        match self.wrap {
            Wrap::One => base,
            Wrap::Optional => quote!(::std::option::Option<#base>),
            Wrap::Nullable => quote!(::std::option::Option<::std::option::Option<#base>>),
            Wrap::List => quote!(::std::vec::Vec<#base>),
            Wrap::OptionalList => quote!(::std::option::Option<::std::vec::Vec<#base>>),
        }
    }

    /// The impls of `IntoField` for this field type.
    fn impls(&self) -> TokenStream {
        let target = self.ty();
        let base = self.base.ty();
        let one = |source: &TokenStream, body: TokenStream| {
            quote! {
                impl crate::IntoField<#target> for #source {
                    fn into_field(self) -> ::std::result::Result<#target, ::std::string::String> {
                        #body
                    }
                }
            }
        };
        match self.wrap {
            Wrap::One | Wrap::Optional | Wrap::Nullable => {
                let wrap = match self.wrap {
                    Wrap::One => quote!(),
                    Wrap::Optional => quote!(.map(Some)),
                    _ => quote!(.map(|value| Some(Some(value)))),
                };
                let mut out: Vec<TokenStream> = self
                    .base
                    .sources()
                    .into_iter()
                    .map(|(source, convert)| one(&source, quote!(#convert #wrap)))
                    .collect();
                match self.wrap {
                    Wrap::Optional => out.push(one(&target, quote!(Ok(self)))),
                    Wrap::Nullable => out.push(one(
                        &quote!(::std::option::Option<#base>),
                        quote!(Ok(Some(self))),
                    )),
                    _ => {}
                }
                quote!(#(#out)*)
            }
            Wrap::List | Wrap::OptionalList => {
                let wrap = match self.wrap {
                    Wrap::List => quote!(),
                    _ => quote!(.map(Some)),
                };
                let collect = quote! {
                    .enumerate()
                    .map(|(i, item)| crate::IntoField::<#base>::into_field(item)
                        .map_err(|e| format!("item {}: {e}", i + 1)))
                    .collect::<::std::result::Result<::std::vec::Vec<#base>, _>>()
                    #wrap
                };
                let exact = if self.wrap == Wrap::List {
                    one(&target, quote!(Ok(self)))
                } else {
                    let list = one(&quote!(::std::vec::Vec<#base>), quote!(Ok(Some(self))));
                    let option = one(&target, quote!(Ok(self)));
                    quote!(#list #option)
                };
                quote! {
                    #exact
                    impl<S: crate::IntoField<#base>, const N: usize> crate::IntoField<#target> for [S; N] {
                        fn into_field(self) -> ::std::result::Result<#target, ::std::string::String> {
                            self.into_iter() #collect
                        }
                    }
                    impl<S: crate::IntoField<#base> + Clone> crate::IntoField<#target> for &[S] {
                        fn into_field(self) -> ::std::result::Result<#target, ::std::string::String> {
                            self.iter().cloned() #collect
                        }
                    }
                    impl<S: crate::IntoField<#base> + Clone> crate::IntoField<#target> for &::std::vec::Vec<S> {
                        fn into_field(self) -> ::std::result::Result<#target, ::std::string::String> {
                            self.iter().cloned() #collect
                        }
                    }
                }
            }
        }
    }
}

/// Which builders a pass over one module rewrites.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Builders {
    /// typify's `types::builder`: one per schema, fields are properties.
    Bodies,
    /// progenitor's `builder`: one per operation, fields are parameters.
    Operations,
}

/// Rewrites every setter of both kinds of builder and adds the impls.
pub fn apply(file: &mut syn::File, doc: &Value) -> Result<()> {
    let operations = crate::typed_errors::builder_operations(file);
    let updates = facts::update_bodies(doc);
    let types = module(&mut file.items, "types")?;
    let kinds = kinds(types.content_mut()?);
    let mut shapes = BTreeMap::new();
    let bodies = module(types.content_mut()?, "builder")?.content_mut()?;
    let count = rewrite(
        bodies,
        Builders::Bodies,
        &kinds,
        &mut shapes,
        |builder, field| {
            let mut facts = facts::property(doc, builder, field)?;
            facts.update = updates.iter().any(|u| u == builder);
            Ok(facts)
        },
    )?;
    if count == 0 {
        bail!("no body builder in types::builder");
    }
    let ops = module(&mut file.items, "builder")?.content_mut()?;
    rewrite(
        ops,
        Builders::Operations,
        &kinds,
        &mut shapes,
        |builder, param| {
            let operation = operations
                .get(builder)
                .with_context(|| format!("no Client method returns builder {builder}"))?;
            facts::parameter(doc, operation, param)
        },
    )?;
    let impls = shapes.values().map(Shape::impls);
    file.items.push(syn::parse_quote! {
        /// What each setter accepts: see `crate::IntoField`.
        #[allow(clippy::all)]
        mod into_field {
            use super::types;
            #(#impls)*
        }
    });
    Ok(())
}

/// A builder field: its name, its type as written in the builder, and the
/// type without the `Result<_, String>` typify and progenitor wrap it in.
fn fields(s: &ItemStruct) -> Vec<(String, Type)> {
    let Fields::Named(named) = &s.fields else {
        return Vec::new();
    };
    named
        .named
        .iter()
        .filter_map(|f| {
            let name = f.ident.as_ref()?.to_string();
            let ty = inner(&f.ty, "Result")?.clone();
            Some((name, ty))
        })
        .collect()
}

/// Rewrites the builders among `items`; returns how many it rewrote.
fn rewrite(
    items: &mut [Item],
    builders: Builders,
    kinds: &HashMap<String, Base>,
    shapes: &mut BTreeMap<String, Shape>,
    facts_of: impl Fn(&str, &str) -> Result<Facts>,
) -> Result<usize> {
    let structs: Vec<ItemStruct> = items
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    for s in &structs {
        let builder = s.ident.to_string();
        let mut setters = Vec::new();
        let mut body = None;
        for (field, ty) in fields(s) {
            if builders == Builders::Operations && field == "body" {
                body = Some(ty);
                continue;
            }
            let property = field.trim_end_matches('_').to_string();
            let facts = facts_of(&builder, &property)?;
            if !facts.unchecked.is_empty() {
                bail!(
                    "{builder}.{property}: the setters cannot check {}",
                    facts.unchecked.join(", ")
                );
            }
            let shape = shape_of(&ty, kinds).with_context(|| format!("{builder}.{field}"))?;
            if matches!(shape.wrap, Wrap::List | Wrap::OptionalList) {
                let one = Shape {
                    wrap: Wrap::One,
                    base: shape.base.clone(),
                };
                shapes.insert(tokens(&one.ty()), one);
            }
            shapes.insert(tokens(&shape.ty()), shape.clone());
            setters.push(Setter {
                field,
                property,
                ty,
                shape,
                facts,
            });
        }
        let methods = inherent_impl(items, &builder)?;
        let mut rewritten = 0;
        for method in methods.items.iter_mut() {
            let ImplItem::Fn(f) = method else { continue };
            let name = f.sig.ident.to_string();
            if let Some(setter) = setters.iter().find(|s| s.field == name) {
                *f = setter.method(builders);
                rewritten += 1;
            } else if let Some(body) = &body {
                document_body_method(f, body);
            }
        }
        if rewritten != setters.len() {
            bail!(
                "builder {builder}: rewrote {rewritten} setters of {} fields",
                setters.len()
            );
        }
        let raw_body = body
            .as_ref()
            .is_some_and(|b| inner(b, "Option").is_none() && !tokens(b).contains("builder::"));
        let expected = setters.iter().filter(|s| s.facts.required).count() + usize::from(raw_body);
        let replaced = required_messages(items, &builder, builders)?;
        if replaced != expected {
            bail!(
                "builder {builder}: {replaced} required-field messages for {expected} required fields"
            );
        }
        document_builder(items, &builder, &setters, body.as_ref(), builders)?;
        if builders == Builders::Bodies {
            bound_conversion(items, &builder, &setters)?;
        }
    }
    Ok(structs.len())
}

/// One setter: the field it sets, the property or parameter it stands for,
/// the field's type as the builder writes it, its shape and the spec's facts.
struct Setter {
    field: String,
    property: String,
    ty: Type,
    shape: Shape,
    facts: Facts,
}

impl Setter {
    /// The setter. An operation builder's checks the bounds too; a body
    /// builder's leave them to the builder's `TryFrom`, which also checks a
    /// body given whole.
    fn method(&self, builders: Builders) -> ImplItemFn {
        let field = format_ident!("{}", self.field);
        let ty = &self.ty;
        let convert = self.convert();
        let value = match builders {
            Builders::Operations => self.bounded(convert.clone()).unwrap_or(convert),
            Builders::Bodies => convert,
        };
        let docs = self.docs();
        syn::parse_quote! {
            #(#[doc = #docs])*
            pub fn #field<V: crate::IntoField<#ty>>(mut self, value: V) -> Self {
                self.#field = #value;
                self
            }
        }
    }

    /// `value` converted: a number that does not fit gets the message
    /// stating its range; any other error is prefixed with the field.
    fn convert(&self) -> TokenStream {
        let value = quote!(crate::IntoField::into_field(value));
        match (&self.bounds(), &self.shape.base) {
            (Some((_, _, message)), Base::Int(_) | Base::Float) if !self.is_list() => {
                quote!(#value.map_err(|_| #message.to_string()))
            }
            _ => {
                let name = &self.property;
                quote!(crate::field::plain(#value, #name))
            }
        }
    }

    /// `value` checked against the spec's bounds, if it has any.
    fn bounded(&self, value: TokenStream) -> Option<TokenStream> {
        let (min, max, message) = self.bounds()?;
        let (min, max) = (float(min), float(max));
        Some(quote!(crate::field::bounded(#value, #min, #max, #message)))
    }

    fn is_list(&self) -> bool {
        matches!(self.shape.wrap, Wrap::List | Wrap::OptionalList)
    }

    /// The range a number, or a list's length, must lie in, and the message
    /// that states it; every number has one (at least: finite, and within
    /// its type).
    fn bounds(&self) -> Option<(f64, f64, String)> {
        let name = &self.property;
        let facts = &self.facts;
        match &self.shape.base {
            _ if self.is_list() => {
                if facts.min_items.is_none() && facts.max_items.is_none() {
                    return None;
                }
                let message = format!(
                    "{name} must have {}",
                    range(facts.min_items, facts.max_items, "item")
                );
                let min = facts.min_items.unwrap_or(0) as f64;
                let max = facts.max_items.map_or(f64::INFINITY, |m| m as f64);
                Some((min, max, message))
            }
            Base::Int(ty) => {
                let (_, lo, hi) = INTEGERS
                    .iter()
                    .find(|(n, ..)| n == ty)
                    .expect("a known integer type");
                let lo = facts.minimum.map_or(*lo, |m| (*lo).max(m.ceil() as i128));
                let hi = facts.maximum.map_or(*hi, |m| (*hi).min(m.floor() as i128));
                let message = format!("{name} must be between {lo} and {hi}");
                Some((lo as f64, hi as f64, message))
            }
            Base::Float => {
                let message = match (facts.minimum, facts.maximum) {
                    (Some(lo), Some(hi)) => format!("{name} must be between {lo} and {hi}"),
                    (Some(lo), None) => format!("{name} must be a number of at least {lo}"),
                    (None, Some(hi)) => format!("{name} must be a number of at most {hi}"),
                    (None, None) => format!("{name} must be a finite number"),
                };
                let lo = facts.minimum.unwrap_or(f64::NEG_INFINITY);
                let hi = facts.maximum.unwrap_or(f64::INFINITY);
                Some((lo, hi, message))
            }
            _ => None,
        }
    }

    /// The setter's docs: the description, then one paragraph on what it
    /// needs and takes.
    fn docs(&self) -> Vec<String> {
        let facts = &self.facts;
        let mut lines: Vec<String> = facts
            .description
            .as_deref()
            .unwrap_or("")
            .lines()
            .map(str::to_string)
            .collect();
        lines.push(String::new());
        let mut need = if facts.required {
            "**Required.**".to_string()
        } else {
            match &facts.default {
                Some(default) => format!("Optional; the server's default is `{default}`."),
                None => "Optional.".into(),
            }
        };
        let is_list = matches!(self.shape.wrap, Wrap::List | Wrap::OptionalList);
        let text = matches!(self.shape.base, Base::Text | Base::Newtype(_));
        let mut limits = Vec::new();
        if is_list && (facts.min_items.is_some() || facts.max_items.is_some()) {
            limits.push(range(facts.min_items, facts.max_items, "item"));
        }
        if text && (facts.min_length.is_some() || facts.max_length.is_some()) {
            let prefix = if is_list { "each " } else { "" };
            limits.push(format!(
                "{prefix}{}",
                range(facts.min_length, facts.max_length, "character")
            ));
        }
        if facts.minimum.is_some() || facts.maximum.is_some() {
            limits.push(match (facts.minimum, facts.maximum) {
                (Some(lo), Some(hi)) => format!("from {lo} to {hi}"),
                (Some(lo), None) => format!("at least {lo}"),
                (_, hi) => format!("at most {}", hi.unwrap_or_default()),
            });
        }
        if !limits.is_empty() {
            let limits = limits.join(", ");
            need.push_str(&format!(" {}{}.", limits[..1].to_uppercase(), &limits[1..]));
        }
        let takes = self.shape.base.takes(facts);
        let takes = if is_list {
            format!(
                "a `Vec<{}>`, or an array, slice or `&Vec` whose items are each {takes}",
                self.shape.base.name()
            )
        } else {
            takes
        };
        let none = match self.shape.wrap {
            Wrap::One | Wrap::List => "",
            Wrap::Nullable => {
                " `None` clears it (sends `null`); not calling this setter leaves it unchanged."
            }
            Wrap::OptionalList if facts.update => {
                " An empty list empties it (sends `[]`); not calling this setter leaves it unchanged."
            }
            Wrap::Optional | Wrap::OptionalList => " `None` leaves it out.",
        };
        lines.push(format!("{need} Takes {takes}.{none}"));
        lines
            .into_iter()
            .map(|l| format!(" {l}").trim_end().to_string())
            .collect()
    }
}

/// "1 to 200 characters", "at most 50 items", "at least 1 item".
fn range(min: Option<u64>, max: Option<u64>, unit: &str) -> String {
    let plural = |n: u64| {
        if n == 1 {
            unit.to_string()
        } else {
            format!("{unit}s")
        }
    };
    match (min, max) {
        (Some(lo), Some(hi)) => format!("{lo} to {hi} {}", plural(hi)),
        (Some(lo), None) => format!("at least {lo} {}", plural(lo)),
        (_, hi) => {
            let hi = hi.unwrap_or_default();
            format!("at most {hi} {}", plural(hi))
        }
    }
}

/// An `f64` in code: a literal, or an infinity.
fn float(value: f64) -> TokenStream {
    if value == f64::INFINITY {
        quote!(f64::INFINITY)
    } else if value == f64::NEG_INFINITY {
        quote!(f64::NEG_INFINITY)
    } else {
        Literal::f64_suffixed(value).into_token_stream()
    }
}

/// The inherent `impl` of builder `name` among `items`.
fn inherent_impl<'a>(items: &'a mut [Item], name: &str) -> Result<&'a mut ItemImpl> {
    items
        .iter_mut()
        .find_map(|item| match item {
            Item::Impl(imp)
                if imp.trait_.is_none() && last_ident(&imp.self_ty).as_deref() == Some(name) =>
            {
                Some(imp)
            }
            _ => None,
        })
        .with_context(|| format!("builder {name} has no methods"))
}

/// Rewrites "no value supplied for x" (typify) and "x was not initialized"
/// (progenitor) to "x is required" where builder `name` starts out; returns
/// how many it rewrote.
fn required_messages(items: &mut [Item], name: &str, builders: Builders) -> Result<usize> {
    struct Required(usize);
    impl VisitMut for Required {
        fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
            let value = lit.value();
            let field = value
                .strip_prefix("no value supplied for ")
                .or_else(|| value.strip_suffix(" was not initialized"));
            if let Some(field) = field {
                let message = format!("{} is required", field.trim_end_matches('_'));
                *lit = syn::LitStr::new(&message, lit.span());
                self.0 += 1;
            }
        }
    }
    let mut visitor = Required(0);
    for item in items.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        if last_ident(&imp.self_ty).as_deref() != Some(name) {
            continue;
        }
        match builders {
            // typify sets the starting values in `impl Default`.
            Builders::Bodies
                if imp.trait_.as_ref().is_some_and(|(_, p, _)| {
                    p.segments.last().is_some_and(|s| s.ident == "Default")
                }) =>
            {
                visitor.visit_item_impl_mut(imp)
            }
            // progenitor sets them in `new`.
            Builders::Operations if imp.trait_.is_none() => {
                for item in &mut imp.items {
                    if let ImplItem::Fn(f) = item
                        && f.sig.ident == "new"
                    {
                        visitor.visit_impl_item_fn_mut(f);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(visitor.0)
}

/// Adds the bounds of `setters` to the `TryFrom` typify gives body builder
/// `name`, which every body goes through at `send()`, whether it was set
/// field by field or given whole: `value.x?` becomes `bounded(value.x, ..)?`.
fn bound_conversion(items: &mut [Item], name: &str, setters: &[Setter]) -> Result<()> {
    struct Bound(HashMap<String, TokenStream>, usize);
    impl VisitMut for Bound {
        fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
            if let syn::Member::Named(ident) = &field.member
                && let Some(bounded) = self.0.get(&ident.to_string())
            {
                field.expr = syn::parse_quote!(#bounded?);
                self.1 += 1;
            }
        }
    }
    let bounded: HashMap<String, TokenStream> = setters
        .iter()
        .filter_map(|s| {
            let field = format_ident!("{}", s.field);
            Some((s.field.clone(), s.bounded(quote!(value.#field))?))
        })
        .collect();
    let expected = bounded.len();
    let mut visitor = Bound(bounded, 0);
    for item in items.iter_mut() {
        if let Item::Impl(imp) = item
            && last_ident(&imp.self_ty).as_deref() == Some(name)
            && imp
                .trait_
                .as_ref()
                .is_some_and(|(_, p, _)| p.segments.last().is_some_and(|s| s.ident == "TryFrom"))
        {
            visitor.visit_item_impl_mut(imp);
        }
    }
    if visitor.1 != expected {
        bail!(
            "builder {name}: bounded {} of {expected} fields in its TryFrom",
            visitor.1
        );
    }
    Ok(())
}

/// The docs of an operation builder's `body` and `body_map`.
fn document_body_method(f: &mut ImplItemFn, body: &Type) {
    let schema = inner(body, "Result").unwrap_or(body);
    let name = last_ident(schema).unwrap_or_default();
    let raw = !tokens(body).contains("builder::");
    let docs = match (f.sig.ident.to_string().as_str(), raw) {
        ("body", true) => vec![
            " The bytes to send, whole: anything `reqwest::Body` converts from,".to_string(),
            " such as a `Vec<u8>`, a `String` or a `tokio::fs::File`.".into(),
            String::new(),
            " **Required.**".into(),
        ],
        ("body", false) => vec![
            format!(" The whole request body: a `types::{name}`, or a `types::builder::{name}`"),
            " whose fields were set one by one.".into(),
        ],
        ("body_map", _) => vec![
            " Sets fields of the request body one by one, e.g.".to_string(),
            " `.body_map(|body| body.name(\"Teaser\"))`; each setter of".into(),
            format!(" `types::builder::{name}` says what it takes."),
        ],
        _ => return,
    };
    f.attrs.retain(|a| !a.path().is_ident("doc"));
    for line in docs {
        f.attrs.push(syn::parse_quote!(#[doc = #line]));
    }
}

/// Adds the list of required fields to the docs of builder `name`.
fn document_builder(
    items: &mut [Item],
    name: &str,
    setters: &[Setter],
    body: Option<&Type>,
    builders: Builders,
) -> Result<()> {
    let mut required: Vec<String> = setters
        .iter()
        .filter(|s| s.facts.required)
        .map(|s| format!("`{}`", s.field))
        .collect();
    if let Some(body) = body {
        required.push(match last_ident(inner(body, "Result").unwrap_or(body)) {
            Some(schema) if tokens(body).contains("builder::") => {
                format!("the body's required fields (see `types::builder::{schema}`)")
            }
            _ => "`body`".into(),
        });
    }
    let line = if required.is_empty() {
        " Nothing is required: every field may be left out.".to_string()
    } else {
        format!(" Required: {}.", required.join(", "))
    };
    let s = structure(items, name)?;
    if builders == Builders::Bodies {
        let intro = format!(
            " Builds a `{name}` field by field; a missing required field or a value the spec does not allow is reported when it is converted (by `send()`, or `try_into()`)."
        );
        s.attrs.push(syn::parse_quote!(#[doc = #intro]));
    }
    s.attrs.push(syn::parse_quote!(#[doc = ""]));
    s.attrs.push(syn::parse_quote!(#[doc = #line]));
    Ok(())
}
