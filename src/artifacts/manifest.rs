//! `manifests/<stem>.json`: one per run, what ran, where, how it ended, and the size and hash of
//! every file it made — versioned, written atomically after the log is in place. A run is done
//! iff its manifest says `ok`, its key is the task's key and its files still hold the recorded
//! bytes; a file the manifest does not account for is not the run's (it is *foreign*).

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::key::KeyInputs;
use super::FileRecord;
use crate::samplers::gpu::GpuInventory;

/// Bump on an incompatible change of the format; older manifests are then re-run, not misread.
/// Schema 2 added `files`; schema 1 manifests (no file hashes) are still read, as runs whose
/// bytes cannot be checked.
pub const MANIFEST_SCHEMA: u32 = 2;
const OLDEST_READ_SCHEMA: u32 = 1;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Ok,
    Failed,
    TimedOut,
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::TimedOut => "timed out",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// The child's exit: a code, or the signal that ended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

/// The machine a run ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    pub name: String,
    pub cpu_model: Option<String>,
    /// GPU names and driver, or why they are unknown (`unavailable: no NVIDIA driver`).
    pub gpu: crate::samplers::gpu::GpuInventory,
    /// CPUs, memory, OS, kernel, the model's disk, Python and PyTorch; `None` in a manifest
    /// written before repro recorded them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<super::machine::Machine>,
}

/// Which sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplerKind {
    Cpu,
    Gpu,
}

/// A sampler's result: its file (relative to the run folder), or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplerRecord {
    pub kind: SamplerKind,
    pub file: Option<String>,
    /// `ok`, or `unavailable: <why>`.
    pub status: String,
}

/// What page-cache eviction did before the run (cold SSD loads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvictionRecord {
    pub dir: PathBuf,
    pub files: u64,
    pub bytes: u64,
    pub resident_pages_before: u64,
    pub resident_pages_after: u64,
    pub total_pages: u64,
    /// `/proc/sys/vm/drop_caches` was written too (`--drop-caches`).
    pub dropped_global_caches: bool,
}

/// One run's provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: u32,
    pub status: RunStatus,
    pub task_key: String,
    pub key_inputs: KeyInputs,
    /// 1 for the first try; each rerun of a run that did not succeed adds one.
    pub attempt: u32,
    /// The log, relative to the run folder (`output_model_x.txt` or `failed/output_model_x.txt`).
    pub log: String,
    pub command: Vec<String>,
    /// Environment given to the child on top of repro's own.
    pub env: IndexMap<String, String>,
    pub exit: Exit,
    pub wall_s: f64,
    /// What the run was expected to take before it ran (`estimate`), beside `wall_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_s: Option<f64>,
    /// RFC 3339, UTC.
    pub started: String,
    pub ended: String,
    pub host: Host,
    pub vllm: String,
    pub patch_hash: Option<String>,
    pub repro_version: String,
    pub samplers: Vec<SamplerRecord>,
    pub eviction: Option<EvictionRecord>,
    /// Why a run did not succeed, in a line.
    pub error: Option<String>,
    /// Every file the run made (log, stderr, samples), relative to the run folder; `None` in a
    /// manifest written before repro recorded them (schema 1).
    #[serde(default)]
    pub files: Option<Vec<FileRecord>>,
}

/// Whether a run's files are the ones its manifest recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilesCheck {
    /// Every recorded file is there with its recorded bytes.
    Match,
    /// A recorded file is missing.
    Missing(String),
    /// A recorded file holds other bytes now.
    Changed(String),
    /// A schema-1 manifest: it recorded no hashes, so only the log's presence is known.
    Unrecorded,
}

/// A manifest that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is not a repro manifest ({source}); delete it or rerun with --force", path.display())]
    Format {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("`{}` has manifest schema {found}, this repro reads {OLDEST_READ_SCHEMA} to {MANIFEST_SCHEMA}: it was written by a newer repro", path.display())]
    Schema { path: PathBuf, found: u32 },
}

impl Manifest {
    /// The manifest at `path`, `Ok(None)` where there is none.
    pub fn read(path: &Path) -> Result<Option<Manifest>, ManifestError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ManifestError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        // Check the schema first, so a future format gives a clear message.
        #[derive(Deserialize)]
        struct Version {
            schema: u32,
        }
        let format = |source| ManifestError::Format {
            path: path.to_path_buf(),
            source,
        };
        let version: Version = serde_json::from_slice(&bytes).map_err(format)?;
        if !(OLDEST_READ_SCHEMA..=MANIFEST_SCHEMA).contains(&version.schema) {
            return Err(ManifestError::Schema {
                path: path.to_path_buf(),
                found: version.schema,
            });
        }
        serde_json::from_slice(&bytes).map(Some).map_err(format)
    }

    /// Whether the files under `run_dir` are the ones this manifest recorded. The log must be
    /// among them for a successful run.
    pub fn check_files(&self, run_dir: &Path) -> FilesCheck {
        let Some(files) = &self.files else {
            return match run_dir.join(&self.log).is_file() {
                true => FilesCheck::Unrecorded,
                false => FilesCheck::Missing(self.log.clone()),
            };
        };
        for file in files {
            let path = run_dir.join(&file.path);
            if !path.is_file() {
                return FilesCheck::Missing(file.path.clone());
            }
            if !file.matches(run_dir) {
                return FilesCheck::Changed(file.path.clone());
            }
        }
        FilesCheck::Match
    }

    /// Whether `run_dir/rel` holds the bytes this manifest recorded for it.
    pub fn accounts_for(&self, run_dir: &Path, rel: &str) -> bool {
        match &self.files {
            Some(files) => files.iter().any(|f| f.path == rel && f.matches(run_dir)),
            None => self.log == rel && run_dir.join(rel).is_file(),
        }
    }

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut json = serde_json::to_vec_pretty(self).expect("manifest serialises");
        json.push(b'\n');
        super::atomic_write(path, &json)
    }
}

impl Host {
    /// This machine as a manifest records it: name, CPU, GPUs, and the rest of
    /// [`super::machine::Machine::here`] (the run's disk and software are the caller's to add).
    pub fn here() -> Host {
        let (name, cpu_model) = host_identity();
        Host {
            name,
            cpu_model,
            gpu: crate::samplers::gpu::inventory(),
            machine: Some(super::machine::Machine::here()),
        }
    }

    /// One kind of machine: CPU model, GPUs with driver and CUDA, and the rest the manifest
    /// recorded (`not recorded` parts left out). Two runs on the same hardware give the same text.
    pub fn kind(&self) -> String {
        let mut parts = vec![self
            .cpu_model
            .clone()
            .unwrap_or_else(|| "CPU unknown".into())];
        parts.push(self.gpu.describe());
        if let GpuInventory::Available {
            driver: Some(driver),
            cuda,
            ..
        } = &self.gpu
        {
            let cuda = cuda
                .as_ref()
                .map_or(String::new(), |c| format!(", CUDA {c}"));
            parts.push(format!("driver {driver}{cuda}"));
        }
        match &self.machine {
            Some(machine) => parts.push(machine.describe()),
            None => parts.push("the rest not recorded (an older manifest)".into()),
        }
        parts.retain(|p| !p.is_empty());
        parts.join(" · ")
    }

    /// The model's disk and the environment's Python and PyTorch, where recorded.
    pub fn software(&self) -> Option<String> {
        let machine = self.machine.as_ref()?;
        let parts: Vec<String> = [
            machine
                .model_disk
                .as_ref()
                .map(|d| format!("model disk {}", d.describe())),
            machine.software(),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// This machine's name and CPU model, as far as they can be found.
pub fn host_identity() -> (String, Option<String>) {
    let name = crate::sys::hostname();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        });
    (name, cpu)
}

/// Now, as RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}
