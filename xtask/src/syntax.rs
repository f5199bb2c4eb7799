//! Small helpers for walking the generated syn tree.

use anyhow::{Context, Result};
use syn::{GenericArgument, Item, ItemMod, ItemStruct, PathArguments, Type};

/// Access to an inline module's items.
pub trait Content {
    /// The module's items, or an error naming it when it has no body.
    fn content_mut(&mut self) -> Result<&mut Vec<Item>>;
}

impl Content for ItemMod {
    fn content_mut(&mut self) -> Result<&mut Vec<Item>> {
        let name = self.ident.to_string();
        self.content
            .as_mut()
            .map(|(_, items)| items)
            .with_context(|| format!("module {name} has no body"))
    }
}

/// The items of the inline module `name` of the generated file.
pub fn items_of<'a>(file: &'a syn::File, name: &str) -> Result<&'a Vec<Item>> {
    file.items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items),
            _ => None,
        })
        .with_context(|| format!("the generated client has no module {name}"))
}

/// The same, to change them.
pub fn items_of_mut<'a>(file: &'a mut syn::File, name: &str) -> Result<&'a mut Vec<Item>> {
    module(&mut file.items, name)?.content_mut()
}

/// The inline module `name` among `items`.
pub fn module<'a>(items: &'a mut [Item], name: &str) -> Result<&'a mut ItemMod> {
    items
        .iter_mut()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == name => Some(m),
            _ => None,
        })
        .with_context(|| format!("the generated client has no module {name}"))
}

/// The first type argument of a path type: `T` of `Vec<T>`, `Result<T, E>`
/// or `Pages<'a, T>`.
pub fn type_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// [`type_argument`] of a path type whose last segment is `wrapper`:
/// `T` of `Option<T>` for `"Option"`.
pub fn inner<'a>(ty: &'a Type, wrapper: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    if path.path.segments.last()?.ident != wrapper {
        return None;
    }
    type_argument(ty)
}

/// The struct `name` among `items`.
pub fn structure<'a>(items: &'a mut [Item], name: &str) -> Result<&'a mut ItemStruct> {
    items
        .iter_mut()
        .find_map(|item| match item {
            Item::Struct(s) if s.ident == name => Some(s),
            _ => None,
        })
        .with_context(|| format!("no generated struct {name}"))
}

/// The last name of a path type: `FrameListResponse` of `types::FrameListResponse`.
pub fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}
