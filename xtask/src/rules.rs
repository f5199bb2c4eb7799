//! The project's own rules for the spec, checked before anything is generated.
//!
//! progenitor panics or silently degrades on some constructs, and the runtime
//! relies on facts (scope, error schema) the OpenAPI standard does not require.
//! Every violation is reported as `operation_id: rule`.

use crate::facts;
use crate::spec::{self, SpecOperation};
use openapiv3::{OpenAPI, Parameter, ReferenceOr, Response, StatusCode};
use std::collections::HashMap;
use std::fmt;

/// The schema every error response must use.
pub const ERROR_SCHEMA: &str = "#/components/schemas/ErrorResponse";

/// One broken rule of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The operation's id (or `METHOD /path` when it has none).
    pub operation: String,
    /// What is wrong, in words.
    pub rule: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.rule)
    }
}

/// Checks every operation of `spec` and returns all violations, in spec order.
pub fn check(spec: &OpenAPI) -> Vec<Violation> {
    let operations = spec::operations(spec);
    let scopes = match spec::api_facts(spec) {
        Ok(api) => api.scopes,
        Err(e) => {
            return vec![Violation {
                operation: "spec".into(),
                rule: format!("{e:#}"),
            }];
        }
    };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut commands: HashMap<&str, usize> = HashMap::new();
    for op in &operations {
        *seen.entry(op.id.as_str()).or_default() += 1;
        if let Some(command) = spec::extension_str(op.operation, "x-studio-cli") {
            *commands.entry(command).or_default() += 1;
        }
    }
    let mut violations = Vec::new();
    let doc = facts::document(spec).unwrap_or_else(|e| {
        violations.push(Violation {
            operation: "spec".into(),
            rule: format!("cannot be read as JSON: {e}"),
        });
        serde_json::Value::Null
    });
    let job_types: Vec<String> = facts::component(&doc, "JobType")
        .map(|schema| facts::of_schema(&doc, schema, false).values)
        .unwrap_or_default();
    for op in &operations {
        let mut report = |rule: String| {
            violations.push(Violation {
                operation: op.id.clone(),
                rule,
            })
        };
        for rule in operation_rules(spec, &doc, &scopes, &job_types, op) {
            report(rule);
        }
        if seen[op.id.as_str()] > 1 {
            report("operationId is used by more than one operation".into());
        }
        if spec::extension_str(op.operation, "x-studio-cli").is_some_and(|c| commands[c] > 1) {
            report("x-studio-cli names a command another operation has too".into());
        }
    }
    violations
}

fn operation_rules(
    spec: &OpenAPI,
    doc: &serde_json::Value,
    scopes: &[String],
    job_types: &[String],
    op: &SpecOperation<'_>,
) -> Vec<String> {
    let mut rules = Vec::new();
    let operation = op.operation;
    match &operation.operation_id {
        None => rules.push("operationId is missing".into()),
        Some(id) if !is_snake_case(id) => rules.push("operationId must be snake_case".into()),
        Some(_) => {}
    }
    match spec::extension_str(operation, "x-studio-scope") {
        None => rules.push("x-studio-scope is missing".into()),
        Some(scope) if !scopes.iter().any(|s| s == scope) => rules.push(format!(
            "x-studio-scope \"{scope}\" is not one of: {}",
            scopes.join(", ")
        )),
        Some(_) => {}
    }
    match spec::extension_str(operation, "x-studio-cli") {
        None => rules.push("x-studio-cli is missing".into()),
        Some(command) if !is_command(command) => rules.push(format!(
            "x-studio-cli \"{command}\" must be an area and a verb, lower-case words joined by '-'"
        )),
        Some(_) => {}
    }
    if let Some(job) = spec::job_type(operation)
        && !job_types.iter().any(|t| t == job)
    {
        rules.push(format!(
            "x-studio-job-type \"{job}\" is not one of JobType's values: {}",
            job_types.join(", ")
        ));
    }
    if operation.tags.len() != 1 {
        rules.push(format!(
            "must have exactly one tag, found {}",
            operation.tags.len()
        ));
    }
    rules.extend(body_rules(spec, op));
    rules.extend(update_rules(doc, op));
    rules.extend(response_rules(spec, op));
    rules.extend(parameter_rules(spec, op));
    rules
}

/// `area verb`, each lower-case ASCII words joined by single `-`.
fn is_command(command: &str) -> bool {
    let words: Vec<&str> = command.split(' ').collect();
    words.len() == 2
        && words.iter().all(|word| {
            word.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
        })
}

fn is_snake_case(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !id.contains("__")
        && !id.ends_with('_')
}

fn body_rules(spec: &OpenAPI, op: &SpecOperation<'_>) -> Vec<String> {
    let Some(body) = &op.operation.request_body else {
        return Vec::new();
    };
    let Some(body) = spec::resolve(spec, body) else {
        return vec!["request body reference does not resolve".into()];
    };
    let mut rules = Vec::new();
    if body.content.keys().any(|m| m.starts_with("multipart/")) {
        rules.push("request body must not be multipart".into());
    }
    if body.content.len() != 1 {
        rules.push(format!(
            "request body must have exactly one media type, found {}",
            body.content.len()
        ));
    }
    rules
}

/// A PATCH body must let a user clear what the resource it returns can hold
/// as `null`: each of its properties that is nullable in the resource must be
/// nullable in the body too.
fn update_rules(doc: &serde_json::Value, op: &SpecOperation<'_>) -> Vec<String> {
    if op.method != "PATCH" {
        return Vec::new();
    }
    let operation = &doc["paths"][op.path]["patch"];
    let schema_name = |schema: &serde_json::Value| {
        schema["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .map(str::to_string)
    };
    let body = facts::resolve(doc, &operation["requestBody"]);
    let Some(body) = schema_name(&body["content"]["application/json"]["schema"]) else {
        return vec!["a PATCH body must be a $ref to a component schema".into()];
    };
    let resource = operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(status, _)| status.starts_with('2'))
        .map(|(_, response)| facts::resolve(doc, response))
        .filter_map(|response| schema_name(&response["content"]["application/json"]["schema"]))
        .filter_map(|envelope| facts::component(doc, &envelope).ok())
        .find_map(|envelope| schema_name(&envelope["properties"]["data"]));
    let Some(resource) = resource else {
        return vec![
            "a PATCH success response must be an envelope whose `data` is a $ref to the resource it updates"
                .into(),
        ];
    };
    let properties = facts::component(doc, &body)
        .ok()
        .and_then(|b| b["properties"].as_object().cloned())
        .unwrap_or_default();
    properties
        .keys()
        .filter(|p| {
            let in_resource = facts::property(doc, &resource, p).is_ok_and(|f| f.nullable);
            let in_body = facts::property(doc, &body, p).is_ok_and(|f| f.nullable);
            in_resource && !in_body
        })
        .map(|p| format!("{body}.{p} must be nullable: {resource}.{p} can be null, and an update must be able to clear it"))
        .collect()
}

/// The error statuses an operation must declare, by the API's conventions.
pub fn required_error_statuses(spec: &OpenAPI, op: &SpecOperation<'_>) -> Vec<u16> {
    let mut statuses = vec![401, 403, 429];
    if spec::extension_flag(op.operation, "x-studio-paid") {
        statuses.push(402);
    }
    if !spec::path_parameters(op.path).is_empty() {
        statuses.push(404);
    }
    let has_query = resolved_parameters(spec, op)
        .iter()
        .any(|p| matches!(p, Parameter::Query { .. }));
    if op.operation.request_body.is_some() || has_query {
        statuses.push(422);
    }
    statuses.sort_unstable();
    statuses
}

fn response_rules(spec: &OpenAPI, op: &SpecOperation<'_>) -> Vec<String> {
    let mut rules = Vec::new();
    let responses = &op.operation.responses;
    if responses.default.is_some() {
        rules.push("must not have a default response".into());
    }
    let resolved: Vec<(u16, Option<&Response>)> = responses
        .responses
        .iter()
        .filter_map(|(status, response)| match status {
            StatusCode::Code(code) => Some((*code, spec::resolve(spec, response))),
            StatusCode::Range(_) => None,
        })
        .collect();
    let successes = resolved
        .iter()
        .filter(|(code, r)| (200..300).contains(code) && r.is_some_and(|r| !r.content.is_empty()))
        .count();
    if successes != 1 {
        rules.push(format!(
            "must have exactly one success response schema, found {successes}"
        ));
    }
    for status in required_error_statuses(spec, op) {
        match resolved.iter().find(|(code, _)| *code == status) {
            None => rules.push(format!("missing {status} response")),
            Some((_, response)) if !uses_error_schema(*response) => {
                rules.push(format!("{status} response must use ErrorResponse"))
            }
            Some(_) => {}
        }
    }
    for (code, response) in &resolved {
        if *code >= 400 && !uses_error_schema(*response) {
            let rule = format!("{code} response must use ErrorResponse");
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
    }
    rules
}

fn uses_error_schema(response: Option<&Response>) -> bool {
    let Some(response) = response else {
        return false;
    };
    response.content.len() == 1
        && response.content.get("application/json").is_some_and(|media| {
            matches!(&media.schema, Some(ReferenceOr::Reference { reference }) if reference == ERROR_SCHEMA)
        })
}

fn resolved_parameters<'a>(spec: &'a OpenAPI, op: &SpecOperation<'a>) -> Vec<&'a Parameter> {
    op.item_parameters
        .iter()
        .chain(&op.operation.parameters)
        .filter_map(|p| spec::resolve(spec, p))
        .collect()
}

fn parameter_rules(spec: &OpenAPI, op: &SpecOperation<'_>) -> Vec<String> {
    let parameters = resolved_parameters(spec, op);
    let mut rules = Vec::new();
    if parameters.len() != op.item_parameters.len() + op.operation.parameters.len() {
        rules.push("a parameter reference does not resolve".into());
    }
    if parameters
        .iter()
        .any(|p| matches!(p, Parameter::Cookie { .. }))
    {
        rules.push("cookie parameters are not supported".into());
    }
    for name in spec::path_parameters(op.path) {
        let declared = parameters.iter().any(
            |p| matches!(p, Parameter::Path { parameter_data, .. } if parameter_data.name == name),
        );
        if !declared {
            rules.push(format!("path parameter {{{name}}} is not declared"));
        }
    }
    rules
}
