//! Colour codes out of a text: ESC sequences (`\x1b[1;36m`, `\x1b(B`), and the `[1;36m` /
//! `[0;0m` that pastes keep after losing the ESC.
//!
//! The codes are the matches of one regex (kept in the tests, which compare the two):
//! `\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\[(?:\d{1,3};)*\d{1,3}m`, removed left to
//! right. Every match starts at an ESC or a `[`, so only those bytes (found with memchr) are
//! looked at; a text without a code is returned as it is, without a copy. Running the regex
//! over every byte of every log was a sixth of `repro table`'s time.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

const ESC: u8 = 0x1b;

/// The pasted form, where a character that is not ASCII follows the `[` (the regex's `\d` is
/// any Unicode digit): anchored at the candidate.
static BARE_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[(?:\d{1,3};)*\d{1,3}m").expect("valid regex"));

/// `text` without its colour codes (no code holds a line break, so lines stay lines).
pub fn without_colour(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = memchr::memchr2(ESC, b'[', &bytes[at..]) {
        let start = at + found;
        match code_len(text, start) {
            Some(len) => {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                out.push_str(&text[copied..start]);
                copied = start + len;
                at = copied;
            }
            // ESC and `[` are one byte: the next byte starts a character.
            None => at = start + 1,
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// The length of the code at `start` (an ESC or a `[`), `None` where none starts there.
fn code_len(text: &str, start: usize) -> Option<usize> {
    let bytes = &text.as_bytes()[start..];
    if bytes[0] == b'[' {
        return bare_code_len(text, start);
    }
    match bytes.get(1) {
        // `\x1b\[[0-9;?]*[ -/]*[@-~]`: the three sets do not overlap, so taking each as far
        // as it goes is the only way the pattern can match.
        Some(b'[') => {
            let mut i = 2;
            while bytes
                .get(i)
                .is_some_and(|b| matches!(b, b'0'..=b'9' | b';' | b'?'))
            {
                i += 1;
            }
            while bytes.get(i).is_some_and(|b| (b' '..=b'/').contains(b)) {
                i += 1;
            }
            bytes
                .get(i)
                .is_some_and(|b| (b'@'..=b'~').contains(b))
                .then_some(i + 1)
        }
        // `\x1b[()][0-9A-Za-z]`
        Some(b'(' | b')') => bytes
            .get(2)
            .is_some_and(u8::is_ascii_alphanumeric)
            .then_some(3),
        _ => None,
    }
}

/// `\[(?:\d{1,3};)*\d{1,3}m` at `start`: runs of one to three digits split by `;`, then `m`
/// (the run split is forced: `;` and `m` are not digits). A byte that is not ASCII where a
/// digit may be is left to the regex itself.
fn bare_code_len(text: &str, start: usize) -> Option<usize> {
    let bytes = &text.as_bytes()[start..];
    let mut i = 1;
    loop {
        let digits_from = i;
        while i - digits_from < 3 && bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if bytes.get(i).is_some_and(|b| !b.is_ascii()) {
            return BARE_CODE.find(&text[start..]).map(|m| m.end());
        }
        if i == digits_from {
            return None;
        }
        match bytes.get(i) {
            Some(b';') => i += 1,
            Some(b'm') => return Some(i + 1),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pattern this module stands for.
    static ANSI: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\[(?:\d{1,3};)*\d{1,3}m")
            .unwrap()
    });

    #[test]
    fn removes_what_the_regex_removes() {
        let pieces = [
            "\x1b[1;36m",
            "\x1b[0;0m",
            "\x1b[",
            "\x1b[?25l",
            "\x1b[1 q",
            "\x1b[12",
            "\x1b(B",
            "\x1b)0",
            "\x1b(",
            "\x1b",
            "[1;36m",
            "[0;0m",
            "[1234m",
            "[12;m",
            "[;1m",
            "[m",
            "[1",
            "[\u{663}m",
            "[1;\u{663}\u{663}m",
            "[1\u{663}\u{663}\u{663}m",
            "[é",
            "é",
            "[",
            "m",
            ";",
            "1",
            "x",
            " ",
            "[core.py:1]",
            "\u{663}",
            "\x1b[\u{663}m",
            "[[1m",
        ];
        // Every text of up to three pieces.
        let mut cases = 0;
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let text = format!("{a}{b}{c}");
                    let expected = ANSI.replace_all(&text, "");
                    let got = without_colour(&text);
                    assert_eq!(got, expected, "{text:?}");
                    assert_eq!(
                        matches!(got, Cow::Borrowed(_)),
                        matches!(expected, Cow::Borrowed(_)),
                        "{text:?}"
                    );
                    cases += 1;
                }
            }
        }
        assert!(cases > 30_000, "{cases}");
    }
}
