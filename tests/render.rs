//! `repro render`: the published data drawn as PDFs whose text carries the paper's labels and
//! numbers, and synthetic results folders for the figures the paper published no data for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// `pdftotext FILE -` in layout order and in content-stream order (`-raw`, which keeps turned
/// tick labels whole), or `None` (with a loud message) where poppler is not installed.
pub(crate) fn pdftotext(pdf: &Path) -> Option<String> {
    let mut text = String::new();
    for mode in [None, Some("-raw")] {
        let mut cmd = Command::new("pdftotext");
        cmd.args(mode).arg(pdf).arg("-");
        match cmd.output() {
            Ok(out) if out.status.success() => text.push_str(&String::from_utf8_lossy(&out.stdout)),
            Ok(out) => panic!(
                "pdftotext failed on {}: {}",
                pdf.display(),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(_) => {
                eprintln!("SKIPPED: text checks need `pdftotext` (apt-get install poppler-utils)");
                return None;
            }
        }
    }
    Some(text)
}

/// Every file under `dir` with its bytes.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[track_caller]
fn assert_has(text: &str, figure: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            text.contains(needle),
            "figure {figure}: the PDF text lacks {needle:?}:\n{text}"
        );
    }
}

#[test]
fn published_data_renders_every_figure_it_has() {
    let Some(figures) = published_figures() else {
        return;
    };
    let t = Test::new();
    let results = t.path("results");
    let out = t.path("out");
    copy_tree(&figures, &results);
    let before = snapshot(&results);
    let t = t
        .args(["render", "all", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&out);
    let outcome = t.run().success();
    assert_eq!(snapshot(&results), before, "render wrote into --results");
    for figure in ["1", "2", "7", "9", "10", "12", "14"] {
        let pdf = out.join(format!("figure{figure}.pdf"));
        assert!(pdf.is_file(), "no {}", pdf.display());
        assert!(
            outcome.stdout.contains(&format!("figure {figure}: wrote ")),
            "{}",
            outcome.stdout
        );
    }
    for figure in ["3", "4", "5", "6", "8", "11", "13", "15", "17"] {
        assert!(
            outcome
                .stderr
                .contains(&format!("figure {figure}: no data in ")),
            "{}",
            outcome.stderr
        );
        assert!(!out.join(format!("figure{figure}.pdf")).exists());
    }
    let text = |figure: &str| pdftotext(&out.join(format!("figure{figure}.pdf")));
    let Some(fig2) = text("2") else { return };
    assert_has(
        &fig2,
        "2",
        &["20.95s", "Total:", "Resource Dominance", "CPU-dominant"],
    );
    assert_has(
        &text("7").unwrap(),
        "7",
        &[
            "PCC = 0.96",
            "KV Cache Profiling Time (s)",
            "Model Size (B)",
            "Qwen-0.5B",
        ],
    );
    assert_has(
        &text("10").unwrap(),
        "10",
        &[
            "Normalized to node gpu0 values",
            "Load Weights",
            "Total Time",
        ],
    );
    // 0.10.0's warm run: `initialize_engine took 19.19 seconds`.
    assert_has(
        &text("1").unwrap(),
        "1",
        &["vLLM Version", "0.10.0", "19.19", "Jul 25"],
    );
    assert_has(
        &text("12").unwrap(),
        "12",
        &["Core ID", "CPU Usage (%)", "Time (s)"],
    );
    assert_has(
        &text("14").unwrap(),
        "14",
        &[
            "Model Loading Time (s)",
            "Runai Streamer",
            "Safetensors",
            "Llama2-13B",
        ],
    );
    assert_has(
        &text("9").unwrap(),
        "9",
        &["Number of Batch Sizes", "PCC = 1.00"],
    );
}

/// A published JSON file.
fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The chart model of one figure, computed by the library from a results folder.
fn chart(results: &Path, figure: &str) -> repro::figures::ChartData {
    // The recipes and models built into repro: never the checkout's files, which a user edits.
    let project = repro::project::Project::new("/nonexistent-repro-project");
    let models = project.models().unwrap();
    let recipe = project
        .recipe(&repro::figures::recipe_id(figure).unwrap())
        .unwrap();
    let spec = recipe.plots.iter().find(|p| p.figure == figure).unwrap();
    let dir = results.join(repro::figures::data_folder(figure).unwrap());
    repro::figures::Loader::new(&models)
        .build(&recipe, spec, &dir)
        .unwrap()
        .data
}

/// Figure 10's Load Weights bar against the published averages, paired by hand.
#[test]
fn figure_10_load_weights_ratio_matches_the_published_averages() {
    let Some(figures) = published_figures() else {
        return;
    };
    let base = json(&figures.join("figure-10/gpu0/avg_comparison_results.json"));
    let other = json(&figures.join("figure-10/gpu1/avg_comparison_results.json"));
    let model = |l: &serde_json::Value| {
        let l = l.as_str().unwrap();
        l["output_model_".len()..]
            .split(['_', '.'])
            .next()
            .unwrap()
            .to_string()
    };
    let mut ratios = Vec::new();
    for (i, label) in base["labels"].as_array().unwrap().iter().enumerate() {
        let j = other["labels"]
            .as_array()
            .unwrap()
            .iter()
            .position(|l| model(l) == model(label))
            .unwrap();
        let b = base["data"]["load_weights"][i].as_f64().unwrap();
        let o = other["data"]["load_weights"][j].as_f64().unwrap();
        ratios.push(o / b);
    }
    assert_eq!(ratios.len(), 11);
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let repro::figures::ChartData::SpeedupBars(data) = chart(&figures, "10") else {
        panic!("figure 10 is a speedup chart");
    };
    let bar = data
        .bars
        .iter()
        .find(|b| b.label == "Load Weights")
        .unwrap();
    assert_eq!(bar.models, 11);
    assert!((bar.mean - mean).abs() < 1e-12, "{} vs {mean}", bar.mean);
    assert_eq!(format!("{:.2}", bar.mean), format!("{mean:.2}"));
    assert!(data.skipped.is_empty(), "{:?}", data.skipped);
    let total = data.bars.last().unwrap();
    assert_eq!(
        (total.label.as_str(), total.color.as_str()),
        ("Total Time", "#666666")
    );
}

/// Figure 7's Pearson r from the published per-iteration files and models_config.json.
#[test]
fn figure_7_pcc_matches_the_published_iterations() {
    let Some(figures) = published_figures() else {
        return;
    };
    // models.toml carries models_config.json's sizes (the bundled data has no models_config.json).
    let models = repro::project::Project::new("/nonexistent-repro-project")
        .models()
        .unwrap();
    let excluded = ["qwen-14.3b", "deepseek-v2-lite-16b", "llama3-3b"];
    let mut sums: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for i in 1..=5 {
        let it = json(&figures.join(format!("figure-7/iterations/{i}/comparison_results.json")));
        for (k, label) in it["labels"].as_array().unwrap().iter().enumerate() {
            let name = label.as_str().unwrap()["output_model_".len()..]
                .trim_end_matches(".txt")
                .to_string();
            let entry = sums.entry(name).or_default();
            entry.0 += it["data"]["kv_cache_profiling"][k].as_f64().unwrap();
            entry.1 += 1.0;
        }
    }
    let points: Vec<(f64, f64)> = sums
        .iter()
        .filter(|(name, _)| !excluded.contains(&name.as_str()))
        .map(|(name, (sum, n))| (models.models[name].size, sum / n))
        .collect();
    assert_eq!(points.len(), 7);
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
    let r = sxy / (sxx * syy).sqrt();
    assert_eq!(format!("{r:.2}"), "0.96");
    let repro::figures::ChartData::RegressionBars(data) = chart(&figures, "7") else {
        panic!("figure 7 is a regression chart");
    };
    assert!((data.pcc.unwrap() - r).abs() < 1e-9);
    let fit = data.fit.unwrap();
    assert!((fit.slope - sxy / sxx).abs() < 1e-9);
    // Bars sorted by size: Qwen-0.5B first, the two MoE models last and out of the fit.
    assert_eq!(data.bars[0].label, "Qwen-0.5B");
    assert_eq!(data.bars.len(), 9, "the map's models that figure 7 ran");
    let last: Vec<_> = data.bars[7..]
        .iter()
        .map(|b| (b.label.as_str(), b.in_fit))
        .collect();
    assert_eq!(
        last,
        [("Qwen-MoE-14.3B", false), ("DeepSeek-V2-Lite-16B", false)]
    );
}

/// Models of the `rest` experiment (figures 3–6, 8, 17).
const REST_MODELS: [&str; 22] = [
    "llama3-3b",
    "llama2-13b-hf",
    "llama2-7b-hf",
    "qwen-0.5b",
    "qwen-1.8b",
    "qwen-4b",
    "qwen-7b",
    "qwen-14b",
    "qwen-14.3b",
    "yi-6b",
    "yi-9b",
    "falcon-7b",
    "falcon-11b",
    "mistral-7b",
    "gemma-7b",
    "gpt-oss-20b",
    "deepseek-v2-lite-16b",
    "deepseek-r1-distill-llama-8b",
    "deepseek-r1-distill-qwen-7b",
    "granite3.3-8b-instruct",
    "granite4.0-h-32b",
    "granite4.0-h-3b",
];

/// A vLLM log in the paper's format: the template's timed lines with their seconds × `factor`.
fn fake_log(factor: f64) -> Vec<u8> {
    let template = std::fs::read(fixture("render/vllm-template.log")).unwrap();
    let number = regex::Regex::new(r"\d+\.\d+").unwrap();
    let timed = [
        "Loading weights took",
        "Initializing Model took",
        "Init Tokenizer took",
        "Graph capturing finished",
        "Dynamo bytecode transform",
        "Compiling a graph for",
        "Directly load the compiled",
        "Memory profiling takes",
        "Model loading took",
        "torch.compile takes",
    ];
    let text = String::from_utf8_lossy(&template);
    let mut out = String::new();
    for line in text.split('\n') {
        match line.find("] ") {
            Some(at) if timed.iter().any(|t| line.contains(t)) => {
                let (head, message) = line.split_at(at);
                let scaled = number.replace_all(message, |c: &regex::Captures| {
                    format!("{:.3}", c[0].parse::<f64>().unwrap() * factor)
                });
                out.push_str(head);
                out.push_str(&scaled);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// `dir/iterations/{1,2}/output_model_<m>.txt` (and a warm-up) for each model.
fn write_group(dir: &Path, models: &[&str], scale: f64) {
    for (run, jitter) in [
        ("uncached", 1.3),
        ("iterations/1", 1.0),
        ("iterations/2", 1.04),
    ] {
        for (i, model) in models.iter().enumerate() {
            let path = dir.join(run).join(format!("output_model_{model}.txt"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let factor = (0.5 + 0.15 * i as f64) * jitter * scale;
            std::fs::write(path, fake_log(factor)).unwrap();
        }
    }
}

#[test]
fn synthetic_results_render_the_figures_without_published_data() {
    let t = Test::new();
    let results = t.path("results");
    write_group(&results.join("figure-rest"), &REST_MODELS, 1.0);
    let pair = ["qwen-4b", "llama2-7b-hf", "yi-6b", "falcon-7b"];
    write_group(&results.join("figure-11/cpu0"), &pair, 1.0);
    write_group(&results.join("figure-11/cpu1"), &pair, 1.5);
    write_group(&results.join("figure-13/case0"), &pair, 1.0);
    // Case 1 lacks a model: it is reported and left out, not a crash.
    write_group(&results.join("figure-13/case1"), &pair[..3], 2.0);
    write_group(
        &results.join("figure-15"),
        &["llama2-7b-hf", "yi-6b", "qwen-4b", "llama3-3b"],
        1.0,
    );
    let out = t.path("out");
    let t = t
        .args(["render", "all", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&out);
    let outcome = t.run().success();
    for figure in ["3", "4", "5", "6", "8", "11", "13", "15", "17"] {
        assert!(
            out.join(format!("figure{figure}.pdf")).is_file(),
            "figure {figure} missing:\n{}\n{}",
            outcome.stdout,
            outcome.stderr
        );
    }
    assert!(
        outcome
            .stderr
            .contains("`falcon-7b`: no run in the compared part"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("figure 1: no data in "),
        "{}",
        outcome.stderr
    );
    // Every run is `factor` × the template: the ratios of figure 11 are 1.5 exactly-ish.
    let Some(fig11) = pdftotext(&out.join("figure11.pdf")) else {
        return;
    };
    assert_has(
        &fig11,
        "11",
        &["Normalized to node n1 values", "1.50", "Load Weights"],
    );
    assert_has(
        &pdftotext(&out.join("figure17.pdf")).unwrap(),
        "17",
        &[
            "Predicted",
            "Truth",
            "Falcon-11B",
            "vLLM's Startup Latency (s)",
        ],
    );
    assert_has(
        &pdftotext(&out.join("figure3.pdf")).unwrap(),
        "3",
        &[
            "Tokenizer Initialization Time (s)",
            "Llama2-7B",
            "(1.8)",
            "PCC = ",
        ],
    );
}

#[test]
fn a_malformed_file_is_named_and_fails_the_run() {
    let t = Test::new()
        .write("results/figure-12/cpu_usage.json", "[[1, 2], [3]")
        .args(["render", "12", "--results", "results", "--out", "out"]);
    t.run()
        .failure()
        .stderr_has("figure 12")
        .stderr_has("cpu_usage.json` is not a list of samples");
}

#[test]
fn svg_output_is_written_when_asked() {
    let Some(figures) = published_figures() else {
        return;
    };
    let t = Test::new();
    let results = t.path("results");
    copy_tree(&figures.join("figure-2"), &results.join("figure-2"));
    let out = t.path("out");
    let t = t
        .args(["-q", "render", "2", "--format", "svg", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&out);
    t.run().success();
    let svg = std::fs::read_to_string(out.join("figure2.svg")).unwrap();
    assert!(svg.contains("Total: 20.95s"));
    assert!(svg.contains("url(#hatch4)"), "the `////` hatch");
}

#[test]
fn a_malformed_log_is_named_when_its_figure_fails() {
    let t = Test::new()
        .write(
            "results/figure-7/iterations/1/output_model_qwen-4b.txt",
            "not a vLLM log\n",
        )
        .args(["render", "7", "--results", "results", "--out", "out"]);
    t.run()
        .failure()
        .stderr_has("output_model_qwen-4b.txt`: line 1 has no timestamp")
        .stderr_has("error: figure 7: computing from `results/figure-7`");
}

/// Every leaf the SVG draws (shapes and texts) with its box on the page, and its text if any.
fn drawn(svg: &str) -> Vec<(Option<String>, svg2pdf::usvg::Rect)> {
    use svg2pdf::usvg::{self, fontdb, Node};
    let mut db = fontdb::Database::new();
    db.load_font_data(dejavu::sans::regular().to_vec());
    db.load_font_data(dejavu::sans::bold().to_vec());
    let options = usvg::Options {
        fontdb: std::sync::Arc::new(db),
        font_family: "DejaVu Sans".into(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).unwrap();
    fn walk(group: &usvg::Group, out: &mut Vec<(Option<String>, usvg::Rect)>) {
        for node in group.children() {
            match node {
                Node::Group(g) => walk(g, out),
                Node::Text(t) => {
                    let text = t.chunks().iter().map(|c| c.text()).collect::<String>();
                    out.push((Some(text), t.abs_bounding_box()));
                }
                other => out.push((None, other.abs_stroke_bounding_box())),
            }
        }
    }
    let mut out = Vec::new();
    walk(tree.root(), &mut out);
    out
}

/// Issue 13, item 9: the FAKE ENGINE banner has a band of its own above the figure; it covers
/// neither the plot's frame nor its legends (figure 2's legends reach the top of the axes).
#[test]
fn the_fake_banner_sits_above_everything_drawn() {
    let (t, results) = Test::new().fake_figure("2", &["--iterations", "1"]);
    t.run().success();
    let out = t.path("figs");
    Test::new()
        .args(["-q", "render", "2", "--format", "svg", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&out)
        .run()
        .success();
    let svg = std::fs::read_to_string(out.join("figure2.svg")).unwrap();
    // The banner's lines are the texts before the drawing's group.
    let (head, _) = svg.split_once("<g transform=").unwrap();
    let line = regex::Regex::new(r"<text [^>]*>([^<]+)</text>").unwrap();
    let banner_lines: Vec<String> = line.captures_iter(head).map(|c| c[1].to_string()).collect();
    assert!(
        banner_lines.concat().contains("FAKE ENGINE"),
        "{banner_lines:?}"
    );
    let marks = drawn(&svg);
    let is_banner = |text: &Option<String>| {
        text.as_ref()
            .is_some_and(|s| banner_lines.iter().any(|b| b.replace("&amp;", "&") == *s))
    };
    let bottom = marks
        .iter()
        .filter(|(text, _)| is_banner(text))
        .map(|(_, r)| r.bottom())
        .fold(f32::NEG_INFINITY, f32::max);
    assert!(bottom.is_finite(), "no banner drawn");
    let rest: Vec<_> = marks.iter().filter(|(text, _)| !is_banner(text)).collect();
    assert!(rest.len() > 30, "the figure's marks: {}", rest.len());
    for (text, r) in rest {
        assert!(
            r.top() > bottom,
            "{text:?} at {r:?} reaches into the banner (bottom {bottom})"
        );
    }
}

/// Issue 13, item 9: a short fake run of figure 12 (a few samples, well under a second) gets a
/// time axis of distinct decimal ticks (0.00, 0.05, …), not `0 0 0 0 0 0 0`.
#[test]
fn a_short_run_gets_decimal_time_ticks() {
    let (t, results) = Test::new().fake_figure("12", &["--iterations", "1"]);
    t.run().success();
    let out = t.path("figs");
    Test::new()
        .args(["-q", "render", "12", "--format", "svg", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&out)
        .run()
        .success();
    let svg = std::fs::read_to_string(out.join("figure12.svg")).unwrap();
    // Numeric labels grouped by the row they sit on: the time axis is the row below the image.
    let mut rows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let label = regex::Regex::new(r#"<text x="[^"]+" y="([^"]+)"[^>]*>([0-9.]+)</text>"#).unwrap();
    for c in label.captures_iter(&svg) {
        rows.entry(c[1].to_string())
            .or_default()
            .push(c[2].to_string());
    }
    let time = rows
        .values()
        .filter(|r| r.len() >= 3)
        .max_by_key(|r| r.len())
        .unwrap_or_else(|| panic!("no row of tick labels in {rows:?}"));
    let mut distinct = time.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), time.len(), "repeated time ticks: {time:?}");
    if let Some(last) = time.last() {
        let seconds: f64 = last.parse().unwrap();
        if seconds < 1.0 {
            assert!(last.contains('.'), "{time:?}");
        }
    }
    if let Some(text) = pdftotext_of_render(&t, &results, "12") {
        assert!(text.contains("Time (s)"));
    }
}

/// Render one figure as PDF into a folder of its own and read its text back.
fn pdftotext_of_render(t: &Test, results: &Path, figure: &str) -> Option<String> {
    let out = t.path("pdf");
    Test::new()
        .args(["-q", "render", figure, "--results"])
        .arg(results)
        .arg("--out")
        .arg(&out)
        .run()
        .success();
    pdftotext(&out.join(format!("figure{figure}.pdf")))
}

/// `--format png --dpi`: the page at that many pixels per inch, as big as the PDF page.
#[test]
fn png_output_has_the_pdf_page_size_at_the_dpi_asked_for() {
    let Some(figures) = published_figures() else {
        return;
    };
    let t = Test::new();
    let results = t.path("results");
    copy_tree(&figures.join("figure-2"), &results.join("figure-2"));
    let out = t.path("out");
    for (format, dpi) in [("png", "200"), ("pdf", "200")] {
        Test::new()
            .args([
                "-q",
                "render",
                "2",
                "--format",
                format,
                "--dpi",
                dpi,
                "--results",
            ])
            .arg(&results)
            .arg("--out")
            .arg(&out)
            .run()
            .success();
    }
    let png = std::fs::read(out.join("figure2.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap()) as f64;
    let (w, h) = (be(16), be(20));
    // The paper's page: 352.3 × 327.0 pt, i.e. 4.89 × 4.54 in.
    assert!((w - 352.3 / 72.0 * 200.0).abs() < 3.0, "{w} px wide");
    assert!((h - 327.0 / 72.0 * 200.0).abs() < 3.0, "{h} px high");
    if let Ok(info) = Command::new("pdfinfo")
        .arg(out.join("figure2.pdf"))
        .output()
    {
        let info = String::from_utf8_lossy(&info.stdout);
        let size = info.lines().find(|l| l.starts_with("Page size:")).unwrap();
        let pts: Vec<f64> = size
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        assert!((pts[0] / 72.0 * 200.0 - w).abs() < 2.0, "{size} vs {w} px");
        assert!((pts[1] / 72.0 * 200.0 - h).abs() < 2.0, "{size} vs {h} px");
    }
    Test::new()
        .args(["render", "2", "--format", "png", "--dpi", "0", "--results"])
        .arg(&results)
        .run()
        .failure()
        .stderr_has("--dpi");
}

/// `render` draws from the parses `table` kept the same charts as from the logs, and writes
/// nothing into the results (the cache included).
#[test]
fn render_from_the_parse_cache_draws_the_same_charts() {
    let Some(figures) = published_figures() else {
        return;
    };
    let t = Test::new();
    let results = t.path("results");
    copy_tree(&figures, &results);
    let run = |args: &[&str], cache: &str| {
        let mut cmd = t.bare_command();
        cmd.args(args).env("REPRO_PARSE_CACHE", cache);
        let output = cmd.output().unwrap();
        assert!(output.status.success(), "{output:?}");
    };
    let results_arg = results.to_str().unwrap();
    run(&["-q", "table", "all", "--results", results_arg], "on");
    assert!(results.join(".repro-cache/parse.v1").is_file());
    let tabled = snapshot(&results);
    let render = |out: &str, cache: &str| {
        let out = t.path(out);
        let args = [
            "-q",
            "render",
            "all",
            "--results",
            results_arg,
            "--format",
            "svg",
        ];
        run(
            &[&args[..], &["--out", out.to_str().unwrap()]].concat(),
            cache,
        );
        snapshot(&out)
    };
    let from_logs = render("from-logs", "off");
    let from_cache = render("from-cache", "on");
    assert_eq!(
        from_logs.len(),
        7,
        "the seven figures the published data has"
    );
    assert_eq!(from_cache, from_logs);
    assert_eq!(snapshot(&results), tabled, "render wrote into --results");
}

/// Each process seeds its hash maps afresh; the PDFs must not depend on it (svg2pdf wrote its
/// fonts and resources in a hash map's order until vendor/svg2pdf fixed its seed).
#[test]
fn the_pdfs_are_the_same_bytes_every_run() {
    let Some(figures) = published_figures() else {
        return;
    };
    let t = Test::new();
    let results = t.path("results");
    copy_tree(&figures, &results);
    let render = |out: &str| {
        let out = t.path(out);
        let output = t
            .bare_command()
            .args(["-q", "render", "all", "--results"])
            .arg(&results)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        snapshot(&out)
    };
    let first = render("first");
    assert_eq!(first.len(), 7, "the seven figures the published data has");
    for again in ["second", "third"] {
        let other = render(again);
        for (name, bytes) in &first {
            assert!(
                other.get(name) == Some(bytes),
                "{} differs between two runs of render",
                name.display()
            );
        }
    }
}
