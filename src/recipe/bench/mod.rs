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
mod check;

use crate::recipe::matrix::{
    expand, CacheState, Combination, ParamValue, Params, Scalar, CACHE_PARAM,
};
use check::{check_cache, check_capacity, check_run, check_server, prefill_problem};

/// The benchmark recipes shipped with repro.
pub const BUILTIN: [(&str, &str); 8] = [
    (
        "cpu-smoke",
        include_str!("../../../benchmarks/cpu-smoke.toml"),
    ),
    (
        "cpu-cache",
        include_str!("../../../benchmarks/cpu-cache.toml"),
    ),
    (
        "cpu-capacity",
        include_str!("../../../benchmarks/cpu-capacity.toml"),
    ),
    (
        "cpu-prefill",
        include_str!("../../../benchmarks/cpu-prefill.toml"),
    ),
    (
        "mock-capacity",
        include_str!("../../../benchmarks/mock-capacity.toml"),
    ),
    (
        "mock-serve",
        include_str!("../../../benchmarks/mock-serve.toml"),
    ),
    (
        "mock-conversation",
        include_str!("../../../benchmarks/mock-conversation.toml"),
    ),
    (
        "mock-sweep",
        include_str!("../../../benchmarks/mock-sweep.toml"),
    ),
];

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
    /// Search the request rate for the highest that meets a goal, per server configuration of
    /// the matrix (`bench::capacity`), instead of one run per point.
    #[serde(default)]
    pub capacity: Option<CapacitySpec>,
    /// Profile the prefill instead (`bench::prefill`): one request at a time over a range of
    /// prompt lengths, TTFT against prompt length, fitted.
    #[serde(default)]
    pub prefill_profile: Option<PrefillSpec>,
}

/// `[prefill_profile]`: each run sends one request at a time (a closed loop of 1), every prompt
/// length in `lens` in turn, `repeats` times, with `output_len` tokens; the fastest TTFT of each
/// length is fitted by least squares with a polynomial of `degree` in the prompt's tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefillSpec {
    /// Prompt lengths, words of a synthetic prompt (about a token each).
    pub lens: Vec<u64>,
    #[serde(default = "three")]
    pub repeats: u64,
    #[serde(default = "two_u64")]
    pub output_len: u64,
    /// 1 (linear) or 2 (quadratic: attention's cost grows with the square of the length).
    #[serde(default = "two_u64")]
    pub degree: u64,
}

fn three() -> u64 {
    3
}
fn two_u64() -> u64 {
    2
}

/// What a capacity search looks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityGoal {
    /// At least `attainment` of the requests meet every SLO of `[slo]`.
    #[default]
    Slo,
    /// At least `attainment` of the requests have a fluidity-index ≥ `fluidity` (etalon's
    /// fluid token generation rate: 0.99 of them at ≥ 0.9).
    Fluidity,
}

/// `[capacity]`: an open-loop search of the request rate — a bracket from `start_rate` growing
/// or shrinking by `growth`, then a bisection until the bracket is within `precision`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacitySpec {
    /// Requests/s: the lowest and highest rate a probe may offer.
    pub min_rate: f64,
    pub max_rate: f64,
    /// The first probe's rate (default `min_rate`).
    #[serde(default)]
    pub start_rate: Option<f64>,
    #[serde(default)]
    pub goal: CapacityGoal,
    /// The share of requests that must meet the goal (0–1).
    #[serde(default = "point_nine")]
    pub attainment: f64,
    /// `goal = "fluidity"`: a request's fluidity-index must be at least this.
    #[serde(default = "point_nine")]
    pub fluidity: f64,
    /// Stop when (lowest failing − highest passing) / highest passing ≤ this.
    #[serde(default = "five_percent")]
    pub precision: f64,
    /// At most this many probes per configuration.
    #[serde(default = "twelve")]
    pub max_probes: u32,
    /// The bracket grows (or shrinks) by this factor per probe.
    #[serde(default = "two")]
    pub growth: f64,
    /// Each probe lasts about this long: `rate × probe_duration` requests (at least 20); without
    /// it every probe sends `workload.requests`.
    #[serde(default, with = "humantime_serde")]
    pub probe_duration: Option<Duration>,
    /// A probe is over-saturated when the server completes requests this much (a share) more
    /// slowly than they were sent: it fails, and the bracket stops growing.
    #[serde(default = "ten_percent")]
    pub saturation: f64,
    /// A probe stops sending once this many requests are in flight (the rest count as not
    /// sent, and the probe as over-saturated): an over-saturated probe ends early instead of
    /// queueing its whole schedule.
    #[serde(default)]
    pub max_in_flight: Option<usize>,
    /// `goal = "fluidity"`: take each request's TTFT deadline from this benchmark's prefill
    /// profile (`bench-<prefill>/prefill.json`): its predicted prefill plus `ttft_slack`.
    #[serde(default)]
    pub prefill: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub ttft_slack: Option<Duration>,
}

fn point_nine() -> f64 {
    0.9
}
fn five_percent() -> f64 {
    0.05
}
fn ten_percent() -> f64 {
    0.1
}
fn twelve() -> u32 {
    12
}
fn two() -> f64 {
    2.0
}

/// What serves the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    /// `vllm serve` from a repro environment (`repro env setup`).
    Vllm,
    /// Any command that starts an OpenAI-compatible server; `{port}` in its arguments and
    /// environment is replaced by the port chosen for the run, `{repro}` by this repro's path.
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
    /// Random words, request `i` with `lens[i % lens.len()]` of them: every length in turn (a
    /// prefill profile's prompts).
    Sweep { lens: Vec<u64> },
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
    /// Run each point of the matrix this many times (repeat k with seed `seed + k - 1`), each
    /// repeat a run of its own under `<label>/repeat_<k>/`; the point's `summary.json` has the
    /// spread over them (`repeats`). Left out of the key when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<u32>,
    /// Multi-turn conversations (`bench::conversation`): `requests` conversations, each turn's
    /// prompt the whole history; `rate` and `concurrency` count conversations. Left out of the
    /// key when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationSpec>,
}

/// `conversation = { … }` of a workload: the turns of each conversation and the pause between
/// a reply and the next user message. The user messages come from `prompt` (synthetic: its
/// `len` words each) or, with `file`, from a ShareGPT-style JSON file's human turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationSpec {
    /// Turns per conversation (drawn per conversation); with `file`, at most this many of its
    /// human turns (all of them when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turns: Option<LenDist>,
    /// The user's pause between a reply and their next message.
    #[serde(
        default,
        with = "humantime_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub think_time: Option<Duration>,
    /// `[{"conversations": [{"from": "human" | "gpt", "value": …}]}]` (relative to the
    /// project); conversation `i` is its entry `i` (cycling); a gpt turn's words set the
    /// preceding turn's output length unless `output_len` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
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
    /// The first token's deadline for the deadline metrics (etalon's); else `ttft`, else 100 ms.
    /// Left out of the key when unset, so runs made before it keep theirs.
    #[serde(
        default,
        with = "humantime_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub ttft_deadline: Option<Duration>,
    /// Each next token's deadline (slack carried); else `tpot`, else 50 ms.
    #[serde(
        default,
        with = "humantime_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub tbt_deadline: Option<Duration>,
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
    /// `cache = "cold" | "warm"` in the matrix: the server's compile caches (never an argument;
    /// in the key through `params`).
    #[serde(skip)]
    pub cache: Option<CacheState>,
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
        check_server(&recipe.server, at)?;
        check_cache(recipe, at)?;
        // The deadline metrics divide by the TBT deadline (the TPOT SLO where it stands in).
        for (key, value) in [
            ("ttft_deadline", recipe.slo.ttft_deadline),
            ("tbt_deadline", recipe.slo.tbt_deadline),
            ("tpot", recipe.slo.tpot),
        ] {
            if value.is_some_and(|d| d.is_zero()) {
                return Err(at(
                    &["slo", key],
                    format!("`slo.{key}` must be more than 0"),
                ));
            }
        }
        if let Some(c) = &recipe.capacity {
            check_capacity(recipe, c, &at)?;
        }
        if let Some(p) = &recipe.prefill_profile {
            if let Some((key, message)) = prefill_problem(recipe, p) {
                return Err(at(&["prefill_profile", key], message.to_string()));
            }
        }
        for run in recipe.runs() {
            check_run(recipe, run, at)?;
        }
        Ok(())
    }

    /// The rate of a capacity probe: the run of its configuration with `rate` set (in its
    /// params, label and workload) and, with `probe_duration`, `rate × probe_duration` requests.
    pub fn probe(&self, config: &BenchRun, rate: f64) -> BenchRun {
        let mut run = config.clone();
        run.params.insert("rate".into(), Scalar::Float(rate));
        run.workload.rate = Some(rate);
        if let Some(d) = self.capacity.as_ref().and_then(|c| c.probe_duration) {
            run.workload.requests = ((rate * d.as_secs_f64()).ceil() as u64).clamp(20, 1_000_000);
        }
        run.label = Combination {
            params: IndexMap::from([("rate".to_string(), Scalar::Float(rate))]),
        }
        .label();
        run
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
        if let Some(p) = &self.prefill_profile {
            // One at a time, every length in turn: the TTFT is then the prefill alone.
            workload.arrival = Arrival::Closed;
            workload.concurrency = Some(1);
            workload.requests = p.lens.len() as u64 * p.repeats;
            workload.prompt = PromptSpec::Sweep {
                lens: p.lens.clone(),
            };
            workload.output_len = Some(LenDist::Fixed {
                value: p.output_len,
            });
        }
        let label = if combination.params.is_empty() {
            "default".to_string()
        } else {
            combination.label()
        };
        let server_args = Combination { params: server }.engine_args(None);
        let cache = match combination.params.get(CACHE_PARAM) {
            Some(Scalar::Str(s)) if s == "cold" => Some(CacheState::Cold),
            Some(Scalar::Str(s)) if s == "warm" => Some(CacheState::Warm),
            _ => None,
        };
        BenchRun {
            label,
            params: combination.params,
            model,
            workload,
            server_args,
            cache,
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
        let text = BASE.replace(
            "ttft = \"200ms\"",
            "ttft = \"200ms\"\ntbt_deadline = \"0s\"",
        );
        let err = BenchRecipe::parse(Path::new("b.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`slo.tbt_deadline` must be more than 0"),
            "{err}"
        );
        let text = BASE.replace("dist = \"uniform\"", "dist = \"zipf\"");
        let err = BenchRecipe::parse(Path::new("b.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.toml:"), "{err}");
    }

    #[test]
    fn shipped_recipes_parse() {
        for (name, text) in BUILTIN {
            let path = format!("<builtin>/benchmarks/{name}.toml");
            let r = BenchRecipe::parse(Path::new(&path), text).unwrap();
            assert!(!r.runs().is_empty());
        }
    }
}
