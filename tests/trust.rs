//! The results folder can be trusted: the README's own commands, in any order, never change a
//! byte of the paper's data; fake and real never mix; status and the dry run say what is there;
//! no chart mixes runs whose labels share a prefix; every error names the thing and what to do.

use std::path::{Path, PathBuf};

use crate::common::*;

/// `repro merge data/published.tar.zst --results results`, as the README's first command does.
fn published(t: &Test) -> PathBuf {
    let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/published.tar.zst");
    t.run_with([
        "-q".as_ref(),
        "merge".as_ref(),
        archive.as_os_str(),
        "--results".as_ref(),
        "results".as_ref(),
    ])
    .success();
    t.path("results")
}

/// `text` with the test folder's path written as `[TMP]`, for snapshots.
fn redact(t: &Test, text: &str) -> String {
    let dir = t.dir.path().display().to_string();
    text.replace(&dir, "[TMP]")
}

#[test]
fn the_readme_in_any_order_never_changes_the_papers_data() {
    let t = Test::new();
    let results = published(&t);
    let paper = snapshot(&results);

    // The README's fake-engine examples, into the folder holding the paper's data.
    for args in [
        &["figure", "2", "--engine", "fake"][..],
        &["figure", "2", "--engine", "fake", "--iterations", "1"],
        &[
            "figure",
            "all",
            "--engine",
            "fake",
            "--iterations",
            "2",
            "--results",
            "results",
        ],
    ] {
        t.run_with(args)
            .failure()
            .stderr_has("fake-engine runs and real data are never mixed")
            .stderr_has("holds real data")
            .stderr_has("--results DIR");
        assert_eq!(
            snapshot(&results),
            paper,
            "{args:?} changed the paper's data"
        );
    }
    // A real run of what is already there needs no vLLM: nothing runs, nothing changes.
    t.run_with(["figure", "10", "--gpu", "1"])
        .success()
        .stdout_has("0 ran (0 ok, 0 failed), 0 already done, 66 present but not made here");
    assert_eq!(
        snapshot(&results),
        paper,
        "figure 10 --gpu 1 changed the paper's data"
    );
    // The dry run says what is there instead of `(no artifact)`.
    t.run_with(["figure", "7", "--engine", "fake", "--dry-run"])
        .success()
        .stdout_has("stops here: `results/figure-7` holds real data")
        .stdout_has("60 present but not made here (kept), 0 to run")
        .stdout_has("present, not made here: kept, not run");
    // The tables rewritten from the paper's logs are the paper's, byte for byte.
    t.run_with(["-q", "table", "all"]).success();
    t.run_with(["render", "all", "--out", "figs"]).success();
    // Merging the same data again changes nothing either.
    let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/published.tar.zst");
    t.run_with([
        "merge".as_ref(),
        archive.as_os_str(),
        "--prefer".as_ref(),
        "theirs".as_ref(),
    ])
    .success()
    .stdout_has("added 0 files, replaced 0");
    assert_eq!(snapshot(&results), paper);
    // The README's fake section uses its own folder, and works.
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
    assert_eq!(snapshot(&results), paper);
}

#[test]
fn status_counts_the_papers_data_by_origin_and_refuses_a_bad_folder() {
    let t = Test::new();
    published(&t);
    let out = t.run_with(["status"]).success();
    let line = |name: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} line:\n{}", out.stdout))
            .to_string()
    };
    insta::assert_snapshot!(line("figure-7"), @"figure-7         60 of 60 present (warm-up + iterations 1–5): 60 not made by repro (merged from `published.tar.zst`)");
    insta::assert_snapshot!(line("figure-1"), @"figure-1         9 of 18 present (iteration 1): 9 not made by repro (merged from `published.tar.zst`); 9 missing");
    insta::assert_snapshot!(line("figure-11/cpu0"), @"figure-11/cpu0   nothing present (66 runs planned)");

    // A two-iteration fake run is counted against the iterations it was made with.
    t.run_with([
        "-q",
        "figure",
        "2",
        "--engine",
        "fake",
        "--iterations",
        "2",
        "--results",
        "fake",
    ])
    .success();
    let out = t.run_with(["status", "--results", "fake"]).success();
    assert!(
        out.stdout.contains(
            "figure-2         3 of 3 present (warm-up + iterations 1–2; the recipe has 5): 3 made here (fake engine)"
        ),
        "{}",
        out.stdout
    );

    let e = t.run_with(["status", "--results", "nope"]).failure();
    insta::assert_snapshot!(e.stderr, @"error: results folder `nope` does not exist (pass --results DIR)");
    std::fs::write(t.path("file"), "").unwrap();
    let e = t.run_with(["status", "--results", "file"]).failure();
    insta::assert_snapshot!(e.stderr, @"error: `file` is a file, not a results folder: pass --results DIR");
    let e = t
        .run_with(["figure", "2", "--engine", "fake", "--results", "file"])
        .failure();
    insta::assert_snapshot!(e.stderr, @"error: `file` is a file, not a results folder: pass --results DIR");
}

/// After a fake run was forced into the paper's folder and the paper's logs merged back over
/// it, the fake manifests no longer account for the logs: they are the paper's again.
#[test]
fn provenance_follows_the_bytes_not_the_manifests() {
    let t = Test::new();
    let results = published(&t);
    let paper = snapshot(&results.join("figure-2"));
    t.run_with([
        "-q",
        "figure",
        "2",
        "--engine",
        "fake",
        "--iterations",
        "1",
        "--force",
    ])
    .success()
    .stderr_has("moved `results/figure-2` (real data) to `results/replaced/");
    // Nothing was deleted: the paper's folder is under replaced/, byte for byte.
    let kept = std::fs::read_dir(results.join("replaced"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("figure-2");
    assert_eq!(snapshot(&kept), paper);
    let out = t.run_with(["status"]).success();
    assert!(
        out.stdout.contains("figure-2         2 of 2 present (warm-up + iteration 1; the recipe has 5): 2 made here (fake engine)"),
        "{}",
        out.stdout
    );

    // The paper's logs back over the fake ones: the fake manifests stay, but they recorded
    // other bytes, so the logs are the paper's again and the fake runs are not done.
    let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/published.tar.zst");
    t.run_with([
        "merge".as_ref(),
        archive.as_os_str(),
        "--prefer".as_ref(),
        "theirs".as_ref(),
    ])
    .success()
    .stderr_has("local file(s) replaced are kept under");
    let out = t.run_with(["status"]).success();
    assert!(
        out.stdout.contains(
            "figure-2         6 of 6 present (warm-up + iterations 1–5): 6 not made by repro (merged from `published.tar.zst`)"
        ),
        "{}",
        out.stdout
    );
    // A table of a folder where fake manifests sit beside real logs labels nothing FAKE.
    t.run_with(["-q", "table", "2"]).success();
    let avg =
        std::fs::read_to_string(results.join("figure-2/avg_comparison_results.json")).unwrap();
    assert!(!avg.contains("FAKE"), "{avg}");
    t.run_with(["figure", "2", "--engine", "fake", "--dry-run"])
        .success()
        .stdout_has("present, not made here (its manifest recorded other bytes)");
}

/// Real runs never replace data repro did not make: a stand-in "python" (the fake engine) as
/// the real engine, into the paper's folder, skips every run whose log is there.
#[test]
fn a_real_run_keeps_the_papers_logs_and_runs_only_what_is_missing() {
    let t = Test::new();
    let results = published(&t);
    let paper = snapshot(&results);
    let python = t.path("python");
    stand_in_python(&python);
    let out = t
        .run_with([
            "figure".as_ref(),
            "2".as_ref(),
            "--device".as_ref(),
            "cpu".as_ref(),
            "--python".as_ref(),
            python.as_os_str(),
            "--iterations".as_ref(),
            "6".as_ref(),
            "--no-prepare".as_ref(),
        ])
        .success();
    assert!(
        out.stdout.contains("1 ran (1 ok, 0 failed), 0 already done, 6 present but not made here (kept; --force reruns them)"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    // Iteration 6 is new; everything the paper had is as it was.
    let now = snapshot(&results);
    for (path, bytes) in &paper {
        assert_eq!(now.get(path), Some(bytes), "`{}` changed", path.display());
    }
    assert!(results
        .join("figure-2/iterations/6/output_model_llama3-3b.txt")
        .is_file());
}

#[test]
fn tables_never_average_fake_with_real_data() {
    let t = Test::new();
    t.run_with(["-q", "figure", "2", "--engine", "fake", "--iterations", "2"])
        .success();
    // A real log copied by hand into a fake folder: the table refuses to average the two.
    let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/published.tar.zst");
    t.run_with([
        "-q".as_ref(),
        "merge".as_ref(),
        archive.as_os_str(),
        "--results".as_ref(),
        "paper".as_ref(),
    ])
    .success();
    let log = "figure-2/iterations/3/output_model_llama3-3b.txt";
    std::fs::create_dir_all(t.path("results/figure-2/iterations/3")).unwrap();
    std::fs::copy(t.path("paper").join(log), t.path("results").join(log)).unwrap();
    let e = t.run_with(["table", "2"]).failure();
    let e = redact(&t, &e.stderr);
    assert!(e.contains("mixes fake-engine runs"), "{e}");
    assert!(
        e.contains(
            "with real data (e.g. `results/figure-2/iterations/3/output_model_llama3-3b.txt`)"
        ),
        "{e}"
    );
    t.run_with(["render", "2", "--out", "figs"])
        .failure()
        .stderr_has("mixes fake-engine runs");
    // And a real run into that folder stops before anything.
    t.run_with([
        "figure",
        "2",
        "--device",
        "cpu",
        "--iterations",
        "3",
        "--no-prepare",
    ])
    .failure()
    .stderr_has("holds fake-engine runs");
}

#[test]
fn a_table_repro_did_not_write_is_kept_unless_forced() {
    let t = Test::new();
    let results = published(&t);
    let table = results.join("figure-2/iterations/1/comparison_results.json");
    std::fs::write(&table, "{\"labels\": [], \"data\": {}}\n").unwrap();
    let e = t.run_with(["table", "2"]).failure();
    assert!(
        e.stderr
            .contains("1 table file(s) left as they are: repro did not write them"),
        "{}",
        e.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&table).unwrap(),
        "{\"labels\": [], \"data\": {}}\n"
    );
    t.run_with(["table", "2", "--force"])
        .success()
        .stderr_has("replaced table file(s) kept under");
    assert!(std::fs::read_to_string(&table)
        .unwrap()
        .contains("output_model_llama3-3b.txt"));
}

#[test]
fn figure_1_with_two_iterations_draws_one_bar_per_version() {
    let (t, results) = Test::new().fake_figure("1", &["--iterations", "2"]);
    t.run().success();
    assert!(results
        .join("figure-1/iterations/output_0.3.1_2.txt")
        .is_file());
    let out = t
        .run_with([
            "-v".as_ref(),
            "render".as_ref(),
            "1".as_ref(),
            "--results".as_ref(),
            results.as_os_str(),
            "--out".as_ref(),
            "figs".as_ref(),
            "--format".as_ref(),
            "svg".as_ref(),
        ])
        .success();
    let summary = out
        .stdout
        .lines()
        .find(|l| l.starts_with("figure 1: 0.3.1:"))
        .unwrap_or_else(|| panic!("no summary line:\n{}", out.stdout));
    assert_eq!(summary.matches(": ").count(), 1 + 9, "{summary}");
    assert!(!summary.contains(" 2: "), "a bar per file: {summary}");
    assert!(
        out.stderr
            .contains("each bar is the mean of its version's timed runs (2 for 0.3.1"),
        "{}",
        out.stderr
    );
}

#[test]
fn iterations_zero_is_refused() {
    let t = Test::new();
    let e = t
        .run_with(["figure", "2", "--engine", "fake", "--iterations", "0"])
        .failure();
    assert!(
        e.stderr
            .contains("invalid value '0' for '--iterations <N>'"),
        "{}",
        e.stderr
    );
    assert!(!t.path("results").exists());
}

#[test]
fn files_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let t = Test::new();
    let mode = |rel: &str| std::fs::metadata(t.path(rel)).unwrap().permissions().mode() & 0o777;
    let run = |umask: &str, results: &str| {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask} && \"$0\" -q figure 2 --engine fake --iterations 1 --results {results} && exec \"$0\" -q render 2 --results {results} --out {results}-figs"
            ))
            .arg(REPRO)
            .current_dir(t.dir.path())
            .env("REPRO_NO_PROGRESS", "1")
            .status()
            .unwrap();
        assert!(status.success());
    };
    run("022", "a");
    assert_eq!(
        mode("a/figure-2/iterations/1/output_model_llama3-3b.txt"),
        0o644
    );
    assert_eq!(
        mode("a/figure-2/iterations/1/comparison_results.json"),
        0o644
    );
    assert_eq!(mode("a/figure-2/avg_comparison_results.json"), 0o644);
    assert_eq!(mode("a-figs/figure2.pdf"), 0o644);
    run("002", "b");
    assert_eq!(
        mode("b/figure-2/iterations/1/output_model_llama3-3b.txt"),
        0o664
    );
    assert_eq!(
        mode("b/figure-2/iterations/1/manifests/output_model_llama3-3b.json"),
        0o664
    );
    assert_eq!(mode("b-figs/figure2.pdf"), 0o664);
}

/// An archive as `repro pack` writes it, plus a file its list does not name; and one without a
/// list at all.
#[test]
fn merge_refuses_unlisted_files_and_dry_runs_write_nothing() {
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
        "a",
    ])
    .success();
    t.run_with(["-q", "pack", "--results", "a", "-o", "a.tar.zst"])
        .success();
    // The same files again plus one more, under the original list.
    let text = std::process::Command::new("sh")
        .arg("-c")
        .arg("mkdir x && cd x && tar --zstd -xf ../a.tar.zst && mkdir -p figure-2/iterations/9 && echo evil > figure-2/iterations/9/output_model_llama3-3b.txt && tar --zstd -cf ../extra.tar.zst repro-pack.json figure-2 && rm repro-pack.json && tar --zstd -cf ../nolist.tar.zst figure-2")
        .current_dir(t.dir.path())
        .output()
        .unwrap();
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );

    let e = t
        .run_with(["merge", "extra.tar.zst", "--results", "r"])
        .failure();
    insta::assert_snapshot!(redact(&t, &e.stderr), @r"
    error: merging into `r`
      caused by: `extra.tar.zst`: refusing entry `figure-2/iterations/9/output_model_llama3-3b.txt`: it is not listed in the archive's repro-pack.json (files were added after packing)
    ");
    let e = t
        .run_with(["merge", "nolist.tar.zst", "--results", "r"])
        .failure();
    insta::assert_snapshot!(redact(&t, &e.stderr), @r"
    error: merging into `r`
      caused by: `nolist.tar.zst` has no repro-pack.json, so the hashes of its files cannot be checked (it was not made by `repro pack`); nothing merged
    hint: pass --trust-unlisted to merge it anyway
    ");
    assert!(!t.path("r/figure-2").exists());
    t.run_with([
        "merge",
        "nolist.tar.zst",
        "--results",
        "r",
        "--trust-unlisted",
    ])
    .success()
    .stderr_has("merged without checking their hashes");

    // A dry run writes nothing, not even the results folder.
    t.run_with(["merge", "a.tar.zst", "--results", "dry", "--dry-run"])
        .success()
        .stdout_has("would add");
    assert!(!t.path("dry").exists());

    // pack -o: no missing folder made, no archive silently replaced.
    let e = t
        .run_with(["pack", "--results", "a", "-o", "no/such/a.tar.zst"])
        .failure();
    insta::assert_snapshot!(e.stderr, @r"
    error: packing `a`
      caused by: folder `no/such` does not exist: create it first, or -o a file in an existing folder
    ");
    let before = std::fs::read(t.path("a.tar.zst")).unwrap();
    let e = t
        .run_with(["pack", "--results", "a", "-o", "a.tar.zst"])
        .failure();
    insta::assert_snapshot!(e.stderr, @r"
    error: packing `a`
      caused by: `a.tar.zst` already exists: pass --force to replace it, or -o another file
    ");
    assert_eq!(std::fs::read(t.path("a.tar.zst")).unwrap(), before);
    t.run_with(["-q", "pack", "--results", "a", "-o", "a.tar.zst", "--force"])
        .success();
}

#[test]
fn an_interrupted_run_is_reported_as_interrupted_and_cleaned_on_the_rerun() {
    let t = Test::new();
    let child = t
        .bare_command()
        .args([
            "figure",
            "2",
            "--engine",
            "fake",
            "--iterations",
            "1",
            "--results",
            "r",
        ])
        .env("REPRO_FAKE_HANG", "*")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the hanging run has started (its stderr file exists), then Ctrl-C.
    let stderr_file = t.path("r/figure-2/uncached/manifests/output_model_llama3-3b.stderr");
    for _ in 0..1200 {
        if stderr_file.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: figure-2 warm-up model_llama3-3b was stopped"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("did not succeed"),
        "reported as a failure: {stderr}"
    );
    assert!(t.path("r/figure-2/uncached/failed").is_dir());
    // The rerun resumes, and the interrupted attempt's leftovers go once it succeeds.
    t.run_with([
        "-q",
        "figure",
        "2",
        "--engine",
        "fake",
        "--iterations",
        "1",
        "--results",
        "r",
    ])
    .success();
    assert!(!t.path("r/figure-2/uncached/failed").exists());
}

/// A log cut short parses as the paper's parser reads it (plausible partial totals), but
/// nothing lets it pass for a whole run: `parse` warns and says `complete: false`, the tables'
/// record names it, and `table` warns.
#[test]
fn a_truncated_log_is_flagged_wherever_its_numbers_go() {
    let t = Test::new();
    let paper = published(&t);
    let group = t.path("cut/figure-2");
    copy_tree(&paper.join("figure-2"), &group);
    let log = group.join("iterations/2/output_model_llama3-3b.txt");
    let text = std::fs::read_to_string(&log).unwrap();
    let cut = text.len() / 2;
    std::fs::write(&log, &text[..text[..cut].rfind('\n').unwrap() + 1]).unwrap();

    let out = t
        .run_with(["parse".as_ref(), "--json".as_ref(), log.as_os_str()])
        .success();
    assert!(out.stdout.contains("\"complete\": false"), "{}", out.stdout);
    assert!(
        out.stderr.contains("output_model_llama3-3b.txt"),
        "{}",
        out.stderr
    );

    // The paper's tables beside the cut log would change: kept, until asked.
    t.run_with(["table", "2", "--results", "cut"])
        .failure()
        .stderr_has("iterations/2/output_model_llama3-3b.txt` is incomplete")
        .stderr_has("2 table file(s) left as they are");
    t.run_with(["table", "2", "--results", "cut", "--force"])
        .success()
        .stderr_has("iterations/2/output_model_llama3-3b.txt` is incomplete");
    // The table stays in the paper's format; its record names the cut log.
    let record = std::fs::read_to_string(group.join("manifests/tables.json")).unwrap();
    assert!(
        record.contains("INCOMPLETE LOGS, their numbers are partial: 2/output_model_llama3-3b.txt"),
        "{record}"
    );
    // The other iterations' tables are still the paper's bytes.
    assert_eq!(
        std::fs::read(group.join("iterations/3/comparison_results.json")).unwrap(),
        std::fs::read(paper.join("figure-2/iterations/3/comparison_results.json")).unwrap()
    );
}
