//! Gives every generated `send()` the crate's own error type.
//!
//! progenitor's builders return `progenitor_client::Error`, which loses the
//! status of non-JSON error bodies and knows nothing of the API's error
//! kinds. For each builder, the generated `send` becomes a private
//! `send_raw`, and a new public `send` hands it to `crate::error::capture`
//! with the operation id, which maps the outcome to `crate::Error`.

use anyhow::{Context, Result};
use quote::quote;
use std::collections::HashMap;
use syn::{GenericArgument, ImplItem, Item, PathArguments, ReturnType, Type};

/// Rewrites the builders of `file` in place.
pub fn apply(file: &mut syn::File) -> Result<()> {
    let operations = builder_operations(file);
    let builder = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => m.content.as_mut(),
            _ => None,
        })
        .context("the async client has no `builder` module")?;
    for item in builder.1.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let Type::Path(self_ty) = &*imp.self_ty else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        let Some(operation_id) = operations.get(&name) else {
            continue;
        };
        let Some(index) = imp
            .items
            .iter()
            .position(|i| matches!(i, ImplItem::Fn(f) if f.sig.ident == "send"))
        else {
            continue;
        };
        let ImplItem::Fn(raw) = &mut imp.items[index] else {
            unreachable!()
        };
        let docs: Vec<_> = raw
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .cloned()
            .collect();
        let value = success_type(&raw.sig.output)
            .with_context(|| format!("{name}::send returns a Result"))?;
        raw.sig.ident = syn::Ident::new("send_raw", raw.sig.ident.span());
        raw.vis = syn::Visibility::Inherited;
        raw.attrs.retain(|a| !a.path().is_ident("doc"));
        let wrapper: ImplItem = syn::parse2(quote! {
            #(#docs)*
            pub async fn send(self) -> Result<#value, crate::Error> {
                crate::error::capture(#operation_id, self.send_raw()).await
            }
        })?;
        imp.items.insert(index, wrapper);
    }
    Ok(())
}

/// Builder type name → the operation id of the `Client` method returning it.
pub fn builder_operations(file: &syn::File) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        for item in &imp.items {
            let ImplItem::Fn(f) = item else { continue };
            let ReturnType::Type(_, ty) = &f.sig.output else {
                continue;
            };
            let Type::Path(p) = &**ty else { continue };
            let mut segments = p.path.segments.iter();
            if let (Some(module), Some(builder)) = (segments.next(), segments.next())
                && module.ident == "builder"
            {
                map.insert(builder.ident.to_string(), f.sig.ident.to_string());
            }
        }
    }
    map
}

/// `T` of a `Result<T, E>` return type.
pub(crate) fn success_type(output: &ReturnType) -> Option<&Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    type_argument(ty)
}

/// The first type argument of a path type: `T` of `Vec<T>`, `Result<T, E>`
/// or `Pages<'a, T>`.
pub(crate) fn type_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}
