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

/// Every source file as its module path (`bench::runner`; `bench` for `bench/mod.rs`), with
/// its text outside tests.
fn modules(src: &Path) -> std::collections::BTreeMap<Vec<String>, String> {
    let mut modules = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(src).into_iter().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        let text = std::fs::read_to_string(path).unwrap();
        let code = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or(&text)
            .to_string();
        modules.insert(parts, code);
    }
    modules
}

/// The paths a module's code names from `crate::` or `super::`, with `use …::{a, b::c}`
/// groups opened (one level), each as segments from the crate's root.
fn named_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for head in ["crate::", "super::"] {
        for (i, _) in code.match_indices(head) {
            // `super::super` and `self::` paths are rare here; `crate::`/`super::` only.
            if head == "super::" && code[..i].ends_with("::") {
                continue;
            }
            let base: Vec<String> = match head {
                "crate::" => vec![],
                _ => module[..module.len().saturating_sub(1)].to_vec(),
            };
            let rest = &code[i + head.len()..];
            let mut segs = base.clone();
            let mut tail = rest;
            loop {
                let name = ident(tail);
                if name.is_empty() {
                    break;
                }
                segs.push(name.clone());
                tail = &tail[name.len()..];
                if let Some(t) = tail.strip_prefix("::") {
                    tail = t;
                } else {
                    break;
                }
            }
            found.push(segs.clone());
            if let Some(group) = tail.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or("");
                for item in group.split(',') {
                    let mut item_segs = segs.clone();
                    item_segs.extend(item.trim().split("::").map(ident).filter(|s| !s.is_empty()));
                    found.push(item_segs);
                }
            }
        }
    }
    found
}

#[test]
fn no_module_imports_one_that_imports_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    // The longest module path a named path starts with.
    let module_of = |path: &[String]| -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|m| modules.contains_key(m))
    };
    let mut edges: HashMap<Vec<String>, std::collections::BTreeSet<Vec<String>>> = HashMap::new();
    for (module, code) in &modules {
        for path in named_paths(module, code) {
            let Some(used) = module_of(&path) else {
                continue;
            };
            // A module and its own submodules (a `mod.rs` re-exporting its parts) are one house.
            if used.starts_with(module) || module.starts_with(&used) {
                continue;
            }
            edges.entry(module.clone()).or_default().insert(used);
        }
    }
    assert!(
        edges.len() > 50,
        "the imports were read: {} modules with any",
        edges.len()
    );
    // Each module that reaches itself again names a cycle.
    let mut cycles = Vec::new();
    for start in modules.keys() {
        let mut stack = vec![(start.clone(), vec![start.join("::")])];
        let mut seen = std::collections::BTreeSet::new();
        while let Some((at, trail)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    cycles.push(format!("{} → {}", trail.join(" → "), start.join("::")));
                } else if seen.insert(next.clone()) {
                    let mut trail = trail.clone();
                    trail.push(next.join("::"));
                    stack.push((next.clone(), trail));
                }
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that import each other (move what they share below both):\n{}",
        cycles.join("\n")
    );
}
