//! The decode tests for values a newer server may send
//! (`tests/tests/unknown_values.rs`), generated from the spec so that a
//! new enum or a new response holding one is tested without anyone
//! listing it.
//!
//! - One test per string enum (named after it, in `enums`): a made-up value
//!   decodes as `Unknown`, keeps its string, serialises back to it and does
//!   not parse, while each known wire value parses, converts and round-trips
//!   to its variant. (That a request body refuses it is tested by hand, in
//!   `tests/tests/unknown_in_requests.rs`.)
//! - One test per operation with a JSON success response (named after the
//!   operation, in `responses`): a sample of the response schema (see
//!   [`crate::samples`]), with every enum slot set to a value naming the
//!   slot and a field no schema lists in every object, decodes as the type
//!   the operation's `send()` returns, serialises back to exactly the
//!   sample, and its `Debug` shows each made-up value once, as an
//!   `UnknownValue`.
//!
//! The string enums are those [`crate::enums`] opens, checked against the
//! enums the spec defines.

use crate::enums::StringEnum;
use crate::samples;
use crate::spec;
use crate::syntax::type_argument;
use crate::typed_errors::{builder_operations, success_type};
use anyhow::{Context, Result, bail};
use openapiv3::{OpenAPI, ReferenceOr, Schema, StatusCode};
use proc_macro2::{Literal, Span, TokenStream};
use quote::quote;
use std::collections::HashMap;
use syn::{Ident, ImplItem, Item, Type};

/// The generated file, relative to the workspace root.
pub const PATH: &str = "tests/tests/unknown_values.rs";

/// The made-up value each enum's own test decodes.
const MADE_UP: &str = "from_a_newer_server";

/// The test file for `spec`, whose async client (after every pass) is
/// `client` and whose string enums, as typify made them, are `enums`.
pub fn generate(spec: &OpenAPI, client: &syn::File, enums: &[StringEnum]) -> Result<syn::File> {
    check_enums(spec, enums)?;
    let enum_tests = enums.iter().map(enum_test).collect::<Result<Vec<_>>>()?;
    let responses = response_types(client)?;
    let mut response_tests = Vec::new();
    for op in spec::operations(spec) {
        let Some(schema) = success_schema(spec, &op)? else {
            continue;
        };
        let sample = samples::sample(spec, schema)
            .with_context(|| format!("{}: no sample of its success response", op.id))?;
        let ty = responses
            .get(&op.id)
            .with_context(|| format!("{}: no builder send() returns its response", op.id))?;
        response_tests.push(response_test(&op.id, ty, &sample)?);
    }
    let tokens = quote! {
        //! What a newer server may send: every string enum of the spec keeps
        //! a value this client does not know, and every success response
        //! decodes, and serialises back to what was sent, when each of its
        //! enums holds one and each of its objects a field this client does
        //! not know.
        //!
        //! Generated from the spec by `cargo xtask codegen`: one test per
        //! string enum (in `enums`), and one per operation with a JSON
        //! success response (in `responses`), on a sample of its schema with
        //! every enum set to a made-up value naming where it is.

        /// One test per string enum of the spec, named after it.
        #[rustfmt::skip]
        mod enums {
            use serde::Serialize;
            use serde::de::DeserializeOwned;
            use std::fmt::{Debug, Display};
            use std::str::FromStr;
            use studio_api::types;

            /// The value each test decodes, which no enum lists.
            const MADE_UP: &str = #MADE_UP;

            /// `decoded`, from `MADE_UP`, keeps its string and serialises
            /// back to it, and `MADE_UP` does not parse (failing with
            /// `not_parsed`); nor does a number decode.
            fn assert_unknown<T>(decoded: &T, as_str: fn(&T) -> &str, not_parsed: &str)
            where
                T: FromStr + Display + Debug + Serialize + DeserializeOwned,
                T::Err: Display + Debug,
            {
                let spelled = as_str(decoded);
                assert_eq!(spelled, MADE_UP);
                assert_eq!(decoded.to_string(), MADE_UP);
                let json = serde_json::to_value(decoded).expect("a value received serialises back");
                assert_eq!(json, serde_json::Value::from(MADE_UP));
                let parsed: Result<T, _> = MADE_UP.parse();
                let error = parsed.expect_err("only known values parse");
                assert_eq!(error.to_string(), not_parsed);
                let number: Result<T, _> = serde_json::from_str("7");
                assert!(number.is_err(), "only a string decodes");
            }

            /// `wire` parses and converts to `variant`, which spells and
            /// serialises as `wire` and decodes back to itself.
            fn assert_known<T>(wire: &str, variant: T, as_str: fn(&T) -> &str)
            where
                T: FromStr + Display + Debug + PartialEq + Serialize + DeserializeOwned,
                T: for<'a> TryFrom<&'a str> + for<'a> TryFrom<&'a String> + TryFrom<String>,
                <T as FromStr>::Err: Debug,
            {
                let parsed: T = wire.parse().expect("a known value parses");
                assert_eq!(parsed, variant);
                let owned = wire.to_string();
                let converted = [
                    <T as TryFrom<&str>>::try_from(wire).ok(),
                    <T as TryFrom<&String>>::try_from(&owned).ok(),
                    <T as TryFrom<String>>::try_from(owned.clone()).ok(),
                ];
                let expected = [Some(&variant); 3];
                assert_eq!(converted.each_ref().map(Option::as_ref), expected);
                let spelled = as_str(&variant);
                assert_eq!(spelled, wire);
                assert_eq!(variant.to_string(), wire);
                let json = serde_json::to_value(&variant).expect("a known value serialises");
                assert_eq!(json, serde_json::Value::from(wire));
                let decoded: T = serde_json::from_value(json).expect("and decodes");
                assert_eq!(decoded, variant);
            }

            #(#enum_tests)*
        }

        /// One test per operation with a JSON success response, named after
        /// the operation.
        #[rustfmt::skip]
        mod responses {
            use studio_api::types;

            /// `debug` shows `made_up` exactly once, as an unknown value.
            fn assert_once(debug: &str, made_up: &str) {
                let shown = format!("UnknownValue({made_up:?})");
                let times = debug.matches(shown.as_str()).count();
                assert_eq!(times, 1, "{shown} once in {debug}");
            }

            #(#response_tests)*
        }
    };
    Ok(syn::parse2(tokens)?)
}

/// Fails unless the enums the client opens are exactly the string enums
/// the spec defines (compared by their values).
fn check_enums(spec: &OpenAPI, enums: &[StringEnum]) -> Result<()> {
    let mut in_spec = samples::string_enums(spec);
    let mut in_client: Vec<Vec<String>> = enums
        .iter()
        .map(|e| e.values().map(str::to_string).collect())
        .collect();
    in_spec.sort();
    in_client.sort();
    if in_spec != in_client {
        let missing: Vec<_> = in_spec.iter().filter(|v| !in_client.contains(v)).collect();
        let extra: Vec<_> = in_client.iter().filter(|v| !in_spec.contains(v)).collect();
        bail!(
            "the client's string enums are not the spec's: the spec's {missing:?} have no enum in types, and types has {extra:?} the spec does not define"
        );
    }
    Ok(())
}

/// The schema of the 2xx JSON response of `op`, if it has one.
fn success_schema<'a>(
    spec: &'a OpenAPI,
    op: &spec::SpecOperation<'a>,
) -> Result<Option<&'a ReferenceOr<Schema>>> {
    for (status, response) in &op.operation.responses.responses {
        if !matches!(status, StatusCode::Code(code) if (200..300).contains(code)) {
            continue;
        }
        let response = spec::resolve(spec, response)
            .with_context(|| format!("{}: its {status} response does not resolve", op.id))?;
        if let Some(schema) = response
            .content
            .get("application/json")
            .and_then(|media| media.schema.as_ref())
        {
            return Ok(Some(schema));
        }
    }
    Ok(None)
}

/// Operation id → the type its builder's `send()` returns inside
/// `ResponseValue`, as written in the `builder` module (`types::X`).
fn response_types(client: &syn::File) -> Result<HashMap<String, Type>> {
    let operations = builder_operations(client);
    let builder = crate::syntax::items_of(client, "builder")?;
    let mut types = HashMap::new();
    for item in builder {
        let Item::Impl(imp) = item else { continue };
        let Type::Path(self_ty) = &*imp.self_ty else {
            continue;
        };
        let Some(operation) = self_ty
            .path
            .segments
            .last()
            .and_then(|s| operations.get(&s.ident.to_string()))
        else {
            continue;
        };
        let send = imp.items.iter().find_map(|i| match i {
            ImplItem::Fn(f) if f.sig.ident == "send" => success_type(&f.sig.output),
            _ => None,
        });
        if let Some(response) = send.and_then(type_argument) {
            types.insert(operation.clone(), response.clone());
        }
    }
    Ok(types)
}

/// `snake_case` of a type name: `AspectRatio` → `aspect_ratio`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let after_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
        let before_lower = i > 0
            && chars[i - 1].is_uppercase()
            && chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        if c.is_uppercase() && (after_lower || before_lower) {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// An identifier for a test, raw if it is a keyword.
fn test_name(name: &str) -> Ident {
    syn::parse_str::<Ident>(name).unwrap_or_else(|_| Ident::new_raw(name, Span::call_site()))
}

fn enum_test(e: &StringEnum) -> Result<TokenStream> {
    if e.values().any(|wire| wire == MADE_UP) {
        bail!("{}: the made-up value {MADE_UP:?} is one it lists", e.name);
    }
    let name = &e.name;
    let ty = Ident::new(name, Span::call_site());
    let test = test_name(&snake_case(name));
    let json = serde_json::to_string(MADE_UP)?;
    let not_parsed = format!(
        "{MADE_UP:?} is not a known {name}; expected one of {}",
        e.expected()
    );
    let known = e.variants.iter().map(|(variant, wire)| {
        let variant = Ident::new(variant, Span::call_site());
        quote!(assert_known(#wire, types::#ty::#variant, types::#ty::as_str);)
    });
    let decodes = format!("any string decodes as {name}");
    Ok(quote! {
        #[test]
        fn #test() {
            let decoded: types::#ty = serde_json::from_str(#json).expect(#decodes);
            let types::#ty::Unknown(value) = &decoded else {
                panic!("{decoded:?} is not Unknown");
            };
            assert_eq!(value.as_str(), MADE_UP);
            assert_unknown(&decoded, types::#ty::as_str, #not_parsed);
            #(#known)*
        }
    })
}

fn response_test(operation: &str, ty: &Type, sample: &samples::Sample) -> Result<TokenStream> {
    let Type::Path(path) = ty else {
        bail!("{operation}: its response type is not a path");
    };
    let segments: Vec<&Ident> = path.path.segments.iter().map(|s| &s.ident).collect();
    let [module, name] = segments.as_slice() else {
        bail!("{operation}: its response type is not types::X");
    };
    if *module != "types" {
        bail!("{operation}: its response type is not types::X");
    }
    let test = test_name(operation);
    let body = raw_string(&serde_json::to_string_pretty(&sample.value)?)?;
    let decodes = format!("a sample of the {name} schema decodes");
    let once = &sample.unknown;
    let shown_once = match once.is_empty() {
        true => quote!(),
        false => quote! {
            let debug = format!("{decoded:?}");
            #(assert_once(&debug, #once);)*
        },
    };
    Ok(quote! {
        #[test]
        fn #test() {
            let body = #body;
            let decoded: types::#name = serde_json::from_str(body).expect(#decodes);
            let sent: serde_json::Value = serde_json::from_str(body).unwrap();
            let json = serde_json::to_value(&decoded).expect("a response serialises");
            assert_eq!(json, sent, "serialised back as sent");
            #shown_once
        }
    })
}

/// `text` as a raw string literal, with as few `#` as it needs.
fn raw_string(text: &str) -> Result<Literal> {
    let hashes = (1..)
        .map(|n| "#".repeat(n))
        .find(|h| !text.contains(&format!("\"{h}")))
        .context("a raw string delimiter")?;
    format!("r{hashes}\"{text}\"{hashes}")
        .parse()
        .map_err(|e| anyhow::anyhow!("a raw string literal: {e}"))
}
