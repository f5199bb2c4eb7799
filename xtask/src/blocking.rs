//! The blocking client, derived from the generated async client with syn.
//!
//! For every method of the async `Client` that returns a builder, and every
//! method of that builder, the blocking file repeats the signature (minus
//! `async`) and forwards to the async one; `send()` is driven to completion by
//! the runtime the blocking client owns. Types are the async crate's own,
//! re-exported, never copied. A builder's fields are visible to the crate,
//! so hand-written helpers can wrap an async builder they prepared. The
//! `Client` methods' docs are written for this crate by
//! [`crate::client_docs`]; every other doc is the async item's, unchanged.

use anyhow::{Context, Result, bail};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::HashMap;
use syn::{FnArg, ImplItem, ImplItemFn, Item, ItemImpl, ItemMod, ItemStruct, Pat, ReturnType};

/// Builds the blocking mirror of the async client file; the `Client`
/// methods' docs are written for it from the spec (`doc`). Fails unless
/// every operation got a method and a builder.
pub fn generate(async_file: &syn::File, doc: &serde_json::Value) -> Result<syn::File> {
    let client_methods: Vec<TokenStream> = async_file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(imp) if is_self_type(imp, "Client") && imp.trait_.is_none() => Some(imp),
            _ => None,
        })
        .flat_map(|imp| imp.items.iter())
        .filter_map(|item| match item {
            ImplItem::Fn(f) => builder_of(f).map(|builder| client_method(f, builder, doc)),
            _ => None,
        })
        .collect::<Result<_>>()?;

    let builder_mod = async_file
        .items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => Some(m),
            _ => None,
        })
        .context("the async client has no `builder` module")?;
    let operations = crate::typed_errors::builder_operations(async_file);
    let builders = builders(builder_mod, &operations)?;
    let expected = crate::facts::operation_ids(doc).len();
    if client_methods.len() != expected || operations.len() != expected {
        bail!(
            "mirrored {} Client methods and {} builders, of {expected} operations",
            client_methods.len(),
            operations.len()
        );
    }

    let tokens = quote! {
        use crate::Client;

        impl Client {
            #(#client_methods)*
        }

        /// Blocking builders, one per operation: the same setters as the
        /// async builders, with a `send()` that blocks until the response.
        pub mod builder {
            #[allow(unused_imports)]
            use studio_api::{types, ByteStream, Error, ResponseValue};

            #(#builders)*
        }
    };
    Ok(syn::parse2(tokens)?)
}

fn is_self_type(imp: &ItemImpl, name: &str) -> bool {
    matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident(name))
}

/// The name of the builder a `Client` method returns, if it returns one.
fn builder_of(f: &ImplItemFn) -> Option<&syn::Ident> {
    let ReturnType::Type(_, ty) = &f.sig.output else {
        return None;
    };
    let syn::Type::Path(p) = &**ty else {
        return None;
    };
    let mut segments = p.path.segments.iter();
    match (segments.next(), segments.next()) {
        (Some(module), Some(name)) if module.ident == "builder" => Some(&name.ident),
        _ => None,
    }
}

fn client_method(
    f: &ImplItemFn,
    builder: &syn::Ident,
    doc: &serde_json::Value,
) -> Result<TokenStream> {
    let method = f.sig.ident.to_string();
    let docs = crate::client_docs::method_docs(doc, &method, crate::client_docs::Flavor::Blocking)?;
    let sig = &f.sig;
    Ok(quote! {
        #(#[doc = #docs])*
        pub #sig {
            builder::#builder::new(self)
        }
    })
}

fn builders(module: &ItemMod, operations: &HashMap<String, String>) -> Result<Vec<TokenStream>> {
    let (_, items) = module
        .content
        .as_ref()
        .context("the async `builder` module is empty")?;
    let mut out = Vec::new();
    for item in items {
        match item {
            Item::Struct(s) => out.push(builder_struct(s)),
            Item::Impl(imp) if imp.trait_.is_none() => out.push(builder_impl(imp, operations)?),
            _ => {}
        }
    }
    Ok(out)
}

fn builder_struct(s: &ItemStruct) -> TokenStream {
    let attrs = s
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc") || a.path().is_ident("derive"));
    let name = &s.ident;
    quote! {
        #(#attrs)*
        pub struct #name<'a> {
            pub(crate) client: &'a super::Client,
            pub(crate) inner: studio_api::builder::#name<'a>,
        }
    }
}

fn builder_impl(imp: &ItemImpl, operations: &HashMap<String, String>) -> Result<TokenStream> {
    let self_ty = &imp.self_ty;
    let name = match &**self_ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| &s.ident),
        _ => None,
    }
    .context("a builder impl without a named type")?;
    let operation_id = operations
        .get(&name.to_string())
        .with_context(|| format!("no Client method returns builder {name}"))?;
    let generics = &imp.generics;
    let methods: Vec<TokenStream> = imp
        .items
        .iter()
        .filter_map(|item| match item {
            ImplItem::Fn(f)
                if matches!(f.vis, syn::Visibility::Public(_)) || f.sig.ident == "new" =>
            {
                Some(builder_method(operation_id, f))
            }
            _ => None,
        })
        .collect();
    Ok(quote! {
        impl #generics #self_ty {
            #(#methods)*
        }
    })
}

fn builder_method(operation_id: &str, f: &ImplItemFn) -> TokenStream {
    let docs = f.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let mut sig = f.sig.clone();
    let name = &sig.ident;
    if name == "new" {
        let method = quote::format_ident!("{operation_id}");
        return quote! {
            #(#docs)*
            pub(crate) fn new(client: &'a super::Client) -> Self {
                Self { client, inner: client.as_async().#method() }
            }
        };
    }
    if let Some(method) = crate::pages::blocking_method(operation_id, f) {
        return method;
    }
    if sig.asyncness.take().is_some() {
        return quote! {
            #(#docs)*
            pub #sig {
                self.client.block_on(#operation_id, self.inner.#name())
            }
        };
    }
    for input in sig.inputs.iter_mut() {
        if let FnArg::Receiver(receiver) = input {
            receiver.mutability = None;
        }
    }
    let args = sig.inputs.iter().filter_map(|input| match input {
        FnArg::Typed(typed) => match &*typed.pat {
            Pat::Ident(ident) => Some(ident.ident.clone()),
            _ => None,
        },
        FnArg::Receiver(_) => None,
    });
    quote! {
        #(#docs)*
        pub #sig {
            Self { client: self.client, inner: self.inner.#name(#(#args),*) }
        }
    }
}
