//! Update bodies that can leave a field alone, set it, or clear it.
//!
//! typify gives an optional property `Option<T>` and skips it when `None`,
//! whether or not the spec marks it `nullable`, and gives an optional list
//! `Vec<T>` that is skipped when empty. In the body of a PATCH operation
//! that loses two things a user must be able to say: "set this to `null`"
//! and "set this list to `[]`". This pass gives, in every PATCH body (and
//! its builder), each `nullable` property the type `Option<Option<T>>`
//! (`None` leaves it out, `Some(None)` sends `null`) and each list property
//! `Option<Vec<T>>` (`None` leaves it out, `Some(vec![])` sends `[]`).

use crate::facts;
use crate::syntax::{Content, inner, module, structure};
use anyhow::{Context, Result, bail};
use quote::ToTokens;
use serde_json::Value;
use syn::{Fields, ItemStruct, Type};

/// The change one property of an update body gets.
enum Change {
    Nullable,
    List,
}

/// Rewrites every PATCH body of `file` as the module docs say.
pub fn apply(file: &mut syn::File, doc: &Value) -> Result<()> {
    let types = module(&mut file.items, "types")?;
    let mut any_nullable = false;
    for name in facts::update_bodies(doc) {
        let schema = facts::component(doc, &name)?;
        let properties = schema["properties"]
            .as_object()
            .with_context(|| format!("update body {name} has no properties"))?;
        for (property, property_schema) in properties {
            let change = if facts::is_array(doc, property_schema) {
                Change::List
            } else if facts::of_schema(doc, property_schema, false).nullable {
                any_nullable = true;
                Change::Nullable
            } else {
                continue;
            };
            let body = structure(types.content_mut()?, &name)?;
            rewrite_body_field(body, property, &change)
                .with_context(|| format!("update body {name}.{property}"))?;
            let builder = structure(
                module(types.content_mut()?, "builder")?.content_mut()?,
                &name,
            )?;
            rewrite_builder_field(builder, property, &change)
                .with_context(|| format!("the builder of update body {name}.{property}"))?;
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
        Change::List if inner(ty, "Vec").is_some() => {
            Ok(syn::parse_quote!(::std::option::Option<#ty>))
        }
        _ => bail!("unexpected type {}", ty.to_token_stream()),
    }
}

fn rewrite_body_field(body: &mut ItemStruct, property: &str, change: &Change) -> Result<()> {
    let field = field(body, property)?;
    field.ty = changed(&field.ty, change)?;
    field.attrs.retain(|a| !a.path().is_ident("serde"));
    let (attr, doc): (syn::Attribute, &str) = match change {
        Change::Nullable => (
            syn::parse_quote!(#[serde(
                default,
                skip_serializing_if = "::std::option::Option::is_none",
                deserialize_with = "deserialize_nullable"
            )]),
            "`None` leaves it unchanged; `Some(None)` clears it (sends `null`).",
        ),
        Change::List => (
            syn::parse_quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")]),
            "`None` leaves it unchanged; `Some(vec![])` empties it (sends `[]`).",
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
