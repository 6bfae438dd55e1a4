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

/// Write the log of one engine start to `out`.
pub fn run(req: &FakeRequest, models: &Models, out: &mut dyn Write) -> std::io::Result<FakeExit> {
    let f = facts(models, req.model_name());
    let mut j = Jitter(req.seed);
    let pid = std::process::id() + 1;
    let mut c = Clock {
        now: SystemTime::now(),
        speedup: req.speedup,
        out,
        core_prefix: format!("\x1b[1;36m(EngineCore_0 pid={pid})\x1b[0;0m "),
    };
    let model = req.model_path.clone();
    let crash_half = req.failure == Some(Failure::Crash);

    // Detect platform, imports, model info (front-end process).
    c.line(
        "DEBUG",
        "__init__.py:28",
        "No plugins for group vllm.platform_plugins found.",
    )?;
    c.line(
        "DEBUG",
        "__init__.py:58",
        "Checking if CUDA platform is available.",
    )?;
    c.advance(j.scale(0.034))?;
    c.line(
        "DEBUG",
        "__init__.py:78",
        "Confirmed CUDA platform is available.",
    )?;
    c.line(
        "INFO",
        "__init__.py:241",
        "Automatically detected platform cuda.",
    )?;
    c.advance(j.scale(1.48))?;
    c.line(
        "DEBUG",
        "__init__.py:36",
        "Available plugins for group vllm.general_plugins:",
    )?;
    c.line("DEBUG", "__init__.py:38", "- lora_filesystem_resolver -> vllm.plugins.lora_resolvers.filesystem_resolver:register_filesystem_resolver")?;
    c.line("DEBUG", "__init__.py:41", "All plugins in this group will be loaded. Set `VLLM_PLUGINS` to control which plugins to load.")?;
    let engine_start = c.now;
    if req.failure == Some(Failure::Hang) {
        c.out.flush()?;
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    c.advance(j.scale(5.2 + 0.02 * f.size))?;
    c.line("INFO", "__init__.py:1750", "Using max model len 32768")?;
    c.line(
        "INFO",
        "scheduler.py:222",
        "Chunked prefill is enabled with max_num_batched_tokens=2048.",
    )?;
    c.line(
        "DEBUG",
        "llm_engine.py:154",
        "Enabling multiprocessing for LLMEngine.",
    )?;
    let tokenizer = j.scale(0.05 + 0.03 * f.tokenizer_mb);
    c.advance(tokenizer)?;
    c.line(
        "INFO",
        "llm_engine.py:95",
        &format!("NEW: Init Tokenizer took {tokenizer:.2} seconds"),
    )?;

    // Worker start (engine core process).
    c.advance(0.018)?;
    c.core(
        "INFO",
        "core.py:636",
        "Waiting for init message from front-end.",
    )?;
    c.line(
        "DEBUG",
        "utils.py:831",
        "HELLO from local core engine process 0.",
    )?;
    c.core("INFO", "core.py:74", &format!("Initializing a V1 LLM engine (v0.10.1.1) with config: model='{model}', tokenizer='{model}', load_format={}, enforce_eager={}", req.load_format, if req.enforce_eager { "True" } else { "False" }))?;
    if crash_half {
        c.out.flush()?;
        // Half way: the log ends mid-run, as a killed engine's does.
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
    c.advance(j.scale(1.78))?;
    c.core(
        "INFO",
        "gpu_model_runner.py:1953",
        &format!("Starting to load model {model}..."),
    )?;
    c.core(
        "INFO",
        "gpu_model_runner.py:1985",
        "Loading model from scratch...",
    )?;
    c.core(
        "INFO",
        "cuda.py:328",
        "Using Flash Attention backend on V1 engine.",
    )?;

    // Model init and weights.
    let model_init = j.scale(0.13 * f.layers / 40.0);
    c.advance(model_init)?;
    c.core(
        "INFO",
        "base_loader.py:48",
        &format!("NEW: Initializing Model took {model_init:.2} seconds"),
    )?;
    c.core("DEBUG", "base_loader.py:50", "Loading weights on cuda ...")?;
    if req.failure == Some(Failure::Fail) {
        c.advance(0.2)?;
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
        c.out.flush()?;
        return Ok(FakeExit::Failed);
    }
    let gib = f.size * 1.854;
    let rate = match req.load_format.as_str() {
        "runai_streamer" => 11.0,
        "tensorizer" => 14.0,
        _ => 7.6,
    } / if req.evicted { 1.65 } else { 1.0 };
    let load = j.scale(gib / rate + 0.02);
    c.advance(load)?;
    c.core(
        "INFO",
        "default_loader.py:262",
        &format!("Loading weights took {load:.2} seconds"),
    )?;
    let loading = model_init + load + j.scale(0.004);
    c.advance(0.44)?;
    c.core(
        "INFO",
        "gpu_model_runner.py:2007",
        &format!("Model loading took {gib:.4} GiB and {loading:.6} seconds"),
    )?;

    // torch.compile: compiled on the warm-up run, loaded from the cache afterwards.
    let mut compile_total = 0.0;
    let mut cached = 0.0;
    if !req.compile_disabled {
        let dynamo = j.scale(0.177 * f.layers);
        c.advance(dynamo)?;
        c.core(
            "INFO",
            "backends.py:559",
            &format!("Dynamo bytecode transform time: {dynamo:.2} s"),
        )?;
        compile_total = dynamo;
        if req.warmup {
            let compile = j.scale(0.03 * f.graph_kb);
            c.advance(compile)?;
            c.core(
                "INFO",
                "backends.py:215",
                &format!("Compiling a graph for dynamic shape takes {compile:.2} s"),
            )?;
            compile_total += compile;
        } else {
            cached = j.scale(0.00456 * f.graph_kb);
            let per_graph = cached / (f.layers + 1.0);
            for n in 0..=(f.layers as u32) {
                c.advance(per_graph)?;
                c.core("DEBUG", "backends.py:124", &format!("Directly load the {n}-th graph for dynamic shape from inductor via handle ('fake', '/tmp/fake-inductor-cache/{n}.py')"))?;
            }
            c.core("INFO", "backends.py:161", &format!("Directly load the compiled graph(s) for dynamic shape from the cache, took {cached:.3} s"))?;
        }
        c.advance(0.85)?;
        c.core(
            "INFO",
            "monitor.py:34",
            &format!("torch.compile takes {compile_total:.2} s in total"),
        )?;
    }

    // KV cache profiling (its logged time includes torch.compile, as vLLM's does).
    let kv = j.scale(0.5 + 0.35 * f.size);
    c.advance(kv)?;
    let profiling = kv + compile_total + cached + if req.compile_disabled { 0.0 } else { 0.85 };
    c.core("DEBUG", "gpu_worker.py:275", &format!("Memory profiling takes {profiling:.2} seconds. Total non KV cache memory: {:.2}GiB; weights memory: {gib:.2}GiB.", gib + 0.8))?;
    c.core(
        "INFO",
        "gpu_worker.py:276",
        "Available KV cache memory: 75.57 GiB",
    )?;
    c.core(
        "INFO",
        "kv_cache_utils.py:849",
        "GPU KV cache size: 198,080 tokens",
    )?;

    // CUDA graph capture, one graph per batch size.
    let mut capture = 0.0;
    if !req.enforce_eager {
        let per_size = 0.038 * (f.layers / 40.0).sqrt();
        for size in capture_sizes(req.cuda_graph_sizes.as_deref()) {
            let d = j.scale(per_size);
            capture += d;
            c.advance(d)?;
            c.core("DEBUG", "cuda_graph.py:134", &format!("Capturing a cudagraph on (PIECEWISE,BatchDescriptor(num_tokens={size}, uniform_decode=False))"))?;
        }
        c.core(
            "INFO",
            "gpu_model_runner.py:2708",
            &format!("Graph capturing finished in {capture:.2} secs, took 0.35 GiB"),
        )?;
    }
    let init_engine = profiling + capture + j.scale(0.5);
    c.advance(0.01)?;
    c.core(
        "INFO",
        "core.py:214",
        &format!(
            "init engine (profile, create kv cache, warmup model) took {init_engine:.2} seconds"
        ),
    )?;
    c.advance(0.25)?;
    c.line(
        "DEBUG",
        "utils.py:831",
        "READY from local core engine process 0.",
    )?;
    c.core("DEBUG", "core.py:728", "EngineCore waiting for work.")?;
    c.advance(0.14)?;
    c.core("DEBUG", "core.py:696", "EngineCore exiting.")?;
    let took = c.now.duration_since(engine_start).unwrap_or_default();
    writeln!(
        c.out,
        "initialize_engine took {:.2} seconds",
        took.as_secs_f64()
    )?;
    c.out.flush()?;
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
