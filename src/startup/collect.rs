//! The runs under the paths a user names: logs, folders of the paper's layout (at any depth),
//! benchmark folders. Each run's configuration comes from where it lies (the layout, the log's
//! label) and, where that says nothing, from the log itself.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::{paper, Cache, Config, PhaseSource, ReadFrom, RunPhases, StartupError};
use super::{FIRST_TOKEN, HEALTHY, UNACCOUNTED};
use crate::artifacts::layout::CPU_USAGE_FILE;
use crate::bench::startup::Startup;
use crate::parse::ledger::{self, Ledger, Unit};

/// What the paths gave: the runs read, and the files refused (each with why).
#[derive(Debug, Default)]
pub struct Collected {
    pub runs: Vec<RunPhases>,
    /// `(file, why)` for each file that gave no run (not a vLLM log, unreadable).
    pub refused: Vec<(PathBuf, String)>,
}

const SUMMARY: &str = "summary.json";

/// Every run under `paths`. A path that does not exist, or holds nothing that could be a run,
/// is an error; a file in a folder that is not a vLLM log is only refused (named in
/// [`Collected::refused`]).
pub fn collect(paths: &[PathBuf]) -> Result<Collected, StartupError> {
    let mut out = Collected::default();
    for path in paths {
        if !path.exists() {
            return Err(StartupError::Missing(path.clone()));
        }
        let files = candidates(path);
        if files.is_empty() {
            return Err(StartupError::NoRuns(path.clone()));
        }
        for file in files {
            match read_run(&file) {
                Ok(run) => out.runs.push(run),
                Err(why) => out.refused.push((file, why)),
            }
        }
    }
    if out.runs.is_empty() {
        let what = paths
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(StartupError::NothingRead { what });
    }
    Ok(out)
}

/// The files under `path` that may be runs: a benchmark run's `summary.json` (its
/// `server.log` is read through it), `output*.txt` logs, other `*.log` files. repro's own
/// folders (`.repro*`, `replaced/`, `manifests/`, `samples/`) and the logs of failed attempts
/// (`failed/`) are skipped.
fn candidates(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let skip = |e: &walkdir::DirEntry| {
        let name = e.file_name().to_string_lossy();
        e.depth() > 0 && e.file_type().is_dir() && {
            name.starts_with('.')
                || ["replaced", "manifests", "failed", "samples"].contains(&name.as_ref())
        }
    };
    let files: Vec<PathBuf> = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !skip(e))
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    let summarised = |f: &Path| f.parent().is_some_and(|d| d.join(SUMMARY).is_file());
    // Figure 12's flat layout: `<model>.txt`, `<model>_uncached.txt` beside `cpu_usage.json`.
    let flat = |f: &Path| f.parent().is_some_and(|d| d.join(CPU_USAGE_FILE).is_file());
    files
        .into_iter()
        .filter(|f| {
            let name = f.file_name().unwrap_or_default().to_string_lossy();
            let log = (name.starts_with("output") && name.ends_with(".txt"))
                || name.ends_with(".log")
                || (name.ends_with(".txt") && flat(f));
            name == SUMMARY || (log && !summarised(f))
        })
        .collect()
}

fn read_run(file: &Path) -> Result<RunPhases, String> {
    if file.file_name().is_some_and(|n| n == SUMMARY) {
        server_run(file)
    } else {
        log_run(file)
    }
}

/// A log: its ledger, where it lies, its banner.
fn log_run(file: &Path) -> Result<RunPhases, String> {
    let ledger =
        ledger::ledger_of_file(file, ledger::Options::default()).map_err(|e| e.to_string())?;
    let bytes =
        std::fs::read(file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let (experiment, label, uncached) = place_of_log(file);
    let mut run = run_of(
        file,
        (experiment, label, uncached),
        &ledger,
        Some(&text),
        paper::is_papers(&bytes),
        None,
    );
    if let Some(m) = manifest_fields(file) {
        // What repro ran, as its manifest recorded it, over what the log prints (the fake
        // engine prints one version for all).
        let c = &mut run.config;
        c.vllm = m.vllm.or(c.vllm.take());
        c.model = m.model.or(c.model.take());
        if let Some(cache) = m.cache {
            c.cache = Some(cache);
            run.cache_from = Some(ReadFrom::Layout);
        }
    }
    Ok(run)
}

#[derive(Debug, Default)]
struct ManifestFields {
    vllm: Option<String>,
    model: Option<String>,
    cache: Option<Cache>,
}

/// The run's manifest beside its log (`manifests/<stem>.json`, repro's runs only): the version,
/// model and cache state it ran with. Read leniently: a manifest of another schema is ignored.
fn manifest_fields(log: &Path) -> Option<ManifestFields> {
    let stem = log.file_stem()?.to_string_lossy();
    let path = log.parent()?.join("manifests").join(format!("{stem}.json"));
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let inputs = value.get("key_inputs")?;
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
    Some(ManifestFields {
        vllm: text(inputs.get("vllm")),
        model: text(inputs.get("model").and_then(|m| m.get("name"))),
        cache: match inputs
            .get("params")
            .and_then(|p| p.get("cache"))
            .and_then(|c| c.as_str())
        {
            Some("cold") => Some(Cache::Cold),
            Some("warm") => Some(Cache::Warm),
            _ => None,
        },
    })
}

/// A benchmark run: `summary.json`'s `startup` (its server log's ledger, and repro's times).
fn server_run(file: &Path) -> Result<RunPhases, String> {
    let bytes =
        std::fs::read(file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    let summary: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("`{}` is not JSON: {e}", file.display()))?;
    let startup = summary
        .get("startup")
        .filter(|s| !s.is_null())
        .ok_or_else(|| {
            format!(
                "`{}` has no `startup` (written before repro recorded it?)",
                file.display()
            )
        })?;
    let startup: Startup = serde_json::from_value(startup.clone()).map_err(|e| {
        format!(
            "`{}`: `startup` is not a start-up record: {e}",
            file.display()
        )
    })?;
    let ledger = startup.ledger.clone().ok_or_else(|| {
        format!(
            "`{}`: no server log ledger ({})",
            file.display(),
            startup.ledger_error.as_deref().unwrap_or("none recorded")
        )
    })?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let log_text = std::fs::read(dir.join("server.log"))
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let (experiment, label) = place_of_bench_run(dir);
    Ok(run_of(
        file,
        (experiment, label, false),
        &ledger,
        log_text.as_deref(),
        false,
        Some(&startup),
    ))
}

/// `place`: experiment, label, uncached.
fn run_of(
    file: &Path,
    (experiment, label, uncached): (String, String, bool),
    ledger: &Ledger,
    text: Option<&str>,
    paper: bool,
    server: Option<&Startup>,
) -> RunPhases {
    let run = ledger.last_run();
    let mut phases = IndexMap::new();
    if let Some(run) = run {
        for (key, s) in &run.summary {
            if s.unit == Unit::Seconds {
                let source = if s.derived {
                    PhaseSource::Derived
                } else {
                    PhaseSource::Printed
                };
                phases.insert(key.clone(), (s.last, source));
            }
        }
        if let Some(t) = &run.timeline {
            phases.insert(
                UNACCOUNTED.to_string(),
                (t.unaccounted_s, PhaseSource::Gaps),
            );
        }
    }
    if let Some(s) = server {
        if let Some(x) = s.spawn_to_healthy_s {
            phases.insert(HEALTHY.to_string(), (x, PhaseSource::Server));
        }
        if let Some(x) = s.spawn_to_first_token_s {
            phases.insert(FIRST_TOKEN.to_string(), (x, PhaseSource::Server));
        }
    }
    let log_cache = run.and_then(|r| {
        if r.summary.contains_key("graph_compile_general_shape_s")
            || r.summary.contains_key("graph_compile_shapes_s")
        {
            Some(Cache::Cold)
        } else if r.summary.contains_key("graph_compile_cached_s") {
            Some(Cache::Warm)
        } else {
            None
        }
    });
    let (cache, cache_from) = match (cache_of_label(&label), log_cache) {
        (Some(c), _) => (Some(c), Some(ReadFrom::Layout)),
        (None, Some(c)) => (Some(c), Some(ReadFrom::Log)),
        (None, None) => (None, None),
    };
    let banner = text.map(banner_fields).unwrap_or_default();
    let config = Config {
        model: model_of_label(&label).or(banner.model),
        // The banner names the loader whole (`runai_streamer`, which a label's `_` cuts).
        loader: banner.loader.or_else(|| loader_of_label(&label)),
        vllm: run.and_then(|r| r.vllm_version.clone()),
        cache,
        experiment,
        label,
        uncached,
    };
    RunPhases {
        source: file.to_path_buf(),
        config,
        cache_from,
        paper,
        complete: run.is_some_and(|r| r.complete),
        phases,
        timeline: run.and_then(|r| r.timeline.clone()),
    }
}

/// `(experiment, label, uncached)` of a log from its path: in the paper's layout
/// (`X/uncached/output_L.txt`, `X/iterations/<i>/output_L.txt`, figure 1's
/// `X/iterations/output_L.txt`) the experiment is `X`; elsewhere the log's folder.
fn place_of_log(file: &Path) -> (String, String, bool) {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let stem = name
        .strip_suffix(".txt")
        .or(name.strip_suffix(".log"))
        .unwrap_or(&name);
    let label = stem.strip_prefix("output_").unwrap_or(stem).to_string();
    let parent = file.parent().unwrap_or(Path::new(""));
    let layout = parent.ancestors().take(2).find(|a| {
        a.file_name()
            .is_some_and(|n| n == "uncached" || n == "iterations")
    });
    match layout {
        Some(dir) => {
            let uncached = dir.file_name().is_some_and(|n| n == "uncached");
            (
                shown(dir.parent().unwrap_or(Path::new(""))),
                label,
                uncached,
            )
        }
        // Figure 12's flat layout names its first run `<model>_uncached.txt`.
        None if parent.join(CPU_USAGE_FILE).is_file() => match label.strip_suffix("_uncached") {
            Some(model) => (shown(parent), model.to_string(), true),
            None => (shown(parent), label, false),
        },
        None => (shown(parent), label, false),
    }
}

/// `(experiment, label)` of a benchmark run folder: the `bench-<name>` folder above it, and
/// the path from there (iteration folders, all digits, left out: they are repeats).
fn place_of_bench_run(dir: &Path) -> (String, String) {
    let bench = dir.ancestors().find(|a| {
        a.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("bench-"))
    });
    let (root, rel) = match bench {
        Some(b) => (b, dir.strip_prefix(b).unwrap_or(dir)),
        None => {
            let up = dir.parent().unwrap_or(Path::new(""));
            (up, dir.strip_prefix(up).unwrap_or(dir))
        }
    };
    let label: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|c| !c.chars().all(|ch| ch.is_ascii_digit()))
        .collect();
    let label = if label.is_empty() {
        "server".to_string()
    } else {
        label.join("/")
    };
    (shown(root), label)
}

fn shown(p: &Path) -> String {
    let s = p.display().to_string();
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// The value after `key_` in a label (`model_qwen-7b_max_model_len_4096` → `qwen-7b`): up to
/// the next `_`, as model names have none.
fn label_value(label: &str, keys: &[&str]) -> Option<String> {
    for part in label.split('/') {
        for key in keys {
            let prefix = format!("{key}_");
            let at = if part.starts_with(&prefix) {
                Some(0)
            } else {
                part.find(&format!("_{prefix}")).map(|i| i + 1)
            };
            if let Some(at) = at {
                let rest = &part[at + prefix.len()..];
                let value = rest.split('_').next().unwrap_or("");
                if !value.is_empty() {
                    return Some(value.to_string());
                }
            }
        }
    }
    None
}

fn cache_of_label(label: &str) -> Option<Cache> {
    match label_value(label, &["cache"]).as_deref() {
        Some("cold") => Some(Cache::Cold),
        Some("warm") => Some(Cache::Warm),
        _ => None,
    }
}

fn model_of_label(label: &str) -> Option<String> {
    label_value(label, &["model"])
}

fn loader_of_label(label: &str) -> Option<String> {
    label_value(label, &["load-format", "load_format"])
}

#[derive(Debug, Default, PartialEq)]
struct Banner {
    model: Option<String>,
    loader: Option<String>,
}

/// The model and loader the engine's config line names (`model='/models/qwen-7b'`,
/// `load_format=LoadFormat.AUTO` or `load_format=auto`).
fn banner_fields(text: &str) -> Banner {
    let Some(line) = text
        .lines()
        .find(|l| l.contains("LLM engine (v") && l.contains("model="))
    else {
        return Banner::default();
    };
    let model = line.split("model='").nth(1).and_then(|rest| {
        let path = rest.split('\'').next()?.trim_end_matches('/');
        let name = path.rsplit('/').next()?;
        (!name.is_empty()).then(|| name.to_string())
    });
    let loader = line.split("load_format=").nth(1).and_then(|rest| {
        let value = rest.split([',', ' ', ')']).next()?;
        let value = value.strip_prefix("LoadFormat.").unwrap_or(value);
        (!value.is_empty()).then(|| value.to_lowercase())
    });
    Banner { model, loader }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_says_experiment_label_and_first_run() {
        let place = |p: &str| place_of_log(Path::new(p));
        let at = |e: &str, l: &str, u: bool| (e.to_string(), l.to_string(), u);
        assert_eq!(
            place("r/figure-7/uncached/output_model_qwen-7b.txt"),
            at("r/figure-7", "model_qwen-7b", true)
        );
        assert_eq!(
            place("r/figure-7/iterations/3/output_model_qwen-7b.txt"),
            at("r/figure-7", "model_qwen-7b", false)
        );
        assert_eq!(
            place("r/figure-1/iterations/output_0.9.0.txt"),
            at("r/figure-1", "0.9.0", false)
        );
        assert_eq!(place("logs/server.log"), at("logs", "server", false));
        assert_eq!(cache_of_label("model_a_cache_cold"), Some(Cache::Cold));
        assert_eq!(cache_of_label("model_a"), None);
    }

    #[test]
    fn labels_and_banners_name_model_and_loader() {
        assert_eq!(
            model_of_label("model_qwen-14b_max_model_len_16752").as_deref(),
            Some("qwen-14b")
        );
        assert_eq!(
            loader_of_label("model_yi-6b_load-format_tensorizer").as_deref(),
            Some("tensorizer")
        );
        assert_eq!(model_of_label("0.9.0"), None);
        let b = banner_fields("INFO 02-12 15:00:00.366 [core.py:74] Initializing a V1 LLM engine (v0.10.1.1) with config: model='/m/qwen-7b', speculative_config=None, load_format=LoadFormat.AUTO, tensor_parallel_size=1\n");
        assert_eq!(
            b,
            Banner {
                model: Some("qwen-7b".into()),
                loader: Some("auto".into())
            }
        );
    }

    #[test]
    fn a_bench_run_is_named_from_its_benchmark_folder() {
        let (e, l) = place_of_bench_run(Path::new("r/bench-cpu-cache/cache_cold/2"));
        assert_eq!(
            (e.as_str(), l.as_str()),
            ("r/bench-cpu-cache", "cache_cold")
        );
        assert_eq!(cache_of_label(&l), Some(Cache::Cold));
    }
}
