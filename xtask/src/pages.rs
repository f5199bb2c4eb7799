//! Gives every list operation a stream over its items, page after page.
//!
//! A list operation is one whose builder has a `page` setter; its success
//! type must then be a list response: a struct of `types` with a
//! `data: Vec<T>` field and a `pagination` field. Each list response type
//! gains an impl of the hand-written `crate::pages::Page`, and each list
//! builder a `stream()` that hands `crate::Pages` a closure sending a copy
//! of the builder (every other setter kept) for page 1, 2, … The blocking
//! mirror turns `stream()` into `iter()` through [`blocking_method`].
//!
//! Runs after [`crate::typed_errors`], whose `send()` it reads.

use crate::syntax::{items_of_mut, last_ident, type_argument};
use crate::typed_errors::success_type;
use anyhow::{Context, Result, bail};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::BTreeMap;
use syn::{Fields, ImplItem, ImplItemFn, Item, Type};

/// Adds the `Page` impls and the `stream()` methods to the async client;
/// fails unless every operation with a `page` parameter in `doc` gained one.
pub fn apply(file: &mut syn::File, doc: &serde_json::Value) -> Result<()> {
    let operations = crate::typed_errors::builder_operations(file);
    let mut streams = 0;
    let types = items_of_mut(file, "types")?;
    let lists = list_responses(types);
    let impls: Vec<Item> = lists
        .iter()
        .map(|(name, list)| page_impl(name, list))
        .collect::<Result<_>>()?;
    types.extend(impls);

    for item in items_of_mut(file, "builder")?.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let has_page = imp
            .items
            .iter()
            .any(|i| matches!(i, ImplItem::Fn(f) if f.sig.ident == "page"));
        if !has_page {
            continue;
        }
        let builder = last_ident(&imp.self_ty).unwrap_or_default();
        let operation = operations
            .get(&builder)
            .with_context(|| format!("builder {builder}: no Client method returns it"))?;
        if crate::facts::parameter(doc, operation, "page").is_err() {
            bail!("builder {builder} has a `page` setter, but {operation} no `page` parameter");
        }
        streams += 1;
        let response = imp
            .items
            .iter()
            .find_map(|i| match i {
                ImplItem::Fn(f) if f.sig.ident == "send" => success_type(&f.sig.output),
                _ => None,
            })
            .and_then(type_argument)
            .and_then(last_ident)
            .with_context(|| format!("{builder} has a page setter but no typed send()"))?;
        let Some(list) = lists.get(&response) else {
            bail!(
                "{builder} has a page setter but its response {response} has no data and pagination"
            );
        };
        let item = in_types(&list.item);
        imp.items.push(syn::parse2(quote! {
            /// Every item of every page, in order: sends this request for page
            /// 1, 2, … (every other setter kept, the `page` setter ignored) as
            /// the stream is read, and ends after the last page. A failed page
            /// is yielded as an `Err` and ends the stream. See [`crate::Pages`].
            pub fn stream(self) -> crate::Pages<'a, #item> {
                crate::Pages::new(move |page| self.clone().page(page).send())
            }
        })?);
    }
    let paged = crate::facts::operation_ids(doc)
        .into_iter()
        .filter(|id| crate::facts::parameter(doc, id, "page").is_ok())
        .count();
    if streams != paged {
        bail!(
            "added stream() to {streams} builders, of {paged} operations with a `page` parameter"
        );
    }
    Ok(())
}

/// The blocking form of a builder method added by [`apply`]: `iter()` in
/// place of `stream()`, driven by the blocking client's runtime. `None` for
/// every other method.
pub fn blocking_method(operation_id: &str, f: &ImplItemFn) -> Option<TokenStream> {
    if f.sig.ident != "stream" {
        return None;
    }
    let syn::ReturnType::Type(_, pages) = &f.sig.output else {
        return None;
    };
    let item = type_argument(pages)?;
    Some(quote! {
        /// Every item of every page, in order: sends this request for page
        /// 1, 2, … (every other setter kept, the `page` setter ignored) as the
        /// iterator is advanced, and ends after the last page. A failed page
        /// is yielded as an `Err` and ends the iteration. See [`crate::Iter`].
        pub fn iter(self) -> crate::Iter<'a, #item> {
            crate::Iter::new(self.client, #operation_id, self.inner.stream())
        }
    })
}

/// A list response type: the types of its items and of its pagination.
struct ListResponse {
    item: Type,
    pagination: Type,
}

/// Struct name → its item and pagination types, for every struct of
/// `types` with a `data: Vec<T>` and a `pagination` field.
fn list_responses(types: &[Item]) -> BTreeMap<String, ListResponse> {
    types
        .iter()
        .filter_map(|item| {
            let Item::Struct(s) = item else { return None };
            let Fields::Named(fields) = &s.fields else {
                return None;
            };
            let field = |name: &str| {
                fields
                    .named
                    .iter()
                    .find(|f| f.ident.as_ref().is_some_and(|i| i == name))
                    .map(|f| &f.ty)
            };
            let data = field("data")?;
            if last_ident(data)? != "Vec" {
                return None;
            }
            let list = ListResponse {
                item: type_argument(data)?.clone(),
                pagination: field("pagination")?.clone(),
            };
            Some((s.ident.to_string(), list))
        })
        .collect()
}

/// `impl crate::pages::Page for Name`, written inside `types`.
fn page_impl(name: &str, list: &ListResponse) -> Result<Item> {
    let name = syn::Ident::new(name, proc_macro2::Span::call_site());
    let ListResponse { item, pagination } = list;
    Ok(syn::parse2(quote! {
        impl crate::pages::Page for #name {
            type Item = #item;
            fn into_parts(self) -> (::std::vec::Vec<#item>, #pagination) {
                (self.data, self.pagination)
            }
        }
    })?)
}

/// A type named relative to `types` (progenitor writes its own types bare
/// and every other type from the crate root), as seen from `builder`.
fn in_types(ty: &Type) -> TokenStream {
    match ty {
        Type::Path(p) if p.qself.is_none() && p.path.leading_colon.is_none() => {
            quote!(types::#ty)
        }
        _ => quote!(#ty),
    }
}
