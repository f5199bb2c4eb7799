//! Opens the string enums of `types` to values a newer server may send.
//!
//! typify makes every string enum of the spec a closed Rust enum whose
//! derived `Deserialize` rejects any other string, so one new value on the
//! server (a job status, say) fails every response that carries it. Each
//! enum of `types` whose variants are all units gains a variant
//! `Unknown(crate::UnknownValue)` holding a string it does not know, and is
//! marked `#[non_exhaustive]`; it loses `Copy`, since `Unknown` owns its
//! string. typify's serde derives and its `Display`, `FromStr` and
//! `TryFrom` impls are replaced:
//!
//! - `as_str()` is the wire value (for `Unknown`, the string received), and
//!   `Display` writes it;
//! - `FromStr` and `TryFrom<&str | &String | String>` accept only the known
//!   values (the error names the value and lists those), so a request is
//!   only ever given a value the client knows;
//! - `Deserialize` maps any string to its known variant or to `Unknown`
//!   (anything but a string still fails);
//! - `Serialize` writes the wire value (for `Unknown`, the string
//!   received, so a response serialises back as it came), and fails for
//!   `Unknown` inside a request body (`crate::unknown::Refusing`, which
//!   [`crate::typed_errors`] puts around every JSON body), which a request
//!   therefore cannot carry.
//!
//! Runs after [`crate::pages`]; [`string_enums`] reads the enums typify
//! made, before this pass, for the decode tests of
//! [`crate::unknown_values`].

use anyhow::{Context, Result, bail};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::collections::HashSet;
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Ident, Item, ItemEnum, Token, Type};

/// The name of the variant that holds a value the client does not know.
const UNKNOWN: &str = "Unknown";

/// The traits typify implements for a string enum that this pass replaces.
const REPLACED_IMPLS: [&str; 5] = ["Display", "FromStr", "TryFrom", "Serialize", "Deserialize"];

/// The derives an opened enum drops: serde's (replaced) and `Copy`.
const DROPPED_DERIVES: [&str; 3] = ["Deserialize", "Serialize", "Copy"];

/// A string enum of `types`, as typify made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringEnum {
    /// The type's name, e.g. `JobStatus`.
    pub name: String,
    /// Each variant's name and the value that stands for it on the wire,
    /// in declaration order.
    pub variants: Vec<(String, String)>,
}

impl StringEnum {
    /// The wire values, in declaration order.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.variants.iter().map(|(_, wire)| wire.as_str())
    }

    /// What `FromStr` says the accepted values are: `"a", "b", "c"`.
    pub fn expected(&self) -> String {
        self.values()
            .map(|wire| format!("{wire:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Rewrites every string enum of the `types` module of `file` (see the
/// module docs).
pub fn apply(file: &mut syn::File) -> Result<()> {
    let enums = string_enums(file)?;
    let names: HashSet<&str> = enums.iter().map(|e| e.name.as_str()).collect();
    let types = crate::syntax::items_of_mut(file, "types")?;
    types.retain(|item| !is_replaced_impl(item, &names));
    let mut rewritten = Vec::with_capacity(types.len() + enums.len() * 8);
    for item in types.drain(..) {
        let Item::Enum(mut e) = item else {
            rewritten.push(item);
            continue;
        };
        let Some(string_enum) = enums.iter().find(|s| e.ident == s.name) else {
            rewritten.push(Item::Enum(e));
            continue;
        };
        open(&mut e, string_enum)?;
        rewritten.push(Item::Enum(e));
        rewritten.extend(impls(string_enum)?);
    }
    *types = rewritten;
    Ok(())
}

/// Every enum of `types` whose variants are all units, as typify made it
/// (with serde's `rename` giving each variant's wire value), in order.
///
/// Fails when such an enum is not a plain serde string enum, or when one
/// of its wire values already makes a variant named `Unknown`.
pub fn string_enums(file: &syn::File) -> Result<Vec<StringEnum>> {
    let types = crate::syntax::items_of(file, "types")?;
    types
        .iter()
        .filter_map(|item| match item {
            Item::Enum(e) if is_unit_only(e) => Some(string_enum(e)),
            _ => None,
        })
        .collect()
}

fn is_unit_only(e: &ItemEnum) -> bool {
    !e.variants.is_empty() && e.variants.iter().all(|v| matches!(v.fields, Fields::Unit))
}

/// The wire values of the unit-only enum `e`.
fn string_enum(e: &ItemEnum) -> Result<StringEnum> {
    let name = e.ident.to_string();
    let derives = derives(&e.attrs)?;
    for wanted in ["Deserialize", "Serialize"] {
        if !derives.iter().any(|d| last_segment(d) == wanted) {
            bail!(
                "{name} is an enum of units without a serde {wanted} derive; it cannot be opened"
            );
        }
    }
    if e.attrs.iter().any(|a| a.path().is_ident("serde")) {
        bail!("{name} has serde attributes of its own; its wire values cannot be read");
    }
    let mut variants = Vec::with_capacity(e.variants.len());
    for variant in &e.variants {
        let ident = variant.ident.to_string();
        let mut wire = None;
        for attr in variant.attrs.iter().filter(|a| a.path().is_ident("serde")) {
            let rename: syn::MetaNameValue = attr.parse_args().with_context(|| {
                format!("{name}::{ident} has a serde attribute other than rename")
            })?;
            let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(value),
                ..
            }) = &rename.value
            else {
                bail!("{name}::{ident} is renamed to something other than a string");
            };
            if !rename.path.is_ident("rename") || wire.is_some() {
                bail!("{name}::{ident} has a serde attribute other than one rename");
            }
            wire = Some(value.value());
        }
        if ident == UNKNOWN {
            bail!(
                "{name}: the wire value {:?} makes a variant named {UNKNOWN}, the name kept for values the client does not know",
                wire.as_deref().unwrap_or(UNKNOWN)
            );
        }
        variants.push((ident.clone(), wire.unwrap_or(ident)));
    }
    Ok(StringEnum { name, variants })
}

/// The paths listed in the `#[derive(...)]` attributes of an item.
fn derives(attrs: &[Attribute]) -> Result<Vec<syn::Path>> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let list = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)?;
        out.extend(list);
    }
    Ok(out)
}

fn last_segment(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// Whether `item` is one of typify's impls of a replaced trait for one of
/// the enums named in `names`.
fn is_replaced_impl(item: &Item, names: &HashSet<&str>) -> bool {
    let Item::Impl(imp) = item else { return false };
    let Some((_, trait_path, _)) = &imp.trait_ else {
        return false;
    };
    let Type::Path(self_ty) = &*imp.self_ty else {
        return false;
    };
    let for_enum = self_ty.qself.is_none()
        && self_ty.path.segments.len() == 1
        && names.contains(self_ty.path.segments[0].ident.to_string().as_str());
    for_enum && REPLACED_IMPLS.contains(&last_segment(trait_path).as_str())
}

/// The text of a doc line in typify's style (no leading space).
fn doc(text: &str) -> Attribute {
    syn::parse_quote!(#[doc = #text])
}

/// A wire value as inline code in a doc comment: `` `"16:9"` ``.
fn wire_code(wire: &str) -> String {
    let quoted = format!("{wire:?}");
    if quoted.contains('`') {
        format!("`` {quoted} ``")
    } else {
        format!("`{quoted}`")
    }
}

/// Gives `e` its `Unknown` variant, its docs and its derives.
fn open(e: &mut ItemEnum, string_enum: &StringEnum) -> Result<()> {
    let name = &string_enum.name;
    let kept: Vec<syn::Path> = derives(&e.attrs)?
        .into_iter()
        .filter(|d| !DROPPED_DERIVES.contains(&last_segment(d).as_str()))
        .collect();
    let first = string_enum
        .values()
        .next()
        .context("a string enum has at least one value")?;
    let mut attrs: Vec<Attribute> = e
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect();
    if !attrs.is_empty() {
        attrs.push(doc(""));
    }
    attrs.push(doc(&format!(
        "Parse one from its wire value, e.g. `{first:?}.parse::<{name}>()`. A value this client does not know decodes as [`{name}::{UNKNOWN}`], which keeps its string."
    )));
    attrs.push(syn::parse_quote!(#[derive(#(#kept),*)]));
    attrs.push(syn::parse_quote!(#[non_exhaustive]));
    attrs.extend(
        e.attrs
            .iter()
            .filter(|a| {
                !["doc", "derive", "serde"]
                    .iter()
                    .any(|n| a.path().is_ident(n))
            })
            .cloned(),
    );
    e.attrs = attrs;
    for (variant, (_, wire)) in e.variants.iter_mut().zip(&string_enum.variants) {
        let mut attrs = vec![doc(&wire_code(wire))];
        let others: Vec<Attribute> = variant
            .attrs
            .iter()
            .filter(|a| !a.path().is_ident("serde"))
            .cloned()
            .collect();
        if others.iter().any(|a| a.path().is_ident("doc")) {
            attrs.push(doc(""));
        }
        attrs.extend(others);
        variant.attrs = attrs;
    }
    let unknown = Ident::new(UNKNOWN, Span::call_site());
    let unknown_doc = "A value this client does not know, as the server sent it (a newer server may send values this version does not list). It serialises as that string, but cannot be sent: a request carrying it is refused before anything is sent.";
    e.variants.push(syn::parse_quote! {
        #[doc = #unknown_doc]
        #unknown(crate::UnknownValue)
    });
    Ok(())
}

/// The impls that replace typify's for `string_enum`.
fn impls(string_enum: &StringEnum) -> Result<Vec<Item>> {
    let name_text = string_enum.name.as_str();
    let name = Ident::new(name_text, Span::call_site());
    let unknown = Ident::new(UNKNOWN, Span::call_site());
    let variants: Vec<Ident> = string_enum
        .variants
        .iter()
        .map(|(variant, _)| Ident::new(variant, Span::call_site()))
        .collect();
    let wires: Vec<&str> = string_enum.values().collect();
    let expected = string_enum.expected();
    let expecting = format!("a string value for {name_text}");
    let as_str_doc = format!(
        "The value as the wire spells it; for [`{name_text}::{UNKNOWN}`], the string the server sent."
    );
    let tokens: TokenStream = quote! {
        impl #name {
            #[doc = #as_str_doc]
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #wires,)*
                    Self::#unknown(value) => value.as_str(),
                }
            }

            /// The known variant spelled `value` on the wire, if there is one.
            fn known(value: &str) -> ::std::option::Option<Self> {
                match value {
                    #(#wires => ::std::option::Option::Some(Self::#variants),)*
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = self::error::ConversionError;
            fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                Self::known(value).ok_or_else(|| {
                    ::std::format!(
                        "{:?} is not a known {}; expected one of {}",
                        value,
                        #name_text,
                        #expected,
                    )
                    .into()
                })
            }
        }

        impl ::std::convert::TryFrom<&str> for #name {
            type Error = self::error::ConversionError;
            fn try_from(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                value.parse()
            }
        }

        impl ::std::convert::TryFrom<&::std::string::String> for #name {
            type Error = self::error::ConversionError;
            fn try_from(
                value: &::std::string::String,
            ) -> ::std::result::Result<Self, self::error::ConversionError> {
                value.parse()
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for #name {
            type Error = self::error::ConversionError;
            fn try_from(
                value: ::std::string::String,
            ) -> ::std::result::Result<Self, self::error::ConversionError> {
                value.parse()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: ::serde::Deserializer<'de>,
            {
                struct Visitor;
                impl<'de> ::serde::de::Visitor<'de> for Visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_str<E>(self, value: &str) -> ::std::result::Result<#name, E>
                    where
                        E: ::serde::de::Error,
                    {
                        ::std::result::Result::Ok(#name::known(value).unwrap_or_else(|| {
                            #name::#unknown(crate::UnknownValue::new(value.to_owned()))
                        }))
                    }
                    fn visit_string<E>(
                        self,
                        value: ::std::string::String,
                    ) -> ::std::result::Result<#name, E>
                    where
                        E: ::serde::de::Error,
                    {
                        ::std::result::Result::Ok(match #name::known(&value) {
                            ::std::option::Option::Some(known) => known,
                            ::std::option::Option::None => {
                                #name::#unknown(crate::UnknownValue::new(value))
                            }
                        })
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: ::serde::Serializer,
            {
                match self {
                    Self::#unknown(value) if crate::unknown::refusing() => ::std::result::Result::Err(
                        <S::Error as ::serde::ser::Error>::custom(::std::format_args!(
                            "{} value {:?} is not known to this client and cannot be sent",
                            #name_text,
                            value.as_str(),
                        )),
                    ),
                    value => serializer.serialize_str(value.as_str()),
                }
            }
        }
    };
    let file: syn::File = syn::parse2(tokens)?;
    Ok(file.items)
}
