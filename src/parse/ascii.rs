//! Regexes compiled on first use, in two forms: as written (Unicode `\d`, `\w`, `\s`, `\b`),
//! and with those classes spelled out in ASCII, used on ASCII text.
//!
//! On a text of ASCII characters only, each Unicode class matches exactly the characters its
//! ASCII spelling matches (`\d` is `[0-9]` there, `\s` `[\t\n\x0B\x0C\r ]`, `\w`
//! `[0-9A-Za-z_]`, and `\b` sits between the same characters), so both forms find the same
//! matches with the same groups. The ASCII form is several times cheaper to compile and to run
//! (Unicode `\w` alone is hundreds of automaton states), and nearly every log line is ASCII;
//! the form as written is compiled only where a text that is not comes along.

use std::sync::OnceLock;

use regex::Regex;

/// A pattern, compiled in each form the first time a text needs it: a `&'static str` for the
/// paper's parser, a `String` for a pattern built at run time (the ledger's rules).
pub struct TwoForms<P = &'static str> {
    pattern: P,
    ascii: OnceLock<Regex>,
    unicode: OnceLock<Regex>,
}

/// [`TwoForms`] of a pattern built at run time.
pub type OwnedTwoForms = TwoForms<String>;

impl<P: AsRef<str>> TwoForms<P> {
    pub const fn new(pattern: P) -> TwoForms<P> {
        TwoForms {
            pattern,
            ascii: OnceLock::new(),
            unicode: OnceLock::new(),
        }
    }

    /// The form that reads `text` as the pattern as written does.
    pub fn for_text(&self, text: &str) -> &Regex {
        let pattern = self.pattern.as_ref();
        if text.is_ascii() {
            self.ascii.get_or_init(|| compile(&ascii_classes(pattern)))
        } else {
            self.unicode.get_or_init(|| compile(pattern))
        }
    }
}

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the parser's patterns are valid regexes")
}

const SPACE: &str = r"\t\n\x0B\x0C\r ";
const WORD: &str = "0-9A-Za-z_";

/// `pattern` with `\d`, `\w`, `\s`, `\S` and `\b` in ASCII spelling (in and out of classes);
/// every other piece as it is. The parser's patterns hold no nested classes.
pub fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                out.push_str(&escape(next, in_class));
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` or `^]` first in a class is a literal, not its end.
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push(chars.next().unwrap_or(']'));
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn escape(c: char, in_class: bool) -> String {
    match (c, in_class) {
        ('d', false) => "[0-9]".into(),
        ('d', true) => "0-9".into(),
        ('w', false) => format!("[{WORD}]"),
        ('w', true) => WORD.into(),
        ('s', false) => format!("[{SPACE}]"),
        ('s', true) => SPACE.into(),
        ('S', false) => format!("[^{SPACE}]"),
        ('b', false) => r"(?-u:\b)".into(),
        _ => format!("\\{c}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_the_classes_out() {
        assert_eq!(ascii_classes(r"\d+\.\d"), r"[0-9]+\.[0-9]");
        assert_eq!(ascii_classes(r"[^)\s]+"), r"[^)\t\n\x0B\x0C\r ]+");
        assert_eq!(
            ascii_classes(r"[\w./<>-]+:\d+\]"),
            r"[0-9A-Za-z_./<>-]+:[0-9]+\]"
        );
        assert_eq!(ascii_classes(r"s\b"), r"s(?-u:\b)");
        assert_eq!(ascii_classes(r"[^\]]*\]"), r"[^\]]*\]");
        assert_eq!(ascii_classes(r"\x1b\[[0-9;?]*"), r"\x1b\[[0-9;?]*");
    }

    /// Both forms find the same matches, with the same groups, on ASCII texts.
    #[test]
    fn both_forms_agree_on_ascii_text() {
        let patterns = [
            r"(\d{2})-(\d{2})\s(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?",
            r"^\(([A-Za-z][\w.-]*)(?: rank=(\d+))? pid=(\d+)(?:, ip=([^)\s]+))?\)\s?",
            r"took (\d+(?:\.\d+)?|\.\d+)\s?s(?:ec(?:ond)?s?)?\b",
            r"# \w+ blocks: (\d[\d,]*), # CPU blocks: (\d[\d,]*)",
            r"shape \S+ takes",
        ];
        let texts = [
            "INFO 02-16 13:27:42.012 [x.py:1] took 2.5 secs",
            "(VllmWorker rank=1 pid=77, ip=10.0.0.2) x",
            "took 3 sx took 4 s. # GPU blocks: 9,008, # CPU blocks: 512",
            "shape 8 takes 1 s\tshape\x0b9 takes",
            "took .5 seconds_ took 1.5 s\x0c",
        ];
        for pattern in patterns {
            let unicode = Regex::new(pattern).unwrap();
            let ascii = Regex::new(&ascii_classes(pattern)).unwrap();
            for text in texts {
                let groups = |re: &Regex| -> Vec<Vec<Option<(usize, usize)>>> {
                    re.captures_iter(text)
                        .map(|c| c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect())
                        .collect()
                };
                assert_eq!(groups(&unicode), groups(&ascii), "{pattern} on {text:?}");
            }
        }
    }
}
