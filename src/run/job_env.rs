//! A run's environment: what every engine is told about the run, and the real engine's
//! logging config and compile caches beside its harness.

use std::path::{Path, PathBuf};

use crate::env::harness;
use crate::plan::Task;
use crate::recipe::matrix::CacheState;

/// The environment every engine gets: the config's own, then what tells the engine which run
/// of which task this is.
pub(super) fn task_env(task: &Task, attempt: u32) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = task
        .config
        .key
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    env.push(("REPRO_TASK_KEY".into(), task.key.0.clone()));
    env.push(("REPRO_ITERATION".into(), task.phase().env_value()));
    env.push(("REPRO_ATTEMPT".into(), attempt.to_string()));
    env.push(("REPRO_RUN_LABEL".into(), task.label().to_string()));
    if task.config.key.evict_page_cache {
        env.push(("REPRO_PAGE_CACHE_EVICTED".into(), "1".into()));
    }
    if task.paths.cpu_samples.is_some() {
        env.push(("REPRO_CPU_SAMPLED".into(), "1".into()));
    }
    if let Some(state) = task.combination_cache() {
        env.push(("REPRO_CACHE_STATE".into(), state.as_str().into()));
    }
    env
}

/// The real engine's environment beside the harness: its logging config and its compile
/// caches. A cold run's compile cache is emptied here, before the run.
pub(super) fn harness_env(
    task: &Task,
    harness: &harness::HarnessFiles,
    attempt: u32,
) -> Vec<(String, String)> {
    let mut env = vec![(
        "VLLM_LOGGING_CONFIG_PATH".to_string(),
        harness.logging_config.to_string_lossy().into_owned(),
    )];
    if task.config.key.device == crate::config::machines::Device::Cpu {
        let dir = harness::inductor_cache(&harness.cache, &task.vllm);
        env.push((
            "TORCHINDUCTOR_CACHE_DIR".into(),
            dir.to_string_lossy().into_owned(),
        ));
    }
    if let Some(dir) = compile_cache_dir(task, &harness.cache, attempt) {
        // vLLM's compile cache and Inductor's: fresh for a cold run, the config's own
        // (filled by its warm-up) for a warm one.
        if task.combination_cache() == Some(CacheState::Cold) {
            let _ = std::fs::remove_dir_all(&dir);
        }
        env.push(("VLLM_CACHE_ROOT".into(), dir.to_string_lossy().into_owned()));
        let inductor = dir.join("inductor");
        env.push((
            "TORCHINDUCTOR_CACHE_DIR".into(),
            inductor.to_string_lossy().into_owned(),
        ));
    }
    env
}

/// Where a run's compile caches are, where its recipe sweeps `cache`: a cold run's own (made
/// fresh, removed after it), a warm run's shared with its config's other runs.
pub(super) fn compile_cache_dir(task: &Task, cache: &Path, attempt: u32) -> Option<PathBuf> {
    let state = task.combination_cache()?;
    let base = cache.join("compile-caches");
    let k = &task.config.key;
    Some(match state {
        CacheState::Cold => base.join(format!("cold-{}-{attempt}", task.key.short())),
        CacheState::Warm => {
            let config = format!(
                "{}/{}/{}/{}/{:?}",
                k.figure,
                k.part.as_deref().unwrap_or(""),
                k.label,
                task.vllm,
                k.device
            );
            base.join(format!(
                "warm-{}",
                &blake3::hash(config.as_bytes()).to_hex()[..16]
            ))
        }
    })
}
