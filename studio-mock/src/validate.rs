//! Request validation against the spec itself.
//!
//! Each operation's JSON body schema and query parameter schemas are read
//! from `openapi/studio.yaml`, turned into JSON Schema (`$ref`s inlined,
//! `nullable` as a `null` alternative) and checked before the handler runs,
//! so every documented constraint — required fields, enums, lengths,
//! ranges, formats — answers 422 with the field at fault, exactly as the spec
//! says and without a second hand-written list of rules.

use crate::error::ApiError;
use jsonschema::Validator;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use studio_api::operations::OPERATIONS;

/// The spec the generated clients were built from.
const SPEC: &str = include_str!("../../openapi/studio.yaml");

/// The checks for one operation's input.
struct Checks {
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
            let body = operation["requestBody"]["content"]["application/json"]["schema"]
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
            checks.insert(op.id, Checks { body, query });
        }
        RequestValidator { checks }
    }

    /// Checks the query and JSON body of a request for `operation_id`.
    pub fn check(
        &self,
        operation_id: &str,
        query: &[(String, String)],
        body: &[u8],
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
                    format!("The {} is invalid: {error}.", param.name),
                ));
            }
        }
        if let Some(validator) = &checks.body {
            match serde_json::from_slice::<Value>(body) {
                Err(_) => errors.push((
                    "body".into(),
                    "The request body must be a JSON document.".into(),
                )),
                Ok(instance) => {
                    for error in validator.iter_errors(&instance) {
                        let path = error.instance_path().to_string();
                        let field = path
                            .trim_start_matches('/')
                            .split('/')
                            .next()
                            .unwrap_or_default();
                        let field = if field.is_empty() { "body" } else { field };
                        errors.push((
                            field.to_string(),
                            format!("The {field} is invalid: {error}."),
                        ));
                    }
                }
            }
        }
        match errors.first() {
            None => Ok(()),
            Some((field, message)) => {
                let mut error = ApiError::invalid(field, message.clone());
                for (field, message) in errors.into_iter().skip(1) {
                    error.errors.entry(field).or_default().push(message);
                }
                Err(error)
            }
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
