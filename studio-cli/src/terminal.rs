//! What reaches a terminal or a shell: text the server controls is shown
//! with its control characters escaped, JSON escapes the ones JSON leaves
//! raw, ids in a command to paste are quoted, and stderr is written to
//! without ever failing the command.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;

/// Whether a terminal may act on `c` rather than show it: the C0 and C1
/// controls (ESC, BEL, CSI, OSC, newline…), DEL, and the Unicode bidi
/// controls and marks, which reorder what is shown around them.
fn acts(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` from the server, safe to write to a terminal: each character a
/// terminal would act on is shown escaped (`\x1b`, `\u{202e}`).
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acts) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !acts(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Serialised JSON with the characters it may hold raw but a terminal
/// acts on (DEL, the C1 controls, bidi controls) written as `\u` escapes:
/// still valid JSON, the same value once parsed. JSON's own syntax is
/// ASCII, so every such character is inside a string.
pub fn json_safe(json: String) -> String {
    if !json.chars().any(acts) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if acts(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// `word` as one word for a POSIX shell: as it is when it holds only
/// characters no shell treats specially, else single-quoted. Shown first,
/// so a control character reaches the line escaped, never raw.
pub fn shell_word(word: &str) -> String {
    let word = shown(word);
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-.,:/@%+=".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.into_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// `text` cut to its first `limit` bytes (at a character's boundary),
/// saying how long it was when it was cut.
pub fn clipped(text: &str, limit: usize) -> Cow<'_, str> {
    if text.len() <= limit {
        return text.into();
    }
    let end = (0..=limit)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    format!(
        "{}… (the first {end} of {} bytes)",
        &text[..end],
        text.len()
    )
    .into()
}

/// The longest line written to stderr: a hostile server's megabytes of
/// status or URL do not flood the terminal.
const LINE: usize = 128 << 10;

/// Writes `text` and a newline to stderr, each line at most 128 KiB; a
/// closed or full stderr is ignored, as nothing else could report it.
pub fn say(text: &str) {
    let mut stderr = std::io::stderr().lock();
    for line in text.lines() {
        let _ = writeln!(stderr, "{}", clipped(line, LINE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_and_bidi_character_is_escaped_and_the_rest_kept() {
        assert_eq!(shown("plain – text ✓"), "plain – text ✓");
        assert_eq!(
            shown("x \u{1b}]0;pwned\u{7}\u{1b}[2J\n\r\t\u{7f}"),
            r"x \x1b]0;pwned\x07\x1b[2J\x0a\x0d\x09\x7f"
        );
        assert_eq!(
            shown("\u{9b}31m \u{9d} \u{202e}abc \u{2066} \u{200f}"),
            r"\u{9b}31m \u{9d} \u{202e}abc \u{2066} \u{200f}"
        );
        for c in (0..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            let text = c.to_string();
            let escaped = shown(&text);
            assert!(escaped.chars().all(|c| c.is_ascii_graphic()), "{c:?}");
        }
    }

    #[test]
    fn json_stays_the_same_value_with_nothing_a_terminal_acts_on() {
        let value = serde_json::json!({"m": "a\u{9b}b\u{202e}c\u{7f}d\u{1b}", "k\u{9d}": 1});
        let text = json_safe(serde_json::to_string(&value).unwrap());
        assert!(!text.chars().any(acts), "{text}");
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, value);
    }

    #[test]
    fn clipping_cuts_at_a_character_and_says_how_long_it_was() {
        assert_eq!(clipped("short", 10), "short");
        assert_eq!(clipped("ééé", 3), "é… (the first 2 of 6 bytes)");
    }

    #[test]
    fn a_shell_word_is_one_word_that_runs_nothing() {
        assert_eq!(shell_word("job_000001"), "job_000001");
        assert_eq!(shell_word("job_1;touch${IFS}/x"), "'job_1;touch${IFS}/x'");
        assert_eq!(shell_word("a'b"), r"'a'\''b'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("a\u{1b}b"), r"'a\x1bb'");
    }
}
