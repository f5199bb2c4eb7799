//! The flags of one parsed command, read the way its setters and its body
//! need them.

use crate::failure::Failure;
use crate::table::{Command, Field, Kind, Place, clear_flag};
use clap::ArgMatches;
use serde_json::{Map, Value};
use std::io::Read;
use std::path::PathBuf;

/// One command's parsed flags.
pub struct Input<'a> {
    matches: &'a ArgMatches,
    command: &'static Command,
}

impl<'a> Input<'a> {
    /// The flags `matches` holds for `command`.
    pub fn new(matches: &'a ArgMatches, command: &'static Command) -> Self {
        Input { matches, command }
    }

    /// A flag's value, of the type its parser gives (`String`, `i64`,
    /// `f64` or `bool`).
    pub fn one<T: Clone + Send + Sync + 'static>(&self, flag: &str) -> Option<T> {
        self.matches.get_one::<T>(flag).cloned()
    }

    /// Every value of a repeated text flag.
    pub fn texts(&self, flag: &str) -> Option<Vec<String>> {
        self.matches
            .get_many::<String>(flag)
            .map(|values| values.cloned().collect())
    }

    /// Whether `--all` was given.
    pub fn all(&self) -> bool {
        self.command.paged && self.matches.get_flag("all")
    }

    /// The files given to a command that sends files.
    pub fn files(&self) -> Vec<PathBuf> {
        self.matches
            .get_many::<PathBuf>("file")
            .map(|files| files.cloned().collect())
            .unwrap_or_default()
    }

    /// The request body: `--body-json`'s object, if given, with each body
    /// flag given set over it and each `--clear-…` set to null; decoded into
    /// the body's type. A key the body does not have (naming the closest
    /// one), a missing required property (naming its flag) or a value of
    /// the wrong type is an error before anything is sent.
    pub fn body<T: serde::de::DeserializeOwned>(&self) -> Result<T, Failure> {
        let fields = || {
            self.command
                .fields
                .iter()
                .filter(|f| f.place == Place::Body)
        };
        let mut body = match self.matches.get_one::<String>("body-json") {
            Some(source) => read_object(source)?,
            None => Map::new(),
        };
        for (key, value) in &body {
            match fields().find(|f| f.key == key) {
                Some(field) => check(field, value)?,
                None => return Err(unknown_key(key, fields().map(|f| f.key))),
            }
        }
        for field in fields() {
            if field.clearable && self.matches.get_flag(&clear_flag(field)) {
                body.insert(field.key.into(), Value::Null);
                continue;
            }
            let values: Vec<Value> = match field.kind {
                Kind::Text => self.all_of::<String>(field.flag, Value::from),
                Kind::Integer => self.all_of::<i64>(field.flag, Value::from),
                Kind::Number => self.all_of::<f64>(field.flag, Value::from),
                Kind::Boolean => self.all_of::<bool>(field.flag, Value::from),
                Kind::Json => self.all_of::<Value>(field.flag, |v| v),
            };
            if values.is_empty() {
                continue;
            }
            let value = if field.repeated {
                Value::Array(values)
            } else {
                values.into_iter().next().unwrap_or_default()
            };
            body.insert(field.key.into(), value);
        }
        if let Some(field) = fields().find(|f| f.required && !body.contains_key(f.key)) {
            return Err(Failure::input(format!(
                "--{} is required (or \"{}\" in --body-json)",
                field.flag, field.key
            )));
        }
        serde_path_to_error::deserialize(Value::Object(body)).map_err(|e| {
            let key = e.path().iter().next().map(|segment| segment.to_string());
            let field = fields().find(|f| Some(f.key) == key.as_deref());
            let inner = crate::failure::in_json_words(&e.into_inner().to_string());
            Failure::input(match field {
                Some(field) => format!("--{} (\"{}\"): {inner}", field.flag, field.key),
                None => format!("the request body: {inner}"),
            })
        })
    }

    fn all_of<T: Clone + Send + Sync + 'static>(
        &self,
        flag: &str,
        json: impl Fn(T) -> Value,
    ) -> Vec<Value> {
        self.matches
            .get_many::<T>(flag)
            .map(|values| values.cloned().map(json).collect())
            .unwrap_or_default()
    }
}

/// Whether `value`, from `--body-json`, has the type of `field`.
fn check(field: &Field, value: &Value) -> Result<(), Failure> {
    let one = |value: &Value| match field.kind {
        Kind::Text if !field.values.is_empty() => value
            .as_str()
            .is_some_and(|text| field.values.contains(&text)),
        Kind::Text => value.is_string(),
        Kind::Integer => value.is_i64() || value.is_u64(),
        Kind::Number => value.is_number(),
        Kind::Boolean => value.is_boolean(),
        Kind::Json => true,
    };
    let fits = match value {
        Value::Null => !field.required,
        Value::Array(items) if field.repeated => items.iter().all(one),
        value => !field.repeated && one(value),
    };
    if fits {
        return Ok(());
    }
    let mut expected = match field.kind {
        Kind::Text if !field.values.is_empty() => format!("one of {}", field.values.join(", ")),
        Kind::Text => "text".to_string(),
        Kind::Integer => "a whole number".to_string(),
        Kind::Number => "a number".to_string(),
        Kind::Boolean => "true or false".to_string(),
        Kind::Json => "JSON".to_string(),
    };
    if field.repeated {
        expected = format!("a list, each item {expected}");
    }
    Err(Failure::input(format!(
        "\"{}\" in --body-json must be {expected} (as --{} takes it)",
        field.key, field.flag
    )))
}

/// The error for `key`, which the body has no property of, naming the
/// closest of `known`.
fn unknown_key<'k>(key: &str, known: impl Iterator<Item = &'k str> + Clone) -> Failure {
    let closest = known
        .clone()
        .map(|k| (strsim::jaro_winkler(key, k), k))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let list: Vec<&str> = known.collect();
    let hint = match closest {
        Some((_, k)) => format!("did you mean \"{k}\"? "),
        None => String::new(),
    };
    Failure::input(format!(
        "--body-json has \"{}\", which this request does not have; {hint}its fields: {}",
        crate::terminal::shown(key),
        list.join(", ")
    ))
}

/// The JSON object in the file `source`, or on stdin for `-`.
fn read_object(source: &str) -> Result<Map<String, Value>, Failure> {
    let text = if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::io(format!("reading the body from stdin: {e}")))?;
        text
    } else {
        std::fs::read_to_string(source)
            .map_err(|e| Failure::io(format!("reading the body from {source}: {e}")))?
    };
    match serde_json::from_str(&text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Failure::input("--body-json must hold a JSON object")),
        Err(e) => Err(Failure::input(format!("--body-json is not JSON: {e}"))),
    }
}
