//! The layer map in `src/lib.rs`'s top comment is the truth: a module uses only those at or
//! below its own line, never one above.

use std::collections::HashMap;
use std::path::Path;

/// Each module of the map, with its line's rank (0 = the top).
fn layers(lib: &str) -> HashMap<String, usize> {
    let map = lib
        .split("//! ```text\n")
        .nth(1)
        .and_then(|rest| rest.split("//! ```\n").next())
        .expect("src/lib.rs has its layer map");
    let mut rank = HashMap::new();
    let mut line_no = 0;
    for line in map.lines() {
        let line = line.trim_start_matches("//!");
        let names = line.get(1..20).unwrap_or("").trim();
        if names.is_empty() {
            continue;
        }
        // A line that starts indented continues the layer above.
        if !line.starts_with("   ") || rank.is_empty() {
            line_no += 1;
        }
        for name in names
            .split(',')
            .map(|n| n.split_whitespace().next().unwrap_or(""))
        {
            if !name.is_empty() {
                rank.insert(name.to_string(), line_no);
            }
        }
    }
    rank
}

/// `crate::<module>` uses outside test code.
fn uses(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    code.match_indices("crate::")
        .map(|(i, _)| {
            code[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn imports_point_down_the_layer_map_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rank = layers(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    assert!(rank.len() > 20, "the map names the modules: {rank:?}");
    let mut wrong = Vec::new();
    for entry in walkdir::WalkDir::new(&src).into_iter().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs");
        if ["lib", "main", "cli"].contains(&top) {
            continue;
        }
        let Some(&own) = rank.get(top) else {
            wrong.push(format!("`{top}` is not on the layer map in src/lib.rs"));
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for used in uses(&text) {
            if rank.get(&used).is_some_and(|&r| r < own) {
                wrong.push(format!(
                    "{} uses crate::{used}, a layer above",
                    rel.display()
                ));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
