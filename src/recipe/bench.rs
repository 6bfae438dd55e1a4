//! `benchmarks/<name>.toml`: the server, the workload, the SLOs and the matrix of a serving
//! benchmark. The matrix is expanded like a figure's (`recipe::matrix::expand`): each list value
//! is swept, each combination is one run, labelled by its params (`rate_2.0`).
//!
//! Matrix keys that name a workload knob (`rate`, `concurrency`, `burstiness`, `requests`,
//! `input_len`, `output_len`) or the `model` override the recipe's value; any other key is a
//! server argument (`max-num-seqs = [8, 64]` → `--max-num-seqs 8`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::config::machines::Device;
use crate::config::{ConfigError, Seg};
use crate::recipe::matrix::{expand, Combination, Params, Scalar};

/// The benchmark recipes shipped with repro.
pub const BUILTIN: [(&str, &str); 1] =
    [("cpu-smoke", include_str!("../../benchmarks/cpu-smoke.toml"))];

/// Matrix keys that set a workload value rather than a server argument.
pub const WORKLOAD_KEYS: [&str; 6] = [
    "rate",
    "concurrency",
    "burstiness",
    "requests",
    "input_len",
    "output_len",
];

/// A serving benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchRecipe {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub server: ServerSpec,
    pub workload: WorkloadSpec,
    #[serde(default)]
    pub slo: SloSpec,
    /// Params whose list values are swept; one run per combination.
    #[serde(default)]
    pub matrix: Params,
}

/// What serves the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    /// `vllm serve` from a repro environment (`repro env setup`).
    Vllm,
    /// Any command that starts an OpenAI-compatible server; `{port}` in its arguments and
    /// environment is replaced by the port chosen for the run.
    Command,
    /// A server someone else runs, reached by URL (never started or stopped by repro).
    Url,
}

/// The server of a benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub kind: ServerKind,
    /// The model name sent in requests; for `vllm`, a model of models.toml (in the models folder,
    /// made or downloaded by `repro bench` first), a path, or a Hugging Face id (served under this
    /// name).
    pub model: String,
    /// `vllm`: the environment's vLLM version.
    #[serde(default)]
    pub vllm: Option<String>,
    /// `vllm`: `gpu` (default) or `cpu` (vLLM's CPU build).
    #[serde(default)]
    pub device: Device,
    /// `vllm`: arguments after `--model …`; `command`: unused.
    #[serde(default)]
    pub args: Vec<String>,
    /// `command`: the program and its arguments.
    #[serde(default)]
    pub command: Vec<String>,
    /// Environment of the server process (`vllm`, `command`).
    #[serde(default)]
    pub env: IndexMap<String, String>,
    /// `url`: the server's base URL (`http://127.0.0.1:8000`).
    #[serde(default)]
    pub url: Option<String>,
    /// The name of an environment variable holding the API key (sent as a bearer token; the key
    /// itself is never written anywhere).
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// How long the server may take to answer `/health` (or `/v1/models`).
    #[serde(default = "ten_minutes", with = "humantime_serde")]
    pub health_timeout: Duration,
    /// Between SIGTERM and SIGKILL when stopping the server.
    #[serde(default = "ten_seconds", with = "humantime_serde")]
    pub stop_grace: Duration,
}

/// Which OpenAI endpoint is loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `/v1/completions`
    #[default]
    Completions,
    /// `/v1/chat/completions`
    Chat,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Completions => "/v1/completions",
            Endpoint::Chat => "/v1/chat/completions",
        }
    }
}

/// When requests are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// `concurrency` requests in flight; each answer sends the next request.
    Closed,
    /// Exponential gaps at `rate` requests/s.
    Poisson,
    /// Gamma-distributed gaps at `rate`, shape `burstiness` (1 = Poisson, < 1 burstier).
    Gamma,
    /// The send times of `trace` (one number of seconds per line), times `trace_scale`.
    Trace,
}

/// A length distribution (tokens).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum LenDist {
    Fixed {
        value: u64,
    },
    Uniform {
        min: u64,
        max: u64,
    },
    /// Rounded and clamped to `[min, max]` (defaults 1 and 2·mean).
    Normal {
        mean: f64,
        std: f64,
        #[serde(default)]
        min: Option<u64>,
        #[serde(default)]
        max: Option<u64>,
    },
}

/// Where prompts come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PromptSpec {
    /// Random words, `len` of them (about one token each).
    Synthetic { len: LenDist },
    /// One prompt per line of a text file (relative to the recipe's project), drawn at random.
    File { path: PathBuf },
    /// A JSON array or JSON Lines file of `{"input": …, "output_len" | "output_tokens": N}`,
    /// drawn at random; its output lengths replace `output_len`.
    Dataset { path: PathBuf },
}

/// The load put on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    #[serde(default)]
    pub endpoint: Endpoint,
    pub arrival: Arrival,
    /// Requests per run (at most 1,000,000).
    pub requests: u64,
    #[serde(default)]
    pub rate: Option<f64>,
    #[serde(default)]
    pub concurrency: Option<u32>,
    #[serde(default)]
    pub burstiness: Option<f64>,
    #[serde(default)]
    pub trace: Option<PathBuf>,
    #[serde(default = "one")]
    pub trace_scale: f64,
    pub prompt: PromptSpec,
    #[serde(default)]
    pub output_len: Option<LenDist>,
    #[serde(default)]
    pub seed: u64,
    /// Ask the server to ignore end-of-sequence so every request yields `max_tokens` (vLLM).
    #[serde(default = "yes")]
    pub ignore_eos: bool,
    /// No request is sent after this long from the run's start (the rest count as `not_sent`).
    #[serde(default = "ten_minutes", with = "humantime_serde")]
    pub max_duration: Duration,
    /// A request with no complete answer after this long counts as `timed_out`.
    #[serde(default = "two_minutes", with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Each request's `priority` (sent to the server; vLLM's `--scheduling-policy priority`
    /// serves lower values first); summaries break latency down by it. Left out of the key
    /// when unset, so the runs of recipes without it keep theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<PrioritySpec>,
}

/// Where a request's priority comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case", deny_unknown_fields)]
pub enum PrioritySpec {
    /// The request's output length (an oracle dataset's, else its drawn `output_len`), binned:
    /// at most `bins[0]` tokens → 0, at most `bins[1]` → 1, …, longer than all → `bins.len()`
    /// (the shortest jobs first).
    OutputLen { bins: Vec<u64> },
    /// Uniformly one of `0..classes` (seeded).
    Random { classes: u32 },
}

/// Service-level objectives, as durations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloSpec {
    #[serde(default, with = "humantime_serde")]
    pub ttft: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    pub tpot: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    pub e2e: Option<Duration>,
}

fn ten_minutes() -> Duration {
    Duration::from_secs(600)
}
fn two_minutes() -> Duration {
    Duration::from_secs(120)
}
fn ten_seconds() -> Duration {
    Duration::from_secs(10)
}
fn one() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}

/// One run of the matrix, every value resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchRun {
    /// The run's folder name (`rate_2.0`; `default` without a matrix).
    pub label: String,
    pub params: IndexMap<String, Scalar>,
    pub model: String,
    pub workload: WorkloadSpec,
    /// Server arguments from the matrix (after the recipe's `args`).
    pub server_args: Vec<String>,
}

/// A benchmark recipe that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BenchRecipeError {
    #[error("no benchmark `{name}`: expected `{}` or a shipped one ({})", path.display(), BUILTIN.iter().map(|b| b.0).collect::<Vec<_>>().join(", "))]
    NotFound { name: String, path: PathBuf },
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl BenchRecipe {
    /// Parse and check a recipe.
    pub fn parse(path: &Path, text: &str) -> Result<BenchRecipe, ConfigError> {
        let recipe: BenchRecipe = crate::config::from_toml(path, text)?;
        let at = |keys: &[&str], message: String| {
            let segs: Vec<Seg<'_>> = keys.iter().map(|k| Seg::Key(k)).collect();
            crate::config::error_at(path, text, &segs, message)
        };
        recipe.check(&at)?;
        Ok(recipe)
    }

    /// Check a parsed recipe; `at` places an error at a key path (`["server", "url"]`; a tenant's
    /// recipe places its `server` and `workload` under its `[[tenant]]`).
    pub fn check(&self, at: &dyn Fn(&[&str], String) -> ConfigError) -> Result<(), ConfigError> {
        let recipe = self;
        // A run's value comes from the matrix where the matrix sweeps it.
        let workload_at = |key: &str, message: String| {
            let table = match recipe.matrix.contains_key(key) {
                true => "matrix",
                false => "workload",
            };
            at(&[table, key], message)
        };
        let s = &recipe.server;
        match s.kind {
            ServerKind::Vllm if s.vllm.is_none() => return Err(at(
                &["server"],
                "a `vllm` server needs `vllm = \"<version>\"` (its environment: `repro env setup`)"
                    .into(),
            )),
            ServerKind::Command if s.command.is_empty() => {
                return Err(at(
                    &["server"],
                    "a `command` server needs `command = [\"program\", \"arg\", …]`".into(),
                ))
            }
            ServerKind::Url => {
                let Some(url) = &s.url else {
                    return Err(at(
                        &["server"],
                        "a `url` server needs `url = \"http://host:port\"`".into(),
                    ));
                };
                if !url.starts_with("http://") {
                    return Err(at(
                        &["server", "url"],
                        format!(
                            "`server.url` `{url}` must start with `http://` (TLS is not built in)"
                        ),
                    ));
                }
            }
            _ => {}
        }
        for run in recipe.runs() {
            let w = &run.workload;
            let problem = match w.arrival {
                Arrival::Closed if w.concurrency.unwrap_or(0) == 0 => {
                    Some("a `closed` arrival needs `concurrency` ≥ 1 (in [workload] or [matrix])")
                }
                Arrival::Poisson | Arrival::Gamma if !w.rate.is_some_and(|r| r > 0.0 && r.is_finite()) => {
                    Some("a `poisson` or `gamma` arrival needs `rate` > 0 (requests/s, in [workload] or [matrix])")
                }
                Arrival::Gamma if !w.burstiness.is_some_and(|b| b > 0.0 && b.is_finite()) => {
                    Some("a `gamma` arrival needs `burstiness` > 0 (1 = Poisson)")
                }
                Arrival::Trace if w.trace.is_none() => Some("a `trace` arrival needs `trace = \"file\"`"),
                _ => None,
            };
            if let Some(problem) = problem {
                return Err(workload_at(
                    "arrival",
                    format!("run `{}`: {problem}", run.label),
                ));
            }
            if w.requests == 0 || w.requests > 1_000_000 {
                return Err(workload_at(
                    "requests",
                    format!("run `{}`: `requests` must be 1 to 1000000", run.label),
                ));
            }
            if w.output_len.is_none() && !matches!(w.prompt, PromptSpec::Dataset { .. }) {
                return Err(at(
                    &["workload"],
                    "`workload.output_len` is needed unless prompts come from a dataset".into(),
                ));
            }
            if s.kind == ServerKind::Url && !run.server_args.is_empty() {
                return Err(at(
                    &["matrix"],
                    format!("matrix key(s) {:?} would be server arguments, but a `url` server is not started by repro", run.server_args),
                ));
            }
        }
        Ok(())
    }

    /// Load `<dir>/<name>.toml`, or the shipped recipe of that name.
    pub fn load(dir: &Path, name: &str) -> Result<BenchRecipe, BenchRecipeError> {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
                path: path.clone(),
                source,
            })?;
            return Ok(BenchRecipe::parse(&path, &text)?);
        }
        match BUILTIN.iter().find(|(b, _)| *b == name) {
            Some((_, text)) => Ok(BenchRecipe::parse(
                Path::new(&format!("<builtin>/benchmarks/{name}.toml")),
                text,
            )?),
            None => Err(BenchRecipeError::NotFound {
                name: name.to_string(),
                path,
            }),
        }
    }

    /// Every run of the matrix, in order (the last list varies fastest).
    pub fn runs(&self) -> Vec<BenchRun> {
        expand(&self.matrix, &Params::new())
            .into_iter()
            .map(|c| self.resolve(c))
            .collect()
    }

    fn resolve(&self, combination: Combination) -> BenchRun {
        let mut workload = self.workload.clone();
        let mut model = self.server.model.clone();
        let mut server = IndexMap::new();
        let as_f64 = |s: &Scalar| match s {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) => Some(*f),
            _ => None,
        };
        let as_u64 = |s: &Scalar| match s {
            Scalar::Int(i) if *i >= 0 => Some(*i as u64),
            _ => None,
        };
        for (key, value) in &combination.params {
            match key.as_str() {
                "rate" => workload.rate = as_f64(value),
                "burstiness" => workload.burstiness = as_f64(value),
                "concurrency" => workload.concurrency = as_u64(value).map(|c| c as u32),
                "requests" => workload.requests = as_u64(value).unwrap_or(0),
                "output_len" => {
                    workload.output_len = as_u64(value).map(|value| LenDist::Fixed { value })
                }
                "input_len" => {
                    if let (PromptSpec::Synthetic { len }, Some(value)) =
                        (&mut workload.prompt, as_u64(value))
                    {
                        *len = LenDist::Fixed { value };
                    }
                }
                "model" => model = value.python_str(),
                _ => {
                    server.insert(key.clone(), value.clone());
                }
            }
        }
        let label = if combination.params.is_empty() {
            "default".to_string()
        } else {
            combination.label()
        };
        let server_args = Combination { params: server }.engine_args(None);
        BenchRun {
            label,
            params: combination.params,
            model,
            workload,
            server_args,
        }
    }
}

/// Names of the shipped benchmarks and of `<dir>/*.toml`, sorted, without duplicates.
pub fn available(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = BUILTIN.iter().map(|b| b.0.to_string()).collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml") {
                if let Some(stem) = path.file_stem() {
                    names.push(stem.to_string_lossy().into_owned());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
title = "t"
[server]
kind = "url"
url = "http://127.0.0.1:9"
model = "m"
[workload]
arrival = "poisson"
requests = 10
prompt = { kind = "synthetic", len = { dist = "fixed", value = 8 } }
output_len = { dist = "uniform", min = 2, max = 4 }
[slo]
ttft = "200ms"
[matrix]
rate = [1.0, 2.5]
"#;

    #[test]
    fn matrix_expands_into_labelled_runs() {
        let r = BenchRecipe::parse(Path::new("b.toml"), BASE).unwrap();
        let runs = r.runs();
        let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["rate_1.0", "rate_2.5"]);
        assert_eq!(runs[1].workload.rate, Some(2.5));
        assert_eq!(r.slo.ttft, Some(Duration::from_millis(200)));
    }

    #[test]
    fn non_workload_keys_become_server_args() {
        let text = BASE
            .replace("kind = \"url\"", "kind = \"command\"\ncommand = [\"x\"]")
            .replace("rate = [1.0, 2.5]", "rate = 1\nmax-num-seqs = [8, 64]");
        let r = BenchRecipe::parse(Path::new("b.toml"), &text).unwrap();
        let runs = r.runs();
        assert_eq!(runs[0].label, "rate_1_max-num-seqs_8");
        assert_eq!(runs[1].server_args, ["--max-num-seqs", "64"]);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let text = BASE.replace("requests = 10", "requests = 10\ncolour = 1");
        let err = BenchRecipe::parse(Path::new("b.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown field `colour`") && err.contains("b.toml:"),
            "{err}"
        );
        let text = BASE.replace("rate = [1.0, 2.5]", "");
        let err = BenchRecipe::parse(Path::new("b.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs `rate` > 0"), "{err}");
        let text = BASE.replace("[matrix]\n", "[matrix]\nmax-num-seqs = 4\n");
        let err = BenchRecipe::parse(Path::new("b.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("a `url` server is not started"), "{err}");
        let text = BASE.replace("dist = \"uniform\"", "dist = \"zipf\"");
        let err = BenchRecipe::parse(Path::new("b.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.toml:"), "{err}");
    }

    #[test]
    fn shipped_recipes_parse() {
        for (name, _) in BUILTIN {
            let r = BenchRecipe::load(Path::new("/nonexistent"), name).unwrap();
            assert!(!r.runs().is_empty());
        }
    }
}
