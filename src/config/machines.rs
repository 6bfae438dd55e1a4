//! `machines.toml`: the machines of a reproduction, what they have, which split parts they run
//! and how to reach them.

use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// How tasks reach a machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Executor {
    /// Run here, as child processes.
    Local,
    /// Submit with `sbatch`/`srun` to a Slurm partition.
    Slurm {
        partition: String,
        #[serde(default)]
        gpus: Option<u32>,
        /// Slurm's `--time`, e.g. `"04:00:00"`.
        #[serde(default)]
        time: Option<String>,
        #[serde(default)]
        account: Option<String>,
    },
}

/// Whether the engine runs on a GPU or vLLM's CPU build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    #[default]
    Gpu,
    Cpu,
}

/// One machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub cpu: Option<String>,
    #[serde(default)]
    pub gpu: Option<String>,
    #[serde(default)]
    pub dram: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub disk: Option<String>,
    #[serde(default)]
    pub device: Device,
    /// vLLM's CPU KV cache, GiB (`VLLM_CPU_KVCACHE_SPACE`), for `device = "cpu"`.
    #[serde(default)]
    pub kv_cache_space_gib: Option<u32>,
    /// Split parts this machine runs, as `figure-10/gpu1`; figures without a split run
    /// wherever they are asked to.
    #[serde(default)]
    pub runs: Vec<String>,
    #[serde(default = "local")]
    pub executor: Executor,
}

fn local() -> Executor {
    Executor::Local
}

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machines {
    pub machines: IndexMap<String, Machine>,
}

impl Machines {
    pub fn load(path: &Path) -> Result<Machines, ConfigError> {
        super::load(path)
    }

    /// The machine that runs a split part (`figure-10/gpu1`), if one is named.
    pub fn runner_of(&self, part: &str) -> Option<(&str, &Machine)> {
        self.machines
            .iter()
            .find(|(_, m)| m.runs.iter().any(|r| r == part))
            .map(|(name, m)| (name.as_str(), m))
    }

    /// `n2 (L40S, AMD EPYC 9354 (32C))`: the machine that runs a split part, with its hardware.
    pub fn runner_text(&self, part: &str) -> Option<String> {
        self.runner_of(part)
            .map(|(name, m)| format!("{name} ({})", m.hardware()))
    }
}

impl Machine {
    /// `L40S, AMD EPYC 9354 (32C)`: its GPU and CPU, as far as machines.toml names them.
    pub fn hardware(&self) -> String {
        let parts: Vec<&str> = [self.gpu.as_deref(), self.cpu.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        parts.join(", ")
    }
}
