//! Commands that delete ask first: on a terminal they ask for a yes, and
//! otherwise they need `--yes`, so that a script never deletes by accident.

use crate::failure::Failure;
use crate::input::Input;
use crate::table::{Command, Place};
use crate::terminal::shown;
use std::io::{BufRead, IsTerminal, Write};

/// Whether the deletion `command` names may go ahead: `--yes`, or a yes
/// typed on the terminal.
pub fn delete(command: &Command, input: &Input<'_>) -> Result<(), Failure> {
    if input.one::<bool>("yes") == Some(true) {
        return Ok(());
    }
    let target: Vec<String> = command
        .fields
        .iter()
        .filter(|f| f.place == Place::Path)
        .filter_map(|f| input.one::<String>(f.flag))
        .map(|value| shown(&value).into_owned())
        .collect();
    let what = format!("{} {}", command.about, target.join(" "));
    let again = format!("studio {} {} … --yes", command.area, command.verb);
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Failure::input(format!(
            "deleting needs --yes when stdin is not a terminal: {again}"
        )));
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{what}? This cannot be undone. [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Failure::input(format!(
            "not deleted: the answer was not yes (or pass --yes: {again})"
        ))),
    }
}
