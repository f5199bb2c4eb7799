//! Keeps progenitor's plumbing out of the public API.
//!
//! progenitor always emits `Client::new` and `Client::new_with_client`,
//! which would make a client without any of `ClientBuilder::build`'s checks,
//! a public `new` on every operation builder, a `prelude` module, and a
//! public re-export of its own `Error<E>` and `ClientInfo`. This pass drops
//! `Client::new` and the prelude, makes the constructors `pub(crate)`, keeps
//! `Error` and `ClientInfo` private to the crate and hides the `ClientInfo`
//! impl from the docs, so the builder is the one way to make a client and
//! the crate's own `Error` is the only error a user meets.

use anyhow::{Result, bail};
use syn::{ImplItem, Item, Type, UseTree};

/// What the generated file must have for this pass to do its work.
#[derive(Default)]
struct Found {
    client_new: bool,
    new_with_client: bool,
    prelude: bool,
    reexport: bool,
    client_info: bool,
    builder_constructors: usize,
}

/// Applies every change listed in the module docs; fails naming what it
/// could not find.
pub fn apply(file: &mut syn::File) -> Result<()> {
    let mut found = Found::default();
    file.items.retain(|item| {
        let is_prelude = matches!(item, Item::Mod(m) if m.ident == "prelude");
        found.prelude |= is_prelude;
        !is_prelude
    });
    let mut extra = Vec::new();
    for item in &mut file.items {
        match item {
            Item::Use(u) if matches!(u.vis, syn::Visibility::Public(_)) => {
                found.reexport = true;
                extra.push(split_reexport(u)?);
            }
            Item::Impl(imp) if is_type(&imp.self_ty, "Client") => match &imp.trait_ {
                Some((_, path, _)) if path.segments.last().unwrap().ident == "ClientInfo" => {
                    imp.attrs.push(syn::parse_quote!(#[doc(hidden)]));
                    found.client_info = true;
                }
                Some(_) => {}
                None => hide_client_constructors(imp, &mut found),
            },
            Item::Mod(m) if m.ident == "builder" => {
                for item in m.content.iter_mut().flat_map(|(_, items)| items) {
                    let Item::Impl(imp) = item else { continue };
                    for item in &mut imp.items {
                        if let ImplItem::Fn(f) = item
                            && f.sig.ident == "new"
                        {
                            f.vis = syn::parse_quote!(pub(crate));
                            found.builder_constructors += 1;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    file.items.extend(extra);
    let Found {
        client_new,
        new_with_client,
        prelude,
        reexport,
        client_info,
        builder_constructors,
    } = found;
    if !(client_new && new_with_client && prelude && reexport && client_info) {
        bail!(
            "the generated client lacks something to hide: Client::new {client_new}, \
             Client::new_with_client {new_with_client}, prelude {prelude}, \
             `pub use progenitor_client` {reexport}, impl ClientInfo {client_info}"
        );
    }
    let operations = crate::typed_errors::builder_operations(file).len();
    if builder_constructors != operations {
        bail!("hid the `new` of {builder_constructors} operation builders, of {operations}");
    }
    Ok(())
}

fn is_type(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(p) if p.path.is_ident(name))
}

fn hide_client_constructors(imp: &mut syn::ItemImpl, found: &mut Found) {
    imp.items.retain(|item| {
        let is_new = matches!(item, ImplItem::Fn(f) if f.sig.ident == "new");
        found.client_new |= is_new;
        !is_new
    });
    for item in &mut imp.items {
        if let ImplItem::Fn(f) = item
            && f.sig.ident == "new_with_client"
        {
            f.vis = syn::parse_quote!(pub(crate));
            found.new_with_client = true;
        }
    }
}

/// Keeps `ByteStream` and `ResponseValue` in the public re-export of
/// `progenitor_client` and returns a private `use` of everything else.
fn split_reexport(u: &mut syn::ItemUse) -> Result<Item> {
    let UseTree::Path(path) = &mut u.tree else {
        bail!("unexpected public re-export in the generated client");
    };
    let UseTree::Group(group) = &mut *path.tree else {
        bail!("unexpected public re-export in the generated client");
    };
    let (public, private): (Vec<UseTree>, Vec<UseTree>) =
        std::mem::take(&mut group.items).into_iter().partition(|tree| {
            matches!(tree, UseTree::Name(n) if n.ident == "ByteStream" || n.ident == "ResponseValue")
        });
    if public.len() != 2 {
        bail!("the generated client no longer re-exports ByteStream and ResponseValue");
    }
    group.items = public.into_iter().collect();
    Ok(syn::parse_quote! {
        #[allow(unused_imports)]
        use progenitor_client::{#(#private),*};
    })
}
