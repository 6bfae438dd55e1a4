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
