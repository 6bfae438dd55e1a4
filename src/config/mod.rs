//! Files a user edits (`models.toml`, `machines.toml`, `figures/*.toml`), read into typed structs.
//! Unknown keys and bad values are errors that name the file, line and column and show the line.

pub mod machines;
pub mod models;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub use machines::{Executor, Machine, Machines};
pub use models::{Model, Models};

/// A config file that cannot be used, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", Located(.0))]
    Invalid(Box<Invalid>),
}

/// A bad value or key at a place in a file.
#[derive(Debug)]
pub struct Invalid {
    pub path: PathBuf,
    /// 1-based; 0 where the file as a whole is at fault.
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The offending line of the file, shown under the message.
    pub source_line: String,
}

struct Located<'a>(&'a Invalid);

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        if e.line == 0 {
            return write!(f, "`{}`: {}", e.path.display(), e.message);
        }
        writeln!(f, "{}", e.message)?;
        writeln!(f, "  --> {}:{}:{}", e.path.display(), e.line, e.column)?;
        writeln!(f, "   |")?;
        writeln!(f, "{:>3}| {}", e.line, e.source_line)?;
        write!(f, "   | {}^", " ".repeat(e.column.saturating_sub(1)))
    }
}

impl ConfigError {
    /// An error at a byte offset of `text` (from a `toml::Spanned` or a parse error's span).
    pub fn at(
        path: &Path,
        text: &str,
        offset: Option<usize>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column, source_line) = match offset {
            Some(offset) => locate(text, offset),
            None => (0, 0, String::new()),
        };
        ConfigError::Invalid(Box::new(Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
            source_line,
        }))
    }
}

/// 1-based line and column (in characters) of a byte offset, and that line's text.
fn locate(text: &str, offset: usize) -> (usize, usize, String) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    let source_line = text[line_start..].lines().next().unwrap_or("").to_string();
    (line, column, source_line)
}

/// One step of a path into a TOML document: a key of a table, or an index of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Where the value at `path` is in `text` (byte offsets), from the spans the TOML parser keeps
/// — for errors found after parsing, so they point at the value itself and not at the first
/// place its text happens to appear.
pub fn span(text: &str, path: &[Seg<'_>]) -> Option<std::ops::Range<usize>> {
    use toml::de::{DeArray, DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut span = root.span();
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    let mut array: Option<&DeArray<'_>> = None;
    for seg in path {
        let next = match seg {
            Seg::Key(k) => table?.get(*k)?,
            Seg::Index(i) => array?.get(*i)?,
        };
        span = next.span();
        (table, array) = match next.get_ref() {
            DeValue::Table(t) => (Some(t), None),
            DeValue::Array(a) => (None, Some(a)),
            _ => (None, None),
        };
    }
    Some(span)
}

/// [`ConfigError::at`] the value at `path`, or the file as a whole where it is not there.
pub fn error_at(
    file: &Path,
    text: &str,
    path: &[Seg<'_>],
    message: impl Into<String>,
) -> ConfigError {
    ConfigError::at(file, text, span(text, path).map(|s| s.start), message)
}

/// Parse TOML text into `T`; errors point at the offending key or value.
pub fn from_toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end().to_string();
        ConfigError::at(path, text, e.span().map(|span| span.start), message)
    })
}

/// Read and parse a TOML file into `T`.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_toml(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Small {
        name: String,
        count: u32,
    }

    #[test]
    fn unknown_key_names_file_line_and_column() {
        let text = "name = \"a\"\ncount = 1\ncolour = \"red\"\n";
        let err = from_toml::<Small>(Path::new("x.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `colour`"), "{err}");
        assert!(err.contains("x.toml:3:1"), "{err}");
        assert!(err.contains("colour = \"red\""), "{err}");
    }

    #[test]
    fn bad_value_points_at_the_value() {
        let text = "name = \"a\"\ncount = -4\n";
        let err = from_toml::<Small>(Path::new("x.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.toml:2:9"), "{err}");
    }
}
