//! A figure's start-up report: its runs grouped as `repro startup` groups them, per group the
//! median (min–max) of the main phases, for the page beside the figure's own numbers.

use std::path::Path;

use super::Numbers;
use crate::startup::{self, short, Group};

/// The phases the page shows, where some group has them (`repro startup DIR` shows all).
const SHOWN: [&str; 9] = [
    "startup_s",
    "load_weights_s",
    "model_loading_s",
    "torch_compile_s",
    "graph_compile_general_shape_s",
    "memory_profiling_s",
    "graph_capture_s",
    "init_engine_s",
    startup::UNACCOUNTED,
];

fn cell(g: &Group, phase: &str) -> String {
    match g.phase(phase) {
        Some(p) if p.n > 1 => format!(
            "{} ({}–{})",
            startup::secs(p.median_s),
            startup::secs(p.min_s),
            startup::secs(p.max_s)
        ),
        Some(p) => startup::secs(p.median_s),
        None => "–".into(),
    }
}

/// The start-up table of the runs under `dir`; `None` where it holds no run.
pub fn numbers(dir: &Path) -> Option<Numbers> {
    let collected = startup::collect(&[dir.to_path_buf()]).ok()?;
    let groups = startup::groups(&collected.runs);
    let shown: Vec<&str> = SHOWN
        .iter()
        .copied()
        .filter(|p| groups.iter().any(|g| g.phase(p).is_some()))
        .collect();
    let mut header = vec!["group".to_string(), "runs".into(), "tag".into()];
    header.extend(shown.iter().map(|p| format!("{} (s)", short(p))));
    let prefix = format!("{}", dir.display());
    let rows = groups
        .iter()
        .map(|g| {
            // The id without the folder the page is about.
            let id = g.id.strip_prefix(&prefix).unwrap_or(&g.id);
            let id = id.trim_start_matches(['/', ':']);
            let mut row = vec![id.to_string(), g.n.to_string(), g.tag.as_str().to_string()];
            row.extend(shown.iter().map(|p| cell(g, p)));
            row
        })
        .collect();
    let mut notes = vec![format!(
        "Per group (experiment:label, @uncached for the paper's first run, @cold/@warm the compile cache): the median (min–max) over its runs. Phases overlap and do not add up; unaccounted is the silences no line accounts for. Every phase with quartiles: `repro startup {}`.",
        dir.display()
    )];
    if !collected.refused.is_empty() {
        notes.push(format!(
            "{} file(s) left out (not a vLLM log), e.g. `{}`",
            collected.refused.len(),
            collected.refused[0].0.display()
        ));
    }
    Some(Numbers {
        header,
        rows,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_per_group_with_median_and_range() {
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/ledger/v0.10.1.1-paper-patched.log"),
        )
        .unwrap();
        for i in ["1", "2"] {
            let run = dir.path().join("iterations").join(i);
            std::fs::create_dir_all(&run).unwrap();
            std::fs::write(run.join("output_model_m.txt"), &log).unwrap();
        }
        let n = numbers(dir.path()).unwrap();
        assert_eq!(n.rows.len(), 1, "{n:?}");
        assert!(n.rows[0][0].starts_with("model_m"), "{:?}", n.rows[0]);
        assert_eq!(
            (n.rows[0][1].as_str(), n.rows[0][2].as_str()),
            ("2", "replicated")
        );
        let load = n
            .header
            .iter()
            .position(|h| h == "load_weights (s)")
            .unwrap();
        assert!(
            n.rows[0][load].contains('('),
            "two runs give a range: {:?}",
            n.rows[0]
        );
        assert!(numbers(&dir.path().join("none")).is_none());
    }
}
