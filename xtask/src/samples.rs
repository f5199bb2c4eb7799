//! Sample instances of the spec's schemas, with every string enum set to a
//! value no enum of the spec lists, for the decode tests of
//! [`crate::unknown_values`].
//!
//! Every object also holds a field no schema lists ([`UNKNOWN_FIELD`], whose
//! value nests objects and arrays), as a newer server may add.
//!
//! A sample is valid for its schema in every other respect, and serialises
//! back, once decoded, to exactly itself: every property is present,
//! required or optional, nullable ones with a value (never `null`, which an
//! optional field would leave out); strings honour `minLength`, `maxLength`
//! and the formats `date-time` (in UTC with whole seconds, as chrono writes
//! it), `date`, `uri` and `email`; numbers honour their bounds; arrays hold
//! one element (or `minItems`); `allOf` members are merged. A construct the
//! builder has no valid sample for (`oneOf`, `anyOf`, `not`, `pattern`,
//! `multipleOf`, another format, recursion) fails with the schema path,
//! never a guess.

use anyhow::{Context, Result, bail};
use openapiv3::{
    AdditionalProperties, AnySchema, ArrayType, IntegerFormat, IntegerType, NumberFormat,
    NumberType, ObjectType, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema,
    SchemaKind, StringFormat, StringType, Type, VariantOrUnknownOrEmpty,
};
use serde_json::{Map, Value};

/// The prefix of every schema reference the samples follow.
const SCHEMAS: &str = "#/components/schemas/";

/// A sample instance and the made-up values its enum slots hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The instance.
    pub value: Value,
    /// The value put in each string-enum slot, one per slot, in document
    /// order; each names its slot, so no two are alike.
    pub unknown: Vec<String>,
}

/// A sample of `schema` (a schema of `spec`), its enum slots each holding
/// a value no enum lists.
pub fn sample(spec: &OpenAPI, schema: &ReferenceOr<Schema>) -> Result<Sample> {
    let mut builder = Builder {
        spec,
        unknown: Vec::new(),
        following: Vec::new(),
    };
    let value = builder.any(of(schema), "body")?;
    Ok(Sample {
        value,
        unknown: builder.unknown,
    })
}

/// The field that every object of a sample holds and no schema lists
/// (except a map whose values follow one schema, `additionalProperties`).
pub const UNKNOWN_FIELD: &str = "from_a_newer_server";

/// The value of [`UNKNOWN_FIELD`]: nested objects and arrays, to show that
/// a field kept as sent keeps all of it.
fn unknown_field() -> Value {
    serde_json::json!({"nested": {"list": [1, "two", {"three": true}], "empty": []}})
}

/// The value put in the string-enum slot at `path`.
fn made_up(path: &str) -> String {
    format!("{path} from a newer server")
}

/// A schema, by reference or inline.
#[derive(Clone, Copy)]
enum SchemaRef<'a> {
    Reference(&'a str),
    Item(&'a Schema),
}

fn of(schema: &ReferenceOr<Schema>) -> SchemaRef<'_> {
    match schema {
        ReferenceOr::Reference { reference } => SchemaRef::Reference(reference),
        ReferenceOr::Item(schema) => SchemaRef::Item(schema),
    }
}

fn of_boxed(schema: &ReferenceOr<Box<Schema>>) -> SchemaRef<'_> {
    match schema {
        ReferenceOr::Reference { reference } => SchemaRef::Reference(reference),
        ReferenceOr::Item(schema) => SchemaRef::Item(schema),
    }
}

/// The named schema `reference` points to.
fn named<'a>(spec: &'a OpenAPI, reference: &str) -> Result<(&'a str, &'a Schema)> {
    let mut reference = reference;
    for _ in 0..8 {
        let name = reference
            .strip_prefix(SCHEMAS)
            .with_context(|| format!("{reference} is not a reference to a schema"))?;
        let (name, schema) = spec
            .components
            .as_ref()
            .and_then(|c| c.schemas.get_key_value(name))
            .with_context(|| format!("{reference} does not resolve"))?;
        match schema {
            ReferenceOr::Item(schema) => return Ok((name.as_str(), schema)),
            ReferenceOr::Reference { reference: next } => reference = next,
        }
    }
    bail!("{reference} is a chain of references too long to follow")
}

struct Builder<'a> {
    spec: &'a OpenAPI,
    unknown: Vec<String>,
    /// The named schemas being sampled, outermost first (to refuse recursion).
    following: Vec<&'a str>,
}

impl<'a> Builder<'a> {
    fn any(&mut self, schema: SchemaRef<'a>, path: &str) -> Result<Value> {
        match schema {
            SchemaRef::Item(schema) => self.schema(schema, path),
            SchemaRef::Reference(reference) => {
                let (name, schema) = named(self.spec, reference)?;
                if self.following.contains(&name) {
                    bail!(
                        "{path}: schema {name} contains itself; no finite sample has every property"
                    );
                }
                self.following.push(name);
                let value = self.schema(schema, path);
                self.following.pop();
                value
            }
        }
    }

    fn schema(&mut self, schema: &'a Schema, path: &str) -> Result<Value> {
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(s)) => self.string(s, path),
            SchemaKind::Type(Type::Number(n)) => number(n, path),
            SchemaKind::Type(Type::Integer(i)) => integer(i, path),
            SchemaKind::Type(Type::Boolean(b)) => Ok(Value::Bool(
                b.enumeration
                    .iter()
                    .flatten()
                    .next()
                    .copied()
                    .unwrap_or(true),
            )),
            SchemaKind::Type(Type::Object(o)) => self.object(o, path),
            SchemaKind::Type(Type::Array(a)) => self.array(a, path),
            SchemaKind::AllOf { all_of } => self.all_of(all_of, None, path),
            SchemaKind::Any(any) => self.mixed(any, path),
            SchemaKind::OneOf { .. } | SchemaKind::AnyOf { .. } | SchemaKind::Not { .. } => {
                bail!("{path}: oneOf, anyOf and not have no sample that is certainly valid")
            }
        }
    }

    fn string(&mut self, s: &StringType, path: &str) -> Result<Value> {
        if s.pattern.is_some() {
            bail!("{path}: a string with a pattern has no sample");
        }
        let known: Vec<&str> = s.enumeration.iter().flatten().map(String::as_str).collect();
        if !known.is_empty() {
            let value = made_up(path);
            if known.contains(&value.as_str()) {
                bail!("{path}: the made-up value {value:?} is one the enum lists");
            }
            self.unknown.push(value.clone());
            return Ok(Value::String(value));
        }
        let formatted = match &s.format {
            VariantOrUnknownOrEmpty::Empty
            | VariantOrUnknownOrEmpty::Item(StringFormat::Password) => None,
            VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => Some("2025-01-02T03:04:05Z"),
            VariantOrUnknownOrEmpty::Item(StringFormat::Date) => Some("2025-01-02"),
            VariantOrUnknownOrEmpty::Unknown(format) if format == "uri" => {
                Some("https://example.com/sample")
            }
            VariantOrUnknownOrEmpty::Unknown(format) if format == "email" => {
                Some("sample@example.com")
            }
            VariantOrUnknownOrEmpty::Item(other) => {
                bail!("{path}: no sample for a string of format {other:?}")
            }
            VariantOrUnknownOrEmpty::Unknown(other) => {
                bail!("{path}: no sample for a string of format {other:?}")
            }
        };
        let (min, max) = (
            s.min_length.unwrap_or(0),
            s.max_length.unwrap_or(usize::MAX),
        );
        if min > max {
            bail!("{path}: minLength {min} is more than maxLength {max}");
        }
        let text = match formatted {
            Some(text) if (min..=max).contains(&text.chars().count()) => text.to_string(),
            Some(text) => bail!("{path}: the sample {text:?} is outside the length limits"),
            None => "sample".chars().cycle().take(min.max(6).min(max)).collect(),
        };
        Ok(Value::String(text))
    }

    fn object(&mut self, o: &'a ObjectType, path: &str) -> Result<Value> {
        let mut map = self.properties(&o.properties, &o.required, path)?;
        if let Some(AdditionalProperties::Schema(extra)) = &o.additional_properties {
            let key = (0..)
                .map(|n| format!("additional{n}"))
                .find(|key| !map.contains_key(key))
                .context("a free key")?;
            let value = self.any(of(extra), &format!("{path}.{key}"))?;
            map.insert(key, value);
        } else if map
            .insert(UNKNOWN_FIELD.to_string(), unknown_field())
            .is_some()
        {
            bail!("{path}: a property is named {UNKNOWN_FIELD:?}, the field no schema may list");
        }
        let count = map.len();
        if o.min_properties.is_some_and(|min| count < min)
            || o.max_properties.is_some_and(|max| count > max)
        {
            bail!("{path}: {count} properties are outside minProperties/maxProperties");
        }
        Ok(Value::Object(map))
    }

    /// Every property of an object, required or not, with a sample value.
    fn properties(
        &mut self,
        properties: impl IntoIterator<Item = (&'a String, &'a ReferenceOr<Box<Schema>>)>,
        required: &[String],
        path: &str,
    ) -> Result<Map<String, Value>> {
        let mut map = Map::new();
        for (name, property) in properties {
            let value = self.any(of_boxed(property), &format!("{path}.{name}"))?;
            map.insert(name.clone(), value);
        }
        if let Some(missing) = required.iter().find(|r| !map.contains_key(*r)) {
            bail!("{path}: required property {missing} has no schema");
        }
        Ok(map)
    }

    fn array(&mut self, a: &'a ArrayType, path: &str) -> Result<Value> {
        let items = a
            .items
            .as_ref()
            .with_context(|| format!("{path}: an array without items has no sample"))?;
        let count = a.min_items.unwrap_or(1).max(1);
        if a.max_items.is_some_and(|max| max < count) {
            bail!("{path}: maxItems leaves no room for a sample element");
        }
        if a.unique_items && count > 1 {
            bail!("{path}: no sample for {count} unique items");
        }
        (0..count)
            .map(|index| self.any(of_boxed(items), &format!("{path}[{index}]")))
            .collect::<Result<_>>()
            .map(Value::Array)
    }

    /// The members of an `allOf` (and `own`, the schema's own properties),
    /// merged: one member stands for itself; several must be objects.
    fn all_of(
        &mut self,
        members: &'a [ReferenceOr<Schema>],
        own: Option<Value>,
        path: &str,
    ) -> Result<Value> {
        let mut values: Vec<Value> = members
            .iter()
            .map(|member| self.any(of(member), path))
            .collect::<Result<_>>()?;
        values.extend(own);
        if values.len() == 1 {
            return Ok(values.remove(0));
        }
        let mut merged = Map::new();
        for value in values {
            let Value::Object(map) = value else {
                bail!("{path}: allOf merges objects only");
            };
            for (key, value) in map {
                if merged.get(&key).is_some_and(|seen| *seen != value) {
                    bail!("{path}: allOf members disagree on {key}");
                }
                merged.insert(key, value);
            }
        }
        Ok(Value::Object(merged))
    }

    /// A schema mixing keywords of several kinds, as `type: object` with
    /// `allOf` (a nullable reference) is read.
    fn mixed(&mut self, any: &'a AnySchema, path: &str) -> Result<Value> {
        let AnySchema {
            typ,
            pattern,
            multiple_of,
            exclusive_minimum,
            exclusive_maximum,
            minimum,
            maximum,
            properties,
            required,
            additional_properties,
            min_properties,
            max_properties,
            items,
            min_items,
            max_items,
            unique_items,
            enumeration,
            format,
            min_length,
            max_length,
            one_of,
            all_of,
            any_of,
            not,
        } = any;
        let unsupported = pattern.is_some()
            || multiple_of.is_some()
            || exclusive_minimum.is_some()
            || exclusive_maximum.is_some()
            || minimum.is_some()
            || maximum.is_some()
            || additional_properties.is_some()
            || min_properties.is_some()
            || max_properties.is_some()
            || items.is_some()
            || min_items.is_some()
            || max_items.is_some()
            || unique_items.is_some()
            || !enumeration.is_empty()
            || format.is_some()
            || min_length.is_some()
            || max_length.is_some()
            || !one_of.is_empty()
            || !any_of.is_empty()
            || not.is_some()
            || typ.as_deref().is_some_and(|t| t != "object");
        if unsupported || all_of.is_empty() {
            bail!("{path}: no sample for a schema that mixes keywords this way");
        }
        let own = match properties.is_empty() && required.is_empty() {
            true => None,
            false => Some(Value::Object(self.properties(properties, required, path)?)),
        };
        self.all_of(all_of, own, path)
    }
}

fn number(n: &NumberType, path: &str) -> Result<Value> {
    if n.multiple_of.is_some() {
        bail!("{path}: no sample for multipleOf");
    }
    if !matches!(
        n.format,
        VariantOrUnknownOrEmpty::Empty
            | VariantOrUnknownOrEmpty::Item(NumberFormat::Float | NumberFormat::Double)
    ) {
        bail!("{path}: no sample for a number of format {:?}", n.format);
    }
    if let Some(first) = n.enumeration.iter().flatten().next() {
        return Ok(Value::from(*first));
    }
    let above = |v: f64| match n.minimum {
        Some(min) if n.exclusive_minimum => v > min,
        Some(min) => v >= min,
        None => true,
    };
    let below = |v: f64| match n.maximum {
        Some(max) if n.exclusive_maximum => v < max,
        Some(max) => v <= max,
        None => true,
    };
    let candidates = [
        n.minimum
            .map(|min| if n.exclusive_minimum { min + 1.0 } else { min }),
        n.minimum.zip(n.maximum).map(|(min, max)| (min + max) / 2.0),
        n.maximum
            .map(|max| if n.exclusive_maximum { max - 1.0 } else { max }),
        Some(1.0),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|v| above(*v) && below(*v))
        .map(Value::from)
        .with_context(|| format!("{path}: no number within the bounds"))
}

fn integer(i: &IntegerType, path: &str) -> Result<Value> {
    if i.multiple_of.is_some() {
        bail!("{path}: no sample for multipleOf");
    }
    let (low, high) = match &i.format {
        VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => {
            (i64::from(i32::MIN), i64::from(i32::MAX))
        }
        VariantOrUnknownOrEmpty::Item(IntegerFormat::Int64) | VariantOrUnknownOrEmpty::Empty => {
            (i64::MIN, i64::MAX)
        }
        VariantOrUnknownOrEmpty::Unknown(other) => {
            bail!("{path}: no sample for an integer of format {other:?}")
        }
    };
    if let Some(first) = i.enumeration.iter().flatten().next() {
        return Ok(Value::from(*first));
    }
    let min = match i.minimum {
        Some(min) if i.exclusive_minimum => min.saturating_add(1),
        Some(min) => min,
        None => low,
    };
    let max = match i.maximum {
        Some(max) if i.exclusive_maximum => max.saturating_sub(1),
        Some(max) => max,
        None => high,
    };
    let (min, max) = (min.max(low), max.min(high));
    if min > max {
        bail!("{path}: no integer within the bounds");
    }
    Ok(Value::from(1.clamp(min, max)))
}

/// The values of every string enum the spec defines, one list per enum:
/// those of the named schemas (and inline in them), then those inline in
/// parameters, request bodies and responses. A reference is not another
/// enum.
pub fn string_enums(spec: &OpenAPI) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut walk = |schema: &ReferenceOr<Schema>| collect(of(schema), &mut found);
    let components = spec.components.as_ref();
    let operations = crate::spec::operations(spec);
    components
        .into_iter()
        .flat_map(|c| c.schemas.values())
        .for_each(&mut walk);
    let parameters = components
        .into_iter()
        .flat_map(|c| c.parameters.values())
        .chain(
            operations
                .iter()
                .flat_map(|op| op.item_parameters.iter().chain(&op.operation.parameters)),
        );
    for parameter in parameters {
        if let ReferenceOr::Item(parameter) = parameter {
            parameter_schemas(parameter).for_each(&mut walk);
        }
    }
    let bodies = components
        .into_iter()
        .flat_map(|c| c.request_bodies.values())
        .chain(
            operations
                .iter()
                .filter_map(|op| op.operation.request_body.as_ref()),
        );
    for body in bodies {
        if let ReferenceOr::Item(body) = body {
            media_schemas(&body.content).for_each(&mut walk);
        }
    }
    let responses = components
        .into_iter()
        .flat_map(|c| c.responses.values())
        .chain(
            operations
                .iter()
                .flat_map(|op| op.operation.responses.responses.values()),
        );
    for response in responses {
        if let ReferenceOr::Item(response) = response {
            media_schemas(&response.content).for_each(&mut walk);
        }
    }
    found
}

/// The schemas of a body's or response's media types.
fn media_schemas(content: &openapiv3::Content) -> impl Iterator<Item = &ReferenceOr<Schema>> {
    content.values().filter_map(|m| m.schema.as_ref())
}

fn parameter_schemas(parameter: &Parameter) -> impl Iterator<Item = &ReferenceOr<Schema>> {
    let (schema, content) = match &parameter.parameter_data_ref().format {
        ParameterSchemaOrContent::Schema(schema) => (Some(schema), None),
        ParameterSchemaOrContent::Content(content) => (None, Some(content)),
    };
    schema.into_iter().chain(
        content
            .into_iter()
            .flat_map(|content| content.values().filter_map(|m| m.schema.as_ref())),
    )
}

/// Adds the string enums of an inline schema (and of those inline in it).
fn collect(schema: SchemaRef<'_>, found: &mut Vec<Vec<String>>) {
    let SchemaRef::Item(schema) = schema else {
        return;
    };
    let mut inner: Vec<SchemaRef<'_>> = Vec::new();
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => {
            let values: Vec<String> = s.enumeration.iter().flatten().cloned().collect();
            if !values.is_empty() {
                found.push(values);
            }
        }
        SchemaKind::Type(Type::Object(o)) => {
            inner.extend(o.properties.values().map(of_boxed));
            if let Some(AdditionalProperties::Schema(extra)) = &o.additional_properties {
                inner.push(of(extra));
            }
        }
        SchemaKind::Type(Type::Array(a)) => inner.extend(a.items.iter().map(of_boxed)),
        SchemaKind::AllOf { all_of: members }
        | SchemaKind::OneOf { one_of: members }
        | SchemaKind::AnyOf { any_of: members } => inner.extend(members.iter().map(of)),
        SchemaKind::Not { not } => inner.push(of(not)),
        SchemaKind::Any(any) => {
            inner.extend(any.properties.values().map(of_boxed));
            inner.extend(any.items.iter().map(of_boxed));
            if let Some(AdditionalProperties::Schema(extra)) = &any.additional_properties {
                inner.push(of(extra));
            }
            inner.extend(
                any.all_of
                    .iter()
                    .chain(&any.one_of)
                    .chain(&any.any_of)
                    .map(of),
            );
            inner.extend(any.not.iter().map(|not| of(not)));
            let values: Vec<String> = any
                .enumeration
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if !values.is_empty() && any.typ.as_deref().is_none_or(|t| t == "string") {
                found.push(values);
            }
        }
        SchemaKind::Type(Type::Number(_) | Type::Integer(_) | Type::Boolean(_)) => {}
    }
    for schema in inner {
        collect(schema, found);
    }
}
