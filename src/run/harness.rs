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
