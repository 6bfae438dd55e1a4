//! The stable keys of the ledger: each one's unit, how a process's repeated lines of it
//! combine, and what vLLM line it comes from.

use serde::{Deserialize, Serialize};

/// The unit of a key's values (also the key's suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Seconds,
    #[serde(rename = "GiB")]
    Gib,
    Tokens,
    Blocks,
    /// A multiple (`Maximum concurrency … 68.81x`).
    Times,
}

impl Unit {
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Gib => "GiB",
            Unit::Tokens => "tokens",
            Unit::Blocks => "blocks",
            Unit::Times => "x",
        }
    }
}

/// How one process's repeated lines of a key combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// The last line wins (the paper's rule: a later line overwrites an earlier one).
    Last,
    /// The lines add up: each is separate work (one graph compiled per shape or range).
    Sum,
}

/// A key of the ledger.
#[derive(Debug, Clone, Copy)]
pub struct KeyInfo {
    pub name: &'static str,
    pub unit: Unit,
    pub combine: Combine,
    pub meaning: &'static str,
}

const fn key(name: &'static str, unit: Unit, meaning: &'static str) -> KeyInfo {
    KeyInfo {
        name,
        unit,
        combine: Combine::Last,
        meaning,
    }
}

const fn summed(name: &'static str, unit: Unit, meaning: &'static str) -> KeyInfo {
    KeyInfo {
        name,
        unit,
        combine: Combine::Sum,
        meaning,
    }
}

/// Every key, in the order of a start-up (the order of the ledger's tables).
pub const KEYS: &[KeyInfo] = &[
    key(
        "startup_s",
        Unit::Seconds,
        "first timestamped line to engine ready (derived)",
    ),
    key(
        "tokenizer_init_s",
        Unit::Seconds,
        "Init Tokenizer took (paper's patch)",
    ),
    key(
        "model_init_s",
        Unit::Seconds,
        "Initializing Model took (paper's patch)",
    ),
    key(
        "weights_prefetch_s",
        Unit::Seconds,
        "checkpoint prefetch into the page cache",
    ),
    key(
        "runai_stream_s",
        Unit::Seconds,
        "Run:ai streamer: time to stream the files",
    ),
    key(
        "tensorizer_deserialize_s",
        Unit::Seconds,
        "tensorizer: time to deserialize",
    ),
    key("load_weights_s", Unit::Seconds, "Loading weights took"),
    key(
        "model_loading_s",
        Unit::Seconds,
        "Model loading took … and Y seconds",
    ),
    key("model_loading_gib", Unit::Gib, "memory of the loaded model"),
    key(
        "dynamo_transform_s",
        Unit::Seconds,
        "Dynamo bytecode transform time",
    ),
    summed(
        "graph_compile_general_shape_s",
        Unit::Seconds,
        "Inductor compile, general/dynamic shape or compile range",
    ),
    summed(
        "graph_compile_shapes_s",
        Unit::Seconds,
        "Inductor compile of specific shapes (compile_sizes)",
    ),
    summed(
        "graph_compile_cached_s",
        Unit::Seconds,
        "compiled graphs loaded from vLLM's cache",
    ),
    key("torch_compile_s", Unit::Seconds, "torch.compile … in total"),
    key(
        "memory_profiling_s",
        Unit::Seconds,
        "memory profiling run (includes torch.compile on V1)",
    ),
    key(
        "initial_warmup_s",
        Unit::Seconds,
        "Initial profiling/warmup run took",
    ),
    key("kv_cache_gib", Unit::Gib, "memory given to the KV cache"),
    key("kv_cache_tokens", Unit::Tokens, "GPU KV cache size (V1)"),
    key("kv_cache_blocks", Unit::Blocks, "# GPU blocks (V0)"),
    key(
        "kv_cache_cpu_blocks",
        Unit::Blocks,
        "# CPU blocks (V0 swap space)",
    ),
    key(
        "max_concurrency_x",
        Unit::Times,
        "Maximum concurrency for N tokens per request",
    ),
    key(
        "graph_capture_estimate_gib",
        Unit::Gib,
        "Estimated CUDA graph memory",
    ),
    key(
        "graph_capture_s",
        Unit::Seconds,
        "Graph capturing finished in (whole seconds)",
    ),
    key(
        "graph_capture_gib",
        Unit::Gib,
        "memory the CUDA graphs took",
    ),
    key(
        "init_engine_s",
        Unit::Seconds,
        "init engine (profile, create kv cache, warmup model) took",
    ),
    key(
        "init_engine_compilation_s",
        Unit::Seconds,
        "the (compilation: …) part of init engine",
    ),
    key(
        "mm_warmup_s",
        Unit::Seconds,
        "Multi-modal warmup completed in",
    ),
    key(
        "mm_warmup_readonly_s",
        Unit::Seconds,
        "Readonly multi-modal warmup completed in",
    ),
    key(
        "serve_ready_after_engine_s",
        Unit::Seconds,
        "engine ready to API server ready (derived)",
    ),
    key(
        "initialize_engine_s",
        Unit::Seconds,
        "initialize_engine took (the paper's harness)",
    ),
];

pub fn key_info(name: &str) -> Option<&'static KeyInfo> {
    KEYS.iter().find(|k| k.name == name)
}
