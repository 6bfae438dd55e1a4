use std::path::{Path, PathBuf};

use crate::common::*;

/// `repro table all` on a copy of the published data rewrites every comparison file of the
/// paper byte for byte: same labels, same order, same floats, same formatting.
#[test]
fn tables_of_published_data_are_byte_identical() {
    let Some(figures) = published_figures() else {
        return;
    };
    let t = Test::new();
    let results = t.path("results");
    copy_tree(&figures, &results);
    // The builder moves the test folder along: keep it bound while the files are compared.
    let t = t.args(["-q", "table", "all", "--results"]).arg(&results);
    t.run().success();
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(&figures) {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy();
        if name == "comparison_results.json" || name == "avg_comparison_results.json" {
            let rel = entry.path().strip_prefix(&figures).unwrap();
            let ours = std::fs::read(results.join(rel))
                .unwrap_or_else(|e| panic!("{}: {e}", rel.display()));
            let theirs = std::fs::read(entry.path()).unwrap();
            assert!(
                ours == theirs,
                "{} differs from the published file",
                rel.display()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 42, "the published data has 42 comparison files");
}

#[test]
fn unknown_figure_is_an_error_that_lists_the_figures() {
    let t = Test::new();
    std::fs::create_dir_all(t.path("results")).unwrap();
    t.args(["table", "16", "--results", "results"])
        .run()
        .failure()
        .stderr_has("no recipe `16`")
        .stderr_has("a figure of the paper (1–15, 17)");
}

#[test]
fn missing_results_folder_is_named() {
    Test::new()
        .args(["table", "7", "--results", "nowhere"])
        .run()
        .failure()
        .stderr_has("`nowhere` does not exist");
}

/// The parse cache never changes a byte: the published data tabled without it, then with it
/// (cold, warm, and with every entry damaged or swapped for another log's), gives the same
/// files each time.
#[test]
fn the_parse_cache_never_changes_a_table() {
    let Some(figures) = published_figures() else {
        return;
    };
    let t = Test::new();
    let (plain, cached) = (t.path("plain"), t.path("cached"));
    copy_tree(&figures, &plain);
    copy_tree(&figures, &cached);
    let table = |results: &Path, cache: &str| {
        let mut cmd = t.bare_command();
        cmd.args(["-q", "table", "all", "--results"])
            .arg(results)
            .env("REPRO_PARSE_CACHE", cache);
        assert!(cmd.status().unwrap().success());
    };
    table(&plain, "off");
    assert!(!plain.join(".repro-cache").exists());
    let expected = snapshot(&plain);
    let entries = || -> Vec<PathBuf> {
        let dir = cached.join(".repro-cache/parse");
        let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        all.sort();
        all
    };
    table(&cached, "on");
    assert_eq!(snapshot(&cached), expected, "cold cache");
    assert!(entries().len() > 300, "{}", entries().len());
    table(&cached, "on");
    assert_eq!(snapshot(&cached), expected, "warm cache");
    // Damaged: cut in half, emptied, not text; swapped: another log's sound entry.
    let all = entries();
    let sound = std::fs::read(&all[0]).unwrap();
    for (i, entry) in all.iter().enumerate() {
        let bytes = std::fs::read(entry).unwrap();
        let bad = match i % 4 {
            0 => bytes[..bytes.len() / 2].to_vec(),
            1 => vec![],
            2 => vec![0xff, 0x00, 0xfe],
            _ => sound.clone(),
        };
        std::fs::write(entry, bad).unwrap();
    }
    table(&cached, "on");
    assert_eq!(snapshot(&cached), expected, "damaged cache");
    // Each damaged entry was written again.
    let rewritten = entries()
        .iter()
        .filter(|e| std::fs::read(e).unwrap() != sound)
        .count();
    assert!(rewritten >= all.len() - 1, "{rewritten} of {}", all.len());
}
