//! TOML text for a recipe written by a program (`repro import`): keys, strings, scalars and
//! inline tables of params, each written so that the recipe parser reads back the same value.

use std::fmt::Write;

use super::matrix::{ParamValue, Params, Scalar};

/// A TOML key: bare where TOML allows it, else quoted.
pub(super) fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_string()
    } else {
        toml_string(key)
    }
}

/// A TOML basic string.
pub(super) fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(super) fn toml_scalar(value: &Scalar) -> String {
    match value {
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        // `{:?}` is the shortest text that reads back as the same float, always with a `.` or
        // an exponent, as TOML wants.
        Scalar::Float(f) => format!("{f:?}"),
        Scalar::Str(s) => toml_string(s),
    }
}

pub(super) fn toml_table<'a>(pairs: impl IntoIterator<Item = (&'a String, String)>) -> String {
    let items: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{} = {v}", toml_key(k)))
        .collect();
    if items.is_empty() {
        "{}".to_string()
    } else {
        format!("{{ {} }}", items.join(", "))
    }
}

pub(super) fn toml_params(params: &Params) -> String {
    toml_table(params.iter().map(|(k, v)| {
        let value = match v {
            ParamValue::One(one) => toml_scalar(one),
            ParamValue::Sweep(list) => format!(
                "[{}]",
                list.iter().map(toml_scalar).collect::<Vec<_>>().join(", ")
            ),
        };
        (k, value)
    }))
}
