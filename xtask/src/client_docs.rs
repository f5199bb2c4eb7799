//! The docs of every `Client` method, written from the spec for each crate.
//!
//! progenitor documents a method with the operation's summary and
//! description and an example that sets every parameter to a placeholder
//! and passes the body whole. Here each method's docs are written anew,
//! for the async crate and for the blocking one alike: the summary and
//! description, the method, path and scope, and an example of the call a
//! user writes, with the required parameters and the body's required
//! fields (`.await` only in the async crate). No text of progenitor's is
//! edited.

use crate::facts;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use syn::{ImplItem, Item};

/// Which crate the docs are for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `studio-api`: `send().await`.
    Async,
    /// `studio-api-blocking`: `send()`.
    Blocking,
}

/// Replaces the docs of every `Client` method that returns a builder; fails
/// unless every operation of the spec got its docs.
pub fn apply(file: &mut syn::File, doc: &Value) -> Result<()> {
    let mut documented = 0;
    for item in &mut file.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some()
            || crate::syntax::last_ident(&imp.self_ty).as_deref() != Some("Client")
        {
            continue;
        }
        for item in &mut imp.items {
            let ImplItem::Fn(f) = item else { continue };
            if crate::typed_errors::returns_builder(f).is_none() {
                continue;
            }
            let lines = method_docs(doc, &f.sig.ident.to_string(), Flavor::Async)?;
            f.attrs.retain(|a| !a.path().is_ident("doc"));
            f.attrs.extend(
                lines
                    .iter()
                    .map(|line| -> syn::Attribute { syn::parse_quote!(#[doc = #line]) }),
            );
            documented += 1;
        }
    }
    let operations = facts::operation_ids(doc).len();
    if documented != operations {
        bail!("documented {documented} Client methods, of {operations} operations");
    }
    Ok(())
}

/// The doc lines of the `Client` method for `operation_id`.
pub fn method_docs(doc: &Value, operation_id: &str, flavor: Flavor) -> Result<Vec<String>> {
    let (method, path, op) = facts::operation_at(doc, operation_id)?;
    let text = |key: &str| op[key].as_str().unwrap_or("").trim().to_string();
    let mut lines = vec![text("summary"), String::new()];
    let description = text("description");
    if !description.is_empty() {
        lines.extend(description.lines().map(str::to_string));
        lines.push(String::new());
    }
    let scope = op["x-studio-scope"]
        .as_str()
        .context("an operation without a scope")?;
    let mut facts_line = format!(
        "Sends `{}` to `{path}`; an API key needs the `{scope}` scope.",
        method.to_uppercase()
    );
    if op["x-studio-paid"] == true {
        facts_line.push_str(" Paid: needs a subscription or wallet balance.");
    }
    if op["x-studio-bearer-only"] == true {
        facts_line.push_str(" A user token only: an API key is refused.");
    }
    if let Some(job) = op["x-studio-job-type"].as_str() {
        facts_line.push_str(&format!(
            " Starts `{job}` generation jobs; follow them with `client.job(..)`."
        ));
    }
    lines.push(facts_line);
    lines.push(String::new());
    lines.push("```ignore".into());
    lines.push(format!("let response = client.{operation_id}()"));
    for parameter in required_parameters(doc, operation_id)? {
        lines.push(format!("    .{parameter}(..)"));
    }
    let content = &facts::resolve(doc, &op["requestBody"])["content"];
    if content.get("application/octet-stream").is_some() {
        lines.push("    .body(bytes)".into());
    } else if let Some(schema) = content["application/json"]["schema"]["$ref"].as_str() {
        let name = schema.rsplit('/').next().unwrap_or_default();
        let required: Vec<String> = facts::component(doc, name)?["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|field| format!(".{field}(..)"))
            .collect();
        if !required.is_empty() {
            lines.push(format!("    .body_map(|b| b{})", required.concat()));
        }
    }
    match flavor {
        Flavor::Async => lines.extend(["    .send()".into(), "    .await?;".into()]),
        Flavor::Blocking => lines.push("    .send()?;".into()),
    }
    lines.push("```".into());
    Ok(lines
        .into_iter()
        .map(|l| format!(" {l}").trim_end().to_string())
        .collect())
}

/// The required path and query parameters of `operation_id`, in the order
/// the spec lists them (path item first).
fn required_parameters(doc: &Value, operation_id: &str) -> Result<Vec<String>> {
    let (_, path, op) = facts::operation_at(doc, operation_id)?;
    let shared = &doc["paths"][path]["parameters"];
    Ok([shared, &op["parameters"]]
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
        .map(|p| facts::resolve(doc, p))
        .filter(|p| p["required"] == true && p["in"] != "header")
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect())
}
