//! Request bodies that send what the caller said: a field left out, an
//! empty list, an empty object or a `null` are four different things.
//!
//! typify gives an optional property `Option<T>` and skips it when `None`,
//! whether or not the spec marks it `nullable`, and gives an optional list
//! or free-form object a `Vec<T>` or `Map` that is skipped when empty. So an
//! empty selection of frames would be left out, which the API reads as
//! "every frame", and an update could neither set a field to `null` nor a
//! list to `[]`. This pass gives, in every JSON request body (and its
//! builder), each optional list or free-form object the type `Option<Vec<T>>`
//! or `Option<Map>` (`None` leaves it out, `Some(empty)` sends it empty),
//! and, in the body of a PATCH operation, each `nullable` property the type
//! `Option<Option<T>>` (`None` leaves it out, `Some(None)` sends `null`).

use crate::facts;
use crate::syntax::{Content, inner, module, structure};
use anyhow::{Context, Result, bail};
use quote::ToTokens;
use serde_json::Value;
use syn::{Fields, ItemStruct, Type};

/// The change one property of a request body gets.
enum Change {
    /// `Option<T>` → `Option<Option<T>>`.
    Nullable,
    /// `Vec<T>` or `Map` → `Option<Vec<T>>` or `Option<Map>`.
    Optional,
}

/// Rewrites every request body of `file` as the module docs say.
pub fn apply(file: &mut syn::File, doc: &Value) -> Result<()> {
    let types = module(&mut file.items, "types")?;
    let updates = facts::update_bodies(doc);
    let mut any_nullable = false;
    for name in facts::request_bodies(doc)? {
        let schema = facts::component(doc, &name)?;
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        for (property, property_schema) in properties {
            let facts = facts::property(doc, &name, property)?;
            let change = if !facts.required && facts::is_collection(doc, property_schema) {
                Change::Optional
            } else if facts.nullable && updates.contains(&name) {
                any_nullable = true;
                Change::Nullable
            } else {
                continue;
            };
            let body = structure(types.content_mut()?, &name)?;
            rewrite_body_field(body, property, &change)
                .with_context(|| format!("request body {name}.{property}"))?;
            let builder = structure(
                module(types.content_mut()?, "builder")?.content_mut()?,
                &name,
            )?;
            rewrite_builder_field(builder, property, &change)
                .with_context(|| format!("the builder of request body {name}.{property}"))?;
        }
    }
    if any_nullable {
        types.content_mut()?.push(syn::parse_quote! {
            /// Reads a property an update may set to `null`: `null` becomes
            /// `Some(None)`; an absent property stays `None` (`serde(default)`).
            fn deserialize_nullable<'de, D, T>(
                deserializer: D,
            ) -> ::std::result::Result<::std::option::Option<::std::option::Option<T>>, D::Error>
            where
                D: ::serde::Deserializer<'de>,
                T: ::serde::Deserialize<'de>,
            {
                <::std::option::Option<T> as ::serde::Deserialize>::deserialize(deserializer)
                    .map(::std::option::Option::Some)
            }
        });
    }
    Ok(())
}

/// The field of `s` that carries `property` (typify appends `_` to keywords).
fn field<'a>(s: &'a mut ItemStruct, property: &str) -> Result<&'a mut syn::Field> {
    let Fields::Named(fields) = &mut s.fields else {
        bail!("not a struct with named fields");
    };
    fields
        .named
        .iter_mut()
        .find(|f| {
            f.ident
                .as_ref()
                .is_some_and(|i| i.to_string().trim_end_matches('_') == property)
        })
        .context("no field for the property")
}

/// The new type of a property typify typed `ty`.
fn changed(ty: &Type, change: &Change) -> Result<Type> {
    match change {
        Change::Nullable if inner(ty, "Option").is_some() => {
            Ok(syn::parse_quote!(::std::option::Option<#ty>))
        }
        Change::Optional if inner(ty, "Vec").is_some() || inner(ty, "Map").is_some() => {
            Ok(syn::parse_quote!(::std::option::Option<#ty>))
        }
        _ => bail!("unexpected type {}", ty.to_token_stream()),
    }
}

fn rewrite_body_field(body: &mut ItemStruct, property: &str, change: &Change) -> Result<()> {
    let field = field(body, property)?;
    field.ty = changed(&field.ty, change)?;
    // typify's `rename` (of a keyword) stays; its `default` and
    // `skip_serializing_if` give way to the new ones.
    field.attrs.retain(|a| {
        !a.path().is_ident("serde") || a.to_token_stream().to_string().contains("rename")
    });
    let (attr, doc): (syn::Attribute, &str) = match change {
        Change::Nullable => (
            syn::parse_quote!(#[serde(
                default,
                skip_serializing_if = "::std::option::Option::is_none",
                deserialize_with = "deserialize_nullable"
            )]),
            "`None` leaves it unchanged; `Some(None)` clears it (sends `null`).",
        ),
        Change::Optional => (
            syn::parse_quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")]),
            "`None` leaves it out; an empty one is sent empty.",
        ),
    };
    field.attrs.push(syn::parse_quote!(#[doc = ""]));
    field.attrs.push(syn::parse_quote!(#[doc = #doc]));
    field.attrs.push(attr);
    Ok(())
}

/// A builder field is `Result<T, String>`; `T` changes as in the body.
fn rewrite_builder_field(builder: &mut ItemStruct, property: &str, change: &Change) -> Result<()> {
    let field = field(builder, property)?;
    let ty = inner(&field.ty, "Result").context("a builder field that is not a Result")?;
    let ty = changed(ty, change)?;
    field.ty = syn::parse_quote!(::std::result::Result<#ty, ::std::string::String>);
    Ok(())
}
