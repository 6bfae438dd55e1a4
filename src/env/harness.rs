//! The engine harness (`python/engine_harness.py`, the paper's `engine.py`) and the paper's
//! vLLM logging config, built into repro ([`crate::assets`]) and written to the cache when a
//! real run needs them, so the binary works from any folder.

use std::path::{Path, PathBuf};

use crate::assets;

/// The harness and logging config on disk.
#[derive(Debug, Clone)]
pub struct HarnessFiles {
    pub harness: PathBuf,
    pub logging_config: PathBuf,
    /// The cache they were written to; vLLM's CPU build keeps its Inductor cache there too.
    pub cache: PathBuf,
}

/// Write both files under `<cache>/assets/<content hash>/` unless they are there already.
pub fn install(cache: &Path) -> std::io::Result<HarnessFiles> {
    let dir = assets::install(cache, &[assets::ENGINE_HARNESS, assets::LOGGING_CONFIG])?;
    Ok(HarnessFiles {
        harness: dir.join(assets::ENGINE_HARNESS.0),
        logging_config: dir.join(assets::LOGGING_CONFIG.0),
        cache: cache.to_path_buf(),
    })
}

/// Where Inductor caches the C++ it compiles for vLLM's CPU build: one folder per environment,
/// under repro's cache rather than `/tmp/torchinductor_<user>`, so what makes a run warm or
/// cold is known and recorded.
pub fn inductor_cache(cache: &Path, vllm: &str) -> PathBuf {
    cache.join("inductor").join(format!("vllm-cpu-{vllm}"))
}

/// The environment an engine outside the runner needs (tensorize, serving): vLLM's V1 engine,
/// and on its CPU build the KV cache size and repro's Inductor cache.
pub fn engine_env(
    cache: &Path,
    vllm: &str,
    device: crate::config::machines::Device,
    kv_cache_gib: u32,
) -> Vec<(String, String)> {
    let mut env = vec![("VLLM_USE_V1".to_string(), "1".to_string())];
    if device == crate::config::machines::Device::Cpu {
        env.push(("VLLM_CPU_KVCACHE_SPACE".into(), kv_cache_gib.to_string()));
        env.push((
            "TORCHINDUCTOR_CACHE_DIR".into(),
            inductor_cache(cache, vllm).to_string_lossy().into_owned(),
        ));
        // What its CPU build needs (0.9.0: the V0 engine) replaces the defaults above.
        for (key, value) in crate::env::setup::cpu_build(vllm).map_or(&[][..], |b| b.engine_env) {
            env.retain(|(k, _)| k != key);
            env.push((key.to_string(), value.to_string()));
        }
    }
    env
}
