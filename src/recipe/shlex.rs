//! Python's `shlex.split` (POSIX mode, no comments), which `run_test.py` uses to turn a string
//! param into the engine's arguments: `"1 2 4"` → three arguments, `"'a b' c"` → two.
//!
//! Written out rather than taken from the `shlex` crate, which differs from Python's module
//! where it matters here: it treats `#` as a comment, unescapes `\$` inside double quotes and
//! does not split on `\r`.

/// A string Python's `shlex.split` refuses (its `ValueError` message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("No closing quotation")]
    NoClosingQuotation,
    #[error("No escaped character")]
    NoEscapedCharacter,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    /// Between words.
    Space,
    /// In a word, outside quotes.
    Word,
    Single,
    Double,
    /// After a backslash, outside quotes or inside double quotes.
    Escape {
        in_double: bool,
    },
}

/// `shlex.split(text)`.
pub fn split(text: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word that had quotes is kept even when empty (`''` is one empty argument).
    let mut quoted = false;
    let mut state = State::Space;
    for c in text.chars() {
        state = match state {
            State::Space | State::Word => match c {
                ' ' | '\t' | '\r' | '\n' => {
                    if !word.is_empty() || quoted {
                        words.push(std::mem::take(&mut word));
                        quoted = false;
                    }
                    State::Space
                }
                '\\' => State::Escape { in_double: false },
                '\'' => {
                    quoted = true;
                    State::Single
                }
                '"' => {
                    quoted = true;
                    State::Double
                }
                _ => {
                    word.push(c);
                    State::Word
                }
            },
            State::Single => {
                if c == '\'' {
                    State::Word
                } else {
                    word.push(c);
                    State::Single
                }
            }
            State::Double => match c {
                '"' => State::Word,
                '\\' => State::Escape { in_double: true },
                _ => {
                    word.push(c);
                    State::Double
                }
            },
            State::Escape { in_double } => {
                // Inside double quotes only `"` and `\` are escaped; `\x` stays `\x`.
                if in_double && c != '"' && c != '\\' {
                    word.push('\\');
                }
                word.push(c);
                if in_double {
                    State::Double
                } else {
                    State::Word
                }
            }
        };
    }
    match state {
        State::Single | State::Double => Err(SplitError::NoClosingQuotation),
        State::Escape { .. } => Err(SplitError::NoEscapedCharacter),
        State::Space | State::Word => {
            if !word.is_empty() || quoted {
                words.push(word);
            }
            Ok(words)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<String> {
        split(text).unwrap()
    }

    /// Expected values printed by Python 3's `shlex.split` for each input.
    #[test]
    fn splits_like_python() {
        assert_eq!(ok("1 2 4"), ["1", "2", "4"]);
        assert_eq!(ok(""), Vec::<String>::new());
        assert_eq!(ok("  \t "), Vec::<String>::new());
        assert_eq!(ok("a 'b c' d"), ["a", "b c", "d"]);
        assert_eq!(ok("''"), [""]);
        assert_eq!(ok("a''b"), ["ab"]);
        assert_eq!(ok(r#""x\$y" "q\"r" "s\\t""#), [r"x\$y", "q\"r", r"s\t"]);
        assert_eq!(ok(r"a\ b c"), ["a b", "c"]);
        assert_eq!(ok("#x y"), ["#x", "y"]);
        assert_eq!(ok("a\r\nb"), ["a", "b"]);
        assert_eq!(ok("'it''s'"), ["its"]);
        assert_eq!(split("'open"), Err(SplitError::NoClosingQuotation));
        assert_eq!(split("\"open"), Err(SplitError::NoClosingQuotation));
        assert_eq!(split("end\\"), Err(SplitError::NoEscapedCharacter));
    }
}
