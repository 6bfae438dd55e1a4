//! pack and merge: round trips, duplicates, conflicts, hostile archives, interruption.

use std::path::{Path, PathBuf};

use crate::common::*;

fn small_results(t: &Test, name: &str) -> PathBuf {
    let root = t.path(name);
    for (rel, text) in [
        (
            "figure-2/iterations/1/output_model_llama3-3b.txt",
            "log one\n",
        ),
        (
            "figure-2/iterations/2/output_model_llama3-3b.txt",
            "log two\n",
        ),
        (
            "figure-10/gpu1/iterations/1/output_model_yi-6b.txt",
            "gpu1 log\n",
        ),
    ] {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    root
}

#[test]
fn pack_is_deterministic_and_round_trips() {
    let t = Test::new();
    let results = small_results(&t, "results");
    let t = t.args(["pack", "--results", "results"]);
    let out = t.command().args(["-o", "a.tar.zst"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 files"));
    // Touch a file: mtimes must not leak into the archive.
    let log = results.join("figure-2/iterations/1/output_model_llama3-3b.txt");
    std::fs::write(&log, std::fs::read(&log).unwrap()).unwrap();
    let out = t.command().args(["-o", "b.tar.zst"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(t.path("a.tar.zst")).unwrap(),
        std::fs::read(t.path("b.tar.zst")).unwrap()
    );
    let merge = std::process::Command::new(REPRO)
        .current_dir(t.dir.path())
        .args(["merge", "a.tar.zst", "--results", "copy"])
        .output()
        .unwrap();
    assert!(
        merge.status.success(),
        "{}",
        String::from_utf8_lossy(&merge.stderr)
    );
    assert_eq!(snapshot(&results), snapshot(&t.path("copy")));
}

#[test]
fn pack_one_figure_only() {
    let t = Test::new();
    small_results(&t, "results");
    let t = t.args([
        "pack",
        "--results",
        "results",
        "--figure",
        "10",
        "-o",
        "f.tar.zst",
    ]);
    t.run().success().stdout_has("1 files");
}

#[test]
fn identical_files_are_deduplicated() {
    let t = Test::new();
    small_results(&t, "theirs");
    small_results(&t, "results");
    let t = t.args(["merge", "theirs", "--results", "results"]);
    t.run()
        .success()
        .stdout_has("added 0 files, replaced 0, 3 identical");
}

#[test]
fn a_differing_file_stops_the_merge_and_changes_nothing() {
    let t = Test::new();
    small_results(&t, "theirs");
    let results = small_results(&t, "results");
    std::fs::write(
        t.path("theirs/figure-2/iterations/2/output_model_llama3-3b.txt"),
        "different\n",
    )
    .unwrap();
    std::fs::write(
        t.path("theirs/figure-2/iterations/3/output_model_llama3-3b.txt"),
        "new\n",
    )
    .ok();
    std::fs::create_dir_all(t.path("theirs/figure-2/iterations/3")).unwrap();
    std::fs::write(
        t.path("theirs/figure-2/iterations/3/output_model_llama3-3b.txt"),
        "new\n",
    )
    .unwrap();
    let before = snapshot(&results);
    let t = t.args(["merge", "theirs", "--results", "results"]);
    t.run()
        .failure()
        .stderr_has("1 conflicting file(s), nothing merged")
        .stderr_has("figure-2/iterations/2/output_model_llama3-3b.txt")
        .stderr_has("--prefer ours");
    assert_eq!(
        before,
        snapshot(&results),
        "a refused merge changed the results"
    );

    let out = t.command().args(["--prefer", "ours"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(results.join("figure-2/iterations/2/output_model_llama3-3b.txt"))
            .unwrap(),
        "log two\n"
    );
    assert!(results
        .join("figure-2/iterations/3/output_model_llama3-3b.txt")
        .exists());
    let out = t.command().args(["--prefer", "theirs"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(results.join("figure-2/iterations/2/output_model_llama3-3b.txt"))
            .unwrap(),
        "different\n"
    );
}

/// An archive cut short (a copy that stopped half way) is named as damaged, and a merge that
/// had to make the results folder leaves none behind (before: an empty folder with a lock, and
/// `cannot read or write`).
#[test]
fn a_cut_archive_is_named_damaged_and_leaves_no_folder() {
    let t = Test::new();
    small_results(&t, "theirs");
    t.run_with(["-q", "pack", "--results", "theirs", "-o", "whole.tar.zst"])
        .success();
    let whole = std::fs::read(t.path("whole.tar.zst")).unwrap();
    let t = t.write("cut.tar.zst", &whole[..whole.len() / 2]);
    t.run_with(["merge", "cut.tar.zst", "--results", "new"])
        .failure()
        .stderr_has("`cut.tar.zst` is damaged or cut short")
        .stderr_has("nothing merged");
    assert!(!t.path("new").exists(), "a failed merge left `new/` behind");
    // Into a folder that was there: it stays, unchanged.
    let results = small_results(&t, "results");
    let before = snapshot(&results);
    t.run_with(["merge", "cut.tar.zst", "--results", "results"])
        .failure()
        .stderr_has("damaged or cut short");
    assert_eq!(before, snapshot(&results));
}

/// Fake-engine runs merged onto real data: the conflict says which side is fake, and the way
/// out is a folder of their own, not a preference that would mix the two kinds.
#[test]
fn a_fake_run_merged_onto_real_data_is_named_as_fake() {
    let t = Test::new();
    t.run_with([
        "-q",
        "figure",
        "2",
        "--engine",
        "fake",
        "--iterations",
        "1",
        "--results",
        "fake",
    ])
    .success();
    t.run_with(["-q", "pack", "--results", "fake", "-o", "fake.tar.zst"])
        .success();
    let real = t.path("real/figure-2");
    copy_tree(&t.path("fake/figure-2"), &real);
    // The same files, made real: no manifests, other bytes.
    std::fs::remove_dir_all(real.join("iterations/1/manifests")).unwrap();
    std::fs::remove_dir_all(real.join("uncached/manifests")).unwrap();
    for dir in ["iterations/1", "uncached"] {
        for entry in std::fs::read_dir(real.join(dir)).unwrap().flatten() {
            std::fs::write(entry.path(), "a real log\n").unwrap();
        }
    }
    let before = snapshot(&t.path("real"));
    t.run_with(["merge", "fake.tar.zst", "--results", "real"])
        .failure()
        .stderr_has("in `fake.tar.zst` (a fake-engine run)")
        .stderr_has("the incoming files are fake-engine runs (`--engine fake`) and the local ones real data");
    assert_eq!(before, snapshot(&t.path("real")));
}

/// A .tar.zst with one entry whose name and type are written raw, as an attacker would.
fn hostile_archive(path: &Path, name: &[u8], kind: tar::EntryType, link: Option<&str>) {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    {
        let gnu = header.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name);
    }
    header.set_entry_type(kind);
    header.set_mode(0o644);
    if let Some(link) = link {
        header.set_link_name(link).unwrap();
    }
    let data: &[u8] = if kind == tar::EntryType::Regular {
        b"pwned\n"
    } else {
        b""
    };
    header.set_size(data.len() as u64);
    header.set_cksum();
    builder.append(&header, data).unwrap();
    let tar = builder.into_inner().unwrap();
    std::fs::write(path, zstd::encode_all(tar.as_slice(), 3).unwrap()).unwrap();
}

#[test]
fn hostile_archives_are_refused_naming_the_entry() {
    let cases: [(&[u8], tar::EntryType, Option<&str>, &str); 6] = [
        (
            b"../escape.txt",
            tar::EntryType::Regular,
            None,
            "climbs out",
        ),
        (
            b"/tmp/absolute.txt",
            tar::EntryType::Regular,
            None,
            "absolute",
        ),
        (
            b"figure-2/link",
            tar::EntryType::Symlink,
            Some("/etc/passwd"),
            "symbolic link",
        ),
        (
            b"figure-2/hard",
            tar::EntryType::Link,
            Some("figure-2/x"),
            "hard link",
        ),
        (b"figure-2/dev", tar::EntryType::Char, None, "device"),
        (
            b"figure-2/\xff\xfe.txt",
            tar::EntryType::Regular,
            None,
            "not UTF-8",
        ),
    ];
    for (name, kind, link, reason) in cases {
        let t = Test::new();
        let results = small_results(&t, "results");
        let before = snapshot(&results);
        hostile_archive(&t.path("evil.tar.zst"), name, kind, link);
        let t = t.args(["merge", "evil.tar.zst", "--results", "results"]);
        t.run()
            .failure()
            .stderr_has("refusing entry")
            .stderr_has(reason);
        assert_eq!(before, snapshot(&results), "{reason}: results changed");
        assert!(!t.path("escape.txt").exists());
    }
}

#[test]
fn an_interrupted_merge_is_rolled_back() {
    let t = Test::new();
    small_results(&t, "results");
    let theirs = t.path("theirs");
    for i in 0..6 {
        let path = theirs.join(format!("figure-7/iterations/{i}/output_model_qwen-4b.txt"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("log {i}\n")).unwrap();
    }
    let results = t.path("results");
    let before = snapshot(&results);
    let t = t.args(["merge", "theirs", "--results", "results"]);
    let crashed = t
        .command()
        .env("REPRO_MERGE_CRASH_AFTER", "3")
        .output()
        .unwrap();
    assert!(!crashed.status.success(), "the fault hook should abort");
    // Half merged now; the next merge rolls back first, here with nothing to add.
    std::fs::create_dir_all(t.path("empty")).unwrap();
    let out = std::process::Command::new(REPRO)
        .current_dir(t.dir.path())
        .args(["merge", "empty", "--results", "results"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rolled back"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        before,
        snapshot(&results),
        "rollback did not restore the results"
    );
    assert!(
        !results.join("figure-7").exists(),
        "rollback left empty folders"
    );
    t.run().success().stdout_has("added 6 files");
}

/// The published figure 10 split as two machines would have it, merged into fresh results,
/// gives the published tables.
#[test]
fn two_machines_merge_into_the_published_figure() {
    let Some(figures) = published_figures() else {
        return;
    };
    let t = Test::new();
    copy_tree(
        &figures.join("figure-10/gpu0"),
        &t.path("n1/figure-10/gpu0"),
    );
    copy_tree(
        &figures.join("figure-10/gpu1"),
        &t.path("n2/figure-10/gpu1"),
    );
    let n2 = std::process::Command::new(REPRO)
        .current_dir(t.dir.path())
        .args(["pack", "--results", "n2", "-o", "n2.tar.zst"])
        .output()
        .unwrap();
    assert!(n2.status.success());
    let t = t.args(["merge", "n1", "n2.tar.zst", "--results", "results"]);
    t.run().success();
    let out = std::process::Command::new(REPRO)
        .current_dir(t.dir.path())
        .args(["-q", "table", "10", "--results", "results"])
        .output()
        .unwrap();
    assert!(out.status.success());
    for part in ["gpu0", "gpu1"] {
        let rel = format!("figure-10/{part}/avg_comparison_results.json");
        assert_eq!(
            std::fs::read(t.path("results").join(&rel)).unwrap(),
            std::fs::read(figures.join(&rel)).unwrap(),
            "{rel}"
        );
    }
}
