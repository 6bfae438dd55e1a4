//! What vLLM prints during start-up, version by version, and the stable key each number goes
//! under. The wordings come from vLLM's sources and from real logs (the paper's figure-1 logs
//! of 0.3.1 … 0.11.0, logs pasted into vLLM's issues up to 0.23); `docs/ledger.md` lists them.
//! The keys themselves, with their units, are in `keys`.

use std::sync::LazyLock;

use crate::parse::ascii::{OwnedTwoForms, TwoForms};

mod keys;

pub use keys::{key_info, Combine, KeyInfo, Unit, KEYS};

/// What a line means beyond its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `Starting to load model …`
    LoadStart,
    /// The model is in memory (`Model loading took`, `Loading model weights took`).
    ModelLoaded,
    /// `Initializing a V1 LLM engine (v…)`, `Initializing an LLM engine (v…)`.
    EngineBanner { v1: bool },
    /// The KV cache is sized (`# GPU blocks`, `GPU KV cache size`, `Available KV cache …`).
    KvCacheSized,
    /// `Graph capturing finished`.
    GraphCaptured,
    /// `init engine (…) took`: the engine core is ready.
    EngineReady,
    /// `initialize_engine took`: the paper's harness built the `LLM`.
    HarnessReady,
    /// The API server listens (`Starting vLLM API server`, `Application startup complete`).
    ServerReady,
    /// A line printed only before the engine starts (a new run begins here after a finished one).
    StartPhase,
    /// `Traceback (most recent call last):`
    Traceback,
    /// A fatal start-up error (`EngineCore failed to start`, `initialization failed`).
    Fatal,
}

/// One wording: a literal that must be on the line (cheap to test), its regex, the keys its
/// groups fill, and what the line marks.
struct Rule {
    needle: &'static str,
    pattern: String,
    values: &'static [(&'static str, usize)],
    marker: Option<Marker>,
}

fn rule(
    needle: &'static str,
    pattern: impl Into<String>,
    values: &'static [(&'static str, usize)],
    marker: Option<Marker>,
) -> Rule {
    Rule {
        needle,
        pattern: pattern.into(),
        values,
        marker,
    }
}

/// `s`, `secs`, `seconds` after a number, as different versions write it.
const SECS: &str = r"\s?s(?:ec(?:ond)?s?)?\b";

/// In order: the first rule whose needle and regex match a line decides it.
/// Each rule's regex is compiled the first time a line holds its needle (most logs need a
/// few of them; compiling all was a tenth of tabling a folder).
static RULES: LazyLock<Vec<(Rule, OwnedTwoForms)>> = LazyLock::new(|| {
    let num = r"(\d+(?:\.\d+)?|\.\d+)";
    let int = r"(\d[\d,]*)";
    let rules = vec![
        rule(
            "Loading model weights took",
            format!(r"Loading model weights took {num}\s?Gi?B"),
            &[("model_loading_gib", 1)],
            Some(Marker::ModelLoaded),
        ),
        rule(
            "Loading weights took",
            format!(r"Loading weights took {num}{SECS}"),
            &[("load_weights_s", 1)],
            None,
        ),
        rule(
            "Model loading took",
            format!(r"Model loading took {num}\s?Gi?B(?: memory)?(?: and {num}{SECS})?"),
            &[("model_loading_gib", 1), ("model_loading_s", 2)],
            Some(Marker::ModelLoaded),
        ),
        rule(
            "Dynamo bytecode transform time",
            format!(r"Dynamo bytecode transform time: {num}{SECS}"),
            &[("dynamo_transform_s", 1)],
            None,
        ),
        rule(
            "Compiling a graph for",
            format!(
                r"Compiling a graph for (?:general shape|dynamic shape|shape None|compile range [^\n]*?) takes {num}{SECS}"
            ),
            &[("graph_compile_general_shape_s", 1)],
            None,
        ),
        rule(
            "Compiling a graph for",
            format!(r"Compiling a graph for (?:shape|size|compile size) \S+ takes {num}{SECS}"),
            &[("graph_compile_shapes_s", 1)],
            None,
        ),
        rule(
            "from the cache, took",
            format!(
                r"Directly load the compiled graph(?:\(s\))? for .*? from the cache, took {num}{SECS}"
            ),
            &[("graph_compile_cached_s", 1)],
            None,
        ),
        rule(
            "torch.compile ",
            format!(r"torch\.compile (?:takes|took) {num}{SECS} in total"),
            &[("torch_compile_s", 1)],
            None,
        ),
        rule(
            "Memory profiling results",
            format!(
                r"Memory profiling results: duration={num}{SECS}(?:.*?kv_cache_size={num}\s?GiB)?"
            ),
            &[("memory_profiling_s", 1), ("kv_cache_gib", 2)],
            Some(Marker::KvCacheSized),
        ),
        rule(
            "Memory profiling takes",
            format!(r"Memory profiling takes {num}{SECS}"),
            &[("memory_profiling_s", 1)],
            None,
        ),
        rule(
            "reserved for KV Cache is",
            format!(r"reserved for KV Cache is {num}\s?GiB"),
            &[("kv_cache_gib", 1)],
            Some(Marker::KvCacheSized),
        ),
        rule(
            "Available KV cache memory",
            format!(r"Available KV cache memory: {num}\s?GiB"),
            &[("kv_cache_gib", 1)],
            Some(Marker::KvCacheSized),
        ),
        rule(
            "KV cache size:",
            format!(r"KV cache size: {int} tokens"),
            &[("kv_cache_tokens", 1)],
            Some(Marker::KvCacheSized),
        ),
        rule(
            " blocks: ",
            format!(r"# \w+ blocks: {int}, # CPU blocks: {int}"),
            &[("kv_cache_blocks", 1), ("kv_cache_cpu_blocks", 2)],
            Some(Marker::KvCacheSized),
        ),
        rule(
            "Maximum concurrency for",
            format!(r"Maximum concurrency for {int} tokens per request: {num}x"),
            &[("max_concurrency_x", 2)],
            None,
        ),
        rule(
            "Initial profiling/warmup run took",
            format!(r"Initial profiling/warmup run took {num}{SECS}"),
            &[("initial_warmup_s", 1)],
            None,
        ),
        rule(
            "Estimated CUDA graph memory",
            format!(r"Estimated CUDA graph memory: {num}\s?GiB"),
            &[("graph_capture_estimate_gib", 1)],
            None,
        ),
        rule(
            "Graph capturing finished in",
            format!(r"Graph capturing finished in {num}{SECS}(?:, took {num}\s?GiB)?"),
            &[("graph_capture_s", 1), ("graph_capture_gib", 2)],
            Some(Marker::GraphCaptured),
        ),
        rule(
            "warmup model) took",
            format!(
                r"init engine \(profile, create kv cache, warmup model\) took {num}{SECS}(?: \(compilation: {num}{SECS}\))?"
            ),
            &[("init_engine_s", 1), ("init_engine_compilation_s", 2)],
            Some(Marker::EngineReady),
        ),
        rule(
            "initialize_engine took",
            format!(r"initialize_engine took {num}{SECS}"),
            &[("initialize_engine_s", 1)],
            Some(Marker::HarnessReady),
        ),
        rule(
            "Init Tokenizer took",
            format!(r"Init Tokenizer took {num}{SECS}"),
            &[("tokenizer_init_s", 1)],
            None,
        ),
        rule(
            "Initializing Model took",
            format!(r"Initializing Model took {num}{SECS}"),
            &[("model_init_s", 1)],
            None,
        ),
        rule(
            "into page cache finished in",
            format!(r"into page cache finished in {num}{SECS}"),
            &[("weights_prefetch_s", 1)],
            None,
        ),
        rule(
            "Overall time to stream",
            format!(r"Overall time to stream .*?: {num}{SECS}"),
            &[("runai_stream_s", 1)],
            None,
        ),
        rule(
            "Deserialized ",
            format!(r"Deserialized {num}\s?\w+ in {num}{SECS}"),
            &[("tensorizer_deserialize_s", 2)],
            None,
        ),
        rule(
            "Readonly multi-modal warmup completed in",
            format!(r"Readonly multi-modal warmup completed in {num}{SECS}"),
            &[("mm_warmup_readonly_s", 1)],
            None,
        ),
        rule(
            "ulti-modal warmup completed in",
            format!(r"[Mm]ulti-modal warmup completed in {num}{SECS}"),
            &[("mm_warmup_s", 1)],
            None,
        ),
        rule(
            "Starting to load model",
            "Starting to load model",
            &[],
            Some(Marker::LoadStart),
        ),
        rule(
            "LLM engine",
            r"Initializing an? (V[01] )?LLM engine",
            &[],
            None,
        ),
        rule(
            "Starting vLLM ",
            r"Starting vLLM (?:API )?server",
            &[],
            Some(Marker::ServerReady),
        ),
        rule(
            "Application startup complete",
            "Application startup complete",
            &[],
            Some(Marker::ServerReady),
        ),
        rule(
            "Uvicorn running on",
            "Uvicorn running on",
            &[],
            Some(Marker::ServerReady),
        ),
        rule(
            "Traceback (most recent call last)",
            r"Traceback \(most recent call last\)",
            &[],
            Some(Marker::Traceback),
        ),
        rule(
            "failed to start",
            r"(?:EngineCore|WorkerProc|Engine core proc|core engine process).* failed to start",
            &[],
            Some(Marker::Fatal),
        ),
        rule(
            "initialization failed",
            r"[Ee]ngine core initialization failed",
            &[],
            Some(Marker::Fatal),
        ),
    ];
    rules
        .into_iter()
        .map(|r| {
            let regex = OwnedTwoForms::new(r.pattern.clone());
            (r, regex)
        })
        .collect()
});

static START_PHASE: TwoForms = TwoForms::new(
    r"No plugins for group|Automatically detected platform|vLLM API server version|non-default args|This model supports multiple tasks|Resolved architecture|^\s*[█▀▄ ]+version\s",
);
static VERSION: LazyLock<Vec<OwnedTwoForms>> = LazyLock::new(|| {
    let v = r"(\d+\.\d+[0-9A-Za-z.+_-]*)";
    [
        format!(r"LLM engine \(v{v}\)"),
        format!(r"vLLM (?:API )?server version {v}"),
        format!(r"[█▀▄]\s+version\s+{v}"),
    ]
    .into_iter()
    .map(OwnedTwoForms::new)
    .collect()
});
static RANK: TwoForms =
    TwoForms::new(r"\brank (\d+) in world size (\d+)|world_size=(\d+) rank=(\d+)");

/// What one message says: numbers under keys, and what it marks.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Reading {
    pub values: Vec<(&'static str, f64)>,
    pub marker: Option<Marker>,
    /// The vLLM version a banner names.
    pub version: Option<String>,
    /// `(rank, world size)` from `rank N in world size M` / `world_size=M rank=N`.
    pub rank: Option<(u32, u32)>,
}

impl Reading {
    /// Whether the line is one vLLM prints (a number, a marker or a banner).
    pub fn is_vllm(&self) -> bool {
        !self.values.is_empty() || self.marker.is_some() || self.version.is_some()
    }
}

fn number(text: &str) -> Option<f64> {
    let clean: String = text.chars().filter(|c| *c != ',').collect();
    clean.parse().ok().filter(|v: &f64| v.is_finite())
}

/// Read one message.
/// Every rule's needle in one automaton (each needle once): a line is scanned once for all of
/// them, instead of once per rule (`str::contains` for each rule was a third of `repro table`'s
/// time), and each rule knows its needle's number.
static NEEDLES: LazyLock<(aho_corasick::AhoCorasick, Vec<usize>)> = LazyLock::new(|| {
    let mut needles: Vec<&str> = Vec::new();
    let of_rule = RULES
        .iter()
        .map(
            |(rule, _)| match needles.iter().position(|n| *n == rule.needle) {
                Some(i) => i,
                None => {
                    needles.push(rule.needle);
                    needles.len() - 1
                }
            },
        )
        .collect();
    let automaton = aho_corasick::AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&needles)
        .expect("the needles build an automaton");
    (automaton, of_rule)
});

/// Per rule (in the rules' order), whether its needle is on `message`: overlapping matches, so
/// that a needle inside another (`Loading weights took` in `Loading model weights took`) counts.
fn needles_on(message: &str) -> Vec<bool> {
    let (automaton, of_rule) = &*NEEDLES;
    let mut found = vec![false; automaton.patterns_len()];
    for m in automaton.find_overlapping_iter(message) {
        found[m.pattern().as_usize()] = true;
    }
    of_rule.iter().map(|&i| found[i]).collect()
}

/// Literals at least one of which is on every line that [`read`] can give anything but its
/// default (values, a marker, a version): every rule's needle, and the words the version and
/// start-phase patterns cannot match without.
pub fn telling_words() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|(rule, _)| rule.needle).chain([
        "version",
        "No plugins for group",
        "Automatically detected platform",
        "non-default args",
        "This model supports multiple tasks",
        "Resolved architecture",
    ])
}

pub fn read(message: &str) -> Reading {
    let mut reading = Reading::default();
    let on = needles_on(message);
    for ((rule, regex), _) in RULES.iter().zip(&on).filter(|(_, on)| **on) {
        let Some(caps) = regex.for_text(message).captures(message) else {
            continue;
        };
        for (key, group) in rule.values {
            if let Some(value) = caps.get(*group).and_then(|m| number(m.as_str())) {
                reading.values.push((key, value));
            }
        }
        reading.marker = rule.marker;
        if rule.needle == "LLM engine" {
            reading.marker = Some(Marker::EngineBanner {
                v1: caps.get(1).is_some_and(|m| m.as_str().starts_with("V1")),
            });
        }
        break;
    }
    // Every version pattern needs `version` or `LLM engine (v`; both rank patterns `rank`.
    if message.contains("version") || message.contains("LLM engine (v") {
        reading.version = VERSION.iter().find_map(|re| {
            re.for_text(message)
                .captures(message)
                .map(|c| c[1].to_string())
        });
    }
    if reading.marker.is_none()
        && (reading.version.is_some() || START_PHASE.for_text(message).is_match(message))
    {
        reading.marker = Some(Marker::StartPhase);
    }
    if let Some(caps) = message
        .contains("rank")
        .then(|| RANK.for_text(message).captures(message))
        .flatten()
    {
        let get = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        reading.rank = match (get(1), get(2), get(3), get(4)) {
            (Some(rank), Some(world), _, _) => Some((rank, world)),
            (_, _, Some(world), Some(rank)) => Some((rank, world)),
            _ => None,
        };
    }
    reading
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_needle_automaton_finds_what_contains_finds() {
        let lines = [
            "Loading model weights took 2.54 GB",
            "Loading weights took 1.2 seconds and init engine (profile, create kv cache) took 3 s",
            "Traceback (most recent call last):",
            "EngineCore failed to start: initialization failed",
            "nothing here",
            "",
        ];
        let every: Vec<String> = super::RULES
            .iter()
            .map(|(rule, _)| format!("x {} y", rule.needle))
            .collect();
        let all = every.join(" ");
        let lines = lines
            .iter()
            .copied()
            .chain(every.iter().map(String::as_str))
            .chain([all.as_str()]);
        for line in lines {
            let expected: Vec<bool> = super::RULES
                .iter()
                .map(|(rule, _)| line.contains(rule.needle))
                .collect();
            assert_eq!(super::needles_on(line), expected, "{line}");
        }
    }

    use super::*;

    fn values(message: &str) -> Vec<(&'static str, f64)> {
        read(message).values
    }

    #[test]
    fn every_rule_key_is_a_key() {
        for (rule, _) in RULES.iter() {
            for (key, _) in rule.values {
                assert!(key_info(key).is_some(), "{key}");
            }
        }
    }

    #[test]
    fn model_loading_in_every_wording() {
        assert_eq!(
            values("Loading model weights took 12.4036 GB"),
            [("model_loading_gib", 12.4036)]
        );
        assert_eq!(
            values("Model loading took 12.4037 GB and 2.632754 seconds"),
            [
                ("model_loading_gib", 12.4037),
                ("model_loading_s", 2.632754)
            ]
        );
        assert_eq!(
            values("Model loading took 7.4152 GiB and 1.103479 seconds"),
            [("model_loading_gib", 7.4152), ("model_loading_s", 1.103479)]
        );
        assert_eq!(
            values("Model loading took 19.78 GiB memory and 129.689615 seconds"),
            [
                ("model_loading_gib", 19.78),
                ("model_loading_s", 129.689615)
            ]
        );
    }

    #[test]
    fn compile_lines() {
        assert_eq!(
            values("torch.compile takes 7.09 s in total"),
            [("torch_compile_s", 7.09)]
        );
        assert_eq!(
            values("torch.compile took 75.32 s in total"),
            [("torch_compile_s", 75.32)]
        );
        assert_eq!(
            values("Compiling a graph for compile range (1, 65536) takes 59.23 s"),
            [("graph_compile_general_shape_s", 59.23)]
        );
        assert_eq!(
            values("Compiling a graph for shape 8 takes 1.5 s"),
            [("graph_compile_shapes_s", 1.5)]
        );
        assert_eq!(
            values("Directly load the compiled graph(s) for dynamic shape from the cache, took 5.747 s"),
            [("graph_compile_cached_s", 5.747)]
        );
        assert!(
            values("Directly load the compiled graph for shape None from the cache").is_empty()
        );
    }

    #[test]
    fn engine_lines_and_markers() {
        let r = read("init engine (profile, create kv cache, warmup model) took 443.17 s (compilation: 75.32 s)");
        assert_eq!(
            r.values,
            [
                ("init_engine_s", 443.17),
                ("init_engine_compilation_s", 75.32)
            ]
        );
        assert_eq!(r.marker, Some(Marker::EngineReady));
        let r = read("Graph capturing finished in 2 secs.");
        assert_eq!(
            (r.values, r.marker),
            (vec![("graph_capture_s", 2.0)], Some(Marker::GraphCaptured))
        );
        assert_eq!(
            values("Memory profiling results: duration=18.41 seconds, total_gpu_memory=191.98GiB, initial_memory_usage=71.40GiB, kv_cache_size=95.28GiB, gpu_memory_utilization=0.98."),
            [("memory_profiling_s", 18.41), ("kv_cache_gib", 95.28)]
        );
        assert_eq!(
            values("GPU KV cache size: 1,505,068 tokens"),
            [("kv_cache_tokens", 1_505_068.0)]
        );
        assert_eq!(
            values("# GPU blocks: 9008, # CPU blocks: 512"),
            [("kv_cache_blocks", 9008.0), ("kv_cache_cpu_blocks", 512.0)]
        );
        let banner = read("Initializing a V1 LLM engine (v0.10.1.1) with config: model='x'");
        assert_eq!(banner.marker, Some(Marker::EngineBanner { v1: true }));
        assert_eq!(banner.version.as_deref(), Some("0.10.1.1"));
        let art = read("  ▄▄ ▄█ █     █     █ ▀▄▀ █  version 0.23.1rc1.dev531+ga65f93fb2");
        assert_eq!(art.version.as_deref(), Some("0.23.1rc1.dev531+ga65f93fb2"));
        assert_eq!(art.marker, Some(Marker::StartPhase));
        assert_eq!(
            read("rank 1 in world size 2 is assigned as DP rank 0").rank,
            Some((1, 2))
        );
        assert!(!read("some unrelated line").is_vllm());
    }
}
