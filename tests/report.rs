//! `repro report`: one self-contained HTML page, read as a user reads it — its text, that it
//! fetches nothing, and (where Debian's `chromium` is installed) that a real browser opens it
//! without errors.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::claims::{with_fake_runs, with_published_data};
use crate::common::*;

fn report(t: &Test, results: &str) -> (Outcome, String) {
    let out = t
        .run_with(["report", "--results", results, "--out", "report"])
        .success();
    let html = std::fs::read_to_string(t.path("report/report.html")).unwrap();
    (out, html)
}

/// Nothing the page could fetch: no script, stylesheet link, image source or remote URL; every
/// `url(#id)` is an id of the page, and no id is used twice (two figures' patterns would clash).
fn assert_self_contained(html: &str) {
    for needle in ["<script", "<link", " src=", "<img", "<iframe", "@import"] {
        assert!(!html.contains(needle), "the page has {needle:?}");
    }
    let without_namespace = html.replace("http://www.w3.org/2000/svg", "");
    for needle in ["http://", "https://", "url(http", "url(//"] {
        assert!(
            !without_namespace.contains(needle),
            "the page refers to {needle:?}"
        );
    }
    let ids: Vec<&str> = html
        .split(" id=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "an id is used twice");
    for reference in html.split("url(#").skip(1) {
        let id = &reference[..reference.find(')').unwrap()];
        assert!(unique.contains(id), "url(#{id}) points at no element");
    }
    for link in html.split("href=\"#").skip(1) {
        let id = &link[..link.find('"').unwrap()];
        assert!(unique.contains(id), "link #{id} points at no element");
    }
}

#[test]
fn report_on_the_published_data() {
    let t = with_published_data();
    let before = snapshot(&t.path("results"));
    let (out, html) = report(&t, "results");
    assert!(
        out.stdout.contains("7 of 16 figures drawn, 25 claims"),
        "{}",
        out.stdout
    );
    assert_eq!(
        snapshot(&t.path("results")),
        before,
        "the results folder changed"
    );
    assert_self_contained(&html);
    assert_eq!(html.matches("<figure><svg").count(), 7);
    assert!(
        !html.contains("<text"),
        "figure text left as text (it needs a font)"
    );
    assert_eq!(html.matches("<tr id=\"claim-").count(), 25);
    assert_eq!(
        html.matches("<span class=\"badge supported\">").count(),
        13 + 13
    );
    assert!(html.contains("data: not made by repro (merged from <code>published.tar.zst</code>)"));
    assert!(html.contains("repro merge published.tar.zst --results results"));
    // The figures without data are warnings, once per missing folder, with what makes them.
    assert!(html.contains(
        "<a href=\"#figure-3\">figure 3</a>, <a href=\"#figure-4\">figure 4</a>, <a href=\"#figure-5\">figure 5</a>, <a href=\"#figure-6\">figure 6</a>, <a href=\"#figure-8\">figure 8</a>, <a href=\"#figure-17\">figure 17</a>: no data: <code>results/figure-rest</code> is missing (<code>repro figure rest</code> makes it)"
    ));
    // Figure 10: two parts, each on its machine of machines.toml; the commands, the merge.
    let ten = section(&html, "figure-10");
    assert!(
        ten.contains("runs on n2 (L40S, AMD EPYC 9354 (32C))"),
        "{ten}"
    );
    assert!(ten.contains("repro figure 10 --gpu 1"));
    assert!(ten.contains("repro pack --figure 10 -o n2.tar.zst"));
    assert!(ten.contains("repro render 10 --results results --out figs"));
    assert!(ten.contains("none: the machine, GPU, vLLM, patches and models of data repro did not make are not recorded"));
    // Its numbers as a table: the Total Time bar of the published figure.
    assert!(
        ten.contains("<td>Total Time</td><td class=\"n\">0.990</td>"),
        "{ten}"
    );
    assert!(ten.contains("no estimate yet"));
}

/// The HTML of one figure's section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("<section id=\"{id}\">")).unwrap();
    let end = start + html[start..].find("</section>").unwrap();
    &html[start..end]
}

#[test]
fn report_on_fake_runs_says_simulated_and_names_what_is_missing_or_failed() {
    let t = with_fake_runs();
    // One more part of figure 10 with a failed run.
    t.run_with([
        "-q",
        "figure",
        "13",
        "--case",
        "0",
        "--engine",
        "fake",
        "--iterations",
        "1",
        "--results",
        "results",
    ]);
    let mut failing = t.bare_command();
    failing.env("REPRO_FAKE_FAIL", "model_qwen-4b").args([
        "-q",
        "figure",
        "13",
        "--case",
        "1",
        "--engine",
        "fake",
        "--iterations",
        "1",
        "--results",
        "results",
    ]);
    assert_eq!(failing.status().unwrap().code(), Some(3), "a run failed");
    let (out, html) = report(&t, "results");
    assert_self_contained(&html);
    assert!(
        // The same warning about several figures is one line naming them all.
        out.stderr
            .contains("warning: figure 2, figure 13: FAKE ENGINE (`--engine fake`)"),
        "{}",
        out.stderr
    );
    let two = section(&html, "figure-2");
    assert!(two.contains("<div class=\"banner\">FAKE ENGINE"));
    assert!(two.contains("fake (simulated)"));
    assert!(two.contains("repro figure 2 --engine fake --iterations 2 --results results"));
    assert!(
        two.contains("over 3 run(s) (their wall times summed)"),
        "{two}"
    );
    assert!(two.contains("checked on simulated data"));
    assert!(
        !html.contains("badge supported"),
        "a claim on simulated data was called supported"
    );
    assert!(html.contains(
        "figure-10/gpu1</a>: part missing: <code>results/figure-10/gpu1</code> (<code>repro figure 10 --gpu 1</code> makes it)"
    ));
    assert!(
        html.contains("figure-13/case1</a>: 2 run(s) failed, e.g. <code>results/figure-13/case1/iterations/1/failed/output_model_qwen-4b.txt</code>: failed (exited with code 1)"),
        "{html}"
    );
    let thirteen = section(&html, "figure-13");
    assert!(thirteen.contains("<b>2 failed</b>"), "{thirteen}");
}

#[test]
fn report_arguments_are_checked_before_anything_is_written() {
    let t = Test::new();
    std::fs::create_dir_all(t.path("results")).unwrap();
    t.run_with([
        "report",
        "--results",
        "results",
        "--out",
        "r",
        "--name",
        "a/b.html",
    ])
    .failure()
    .stderr_has("give a file name ending in `.html`");
    assert!(!t.path("r").exists());
    t.run_with(["report", "--results", "nowhere", "--out", "r"])
        .failure()
        .stderr_has("`nowhere` does not exist");
    let out = t
        .run_with(["report", "--results", "results", "--out", "r"])
        .success();
    assert!(
        out.stderr
            .contains("no figure has data in this results folder"),
        "{}",
        out.stderr
    );
}

/// Debian's chromium, or `None` with a loud message.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        eprintln!(
            "SKIPPED: the browser check needs Debian's `chromium` (apt-get install chromium)"
        );
    }
    found
}

/// Headless chromium on this closed network: without the networking flags it waits for
/// services it cannot reach.
fn headless(chromium: &Path, profile: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("timeout");
    cmd.arg("120").arg(chromium).args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn a_real_browser_opens_the_report_without_errors() {
    let Some(chromium) = chromium() else {
        return;
    };
    let t = with_published_data();
    report(&t, "results");
    let page = format!("file://{}", t.path("report/report.html").display());
    let dom = headless(&chromium, &t.path("profile-dom"))
        .args(["--dump-dom", &page])
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    assert_eq!(
        dom_text.matches("<figure><svg").count(),
        7,
        "the browser's DOM"
    );
    assert!(dom_text.contains("Figure 17"));
    // The page's own messages: console output, script errors, failed loads.
    for line in log.lines() {
        let page_error = line.contains("CONSOLE")
            || line.contains("Uncaught")
            || line.contains("Failed to load resource")
            || line.contains("net::ERR");
        assert!(!page_error, "the browser reported: {line}");
    }
    let shot = t.path("report.png");
    let out = headless(&chromium, &t.path("profile-shot"))
        .arg(format!("--screenshot={}", shot.display()))
        .args(["--window-size=1366,900", &page])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    // 1366 × 900 px, as asked (the IHDR chunk's width and height).
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1366);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 900);
}
