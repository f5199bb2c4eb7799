//! Loading `openapi/studio.yaml` and walking its operations.

use anyhow::{Context, Result};
use openapiv3::{Components, OpenAPI, Operation, Parameter, ReferenceOr, RequestBody, Response};
use std::path::Path;

/// One operation of the spec with the method and path it sits under.
pub struct SpecOperation<'a> {
    /// The operationId, or `METHOD /path` when the spec gives none.
    pub id: String,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// The path template, e.g. `/projects/{project_id}`.
    pub path: &'a str,
    /// The operation itself.
    pub operation: &'a Operation,
    /// Parameters declared on the path item, shared by all its operations.
    pub item_parameters: &'a [ReferenceOr<Parameter>],
}

/// Reads and parses an OpenAPI 3.0 document in YAML.
pub fn load(path: &Path) -> Result<OpenAPI> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Every operation in document order (paths as written, methods in a fixed order).
pub fn operations(spec: &OpenAPI) -> Vec<SpecOperation<'_>> {
    let mut out = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in methods {
            if let Some(operation) = operation {
                let id = operation
                    .operation_id
                    .clone()
                    .unwrap_or_else(|| format!("{method} {path}"));
                out.push(SpecOperation {
                    id,
                    method,
                    path,
                    operation,
                    item_parameters: &item.parameters,
                });
            }
        }
    }
    out
}

/// The value of a string extension such as `x-studio-scope`.
pub fn extension_str<'a>(operation: &'a Operation, name: &str) -> Option<&'a str> {
    operation.extensions.get(name).and_then(|v| v.as_str())
}

/// The type of generation job an operation starts (`x-studio-job-type`).
pub fn job_type(operation: &Operation) -> Option<&str> {
    extension_str(operation, "x-studio-job-type")
}

/// The API-wide facts the spec declares at document level.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFacts {
    /// `x-studio-scopes`: every scope an API key can carry.
    pub scopes: Vec<String>,
    /// `x-studio-quotas.api-key-per-minute`.
    pub api_key_per_minute: u32,
    /// `x-studio-quotas.bearer-per-minute`.
    pub bearer_per_minute: u32,
    /// `x-studio-messages.missing-scope`: the 403 message before the scope's name.
    pub missing_scope: String,
    /// `x-studio-messages.key-forbidden`: the 403 message for a bearer-only endpoint.
    pub key_forbidden: String,
}

/// Reads the document-level extensions; each missing or malformed one is
/// named in the error.
pub fn api_facts(spec: &OpenAPI) -> Result<ApiFacts> {
    let ext = |name: &str| {
        spec.extensions
            .get(name)
            .with_context(|| format!("the spec has no document-level {name}"))
    };
    let scopes = ext("x-studio-scopes")?
        .as_array()
        .and_then(|list| {
            list.iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .filter(|list| !list.is_empty())
        .context("x-studio-scopes must be a list of scope names")?;
    let quota = |key: &str| -> Result<u32> {
        ext("x-studio-quotas")?[key]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
            .with_context(|| format!("x-studio-quotas.{key} must be a positive whole number"))
    };
    let message = |key: &str| -> Result<String> {
        ext("x-studio-messages")?[key]
            .as_str()
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .with_context(|| format!("x-studio-messages.{key} must be a message"))
    };
    Ok(ApiFacts {
        scopes,
        api_key_per_minute: quota("api-key-per-minute")?,
        bearer_per_minute: quota("bearer-per-minute")?,
        missing_scope: message("missing-scope")?,
        key_forbidden: message("key-forbidden")?,
    })
}

/// Whether a boolean extension such as `x-studio-paid` is `true`.
pub fn extension_flag(operation: &Operation, name: &str) -> bool {
    operation.extensions.get(name).and_then(|v| v.as_bool()) == Some(true)
}

/// The `{name}` parameters of a path template, in order.
pub fn path_parameters(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// A kind of object that can live under `components` and be referenced.
pub trait Component: Sized {
    /// Looks up `name` in this kind's `components` table.
    fn lookup<'a>(components: &'a Components, name: &str) -> Option<&'a ReferenceOr<Self>>;
}

impl Component for Response {
    fn lookup<'a>(components: &'a Components, name: &str) -> Option<&'a ReferenceOr<Self>> {
        components.responses.get(name)
    }
}

impl Component for Parameter {
    fn lookup<'a>(components: &'a Components, name: &str) -> Option<&'a ReferenceOr<Self>> {
        components.parameters.get(name)
    }
}

impl Component for RequestBody {
    fn lookup<'a>(components: &'a Components, name: &str) -> Option<&'a ReferenceOr<Self>> {
        components.request_bodies.get(name)
    }
}

/// Follows `$ref`s (at most a few deep) to the object they name.
pub fn resolve<'a, T: Component>(spec: &'a OpenAPI, item: &'a ReferenceOr<T>) -> Option<&'a T> {
    let mut current = item;
    for _ in 0..8 {
        match current {
            ReferenceOr::Item(item) => return Some(item),
            ReferenceOr::Reference { reference } => {
                let name = reference.rsplit('/').next()?;
                current = T::lookup(spec.components.as_ref()?, name)?;
            }
        }
    }
    None
}
