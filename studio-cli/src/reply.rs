//! What a command prints: JSON on stdout, pretty on a terminal and one
//! compact document otherwise; `--all` prints one item a line. What is
//! printed is what the server sent (the SDK's types keep values and fields
//! this version does not know), with the characters a terminal would act
//! on escaped (see `terminal::json_safe`).

use crate::failure::Failure;
use crate::terminal::json_safe;
use futures_util::stream::{BoxStream, StreamExt};
use serde::Serialize;
use serde_json::Value;
use std::io::{IsTerminal, Write};

/// What a request answered.
pub enum Reply<'a> {
    /// One response's `data`.
    Value(Value),
    /// Every item of every page.
    Items(BoxStream<'a, Result<Value, Failure>>),
}

impl<'a> Reply<'a> {
    /// The `data` of a response, or its whole body when it has none.
    pub fn of<T: Serialize>(
        result: Result<studio_api::ResponseValue<T>, studio_api::Error>,
    ) -> Result<Self, Failure> {
        let mut body = to_json(&result?.into_inner())?;
        Ok(Reply::Value(match body.get_mut("data") {
            Some(data) => data.take(),
            None => body,
        }))
    }

    /// The items of `pages`, read as they are printed.
    pub fn items<T: Serialize + Send + 'a>(pages: studio_api::Pages<'a, T>) -> Self {
        Reply::Items(
            pages
                .map(|item| item.map_err(Failure::from).and_then(|item| to_json(&item)))
                .boxed(),
        )
    }
}

/// `value`, a response that arrived, as JSON.
pub fn to_json<T: Serialize>(value: &T) -> Result<Value, Failure> {
    serde_json::to_value(value).map_err(|e| Failure::Unreadable(e.to_string()))
}

/// Prints one JSON document on stdout.
pub fn print(value: &Value) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    let text = if stdout.is_terminal() {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(|e| Failure::Unreadable(e.to_string()))?;
    writeln!(stdout, "{}", json_safe(text)).or_else(closed)
}

/// A reader that stopped reading (`studio … | head`) is no failure.
pub fn closed(error: std::io::Error) -> Result<(), Failure> {
    match error.kind() {
        std::io::ErrorKind::BrokenPipe => Ok(()),
        _ => Err(Failure::io(format!("writing stdout: {error}"))),
    }
}

/// Prints each item as one compact JSON line, as it arrives; the first
/// error ends the listing after what came before it was printed.
pub async fn print_items(mut items: BoxStream<'_, Result<Value, Failure>>) -> Result<(), Failure> {
    while let Some(item) = items.next().await {
        let line = serde_json::to_string(&item?).map_err(|e| Failure::Unreadable(e.to_string()))?;
        let mut stdout = std::io::stdout().lock();
        if let Err(error) = writeln!(stdout, "{}", json_safe(line)) {
            // Nothing more is read: stop asking for pages.
            return closed(error);
        }
    }
    Ok(())
}
