//! Where a run's files go, compatible with the paper's folders so its scripts and `repro table`
//! read them as they are:
//!
//! - paper:    `<results>/<folder>[/<part>]/{uncached,iterations/<i>}/output_<label>.txt`
//! - versions: `<results>/figure-1/iterations/output_<version>.txt` (warm-up in `uncached/`)
//! - flat:     `<results>/figure-12/<model>_uncached.txt`, `<model>.txt`, `cpu_usage.json`
//! - releases: `<results>/<folder>/vllm-<version>/{uncached,iterations/<i>}/output_<label>.txt`
//!
//! Beside each log, out of the paper's `output_model_*` glob: `manifests/<stem>.json` (the run's
//! provenance), `failed/<name>` (logs of failed attempts), `samples/<stem>.*.json` (samplers).

use std::path::{Path, PathBuf};

use super::key::Phase;

/// The paper's per-run-folder table (`compare_logs.py`).
pub const COMPARISON_FILE: &str = "comparison_results.json";
/// The paper's per-group average (`avg_results.py`).
pub const AVERAGE_FILE: &str = "avg_comparison_results.json";
/// Figure 12's per-core CPU usage file, as the paper's `figure-12/engine.py` names it.
pub const CPU_USAGE_FILE: &str = "cpu_usage.json";
pub const MANIFEST_DIR: &str = "manifests";
pub const FAILED_DIR: &str = "failed";
pub const SAMPLES_DIR: &str = "samples";
/// The parse cache of a results folder (or of a tree of experiments), `table::cache`: out
/// of the paper's layout, and skipped by every walk of a results folder (a dot-folder).
pub const PARSE_CACHE_FILE: &str = ".repro-cache/parse";
/// Prefix of files being written; a run interrupted by `kill -9` can leave them behind.
pub const TEMP_PREFIX: &str = ".repro-tmp-";

/// The files of one run. Only the log's path is stored; the others are derived on use, which
/// keeps a plan of 100,000 tasks small and fast to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPaths {
    /// The log, where a complete successful run puts it; its folder is the run's folder.
    pub log: PathBuf,
    /// Per-core CPU samples, where the recipe asks for them.
    pub cpu_samples: Option<PathBuf>,
}

impl RunPaths {
    /// The paths of a run whose log is `run_dir/log_name`.
    pub fn new(run_dir: PathBuf, log_name: &str, cpu_samples: Option<PathBuf>) -> RunPaths {
        RunPaths {
            log: run_dir.join(log_name),
            cpu_samples,
        }
    }

    /// The folder the run writes into (its log's).
    pub fn run_dir(&self) -> &Path {
        self.log.parent().unwrap_or(Path::new(""))
    }

    /// The log's file name.
    pub fn log_name(&self) -> &str {
        self.log
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }

    fn stem(&self) -> &str {
        let name = self.log_name();
        name.strip_suffix(".txt").unwrap_or(name)
    }

    /// `manifests/<stem>.json`.
    pub fn manifest(&self) -> PathBuf {
        self.run_dir()
            .join(MANIFEST_DIR)
            .join(format!("{}.json", self.stem()))
    }

    /// The engine's stderr (progress bars, tracebacks), kept beside the manifest: the paper's
    /// logs are its stdout only (`engine.py | tee`), and the parser reads them from line 1.
    pub fn stderr_log(&self) -> PathBuf {
        self.run_dir()
            .join(MANIFEST_DIR)
            .join(format!("{}.stderr", self.stem()))
    }

    /// Where the log of a failed attempt goes: `failed/<name>`.
    pub fn failed_log(&self) -> PathBuf {
        self.run_dir().join(FAILED_DIR).join(self.log_name())
    }

    /// GPU samples (memory, utilisation), where NVML is there: `samples/<stem>.gpu.json`.
    pub fn gpu_samples(&self) -> PathBuf {
        self.run_dir()
            .join(SAMPLES_DIR)
            .join(format!("{}.gpu.json", self.stem()))
    }

    /// The default place of a run's CPU samples (out of the paper's glob).
    pub fn default_cpu_samples(run_dir: &Path, log_name: &str) -> PathBuf {
        let stem = log_name.strip_suffix(".txt").unwrap_or(log_name);
        run_dir.join(SAMPLES_DIR).join(format!("{stem}.cpu.json"))
    }
}

/// A group's folder: the figure's, or its split part's (`figure-10/gpu1`).
pub fn group_dir(results: &Path, folder: &str, part: Option<&str>) -> PathBuf {
    let dir = results.join(folder);
    match part {
        Some(part) => dir.join(part),
        None => dir,
    }
}

/// The run folder of the paper's layout: `uncached` or `iterations/<i>`.
pub fn paper_run_dir(group: &Path, phase: Phase) -> PathBuf {
    match phase {
        Phase::Warmup => group.join("uncached"),
        Phase::Iteration(i) => group.join("iterations").join(i.to_string()),
    }
}

/// A release's own folder of the paper's layout under a `releases` recipe's folder.
pub fn release_dir(group: &Path, version: &str) -> PathBuf {
    group.join(format!("vllm-{version}"))
}

/// Figure 1: one log per vLLM version; the paper overwrote the warm-up with the timed run,
/// repro keeps it in `uncached/`.
pub fn versions_run(group: &Path, phase: Phase, version: &str) -> (PathBuf, String) {
    let name = format!("output_{version}.txt");
    match phase {
        Phase::Warmup => (group.join("uncached"), name),
        Phase::Iteration(1) => (group.join("iterations"), name),
        Phase::Iteration(i) => (
            group.join("iterations"),
            format!("output_{version}_{i}.txt"),
        ),
    }
}

/// Figure 12: `<model>_uncached.txt` and `<model>.txt` in the figure folder.
pub fn flat_log_name(model: &str, phase: Phase) -> String {
    match phase {
        Phase::Warmup => format!("{model}_uncached.txt"),
        Phase::Iteration(1) => format!("{model}.txt"),
        Phase::Iteration(i) => format!("{model}_{i}.txt"),
    }
}

/// The folder of benchmark `name`'s results: `<results>/bench-<name>`.
pub fn bench_dir(results: &Path, name: &str) -> PathBuf {
    results.join(format!("bench-{name}"))
}

/// One folder run to do (or skip): its label (the folder's name), its key, its place.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderTask {
    pub label: String,
    pub key: super::key::TaskKey,
    /// Where the complete run's folder goes (`<results>/bench-<name>/<label>`).
    pub dir: PathBuf,
}

impl FolderTask {
    /// Where a failed attempt is kept: `<label>.failed/` beside it.
    pub fn failed_dir(&self) -> PathBuf {
        self.dir.with_file_name(format!("{}.failed", self.label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_paths() {
        let group = group_dir(Path::new("r"), "figure-10", Some("gpu1"));
        let run = paper_run_dir(&group, Phase::Iteration(3));
        let paths = RunPaths::new(run, "output_model_qwen-4b.txt", None);
        assert_eq!(
            paths.log,
            Path::new("r/figure-10/gpu1/iterations/3/output_model_qwen-4b.txt")
        );
        assert_eq!(
            paths.manifest(),
            Path::new("r/figure-10/gpu1/iterations/3/manifests/output_model_qwen-4b.json")
        );
        assert_eq!(
            paths.failed_log(),
            Path::new("r/figure-10/gpu1/iterations/3/failed/output_model_qwen-4b.txt")
        );
    }

    #[test]
    fn versions_and_flat_names() {
        let (dir, name) = versions_run(Path::new("g"), Phase::Iteration(1), "0.3.1");
        assert_eq!(dir.join(name), Path::new("g/iterations/output_0.3.1.txt"));
        assert_eq!(
            flat_log_name("qwen-4b", Phase::Warmup),
            "qwen-4b_uncached.txt"
        );
        assert_eq!(flat_log_name("qwen-4b", Phase::Iteration(1)), "qwen-4b.txt");
    }
}
