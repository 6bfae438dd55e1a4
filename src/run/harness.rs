//! The engine harness (`python/engine_harness.py`, the paper's `engine.py`) and the paper's
//! vLLM logging config, built into repro and written to a cache folder when a real run needs
//! them, so the binary works from any folder.

use std::path::{Path, PathBuf};

pub const HARNESS: &str = include_str!("../../python/engine_harness.py");
pub const LOGGING_CONFIG: &str = include_str!("../../python/vllm_logging_config.json");

/// The harness and logging config on disk.
#[derive(Debug, Clone)]
pub struct HarnessFiles {
    pub harness: PathBuf,
    pub logging_config: PathBuf,
}

/// Write both files under `<cache>/harness/<content hash>/` unless they are there already.
pub fn install(cache: &Path) -> std::io::Result<HarnessFiles> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(HARNESS.as_bytes());
    hasher.update(LOGGING_CONFIG.as_bytes());
    let dir = cache
        .join("harness")
        .join(&hasher.finalize().to_hex()[..16]);
    let files = HarnessFiles {
        harness: dir.join("engine_harness.py"),
        logging_config: dir.join("vllm_logging_config.json"),
    };
    for (path, text) in [
        (&files.harness, HARNESS),
        (&files.logging_config, LOGGING_CONFIG),
    ] {
        if std::fs::read(path).ok().as_deref() != Some(text.as_bytes()) {
            crate::artifacts::atomic_write(path, text.as_bytes())?;
        }
    }
    Ok(files)
}
