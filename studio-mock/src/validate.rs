//! Request validation against the spec itself.
//!
//! Each operation's JSON body schema and query parameter schemas are read
//! from `openapi/studio.yaml`, turned into JSON Schema (`$ref`s inlined,
//! `nullable` as a `null` alternative) and checked before the handler runs,
//! so every documented constraint — required fields, enums, lengths,
//! ranges, formats — answers 422 with the field at fault, exactly as the spec
//! says and without a second hand-written list of rules.

use crate::body::BodyKind;
use crate::error::ApiError;
use jsonschema::Validator;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use studio_api::operations::OPERATIONS;

/// The spec the generated clients were built from.
const SPEC: &str = include_str!("../../openapi/studio.yaml");

/// The checks for one operation's input.
struct Checks {
    kind: BodyKind,
    body: Option<Validator>,
    query: Vec<QueryParam>,
}

struct QueryParam {
    name: String,
    required: bool,
    /// The schema's `type` (`integer`, `array`, …), for converting the text.
    kind: String,
    /// The item type of an array parameter.
    item_kind: String,
    validator: Validator,
}

/// Validators for every operation, built once at start.
pub struct RequestValidator {
    checks: HashMap<&'static str, Checks>,
}

impl std::fmt::Debug for RequestValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestValidator({} operations)", self.checks.len())
    }
}

impl RequestValidator {
    /// Reads the embedded spec and compiles every operation's schemas.
    pub fn from_spec() -> Self {
        let spec: Value = serde_yaml::from_str(SPEC).expect("the embedded spec is valid YAML");
        let mut checks = HashMap::new();
        for op in OPERATIONS {
            let operation = &spec["paths"][op.path][op.method.to_lowercase()];
            let content = &operation["requestBody"]["content"];
            let kind = if content.get("application/json").is_some() {
                BodyKind::Json
            } else if content.get("application/octet-stream").is_some() {
                BodyKind::Upload
            } else {
                BodyKind::None
            };
            let body = content["application/json"]["schema"]
                .as_object()
                .map(|schema| compile(&json_schema(&spec, &Value::Object(schema.clone()))));
            let query = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| resolve(&spec, p))
                .filter(|p| p["in"] == "query")
                .map(|p| {
                    let schema = json_schema(&spec, &p["schema"]);
                    QueryParam {
                        name: p["name"].as_str().unwrap_or_default().to_string(),
                        required: p["required"] == true,
                        kind: schema["type"].as_str().unwrap_or("string").to_string(),
                        item_kind: schema["items"]["type"]
                            .as_str()
                            .unwrap_or("string")
                            .to_string(),
                        validator: compile(&schema),
                    }
                })
                .collect();
            checks.insert(op.id, Checks { kind, body, query });
        }
        RequestValidator { checks }
    }

    /// The kind of body `operation_id` takes.
    pub fn body_kind(&self, operation_id: &str) -> BodyKind {
        self.checks
            .get(operation_id)
            .map_or(BodyKind::None, |checks| checks.kind)
    }

    /// Checks the query of a request for `operation_id`.
    pub fn check_query(
        &self,
        operation_id: &str,
        query: &[(String, String)],
    ) -> Result<(), ApiError> {
        let Some(checks) = self.checks.get(operation_id) else {
            return Ok(());
        };
        let mut errors: Vec<(String, String)> = Vec::new();
        for param in &checks.query {
            let values: Vec<&str> = query
                .iter()
                .filter(|(k, _)| *k == param.name)
                .map(|(_, v)| v.as_str())
                .collect();
            if values.is_empty() {
                if param.required {
                    errors.push((
                        param.name.clone(),
                        format!("The {} field is required.", param.name),
                    ));
                }
                continue;
            }
            let value = if param.kind == "array" {
                Value::Array(values.iter().map(|v| typed(v, &param.item_kind)).collect())
            } else {
                typed(values[values.len() - 1], &param.kind)
            };
            if let Some(error) = param.validator.iter_errors(&value).next() {
                errors.push((
                    param.name.clone(),
                    format!("The {} is invalid: {}.", param.name, error.masked()),
                ));
            }
        }
        invalid(errors)
    }

    /// Parses and checks the JSON body of a request for `operation_id`;
    /// the document, for an operation that takes one.
    pub fn check_body(&self, operation_id: &str, body: &[u8]) -> Result<Option<Value>, ApiError> {
        let Some(validator) = self.checks.get(operation_id).and_then(|c| c.body.as_ref()) else {
            return Ok(None);
        };
        let instance = serde_json::from_slice::<Value>(body)
            .map_err(|_| ApiError::invalid("body", "The request body must be a JSON document."))?;
        let errors = validator
            .iter_errors(&instance)
            .map(|error| {
                let path = error.instance_path().to_string();
                let field = path
                    .trim_start_matches('/')
                    .split('/')
                    .next()
                    .filter(|field| !field.is_empty())
                    .unwrap_or("body")
                    .to_string();
                let message = format!("The {field} is invalid: {}.", error.masked());
                (field, message)
            })
            .collect();
        invalid(errors)?;
        Ok(Some(instance))
    }
}

/// One 422 naming every field at fault, or `Ok` when there are none.
fn invalid(errors: Vec<(String, String)>) -> Result<(), ApiError> {
    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some((field, message)) => {
            let mut error = ApiError::invalid(&field, message);
            for (field, message) in errors {
                error.errors.entry(field).or_default().push(message);
            }
            Err(error)
        }
    }
}

/// The query text as the JSON value its schema type expects (left as a
/// string when it does not parse, so the schema reports it).
fn typed(text: &str, kind: &str) -> Value {
    let parsed = match kind {
        "integer" => text.parse::<i64>().ok().map(Value::from),
        "number" => text.parse::<f64>().ok().map(Value::from),
        "boolean" => text.parse::<bool>().ok().map(Value::from),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_string()))
}

fn compile(schema: &Value) -> Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the spec's schemas are valid JSON Schema")
}

/// Follows a `$ref` to its target in the spec.
fn resolve<'a>(spec: &'a Value, item: &'a Value) -> &'a Value {
    match item["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(spec, spec.pointer(pointer).unwrap_or(&Value::Null))
        }
        None => item,
    }
}

/// An OpenAPI 3.0 schema as plain JSON Schema.
fn json_schema(spec: &Value, schema: &Value) -> Value {
    match schema {
        Value::Object(object) if object.contains_key("$ref") => {
            json_schema(spec, resolve(spec, schema))
        }
        Value::Object(object) => {
            let mut out = Map::new();
            for (key, value) in object {
                match key.as_str() {
                    "nullable" | "example" | "description" => {}
                    "properties" => {
                        let properties = value
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(name, property)| (name.clone(), json_schema(spec, property)))
                            .collect();
                        out.insert(key.clone(), Value::Object(properties));
                    }
                    "items" | "additionalProperties" | "not" => {
                        out.insert(key.clone(), json_schema(spec, value));
                    }
                    "allOf" | "anyOf" | "oneOf" => {
                        let parts = value
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|s| json_schema(spec, s))
                            .collect();
                        out.insert(key.clone(), Value::Array(parts));
                    }
                    _ => {
                        out.insert(key.clone(), value.clone());
                    }
                }
            }
            if object.get("nullable") == Some(&Value::Bool(true)) {
                json!({"anyOf": [Value::Object(out), {"type": "null"}]})
            } else {
                Value::Object(out)
            }
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::BodyLimits;

    /// The longest JSON text `schema` admits, in bytes: four bytes a
    /// character (the most UTF-8 takes), nothing for a free-form object.
    /// Panics on a string without `maxLength` or a list without `maxItems`.
    fn longest(schema: &Value, at: &str) -> usize {
        let parts = schema.get("allOf").or(schema.get("anyOf"));
        if let Some(parts) = parts.and_then(Value::as_array) {
            return parts.iter().map(|s| longest(s, at)).max().unwrap_or(0);
        }
        if let Some(values) = schema["enum"].as_array() {
            return values
                .iter()
                .map(|v| v.to_string().len())
                .max()
                .unwrap_or(0);
        }
        let bound = |keyword: &str| {
            let value = schema[keyword].as_u64();
            value.unwrap_or_else(|| panic!("{at} has no {keyword}")) as usize
        };
        match schema["type"].as_str().unwrap_or_default() {
            "string" => 2 + 4 * bound("maxLength"),
            "array" => 2 + bound("maxItems") * (longest(&schema["items"], at) + 1),
            "object" => schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, property)| name.len() + 4 + longest(property, &format!("{at}.{name}")))
                .sum::<usize>()
                .saturating_add(2),
            "boolean" | "null" => 5,
            _ => 24,
        }
    }

    /// Every string and list a request carries in its query or JSON body
    /// has a length limit (path ids are bounded by the URI alone), and the JSON body limit holds the longest body those
    /// limits allow, so a valid request never meets a 413.
    #[test]
    fn every_request_input_is_bounded_and_fits_the_json_body_limit() {
        let spec: Value = serde_yaml::from_str(SPEC).unwrap();
        let mut largest = (0, "");
        for op in OPERATIONS {
            let operation = &spec["paths"][op.path][op.method.to_lowercase()];
            let parameters = operation["parameters"].as_array().into_iter().flatten();
            for parameter in parameters.map(|p| resolve(&spec, p)) {
                if parameter["in"] != "query" {
                    continue;
                }
                let name = format!("{}?{}", op.id, parameter["name"].as_str().unwrap());
                longest(&json_schema(&spec, &parameter["schema"]), &name);
            }
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            if !body.is_null() {
                let size = longest(&json_schema(&spec, body), op.id);
                largest = largest.max((size, op.id));
            }
        }
        let limit = BodyLimits::default().json;
        assert!(
            largest.0 <= limit,
            "{} takes up to {} bytes",
            largest.1,
            largest.0
        );
    }
}
