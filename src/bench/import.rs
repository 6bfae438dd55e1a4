//! `repro bench import`: other tools' result files (vLLM's `--save-result` JSON, AIPerf's
//! `profile_export.jsonl`, GuideLLM's `benchmarks.json`) as benchmark runs of repro's layout, kept
//! apart by tool — `<results>/imported/<tool>/bench-<name>/<run>/{records.jsonl, summary.json,
//! cdf.json, run.json}` and the source file itself — so `repro render` draws them as it draws
//! repro's runs, and beside the runs of `<results>/bench-<name>/` of the same name.
//!
//! Every file is read and checked before anything is written; each run is written into a
//! staging folder and renamed into place, so a bad file leaves nothing behind.

use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};

use super::aiperf_format;
use super::curves;
use super::files;
use super::guidellm_format;
use super::vllm_format::{self, FormatError, Imported};
use crate::artifacts::layout::TEMP_PREFIX;

/// The tools whose result files repro reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `vllm bench serve --save-result` (and vllm-bench, and repro's own `vllm-bench.json`).
    VllmBench,
    /// AIPerf's per-request `profile_export.jsonl`.
    Aiperf,
    /// GuideLLM's `benchmarks.json` (a run per benchmark of the report).
    Guidellm,
}

impl Tool {
    /// The folder under `<results>/imported/`.
    pub fn name(self) -> &'static str {
        match self {
            Tool::VllmBench => "vllm-bench",
            Tool::Aiperf => "aiperf",
            Tool::Guidellm => "guidellm",
        }
    }

    /// The name the tool gives its file: the source is kept under it beside the run.
    fn file(self) -> &'static str {
        match self {
            Tool::VllmBench => vllm_format::FILE,
            Tool::Aiperf => aiperf_format::FILE,
            Tool::Guidellm => guidellm_format::FILE,
        }
    }

    /// Which tool wrote `value`, by the keys only that tool writes together.
    fn of(value: &serde_json::Value) -> Option<Tool> {
        let o = value.as_object()?;
        let vllm = [
            "completed",
            "request_throughput",
            "output_throughput",
            "total_token_throughput",
            "total_input_tokens",
        ];
        // Two of them: a file with one key missing is vLLM's still, and refused naming it.
        (vllm.iter().filter(|k| o.contains_key(**k)).count() >= 2).then_some(Tool::VllmBench)
    }
}

/// Why an import was refused (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}`: {source}", path.display())]
    Format { path: PathBuf, source: FormatError },
    #[error("`{}` is not a result file repro reads (vllm bench serve --save-result's have `completed`, `request_throughput`, …)", path.display())]
    Unknown { path: PathBuf },
    #[error("`{}` and `{}` would both be run `{label}`: rename one", first.display(), second.display())]
    SameLabel {
        label: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("`{}` exists (imported before): --force replaces it", dir.display())]
    Exists { dir: PathBuf },
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What to import, and where.
#[derive(Debug, Clone)]
pub struct ImportSpec<'a> {
    pub files: &'a [PathBuf],
    pub results: &'a Path,
    /// The benchmark's name (`bench-<name>`); else the first file's stem.
    pub name: Option<&'a str>,
    /// Replace runs imported before.
    pub force: bool,
}

/// One imported run.
#[derive(Debug, Clone)]
pub struct ImportedRun {
    pub source: PathBuf,
    pub tool: Tool,
    pub dir: PathBuf,
    pub requests: usize,
    pub ok: usize,
    /// Whether the file had the per-request lists (`--save-detailed`): records were rebuilt.
    pub detailed: bool,
}

/// A file read and converted, not written yet: its runs (one, or a GuideLLM report's each).
struct Read {
    source: PathBuf,
    bytes: Vec<u8>,
    tool: Tool,
    runs: Vec<(String, Imported)>,
}

/// A name fit for a folder: letters, digits, `.`, `_`, `-`; anything else becomes `_`.
fn folder_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.trim_start_matches('.') {
        "" => "run".to_string(),
        n => n.to_string(),
    }
}

/// A run's name: its file's stem, or — for a file under the name its tool always gives it
/// (repro's `vllm-bench.json`, AIPerf's `profile_export.jsonl`) — its folder's name (with the
/// point's, for a repeat: `rate_20.0-repeat_1`).
fn label_of(path: &Path, tool: Tool) -> String {
    let name = |p: Option<&Path>| {
        p.and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
    };
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let standard = Path::new(tool.file())
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy();
    if stem != standard {
        return folder_name(&stem);
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    match name(parent) {
        Some(dir) if dir.starts_with("repeat_") => match name(parent.and_then(Path::parent)) {
            Some(point) => folder_name(&format!("{point}-{dir}")),
            None => folder_name(&dir),
        },
        Some(dir) => folder_name(&dir),
        None => folder_name(&stem),
    }
}

fn read(path: &Path) -> Result<Read, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let format = |source| ImportError::Format {
        path: path.to_path_buf(),
        source,
    };
    let text = String::from_utf8_lossy(&bytes);
    let whole = serde_json::from_str::<serde_json::Value>(&text);
    let tool = match &whole {
        Ok(value) if Tool::of(value).is_some() => Tool::VllmBench,
        Ok(value) if guidellm_format::is_guidellm(value) => Tool::Guidellm,
        _ if aiperf_format::is_aiperf(&text) => Tool::Aiperf,
        Err(e) => return Err(format(FormatError::Json(e.to_string()))),
        Ok(_) => {
            return Err(ImportError::Unknown {
                path: path.to_path_buf(),
            })
        }
    };
    let label = label_of(path, tool);
    let runs = match (tool, &whole) {
        (Tool::VllmBench, _) => vec![(label, vllm_format::from_file(&text).map_err(format)?)],
        (Tool::Aiperf, _) => vec![(label, aiperf_format::from_jsonl(&text).map_err(format)?)],
        (Tool::Guidellm, Ok(value)) => guidellm_format::from_report(value)
            .map_err(format)?
            .into_iter()
            .map(|(b, imported)| (folder_name(&format!("{label}-{b}")), imported))
            .collect(),
        (Tool::Guidellm, Err(_)) => unreachable!("a GuideLLM report is JSON"),
    };
    Ok(Read {
        source: path.to_path_buf(),
        bytes,
        tool,
        runs,
    })
}

/// Import `spec.files`: all are read and checked first; then each becomes a run.
pub fn import(spec: &ImportSpec<'_>) -> Result<Vec<ImportedRun>, ImportError> {
    let mut reads: Vec<Read> = Vec::new();
    let mut labels: Vec<(Tool, String, PathBuf)> = Vec::new();
    for path in spec.files {
        let r = read(path)?;
        for (label, _) in &r.runs {
            let same = |(t, l, _): &&(Tool, String, PathBuf)| *t == r.tool && l == label;
            if let Some((_, _, first)) = labels.iter().find(same) {
                return Err(ImportError::SameLabel {
                    label: label.clone(),
                    first: first.clone(),
                    second: r.source.clone(),
                });
            }
            labels.push((r.tool, label.clone(), r.source.clone()));
        }
        reads.push(r);
    }
    let name = match spec.name {
        Some(name) => folder_name(name),
        None => spec.files.first().map_or("imported".into(), |p| stem(p)),
    };
    let dir_of = |tool: Tool, label: &str| {
        spec.results
            .join("imported")
            .join(tool.name())
            .join(format!("bench-{name}"))
            .join(label)
    };
    if !spec.force {
        let mut dirs = labels.iter().map(|(t, l, _)| dir_of(*t, l));
        if let Some(dir) = dirs.find(|d| d.exists()) {
            return Err(ImportError::Exists { dir });
        }
    }
    let mut done = Vec::new();
    for r in &reads {
        for (label, imported) in &r.runs {
            let dir = dir_of(r.tool, label);
            write_run(r, label, imported, &dir)?;
            done.push(ImportedRun {
                source: r.source.clone(),
                tool: r.tool,
                dir,
                requests: imported.summary.requests,
                ok: imported.summary.outcomes.get("ok").copied().unwrap_or(0),
                detailed: !imported.records.is_empty(),
            });
        }
    }
    Ok(done)
}

fn stem(path: &Path) -> String {
    folder_name(&path.file_stem().unwrap_or_default().to_string_lossy())
}

/// One run's files into a staging folder beside `dir`, then renamed to `dir` (an earlier
/// import there replaced).
fn write_run(r: &Read, label: &str, imported: &Imported, dir: &Path) -> Result<(), ImportError> {
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Write { path, source }
    };
    let parent = dir.parent().expect("a run folder has a parent");
    std::fs::create_dir_all(parent).map_err(write_error(parent))?;
    let staging = parent.join(format!(
        "{TEMP_PREFIX}import-{label}-{}",
        std::process::id()
    ));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(write_error(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(write_error(&staging))?;
    let staged = stage(r, label, imported, &staging);
    if let Err(e) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(write_error(dir))?;
    }
    std::fs::rename(&staging, dir).map_err(write_error(dir))
}

fn stage(r: &Read, label: &str, i: &Imported, staging: &Path) -> Result<(), ImportError> {
    let put = |name: &str, bytes: &[u8]| {
        files::write(staging, name, bytes).map_err(|e| ImportError::Write {
            path: e.path,
            source: e.source,
        })
    };
    put("records.jsonl", &files::records_jsonl(&i.records))?;
    put("summary.json", files::pretty(&i.summary).as_bytes())?;
    put(
        "cdf.json",
        files::pretty(&curves::run_cdfs(&i.records)).as_bytes(),
    )?;
    put(r.tool.file(), &r.bytes)?;
    let run = json!({
        "format": 1,
        "tool": r.tool.name(),
        "label": label,
        "source": r.source.display().to_string(),
        "source_sha256": hex::encode(Sha256::digest(&r.bytes)),
        "imported_unix_s": crate::sys::unix_now(),
        "params": i.params,
        "meta": i.meta,
        "repro_version": env!("CARGO_PKG_VERSION"),
    });
    put("run.json", files::pretty(&run).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"date": "20250101-000000", "backend": "vllm", "model_id": "m",
        "request_rate": 4.0, "burstiness": 1.0, "max_concurrency": null, "duration": 1.0,
        "completed": 1, "failed": 1, "total_input_tokens": 5, "total_output_tokens": 3,
        "request_throughput": 1.0, "request_goodput": null, "output_throughput": 3.0,
        "total_token_throughput": 8.0, "input_lens": [5, 5], "output_lens": [3, 0],
        "ttfts": [0.1, 0.0], "itls": [[0.05, 0.05], []], "latencies": [0.2, 0.0],
        "start_times": [10.0, 10.5], "errors": ["", "Bad Request"],
        "generated_texts": ["abc", ""]}"#;

    #[test]
    fn a_detailed_file_becomes_a_run_and_a_bad_one_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let good = tmp.path().join("rate-4.json");
        std::fs::write(&good, FILE).unwrap();
        let bad = tmp.path().join("cut.json");
        std::fs::write(&bad, &FILE[..FILE.len() / 2]).unwrap();
        let results = tmp.path().join("results");
        let spec = |files: &'static [&str]| {
            let files: Vec<PathBuf> = files.iter().map(|f| tmp.path().join(f)).collect();
            files
        };
        let both = spec(&["rate-4.json", "cut.json"]);
        let err = import(&ImportSpec {
            files: &both,
            results: &results,
            name: Some("mine"),
            force: false,
        })
        .unwrap_err();
        assert!(err.to_string().contains("cut.json"), "{err}");
        assert!(!results.exists(), "nothing written");
        let one = spec(&["rate-4.json"]);
        let spec = ImportSpec {
            files: &one,
            results: &results,
            name: Some("mine"),
            force: false,
        };
        let runs = import(&spec).unwrap();
        let dir = results.join("imported/vllm-bench/bench-mine/rate-4");
        assert_eq!(runs[0].dir, dir);
        assert_eq!((runs[0].requests, runs[0].ok), (2, 1));
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
        assert!((summary["ttft"]["mean"].as_f64().unwrap() - 0.1).abs() < 1e-12);
        assert!((summary["e2e"]["max"].as_f64().unwrap() - 0.2).abs() < 1e-12);
        let records = std::fs::read_to_string(dir.join("records.jsonl")).unwrap();
        assert_eq!(records.lines().count(), 2);
        assert!(dir.join("vllm-bench.json").is_file());
        assert!(matches!(import(&spec), Err(ImportError::Exists { .. })));
        let again = ImportSpec {
            force: true,
            ..spec
        };
        assert_eq!(import(&again).unwrap().len(), 1);
        let left: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, ["rate-4"], "no staging folder left");
    }

    #[test]
    fn an_unknown_file_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let other = tmp.path().join("other.json");
        std::fs::write(&other, r#"{"benchmarks": []}"#).unwrap();
        let files = [other];
        let err = import(&ImportSpec {
            files: &files,
            results: tmp.path(),
            name: None,
            force: false,
        })
        .unwrap_err();
        assert!(matches!(err, ImportError::Unknown { .. }), "{err}");
        assert!(err.to_string().contains("other.json"));
    }

    #[test]
    fn a_tools_own_file_name_is_named_by_its_folder() {
        let l = |p: &str, t| label_of(Path::new(p), t);
        assert_eq!(l("x/rate-4.json", Tool::VllmBench), "rate-4");
        assert_eq!(
            l("b/rate_20.0/vllm-bench.json", Tool::VllmBench),
            "rate_20.0"
        );
        assert_eq!(
            l("b/rate_20.0/repeat_2/vllm-bench.json", Tool::VllmBench),
            "rate_20.0-repeat_2"
        );
        assert_eq!(l("artifacts/c8/profile_export.jsonl", Tool::Aiperf), "c8");
        assert_eq!(l("vllm-bench.json", Tool::VllmBench), "vllm-bench");
    }

    #[test]
    fn folder_names_are_safe() {
        assert_eq!(folder_name("../x y"), "_x_y");
        assert_eq!(folder_name("..."), "run");
        assert_eq!(folder_name("vllm-0.10_rate2.json"), "vllm-0.10_rate2.json");
    }
}
