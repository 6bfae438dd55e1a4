use std::path::Path;

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
/// (cold, warm, and with its file damaged in four ways), gives the same files each time.
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
        let output = cmd.output().unwrap();
        assert!(output.status.success(), "{output:?}");
    };
    table(&plain, "off");
    assert!(!plain.join(".repro-cache").exists());
    let expected = snapshot(&plain);
    let file = cached.join(".repro-cache/parse.v1");
    let lines = || -> Vec<String> {
        let text = std::fs::read_to_string(&file).unwrap();
        text.lines().map(str::to_string).collect()
    };
    table(&cached, "on");
    assert_eq!(snapshot(&cached), expected, "cold cache");
    // A header, one line a distinct log, a check.
    let written = lines();
    assert!(written.len() > 300, "{}", written.len());
    let inode = || std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&file).unwrap());
    let before = inode();
    table(&cached, "on");
    assert_eq!(snapshot(&cached), expected, "warm cache");
    // Every log was found in the cache: nothing parsed, the file not written again.
    assert_eq!(inode(), before, "a warm pass writes nothing");
    let sound = std::fs::read(&file).unwrap();
    let damaged: [&[u8]; 4] = [&sound[..sound.len() / 2], b"", &[0xff, 0x00, 0xfe], &{
        let mut flipped = sound.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 1;
        flipped
    }];
    for bad in damaged {
        std::fs::write(&file, bad).unwrap();
        table(&cached, "on");
        assert_eq!(snapshot(&cached), expected, "damaged cache");
        assert_eq!(std::fs::read(&file).unwrap(), sound, "written again whole");
    }
}
