//! Hides the constructors progenitor gives the generated `Client`.
//!
//! progenitor always emits `pub fn new` and `pub fn new_with_client`,
//! which would make a client without any of `ClientBuilder::build`'s
//! checks. `new` is dropped and `new_with_client` becomes private to the
//! crate, so the builder is the one way to make a client.

use anyhow::{Result, bail};
use syn::{ImplItem, Item, Type};

/// Drops `Client::new` and makes `Client::new_with_client` `pub(crate)`.
pub fn apply(file: &mut syn::File) -> Result<()> {
    let mut found = (false, false);
    for item in &mut file.items {
        let Item::Impl(imp) = item else { continue };
        let Type::Path(ty) = &*imp.self_ty else {
            continue;
        };
        if imp.trait_.is_some() || !ty.path.is_ident("Client") {
            continue;
        }
        imp.items.retain(|item| {
            let is_new = matches!(item, ImplItem::Fn(f) if f.sig.ident == "new");
            found.0 |= is_new;
            !is_new
        });
        for item in &mut imp.items {
            if let ImplItem::Fn(f) = item
                && f.sig.ident == "new_with_client"
            {
                f.vis = syn::parse_quote!(pub(crate));
                found.1 = true;
            }
        }
    }
    if found != (true, true) {
        bail!("the generated Client has no `new` or no `new_with_client` to hide");
    }
    Ok(())
}
