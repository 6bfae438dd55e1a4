//! repro's offline harness (`python/offline_harness.py`, shipped in the binary): what it is
//! asked (`request.json`), what it answers (`result.json`), how it is run (the vLLM
//! environment's python, a child of `run::child`) and the summary made of its answer
//! (`offline.json`, pure arithmetic). The offline benchmark's runs (`bench::offline`) and the
//! oracle datasets (`bench::dataset`) use it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::files;
use super::measures::{percentile_sorted, Dist};
use crate::recipe::offline::{Mode, OfflineRun};
use crate::recipe::Scalar;
use crate::run::child::{ChildSpec, Ending, Stopped};
use crate::run::folder::{drive_error, DriveError};
use crate::run::Interrupt;

/// Version of the files an offline run writes.
pub const FORMAT: u32 = 1;

/// An offline run that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("the environment `{}` has no python: set it up with `repro env setup --vllm {vllm}{}`", env.display(), if *cpu { " --device cpu" } else { "" })]
    NoEnv {
        env: PathBuf,
        vllm: String,
        cpu: bool,
    },
    #[error("cannot write the harness into the cache: {0}")]
    Assets(std::io::Error),
    #[error("cannot start the harness: {0}")]
    Start(#[from] crate::run::child::ChildError),
    #[error("the harness did not finish within {}s; the end of `{}`:\n{tail}", timeout.as_secs(), log.display())]
    TimedOut {
        timeout: Duration,
        log: PathBuf,
        tail: String,
    },
    #[error("the harness failed ({ending}); the end of `{}`:\n{tail}", log.display())]
    Failed {
        ending: String,
        log: PathBuf,
        tail: String,
    },
    #[error("the harness's result `{}` is missing or malformed: {message}", path.display())]
    Result { path: PathBuf, message: String },
    /// Ctrl-C stopped it.
    #[error("interrupted")]
    Interrupted,
    /// Its folder could not be written.
    #[error(transparent)]
    Write(#[from] DriveError),
}

/// One prompt of a throughput request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptLine {
    pub prompt: String,
    pub output_len: u64,
    pub priority: Option<i64>,
}

/// `request.json`: what the harness is asked.
#[derive(Debug, Clone, Serialize)]
pub struct HarnessRequest {
    pub mode: Mode,
    pub backend: crate::recipe::offline::Backend,
    /// A local path or a hub id.
    pub model: String,
    pub served_name: String,
    pub engine_args: IndexMap<String, Scalar>,
    pub seed: u64,
    pub ignore_eos: bool,
    pub batch_size: Option<u64>,
    pub input_len: Option<u64>,
    pub output_len: Option<u64>,
    pub warmup: u32,
    pub iterations: u32,
    pub requests: Option<Vec<PromptLine>>,
    /// Whether the answers' text comes back (an oracle dataset keeps it).
    pub keep_text: bool,
}

/// One answer of a throughput run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub text: Option<String>,
}

/// `result.json`: what the harness answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HarnessResult {
    pub mode: Mode,
    /// What generated, with its version (`vllm 0.10.1.1`, `transformers 4.55.0`).
    #[serde(default)]
    pub backend: Option<String>,
    #[serde(default)]
    pub vllm_version: Option<String>,
    #[serde(default)]
    pub engine_init_s: Option<f64>,
    #[serde(default)]
    pub warmup_s: Vec<f64>,
    #[serde(default)]
    pub latencies_s: Vec<f64>,
    #[serde(default)]
    pub elapsed_s: Option<f64>,
    #[serde(default)]
    pub requests: Vec<Answer>,
}

/// Latency mode's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub batch_size: u64,
    pub input_len: u64,
    pub output_len: u64,
    pub warmup: u32,
    pub iterations: u32,
    /// One generation of the whole batch, seconds.
    pub latency_s: Dist,
    /// `benchmark_latency.py`'s percentiles (10, 25, 50, 75, 90, 99).
    pub percentiles_s: IndexMap<String, f64>,
    pub warmup_s: Vec<f64>,
    /// batch_size × output_len / mean latency.
    pub output_tokens_per_s: f64,
}

/// Throughput mode's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThroughputSummary {
    pub requests: usize,
    pub elapsed_s: f64,
    pub requests_per_s: f64,
    pub input_tokens_per_s: f64,
    pub output_tokens_per_s: f64,
    pub total_tokens_per_s: f64,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
}

/// `offline.json`: a run's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineSummary {
    pub format: u32,
    pub mode: Mode,
    pub backend: Option<String>,
    pub vllm_version: Option<String>,
    /// `vllm.LLM(...)`'s construction, seconds (the harness's clock).
    pub engine_init_s: Option<f64>,
    pub latency: Option<LatencySummary>,
    pub throughput: Option<ThroughputSummary>,
    pub definitions: IndexMap<String, String>,
}

/// The summary of a harness's result: pure arithmetic.
pub fn summarize(run: &OfflineRun, result: &HarnessResult) -> OfflineSummary {
    let o = &run.offline;
    let latency = (result.mode == Mode::Latency).then(|| {
        let mut sorted = result.latencies_s.clone();
        sorted.sort_by(f64::total_cmp);
        let percentiles_s = [10, 25, 50, 75, 90, 99]
            .iter()
            .filter_map(|p| percentile_sorted(&sorted, *p as f64).map(|v| (p.to_string(), v)))
            .collect();
        let dist = Dist::of(result.latencies_s.clone());
        let tokens = (o.batch_size.unwrap_or(0) * o.output_len.unwrap_or(0)) as f64;
        LatencySummary {
            batch_size: o.batch_size.unwrap_or(0),
            input_len: o.input_len.unwrap_or(0),
            output_len: o.output_len.unwrap_or(0),
            warmup: o.warmup,
            iterations: o.iterations,
            output_tokens_per_s: dist.mean.filter(|m| *m > 0.0).map_or(0.0, |m| tokens / m),
            latency_s: dist,
            percentiles_s,
            warmup_s: result.warmup_s.clone(),
        }
    });
    let throughput = (result.mode == Mode::Throughput).then(|| {
        let elapsed = result.elapsed_s.unwrap_or(0.0);
        let per_s = |x: f64| if elapsed > 0.0 { x / elapsed } else { 0.0 };
        let prompt: u64 = result.requests.iter().map(|a| a.prompt_tokens).sum();
        let output: u64 = result.requests.iter().map(|a| a.output_tokens).sum();
        ThroughputSummary {
            requests: result.requests.len(),
            elapsed_s: elapsed,
            requests_per_s: per_s(result.requests.len() as f64),
            input_tokens_per_s: per_s(prompt as f64),
            output_tokens_per_s: per_s(output as f64),
            total_tokens_per_s: per_s((prompt + output) as f64),
            prompt_tokens: prompt,
            output_tokens: output,
        }
    });
    let definitions: IndexMap<String, String> = [
        ("latency_s", "one LLM.generate of the whole batch (random token ids of input_len, max_tokens = output_len), seconds, after `warmup` untimed ones"),
        ("percentiles", "linear interpolation between nearest ranks (numpy default)"),
        ("elapsed_s", "one LLM.generate of every request, from the call to its return, seconds"),
        ("throughput", "requests, prompt tokens, output tokens (each as the engine counted them) / elapsed_s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    OfflineSummary {
        format: FORMAT,
        mode: result.mode,
        backend: result.backend.clone(),
        vllm_version: result.vllm_version.clone(),
        engine_init_s: result.engine_init_s,
        latency,
        throughput,
        definitions,
    }
}

/// Where and how the harness runs.
pub struct Harness<'a> {
    pub python: PathBuf,
    pub cache: &'a Path,
    pub vllm: &'a str,
    pub device: crate::config::machines::Device,
    pub env: &'a IndexMap<String, String>,
    pub timeout: Duration,
    pub guard: Option<&'a Path>,
}

impl Harness<'_> {
    /// Run the harness on `request` in `dir` (its `request.json`, `result.json`, `harness.log`).
    pub fn run(
        &self,
        request: &HarnessRequest,
        dir: &Path,
        interrupt: &Interrupt,
    ) -> Result<HarnessResult, OfflineError> {
        // Absolute: the harness is a child process, which may change its folder.
        let request_path = crate::sys::absolute(&dir.join("request.json"));
        let result_path = crate::sys::absolute(&dir.join("result.json"));
        files::write(dir, "request.json", files::pretty(request).as_bytes())?;
        let files = crate::assets::install(self.cache, &[crate::assets::OFFLINE_HARNESS])
            .map_err(OfflineError::Assets)?;
        let script = vec![
            files
                .join(crate::assets::OFFLINE_HARNESS.0)
                .into_os_string(),
            request_path.into_os_string(),
            result_path.clone().into_os_string(),
        ];
        let log_path = dir.join("harness.log");
        let log = std::fs::File::create(&log_path).map_err(drive_error(&log_path))?;
        let outcome = crate::run::child::run(&self.spec(script), log, &mut |_| {}, interrupt)?;
        let tail = || crate::artifacts::tail_lines(&log_path, 20).join("\n");
        match outcome.stopped {
            Stopped::Interrupted => return Err(OfflineError::Interrupted),
            Stopped::TimedOut => {
                return Err(OfflineError::TimedOut {
                    timeout: self.timeout,
                    log: log_path.clone(),
                    tail: tail(),
                })
            }
            Stopped::No => {}
        }
        if outcome.ending != Ending::Exited(0) {
            return Err(OfflineError::Failed {
                ending: match outcome.ending {
                    Ending::Exited(c) => format!("exit status {c}"),
                    Ending::Signaled(s) => format!("signal {s}"),
                },
                log: log_path.clone(),
                tail: tail(),
            });
        }
        read_result(&result_path, request.mode)
    }

    /// The harness's command: the python on the script, under the guard where there is one;
    /// the recipe's environment over repro's defaults for the engine.
    fn spec(&self, script: Vec<std::ffi::OsString>) -> ChildSpec {
        let mut env: IndexMap<String, String> =
            crate::env::harness::engine_env(self.cache, self.vllm, self.device, 4)
                .into_iter()
                .collect();
        env.extend(self.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        let grace = Duration::from_secs(10);
        let launched =
            crate::run::guard::Launched::of(self.guard, grace, self.python.clone(), script);
        ChildSpec {
            program: launched.program,
            args: launched.args,
            env: env.into_iter().collect(),
            timeout: self.timeout,
            grace,
            stderr: None,
            death_signal: launched.death_signal,
        }
    }
}

/// `result.json`, read back: the answer to a request of `mode`.
fn read_result(path: &Path, mode: Mode) -> Result<HarnessResult, OfflineError> {
    let parsed = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice::<HarnessResult>(&b).map_err(|e| e.to_string()));
    match parsed {
        Ok(r) if r.mode != mode => Err(OfflineError::Result {
            path: path.to_path_buf(),
            message: format!(
                "it answers {} mode, {} was asked",
                r.mode.name(),
                mode.name()
            ),
        }),
        Ok(r) => Ok(r),
        Err(message) => Err(OfflineError::Result {
            path: path.to_path_buf(),
            message,
        }),
    }
}
