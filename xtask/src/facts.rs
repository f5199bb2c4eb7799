//! What the spec says about one field: a body property or a parameter.
//!
//! The passes over the generated code read the spec as JSON, so that a
//! `$ref`, an `allOf: [$ref]` with a local description and `nullable`, and
//! an inline schema all come out the same way.

use anyhow::{Context, Result};
use openapiv3::OpenAPI;
use serde_json::Value;

/// The spec as a JSON document, for the passes that read schemas.
pub fn document(spec: &OpenAPI) -> Result<Value> {
    Ok(serde_json::to_value(spec)?)
}

/// A field's description, whether it is required, and its constraints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The field's own description, else its schema's.
    pub description: Option<String>,
    /// Listed in the object's `required`, or a required parameter.
    pub required: bool,
    /// `nullable: true`.
    pub nullable: bool,
    /// The `default`, as the spec writes it.
    pub default: Option<Value>,
    /// `minimum` and `maximum` of a number.
    pub minimum: Option<f64>,
    /// See `minimum`.
    pub maximum: Option<f64>,
    /// `minLength` and `maxLength` of a string (or of each item of a list).
    pub min_length: Option<u64>,
    /// See `min_length`.
    pub max_length: Option<u64>,
    /// `minItems` and `maxItems` of a list.
    pub min_items: Option<u64>,
    /// See `min_items`.
    pub max_items: Option<u64>,
    /// The accepted values of an enum (or of each item of a list).
    pub values: Vec<String>,
    /// A property of a PATCH operation's body (set by the caller).
    pub update: bool,
    /// Constraints the spec states that the generated checks do not
    /// enforce (`exclusiveMinimum`, `multipleOf`, …), by keyword.
    pub unchecked: Vec<String>,
}

/// Constraint keywords the generated setters cannot check.
const UNCHECKED: [&str; 5] = [
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "uniqueItems",
    "minProperties",
];

/// The schema a `$ref` names; other values are returned as they are.
pub fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..8 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) => match reference
                .strip_prefix("#/")
                .map(|path| path.split('/').fold(doc, |v, key| &v[key]))
            {
                Some(target) if !target.is_null() => current = target,
                _ => return current,
            },
            None => return current,
        }
    }
    current
}

/// A schema with a lone `allOf` member merged in: the member gives the
/// type and constraints, the outer schema its description and `nullable`.
fn merged(doc: &Value, schema: &Value) -> Value {
    let schema = resolve(doc, schema);
    let mut out = match schema.get("allOf").and_then(Value::as_array) {
        Some(members) if members.len() == 1 => merged(doc, &members[0]),
        _ => Value::Object(Default::default()),
    };
    if let (Value::Object(out), Value::Object(own)) = (&mut out, schema) {
        for (key, value) in own {
            if key != "allOf" {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out
}

/// The facts of a schema (a property's or a parameter's), `required` as given.
pub fn of_schema(doc: &Value, schema: &Value, required: bool) -> Facts {
    let schema = merged(doc, schema);
    let items = schema.get("items").map(|items| merged(doc, items));
    let own_or_items = |key: &str| {
        schema
            .get(key)
            .or_else(|| items.as_ref().and_then(|i| i.get(key)))
            .cloned()
    };
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    let count = |value: Option<Value>| value.and_then(|v| v.as_u64());
    Facts {
        description: schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        required,
        nullable: schema.get("nullable") == Some(&Value::Bool(true)),
        default: schema.get("default").cloned(),
        minimum: number("minimum"),
        maximum: number("maximum"),
        min_length: count(own_or_items("minLength")),
        max_length: count(own_or_items("maxLength")),
        min_items: schema.get("minItems").and_then(Value::as_u64),
        max_items: schema.get("maxItems").and_then(Value::as_u64),
        values: own_or_items("enum")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        update: false,
        unchecked: UNCHECKED
            .iter()
            .filter(|k| {
                schema.get(**k).is_some() || items.as_ref().is_some_and(|i| i.get(**k).is_some())
            })
            .map(|k| k.to_string())
            .collect(),
    }
}

/// A schema's `type`, and its items' `type` when it is a list; `allOf`
/// and `$ref` followed.
pub fn types(doc: &Value, schema: &Value) -> (Option<String>, Option<String>) {
    let schema = merged(doc, schema);
    let type_of = |schema: &Value| {
        schema
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let items = schema
        .get("items")
        .map(|items| type_of(&merged(doc, items)));
    (type_of(&schema), items.flatten())
}

/// Whether a schema is a list (`type: array`) or a free-form object (an
/// object without `properties`, which typify makes a map).
pub fn is_collection(doc: &Value, schema: &Value) -> bool {
    let schema = merged(doc, schema);
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => true,
        Some("object") => schema.get("properties").is_none(),
        _ => false,
    }
}

/// The facts of property `property` of the component schema `object`.
pub fn property(doc: &Value, object: &str, property: &str) -> Result<Facts> {
    let schema = component(doc, object)?;
    let property_schema = schema["properties"]
        .get(property)
        .with_context(|| format!("schema {object} has no property {property}"))?;
    let required = schema["required"]
        .as_array()
        .is_some_and(|r| r.iter().any(|name| name == property));
    Ok(of_schema(doc, property_schema, required))
}

/// The component schema `name`.
pub fn component<'a>(doc: &'a Value, name: &str) -> Result<&'a Value> {
    doc["components"]["schemas"]
        .get(name)
        .with_context(|| format!("the spec has no schema {name}"))
}

/// Every operation id of the spec.
pub fn operation_ids(doc: &Value) -> Vec<String> {
    doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| op["operationId"].as_str().map(str::to_string))
        .collect()
}

/// The method, path and object of the operation with id `operation_id`.
pub fn operation_at<'a>(
    doc: &'a Value,
    operation_id: &str,
) -> Result<(&'a str, &'a str, &'a Value)> {
    doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .find_map(|(path, item)| {
            item.as_object()?
                .iter()
                .find(|(_, op)| op["operationId"] == operation_id)
                .map(|(method, op)| (method.as_str(), path.as_str(), op))
        })
        .with_context(|| format!("the spec has no operation {operation_id}"))
}

/// The operation with id `operation_id`, and the parameters of its path item.
fn operation<'a>(doc: &'a Value, operation_id: &str) -> Result<(&'a Value, &'a Value)> {
    doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .find_map(|item| {
            item.as_object()?
                .values()
                .find(|op| op["operationId"] == operation_id)
                .map(|op| (op, &item["parameters"]))
        })
        .with_context(|| format!("the spec has no operation {operation_id}"))
}

/// The facts of parameter `name` of operation `operation_id`.
pub fn parameter(doc: &Value, operation_id: &str, name: &str) -> Result<Facts> {
    let (op, shared) = operation(doc, operation_id)?;
    let parameter = [&op["parameters"], shared]
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
        .map(|p| resolve(doc, p))
        .find(|p| p["name"] == name)
        .with_context(|| format!("{operation_id} has no parameter {name}"))?;
    let mut facts = of_schema(doc, &parameter["schema"], parameter["required"] == true);
    if let Some(description) = parameter["description"].as_str() {
        facts.description = Some(description.to_string());
    }
    Ok(facts)
}

/// The component schema names of every operation's JSON request body, each
/// once; an inline body schema is an error, since the passes over the
/// generated code find a body's types by its name.
pub fn request_bodies(doc: &Value) -> Result<Vec<String>> {
    let mut names = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let schema = &resolve(doc, &op["requestBody"])["content"]["application/json"]["schema"];
            if schema.is_null() {
                continue;
            }
            let name = schema["$ref"]
                .as_str()
                .and_then(|r| r.rsplit('/').next())
                .with_context(|| {
                    format!(
                        "{method} {path}: the JSON request body is not a $ref to a component schema"
                    )
                })?;
            names.insert(name.to_string());
        }
    }
    Ok(names.into_iter().collect())
}

/// The component schema names of the PATCH operations' JSON request
/// bodies, each once.
pub fn update_bodies(doc: &Value) -> Vec<String> {
    let names: std::collections::BTreeSet<String> = doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(|item| {
            item["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
        })
        .filter_map(|reference| reference.rsplit('/').next())
        .map(str::to_string)
        .collect();
    names.into_iter().collect()
}
