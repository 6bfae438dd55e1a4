//! A serving run's compile caches, where its matrix sweeps `cache`: a cold run's own, fresh
//! and removed after it; a warm run's shared by every run of the same server configuration,
//! filled once by a warm-up start (marked by a file in them).

use std::path::{Path, PathBuf};

use super::context::Context;
use crate::recipe::bench::{BenchRecipe, BenchRun};
use crate::recipe::matrix::{CacheState, CACHE_PARAM};

/// The environment variables that place a server's compile caches, and their folders.
pub const CACHE_VARS: [(&str, &str); 2] = [
    ("VLLM_CACHE_ROOT", "vllm"),
    ("TORCHINDUCTOR_CACHE_DIR", "inductor"),
];

/// In a warm run's caches: a server started with them and became healthy.
pub const WARMED: &str = ".repro-warmed";

/// A run's compile caches, where the matrix sweeps `cache`.
pub enum Caches {
    /// A cold run's own: a fresh, empty folder, removed when dropped (however the run ends).
    Cold(tempfile::TempDir),
    /// A warm run's, shared by every run of the same server configuration (the same benchmark,
    /// server and params but `cache`).
    Warm(PathBuf),
}

impl Caches {
    pub fn dir(&self) -> &Path {
        match self {
            Caches::Cold(dir) => dir.path(),
            Caches::Warm(dir) => dir,
        }
    }
}

/// The compile caches of a run of benchmark `name` (none where the matrix does not sweep
/// `cache`), under `<cache>/compile-caches/`.
pub fn compile_caches(
    ctx: &Context,
    name: &str,
    recipe: &BenchRecipe,
    run: &BenchRun,
) -> std::io::Result<Option<Caches>> {
    let base = ctx.cache.join("compile-caches");
    Ok(Some(match run.cache {
        None => return Ok(None),
        Some(CacheState::Cold) => {
            std::fs::create_dir_all(&base)?;
            Caches::Cold(
                tempfile::Builder::new()
                    .prefix(&format!("bench-cold-{name}-{}-", run.label))
                    .tempdir_in(&base)?,
            )
        }
        Some(CacheState::Warm) => {
            let params: Vec<_> = run
                .params
                .iter()
                .filter(|(k, _)| *k != CACHE_PARAM)
                .collect();
            let config =
                serde_json::to_string(&(name, &recipe.server, params)).expect("plain data");
            Caches::Warm(base.join(format!(
                "bench-warm-{}",
                &blake3::hash(config.as_bytes()).to_hex()[..16]
            )))
        }
    }))
}
