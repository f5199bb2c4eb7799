//! Gives every generated `send()` the crate's own error type and checks.
//!
//! progenitor's builders return `progenitor_client::Error`, which loses the
//! status of non-JSON error bodies and knows nothing of the API's error
//! kinds. For each builder, the generated `send` becomes a private
//! `send_raw`, and a new public `send` starts a `crate::call::Call` for the
//! operation (by its index in the operations table): it refuses path
//! parameters that would change the path, keeps the body of operations
//! that start jobs (to find them if the answer is lost), runs `send_raw`
//! and maps the outcome to `crate::Error`. Operations that start jobs run
//! it with `run_job`, which also notes the jobs answered and finds those a
//! lost answer started. The JSON body `send_raw` sends is serialised
//! through `crate::unknown::Refusing`, so that a request carrying an enum
//! value the client does not know fails before anything is sent (a
//! response holding one serialises back as it came).

use crate::spec::{self, SpecOperation};
use crate::syntax::type_argument;
use anyhow::{Context, Result, bail};
use openapiv3::OpenAPI;
use quote::quote;
use std::collections::HashMap;
use syn::visit_mut::VisitMut;
use syn::{ImplItem, Item, ReturnType, Type};

/// Rewrites the builders of `file`, generated from `spec`, in place.
pub fn apply(file: &mut syn::File, spec: &OpenAPI) -> Result<()> {
    let operations = builder_operations(file);
    let spec_operations = spec::operations(spec);
    let table: HashMap<&str, (usize, &SpecOperation<'_>)> = spec_operations
        .iter()
        .enumerate()
        .map(|(index, op)| (op.id.as_str(), (index, op)))
        .collect();
    let builder = crate::syntax::items_of_mut(file, "builder")?;
    let bodies: HashMap<String, Type> = builder
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some((s.ident.to_string(), body_type(s)?)),
            _ => None,
        })
        .collect();
    let mut rewritten = 0;
    for item in builder.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let name = crate::syntax::last_ident(&imp.self_ty)
            .context("an impl in `builder` without a named type")?;
        let operation_id = operations
            .get(&name)
            .with_context(|| format!("builder {name}: no Client method returns it"))?;
        let &(index, operation) = table
            .get(operation_id.as_str())
            .with_context(|| format!("{operation_id} is not in the spec"))?;
        let position = imp
            .items
            .iter()
            .position(|i| matches!(i, ImplItem::Fn(f) if f.sig.ident == "send"))
            .with_context(|| format!("builder {name}: no `send` to give the crate's error type"))?;
        rewritten += 1;
        let ImplItem::Fn(raw) = &mut imp.items[position] else {
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
        let json_body = operation
            .operation
            .request_body
            .as_ref()
            .and_then(|body| spec::resolve(spec, body))
            .is_some_and(|body| body.content.contains_key("application/json"));
        let mut refusing = RefuseUnknown::default();
        refusing.visit_block_mut(&mut raw.block);
        if refusing.rewritten != usize::from(json_body) || refusing.other {
            bail!(
                "builder {name}: expected {} `.json(&body)` in its send, found {} (and other `.json` calls: {})",
                usize::from(json_body),
                refusing.rewritten,
                refusing.other
            );
        }
        raw.sig.ident = syn::Ident::new("send_raw", raw.sig.ident.span());
        raw.vis = syn::Visibility::Inherited;
        raw.attrs.retain(|a| !a.path().is_ident("doc"));
        let path = spec::path_parameters(operation.path)
            .into_iter()
            .map(|param| {
                let field = syn::Ident::new(param, proc_macro2::Span::call_site());
                quote!(.path(#param, &self.#field)?)
            });
        let starts_jobs = spec::job_type(operation.operation).is_some();
        let body = bodies
            .get(&name)
            .filter(|_| starts_jobs)
            .map(|body| quote!(.body::<_, #body>(&self.body)));
        let run = match starts_jobs {
            true => quote!(run_job),
            false => quote!(run),
        };
        let wrapper: ImplItem = syn::parse2(quote! {
            #(#docs)*
            pub async fn send(self) -> Result<#value, crate::Error> {
                crate::call::Call::new(self.client, #index)
                    #(#path)*
                    #body
                    .#run(self.send_raw())
                    .await
            }
        })?;
        imp.items.insert(position, wrapper);
    }
    if rewritten != spec_operations.len() {
        bail!(
            "rewrote the `send` of {rewritten} builders, of {} operations",
            spec_operations.len()
        );
    }
    Ok(())
}

/// Rewrites progenitor's `.json(&body)` to
/// `.json(&crate::unknown::Refusing(&body))`, so that a request body holding
/// an enum's `Unknown` fails to serialise and nothing is sent.
#[derive(Default)]
struct RefuseUnknown {
    /// How many `.json(&body)` were rewritten.
    rewritten: usize,
    /// Whether a `.json(..)` with another argument was seen.
    other: bool,
}

impl VisitMut for RefuseUnknown {
    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        syn::visit_mut::visit_expr_method_call_mut(self, call);
        if call.method != "json" {
            return;
        }
        let body: syn::Expr = syn::parse_quote!(&body);
        match call.args.iter().collect::<Vec<_>>().as_slice() {
            [arg] if **arg == body => {
                call.args = syn::parse_quote!(&crate::unknown::Refusing(&body));
                self.rewritten += 1;
            }
            _ => self.other = true,
        }
    }
}

/// The final type of a builder's `body` field: `types::X` for a field of
/// type `Result<types::builder::X, String>`.
fn body_type(builder: &syn::ItemStruct) -> Option<Type> {
    let field = builder
        .fields
        .iter()
        .find(|f| f.ident.as_ref().is_some_and(|i| i == "body"))?;
    let Type::Path(path) = type_argument(&field.ty)? else {
        return None;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match segments.as_slice() {
        [types, builder, name] if types == "types" && builder == "builder" => {
            let name = syn::Ident::new(name, proc_macro2::Span::call_site());
            Some(syn::parse_quote!(types::#name))
        }
        _ => None,
    }
}

/// Builder type name → the operation id of the `Client` method returning it.
pub fn builder_operations(file: &syn::File) -> HashMap<String, String> {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(imp) => Some(&imp.items),
            _ => None,
        })
        .flatten()
        .filter_map(|item| match item {
            ImplItem::Fn(f) => Some((returns_builder(f)?, f.sig.ident.to_string())),
            _ => None,
        })
        .collect()
}

/// The name of the builder a method returns (`builder::X<'_>`), if it does.
pub fn returns_builder(f: &syn::ImplItemFn) -> Option<String> {
    let ReturnType::Type(_, ty) = &f.sig.output else {
        return None;
    };
    let Type::Path(p) = &**ty else { return None };
    let mut segments = p.path.segments.iter();
    match (segments.next(), segments.next()) {
        (Some(module), Some(builder)) if module.ident == "builder" => {
            Some(builder.ident.to_string())
        }
        _ => None,
    }
}

/// `T` of a `Result<T, E>` return type.
pub(crate) fn success_type(output: &ReturnType) -> Option<&Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    type_argument(ty)
}
