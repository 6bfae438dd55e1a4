//! The fake engine (`repro __fake-engine <engine args>`): writes the log vLLM 0.10.1.1 writes
//! with the paper's patches and logging config, line for line where the parser reads it, so the
//! runner, resume, samplers and tables can be exercised without Python or a GPU.
//!
//! Stage durations scale with the model's facts in `models.toml` (size, layers, tokenizer,
//! compiled graphs; calibrated on the published Qwen-4B log of figure 10) and get a seeded
//! ±4% jitter. Timestamps start at the real clock and advance by those durations; the process
//! itself sleeps only `duration / REPRO_FAKE_SPEEDUP` (default 600, ~50 ms a run).
//!
//! It honours `TORCH_COMPILE_DISABLE` (no compile lines), `--cuda-graph-sizes` (one capture per
//! batch size), `--enforce-eager` (no capture), `--load-format` and a cold page cache
//! (`REPRO_PAGE_CACHE_EVICTED=1`). Failures on request, each a comma-separated list of patterns
//! matched against the run label (`REPRO_RUN_LABEL`; `*` matches all, `label@2` only iteration 2):
//! `REPRO_FAKE_FAIL` (traceback, exit 1), `REPRO_FAKE_CRASH` (SIGKILL itself half way),
//! `REPRO_FAKE_HANG` (sleeps forever), `REPRO_FAKE_FLAKY` (fails when `REPRO_ATTEMPT` is 1).

use std::io::Write;
use std::time::{Duration, SystemTime};

use crate::config::Models;

pub const DEFAULT_SPEEDUP: f64 = 600.0;

/// What the fake engine was asked to do, from its arguments and environment.
#[derive(Debug, Clone)]
pub struct FakeRequest {
    pub model_path: String,
    pub cuda_graph_sizes: Option<Vec<u32>>,
    pub load_format: String,
    pub enforce_eager: bool,
    pub compile_disabled: bool,
    pub evicted: bool,
    pub warmup: bool,
    /// `VLLM_DISABLE_COMPILE_CACHE`: every run compiles its graphs (figure 15).
    pub compile_cache_disabled: bool,
    /// The runner samples CPU usage beside this run (figure 12): last long enough to be seen.
    pub cpu_sampled: bool,
    pub speedup: f64,
    pub seed: u64,
    pub failure: Option<Failure>,
}

/// A failure asked for by the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Fail,
    Crash,
    Hang,
}

/// Does `patterns` (comma-separated) name this run?
pub fn matches(patterns: &str, label: &str, iteration: &str) -> bool {
    patterns
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .any(|pattern| {
            let (name, at) = match pattern.split_once('@') {
                Some((name, at)) => (name, Some(at)),
                None => (pattern, None),
            };
            (name == "*" || label.contains(name)) && at.is_none_or(|at| at == iteration)
        })
}

impl FakeRequest {
    /// Read the engine arguments (vLLM's flags; unknown ones are ignored) and the environment.
    pub fn from_args(args: &[String], env: &dyn Fn(&str) -> Option<String>) -> FakeRequest {
        let mut model_path = "facebook/opt-125m".to_string();
        let mut sizes = None;
        let mut load_format = "auto".to_string();
        let mut enforce_eager = false;
        let mut i = 0;
        while i < args.len() {
            let flag = args[i].replace('_', "-");
            let values: Vec<&String> = args[i + 1..]
                .iter()
                .take_while(|a| !a.starts_with("--"))
                .collect();
            match flag.as_str() {
                "--model" => {
                    if let Some(v) = values.first() {
                        model_path = v.to_string();
                    }
                }
                "--cuda-graph-sizes" => {
                    sizes = Some(values.iter().filter_map(|v| v.parse().ok()).collect());
                }
                "--load-format" => {
                    if let Some(v) = values.first() {
                        load_format = v.to_string();
                    }
                }
                "--enforce-eager" => enforce_eager = true,
                _ => {}
            }
            i += 1 + values.len();
        }
        let label = env("REPRO_RUN_LABEL").unwrap_or_default();
        let iteration = env("REPRO_ITERATION").unwrap_or_default();
        let attempt = env("REPRO_ATTEMPT").unwrap_or_else(|| "1".into());
        let asked = |var: &str| env(var).is_some_and(|p| matches(&p, &label, &iteration));
        let failure = if asked("REPRO_FAKE_HANG") {
            Some(Failure::Hang)
        } else if asked("REPRO_FAKE_CRASH") {
            Some(Failure::Crash)
        } else if asked("REPRO_FAKE_FAIL") || (asked("REPRO_FAKE_FLAKY") && attempt == "1") {
            Some(Failure::Fail)
        } else {
            None
        };
        let seed_text = format!(
            "{}|{}|{iteration}|{attempt}|{}",
            env("REPRO_TASK_KEY").unwrap_or_default(),
            args.join(" "),
            label
        );
        let seed = u64::from_le_bytes(
            blake3::hash(seed_text.as_bytes()).as_bytes()[..8]
                .try_into()
                .expect("8 bytes"),
        );
        let truthy = |var: &str| env(var).is_some_and(|v| !v.is_empty() && v != "0");
        FakeRequest {
            model_path,
            cuda_graph_sizes: sizes,
            load_format,
            enforce_eager,
            compile_disabled: truthy("TORCH_COMPILE_DISABLE"),
            evicted: truthy("REPRO_PAGE_CACHE_EVICTED"),
            warmup: iteration == "warmup",
            // A cold compile cache (`cache = "cold"`) compiles as the cache-less run does.
            compile_cache_disabled: truthy("VLLM_DISABLE_COMPILE_CACHE")
                || std::env::var("REPRO_CACHE_STATE").is_ok_and(|v| v == "cold"),
            cpu_sampled: truthy("REPRO_CPU_SAMPLED"),
            speedup: env("REPRO_FAKE_SPEEDUP")
                .and_then(|s| s.parse().ok())
                .filter(|s: &f64| *s > 0.0)
                .unwrap_or(DEFAULT_SPEEDUP),
            seed,
            failure,
        }
    }

    fn model_name(&self) -> &str {
        self.model_path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
    }
}

/// The facts durations are scaled from (Qwen-4B's where the model is unknown).
#[derive(Debug, Clone, Copy)]
struct Facts {
    size: f64,
    layers: f64,
    tokenizer_mb: f64,
    graph_kb: f64,
}

fn facts(models: &Models, name: &str) -> Facts {
    models.get(name).map_or(
        Facts {
            size: 4.0,
            layers: 40.0,
            tokenizer_mb: 6.8,
            graph_kb: 1261.0,
        },
        |m| Facts {
            size: m.size,
            layers: m.layers as f64,
            tokenizer_mb: m.tokenizer_size,
            graph_kb: m.compiled_graph_sizes,
        },
    )
}

/// vLLM 0.10.1's capture sizes for `--cuda-graph-sizes`: one value N means 1, 2, 4 and every
/// multiple of 8 up to N; several values are the sizes themselves. Default N = 256 (35 sizes).
pub fn capture_sizes(arg: Option<&[u32]>) -> Vec<u32> {
    let mut sizes: Vec<u32> = match arg {
        Some([n]) => [1, 2, 4]
            .into_iter()
            .filter(|s| s <= n)
            .chain((8..=*n).step_by(8))
            .collect(),
        Some(list) if !list.is_empty() => list.to_vec(),
        _ => capture_sizes(Some(&[256])),
    };
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes.dedup();
    sizes
}

/// A deterministic jitter source (splitmix64).
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `seconds` ± 4%.
    fn scale(&mut self, seconds: f64) -> f64 {
        seconds * (0.96 + 0.08 * self.next())
    }
}

/// The log writer: a virtual clock that advances by stage durations, real sleeps scaled down.
struct Clock<'a> {
    now: SystemTime,
    speedup: f64,
    out: &'a mut dyn Write,
    core_prefix: String,
}

impl Clock<'_> {
    fn advance(&mut self, seconds: f64) -> std::io::Result<()> {
        let d = Duration::from_secs_f64(seconds.max(0.0));
        self.now += d;
        self.out.flush()?;
        std::thread::sleep(d.div_f64(self.speedup));
        Ok(())
    }

    fn stamp(&self) -> String {
        // `2026-11-23T12:43:19.123Z` → `11-23 12:43:19.123`, vLLM's format.
        let text = humantime::format_rfc3339_millis(self.now).to_string();
        format!("{} {}", &text[5..10], &text[11..23])
    }

    fn line(&mut self, level: &str, file: &str, message: &str) -> std::io::Result<()> {
        let stamp = self.stamp();
        writeln!(self.out, "{level} {stamp} [{file}] {message}")
    }

    fn core(&mut self, level: &str, file: &str, message: &str) -> std::io::Result<()> {
        let stamp = self.stamp();
        writeln!(
            self.out,
            "{}{level} {stamp} [{file}] {message}",
            self.core_prefix
        )
    }
}

/// How a fake run ended (the caller exits with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeExit {
    Success,
    Failed,
}

/// Fixed lines of a stage, as `(level, file, message)`: written one after another.
type Lines = [(&'static str, &'static str, &'static str)];

/// The front end's first lines, before platform detection takes its time.
const PLATFORM_CHECK: &Lines = &[
    (
        "DEBUG",
        "__init__.py:28",
        "No plugins for group vllm.platform_plugins found.",
    ),
    (
        "DEBUG",
        "__init__.py:58",
        "Checking if CUDA platform is available.",
    ),
];
const PLATFORM_FOUND: &Lines = &[
    (
        "DEBUG",
        "__init__.py:78",
        "Confirmed CUDA platform is available.",
    ),
    (
        "INFO",
        "__init__.py:241",
        "Automatically detected platform cuda.",
    ),
];
const PLUGINS: &Lines = &[
    ("DEBUG", "__init__.py:36", "Available plugins for group vllm.general_plugins:"),
    ("DEBUG", "__init__.py:38", "- lora_filesystem_resolver -> vllm.plugins.lora_resolvers.filesystem_resolver:register_filesystem_resolver"),
    ("DEBUG", "__init__.py:41", "All plugins in this group will be loaded. Set `VLLM_PLUGINS` to control which plugins to load."),
];
const ENGINE_CONFIG: &Lines = &[
    ("INFO", "__init__.py:1750", "Using max model len 32768"),
    (
        "INFO",
        "scheduler.py:222",
        "Chunked prefill is enabled with max_num_batched_tokens=2048.",
    ),
    (
        "DEBUG",
        "llm_engine.py:154",
        "Enabling multiprocessing for LLMEngine.",
    ),
];
const KV_CACHE: &Lines = &[
    (
        "INFO",
        "gpu_worker.py:276",
        "Available KV cache memory: 75.57 GiB",
    ),
    (
        "INFO",
        "kv_cache_utils.py:849",
        "GPU KV cache size: 198,080 tokens",
    ),
];

/// One fake engine start: the virtual clock, the jitter, the model's facts.
struct Script<'a, 'o> {
    c: Clock<'o>,
    j: Jitter,
    f: Facts,
    req: &'a FakeRequest,
}

impl Script<'_, '_> {
    fn lines(&mut self, lines: &Lines) -> std::io::Result<()> {
        for (level, file, message) in lines {
            self.c.line(level, file, message)?;
        }
        Ok(())
    }

    /// Detect platform, imports, engine config and tokenizer (the front-end process).
    fn front_end(&mut self) -> std::io::Result<SystemTime> {
        self.lines(PLATFORM_CHECK)?;
        self.c.advance(self.j.scale(0.034))?;
        self.lines(PLATFORM_FOUND)?;
        self.c.advance(self.j.scale(1.48))?;
        self.lines(PLUGINS)?;
        let engine_start = self.c.now;
        if self.req.failure == Some(Failure::Hang) {
            self.c.out.flush()?;
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        self.c.advance(self.j.scale(5.2 + 0.02 * self.f.size))?;
        self.lines(ENGINE_CONFIG)?;
        let tokenizer = self.j.scale(0.05 + 0.03 * self.f.tokenizer_mb);
        self.c.advance(tokenizer)?;
        let message = format!("NEW: Init Tokenizer took {tokenizer:.2} seconds");
        self.c.line("INFO", "llm_engine.py:95", &message)?;
        Ok(engine_start)
    }

    /// The engine core starts; a crash on request ends the log here, half way.
    fn worker_start(&mut self) -> std::io::Result<()> {
        let (model, req) = (&self.req.model_path, self.req);
        self.c.advance(0.018)?;
        self.c.core(
            "INFO",
            "core.py:636",
            "Waiting for init message from front-end.",
        )?;
        self.c.line(
            "DEBUG",
            "utils.py:831",
            "HELLO from local core engine process 0.",
        )?;
        let eager = if req.enforce_eager { "True" } else { "False" };
        self.c.core("INFO", "core.py:74", &format!("Initializing a V1 LLM engine (v0.10.1.1) with config: model='{model}', tokenizer='{model}', load_format={}, enforce_eager={eager}", req.load_format))?;
        if req.failure == Some(Failure::Crash) {
            self.c.out.flush()?;
            // Half way: the log ends mid-run, as a killed engine's does.
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
        }
        self.c.advance(self.j.scale(1.78))?;
        let starting = format!("Starting to load model {model}...");
        self.c.core("INFO", "gpu_model_runner.py:1953", &starting)?;
        self.c.core(
            "INFO",
            "gpu_model_runner.py:1985",
            "Loading model from scratch...",
        )?;
        self.c.core(
            "INFO",
            "cuda.py:328",
            "Using Flash Attention backend on V1 engine.",
        )
    }

    /// Model init and weights; `None` where a failure on request ended the run.
    fn load(&mut self) -> std::io::Result<Option<f64>> {
        let model_init = self.j.scale(0.13 * self.f.layers / 40.0);
        self.c.advance(model_init)?;
        let message = format!("NEW: Initializing Model took {model_init:.2} seconds");
        self.c.core("INFO", "base_loader.py:48", &message)?;
        self.c
            .core("DEBUG", "base_loader.py:50", "Loading weights on cuda ...")?;
        if self.req.failure == Some(Failure::Fail) {
            self.traceback()?;
            return Ok(None);
        }
        let gib = self.f.size * 1.854;
        let rate = match self.req.load_format.as_str() {
            "runai_streamer" => 11.0,
            "tensorizer" => 14.0,
            _ => 7.6,
        } / if self.req.evicted { 1.65 } else { 1.0 };
        let load = self.j.scale(gib / rate + 0.02);
        self.c.advance(load)?;
        let message = format!("Loading weights took {load:.2} seconds");
        self.c.core("INFO", "default_loader.py:262", &message)?;
        let loading = model_init + load + self.j.scale(0.004);
        self.c.advance(0.44)?;
        let message = format!("Model loading took {gib:.4} GiB and {loading:.6} seconds");
        self.c.core("INFO", "gpu_model_runner.py:2007", &message)?;
        Ok(Some(gib))
    }

    /// The engine core fails to start, as vLLM's does: a traceback.
    fn traceback(&mut self) -> std::io::Result<()> {
        self.c.advance(0.2)?;
        let c = &mut self.c;
        writeln!(
            c.out,
            "{}ERROR {} [core.py:700] EngineCore failed to start.",
            c.core_prefix,
            c.stamp()
        )?;
        writeln!(c.out, "Traceback (most recent call last):")?;
        writeln!(c.out, "  File \"engine_harness.py\", line 60, in <module>")?;
        writeln!(c.out, "    main(args)")?;
        writeln!(c.out, "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {{}}")?;
        c.out.flush()
    }

    /// torch.compile: compiled on the warm-up run, loaded from the cache afterwards. Returns
    /// the compile time and the time to load cached graphs.
    fn compile(&mut self) -> std::io::Result<(f64, f64)> {
        let (mut total, mut cached) = (0.0, 0.0);
        if self.req.compile_disabled {
            return Ok((total, cached));
        }
        let layers = self.f.layers;
        let dynamo = self.j.scale(0.177 * layers);
        self.c.advance(dynamo)?;
        let message = format!("Dynamo bytecode transform time: {dynamo:.2} s");
        self.c.core("INFO", "backends.py:559", &message)?;
        total = dynamo;
        if self.req.warmup || self.req.compile_cache_disabled {
            let compile = self.j.scale(0.03 * self.f.graph_kb);
            self.c.advance(compile)?;
            let message = format!("Compiling a graph for dynamic shape takes {compile:.2} s");
            self.c.core("INFO", "backends.py:215", &message)?;
            total += compile;
        } else {
            cached = self.j.scale(0.00456 * self.f.graph_kb);
            let per_graph = cached / (layers + 1.0);
            for n in 0..=(layers as u32) {
                self.c.advance(per_graph)?;
                self.c.core("DEBUG", "backends.py:124", &format!("Directly load the {n}-th graph for dynamic shape from inductor via handle ('fake', '/tmp/fake-inductor-cache/{n}.py')"))?;
            }
            self.c.core("INFO", "backends.py:161", &format!("Directly load the compiled graph(s) for dynamic shape from the cache, took {cached:.3} s"))?;
        }
        self.c.advance(0.85)?;
        let message = format!("torch.compile takes {total:.2} s in total");
        self.c.core("INFO", "monitor.py:34", &message)?;
        Ok((total, cached))
    }

    /// KV cache profiling (its logged time includes torch.compile, as vLLM's does).
    fn kv_profiling(&mut self, gib: f64, (compile, cached): (f64, f64)) -> std::io::Result<f64> {
        let kv = self.j.scale(0.5 + 0.35 * self.f.size);
        self.c.advance(kv)?;
        let monitor = if self.req.compile_disabled { 0.0 } else { 0.85 };
        let profiling = kv + compile + cached + monitor;
        self.c.core("DEBUG", "gpu_worker.py:275", &format!("Memory profiling takes {profiling:.2} seconds. Total non KV cache memory: {:.2}GiB; weights memory: {gib:.2}GiB.", gib + 0.8))?;
        for (level, file, message) in KV_CACHE {
            self.c.core(level, file, message)?;
        }
        Ok(profiling)
    }

    /// CUDA graph capture, one graph per batch size.
    fn graph_capture(&mut self) -> std::io::Result<f64> {
        let mut capture = 0.0;
        if self.req.enforce_eager {
            return Ok(capture);
        }
        let per_size = 0.038 * (self.f.layers / 40.0).sqrt();
        for size in capture_sizes(self.req.cuda_graph_sizes.as_deref()) {
            let d = self.j.scale(per_size);
            capture += d;
            self.c.advance(d)?;
            self.c.core("DEBUG", "cuda_graph.py:134", &format!("Capturing a cudagraph on (PIECEWISE,BatchDescriptor(num_tokens={size}, uniform_decode=False))"))?;
        }
        let message = format!("Graph capturing finished in {capture:.2} secs, took 0.35 GiB");
        self.c.core("INFO", "gpu_model_runner.py:2708", &message)?;
        Ok(capture)
    }

    /// The engine is ready, does nothing, and the harness says how long it took.
    fn ready(&mut self, init_engine: f64, engine_start: SystemTime) -> std::io::Result<()> {
        self.c.advance(0.01)?;
        let message = format!(
            "init engine (profile, create kv cache, warmup model) took {init_engine:.2} seconds"
        );
        self.c.core("INFO", "core.py:214", &message)?;
        self.c.advance(0.25)?;
        self.c.line(
            "DEBUG",
            "utils.py:831",
            "READY from local core engine process 0.",
        )?;
        self.c
            .core("DEBUG", "core.py:728", "EngineCore waiting for work.")?;
        self.c.advance(0.14)?;
        self.c.core("DEBUG", "core.py:696", "EngineCore exiting.")?;
        let took = self.c.now.duration_since(engine_start).unwrap_or_default();
        writeln!(
            self.c.out,
            "initialize_engine took {:.2} seconds",
            took.as_secs_f64()
        )?;
        self.c.out.flush()
    }
}

/// Write the log of one engine start to `out`: the stages in vLLM's order, each advancing the
/// virtual clock by its (jittered) duration.
pub fn run(req: &FakeRequest, models: &Models, out: &mut dyn Write) -> std::io::Result<FakeExit> {
    let real_start = std::time::Instant::now();
    let pid = std::process::id() + 1;
    let mut s = Script {
        c: Clock {
            now: SystemTime::now(),
            speedup: req.speedup,
            out,
            core_prefix: format!("\x1b[1;36m(EngineCore_0 pid={pid})\x1b[0;0m "),
        },
        j: Jitter(req.seed),
        f: facts(models, req.model_name()),
        req,
    };
    let engine_start = s.front_end()?;
    s.worker_start()?;
    let Some(gib) = s.load()? else {
        return Ok(FakeExit::Failed);
    };
    let compile = s.compile()?;
    let profiling = s.kv_profiling(gib, compile)?;
    let capture = s.graph_capture()?;
    let init_engine = profiling + capture + s.j.scale(0.5);
    s.ready(init_engine, engine_start)?;
    if req.cpu_sampled {
        // The 10 Hz sampler needs a few ticks to draw figure 12 from a sped-up run.
        std::thread::sleep(Duration::from_millis(350).saturating_sub(real_start.elapsed()));
    }
    Ok(FakeExit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_text, Stage};

    fn request(args: &[&str], env: &[(&str, &str)]) -> FakeRequest {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut req = FakeRequest::from_args(&args, &|k| {
            env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
        });
        req.speedup = 1e6;
        req
    }

    fn log(req: &FakeRequest) -> String {
        let models = crate::project::Project::new("/nonexistent")
            .models()
            .unwrap();
        let mut out = Vec::new();
        run(req, &models, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_log_parses_into_every_stage() {
        let text = log(&request(
            &["--model", "models/qwen-4b"],
            &[("REPRO_ITERATION", "1")],
        ));
        let parsed = parse_text(&text).unwrap();
        for stage in [
            Stage::DetectPlatform,
            Stage::LlmImports,
            Stage::GetModelInfo,
            Stage::WorkerInit,
            Stage::TokenizerInit,
            Stage::ModelInit,
            Stage::LoadWeights,
            Stage::ModelLoading,
            Stage::DynamoTransformTime,
            Stage::GraphCompileCached,
            Stage::TorchCompile,
            Stage::KvCacheProfiling,
            Stage::GraphCapturing,
            Stage::InitEngine,
        ] {
            assert!(
                parsed.stages.get(stage).is_some(),
                "{stage:?} missing:\n{text}"
            );
        }
        assert!(parsed.initialize_engine.unwrap() > 10.0);
        assert_eq!(parsed.vllm_version.as_deref(), Some("0.10.1.1"));
    }

    #[test]
    fn compile_disabled_has_no_compile_lines() {
        let text = log(&request(
            &["--model", "m/qwen-4b"],
            &[("TORCH_COMPILE_DISABLE", "1")],
        ));
        assert!(!text.contains("torch.compile takes"));
        assert!(!text.contains("Dynamo bytecode"));
        assert!(text.contains("Graph capturing finished"));
    }

    #[test]
    fn more_batch_sizes_capture_longer() {
        let capture = |n: &str| {
            let text = log(&request(
                &["--model", "m/llama2-7b-hf", "--cuda-graph-sizes", n],
                &[],
            ));
            let parsed = parse_text(&text).unwrap();
            parsed.stages.get(Stage::GraphCapturing).unwrap().as_f64()
        };
        assert!(capture("456") > 5.0 * capture("56"));
        assert_eq!(capture_sizes(Some(&[1])), vec![1]);
        assert_eq!(capture_sizes(Some(&[56])).len(), 10);
        assert_eq!(capture_sizes(None).len(), 35);
    }

    #[test]
    fn failure_patterns_match_labels_and_iterations() {
        assert!(matches("*", "model_x", "1"));
        assert!(matches("qwen, yi-6b", "model_yi-6b", "1"));
        assert!(!matches("yi-9b", "model_yi-6b", "1"));
        assert!(matches("yi@2", "model_yi-6b", "2"));
        assert!(!matches("yi@2", "model_yi-6b", "3"));
        let req = request(
            &["--model", "m/x"],
            &[("REPRO_FAKE_FLAKY", "*"), ("REPRO_ATTEMPT", "2")],
        );
        assert_eq!(req.failure, None);
        let req = request(
            &["--model", "m/x"],
            &[("REPRO_FAKE_FLAKY", "*"), ("REPRO_ATTEMPT", "1")],
        );
        assert_eq!(req.failure, Some(Failure::Fail));
    }
}
