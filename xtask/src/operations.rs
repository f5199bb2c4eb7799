//! The per-operation metadata table (`studio-api/src/operations.rs`).

use crate::rules::SCOPES;
use crate::spec::{self, SpecOperation};
use openapiv3::{OpenAPI, StatusCode};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// Builds the table: one `Operation` per spec operation, in spec order.
pub fn generate(spec: &OpenAPI) -> syn::File {
    let variants: Vec<Ident> = SCOPES.iter().map(|s| variant(s)).collect();
    let scope_count = SCOPES.len();
    let names = SCOPES;
    let scope_docs = SCOPES.iter().map(|s| format!("The `{s}` scope."));
    let entries: Vec<TokenStream> = spec::operations(spec).iter().map(entry).collect();
    let tokens = quote! {
        //! What the spec says about each operation: method, path, tag, scope,
        //! whether it is billed, whether it needs a bearer token, and its
        //! success status. Runtime code, docs and the local server read
        //! per-operation facts from here and nowhere else.

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
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
            pub job_type: Option<&'static str>,
        }

        /// Every operation of the API, in spec order.
        pub const OPERATIONS: &[Operation] = &[#(#entries),*];

        /// Looks up an operation by its operationId.
        pub fn find(id: &str) -> Option<&'static Operation> {
            OPERATIONS.iter().find(|op| op.id == id)
        }
    };
    syn::parse2(tokens).expect("the operations table is valid Rust")
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

fn entry(op: &SpecOperation<'_>) -> TokenStream {
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
        Some(kind) => quote!(Some(#kind)),
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
    quote! {
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
    }
}
