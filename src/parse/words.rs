//! A set of literal words searched for in a whole log at once.
//!
//! Both parsers read only the lines that hold one of their words, and find them with one scan
//! of the text. Here that scan is a packed (SIMD, Teddy) multi-literal search, which checks
//! its candidates itself; the regex alternation it replaces ran a lazy DFA over each
//! candidate, which was most of the scan's cost. The same match is found: leftmost, and of
//! the words starting there the first listed (`LeftmostFirst`, the regex crate's semantics).

use std::sync::OnceLock;

use aho_corasick::packed::{Config, MatchKind, Searcher};
use aho_corasick::{AhoCorasick, Span};

/// Words and the searcher built from them on first use.
pub struct Words {
    words: fn() -> Vec<&'static str>,
    searcher: OnceLock<Search>,
}

enum Search {
    Packed(Searcher),
    /// Where the CPU has no SIMD the packed search needs (or too many words).
    General(AhoCorasick),
}

impl Words {
    pub const fn new(words: fn() -> Vec<&'static str>) -> Words {
        Words {
            words,
            searcher: OnceLock::new(),
        }
    }

    fn search(&self) -> &Search {
        self.searcher.get_or_init(|| {
            let words = (self.words)();
            let packed = Config::new()
                .match_kind(MatchKind::LeftmostFirst)
                .builder()
                .extend(&words)
                .build();
            match packed {
                Some(searcher) => Search::Packed(searcher),
                None => Search::General(
                    AhoCorasick::builder()
                        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                        .build(&words)
                        .expect("the words build an automaton"),
                ),
            }
        })
    }

    /// Where the first word at or after byte `at` of `text` starts.
    pub fn find_at(&self, text: &str, at: usize) -> Option<usize> {
        let span = Span {
            start: at,
            end: text.len(),
        };
        match self.search() {
            Search::Packed(searcher) => searcher.find_in(text, span).map(|m| m.start()),
            Search::General(automaton) => automaton
                .find(aho_corasick::Input::new(text).span(span))
                .map(|m| m.start()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Vec<&'static str> {
        vec!["took", "Loading weights took", "version", "torch.compile "]
    }

    static WORDS: Words = Words::new(words);

    /// The same starts as the regex alternation of the words, from every offset.
    #[test]
    fn finds_what_the_alternation_finds() {
        let alternation: Vec<String> = words().into_iter().map(regex::escape).collect();
        let regex = regex::Regex::new(&alternation.join("|")).unwrap();
        let text = "x Loading weights took 2 s\nversion 1\ntorch.compile took\n\nno\ntook";
        for at in 0..=text.len() {
            assert_eq!(
                WORDS.find_at(text, at),
                regex.find_at(text, at).map(|m| m.start()),
                "{at}"
            );
        }
    }
}
