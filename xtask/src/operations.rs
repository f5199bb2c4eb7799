//! The per-operation metadata table (`studio-api/src/operations.rs`), and
//! the API-wide facts the spec declares (scopes, quotas, messages).

use crate::enums::StringEnum;
use crate::spec::{self, SpecOperation};
use anyhow::{Context, Result};
use openapiv3::{OpenAPI, StatusCode};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// Builds the table: one `Operation` per spec operation, in spec order;
/// `enums` names the variants of the generated `JobType`.
pub fn generate(spec: &OpenAPI, enums: &[StringEnum]) -> Result<syn::File> {
    let api = spec::api_facts(spec)?;
    let variants: Vec<Ident> = api.scopes.iter().map(|s| variant(s)).collect();
    let scope_count = api.scopes.len();
    let names = &api.scopes;
    let scope_docs = api.scopes.iter().map(|s| format!("The `{s}` scope."));
    let job_types = enums
        .iter()
        .find(|e| e.name == "JobType")
        .context("the generated client has no JobType")?;
    let entries: Vec<TokenStream> = spec::operations(spec)
        .iter()
        .map(|op| entry(op, job_types))
        .collect::<Result<_>>()?;
    let spec::ApiFacts {
        api_key_per_minute,
        bearer_per_minute,
        missing_scope,
        key_forbidden,
        ..
    } = &api;
    let tokens = quote! {
        //! What the spec says about each operation (method, path, tag, scope,
        //! whether it is billed, whether it needs a bearer token, its success
        //! status and the job type it starts), and what it says of the API as
        //! a whole (scopes, quotas, the messages of its 403s). Runtime code,
        //! docs and the local server read these facts from here and nowhere
        //! else.

        /// Requests a minute one API key may make.
        pub const API_KEY_QUOTA_PER_MINUTE: u32 = #api_key_per_minute;
        /// Requests a minute one bearer user may make.
        pub const BEARER_QUOTA_PER_MINUTE: u32 = #bearer_per_minute;
        /// The start of the 403 message for an API key without the scope an
        /// operation needs; the scope's name follows.
        pub const MISSING_SCOPE_MESSAGE: &str = #missing_scope;
        /// The 403 message for an operation an API key may not call.
        pub const KEY_FORBIDDEN_MESSAGE: &str = #key_forbidden;

        /// A scope an API key can be restricted to (`*` grants all of them).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Scope {
            #(#[doc = #scope_docs] #variants,)*
        }

        impl Scope {
            /// Every scope, in the order the API documents them.
            pub const ALL: [Scope; #scope_count] = [#(Scope::#variants),*];

            /// The scope's name as the API spells it, e.g. `image_generation`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    #(Scope::#variants => #names,)*
                }
            }
        }

        impl ::std::fmt::Display for Scope {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// The facts about one operation that the spec states.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Operation {
            /// The operationId, which is also the client method's name.
            pub id: &'static str,
            /// The HTTP method, upper case.
            pub method: &'static str,
            /// The path template below the base URL, e.g. `/frames/{frame_id}`.
            pub path: &'static str,
            /// The API area the operation belongs to.
            pub tag: &'static str,
            /// The scope an API key needs for it.
            pub scope: Scope,
            /// Whether the operation is billed (needs a subscription or wallet balance).
            pub paid: bool,
            /// Whether only a bearer token, not an API key, may call it.
            pub bearer_only: bool,
            /// The status of its success response.
            pub success_status: u16,
            /// The type of generation job it starts, if it starts one.
            pub job_type: Option<crate::types::JobType>,
        }

        /// Every operation of the API, in spec order.
        pub const OPERATIONS: &[Operation] = &[#(#entries),*];

        /// Looks up an operation by its operationId.
        pub fn find(id: &str) -> Option<&'static Operation> {
            OPERATIONS.iter().find(|op| op.id == id)
        }
    };
    Ok(syn::parse2(tokens)?)
}

fn variant(scope: &str) -> Ident {
    let name: String = scope
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    Ident::new(&name, Span::call_site())
}

fn entry(op: &SpecOperation<'_>, job_types: &StringEnum) -> Result<TokenStream> {
    let SpecOperation {
        id,
        method,
        path,
        operation,
        ..
    } = op;
    let tag = operation
        .tags
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    let scope = variant(spec::extension_str(operation, "x-studio-scope").unwrap_or_default());
    let paid = spec::extension_flag(operation, "x-studio-paid");
    let bearer_only = spec::extension_flag(operation, "x-studio-bearer-only");
    let job_type = match spec::job_type(operation) {
        Some(kind) => {
            let (name, _) = job_types
                .variants
                .iter()
                .find(|(_, wire)| wire == kind)
                .with_context(|| format!("{id}: x-studio-job-type {kind} is not a JobType"))?;
            let name = Ident::new(name, Span::call_site());
            quote!(Some(crate::types::JobType::#name))
        }
        None => quote!(None),
    };
    let success_status = operation
        .responses
        .responses
        .keys()
        .find_map(|status| match status {
            StatusCode::Code(code) if (200..300).contains(code) => Some(*code),
            _ => None,
        })
        .unwrap_or(200);
    Ok(quote! {
        Operation {
            id: #id,
            method: #method,
            path: #path,
            tag: #tag,
            scope: Scope::#scope,
            paid: #paid,
            bearer_only: #bearer_only,
            success_status: #success_status,
            job_type: #job_type,
        }
    })
}
