//! The flags of one parsed command, read the way its setters and its body
//! need them.

use crate::failure::Failure;
use crate::table::{Command, Kind, Place, clear_flag};
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
    /// the body's type, so that a missing or mistyped property is an error
    /// before anything is sent.
    pub fn body<T: serde::de::DeserializeOwned>(&self) -> Result<T, Failure> {
        let mut body = match self.matches.get_one::<String>("body-json") {
            Some(source) => read_object(source)?,
            None => Map::new(),
        };
        for field in self
            .command
            .fields
            .iter()
            .filter(|f| f.place == Place::Body)
        {
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
        serde_json::from_value(Value::Object(body))
            .map_err(|e| Failure::input(format!("the request body is not valid: {e}")))
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
