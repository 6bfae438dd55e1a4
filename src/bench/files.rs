//! The files every kind of benchmark run writes the same way: pretty JSON, records as JSON
//! lines, the CPU and GPU samples taken during the load — each written atomically.

use std::path::Path;

use serde::Serialize;

use super::record::RequestRecord;
use crate::run::folder::{drive_error, DriveError};
use crate::samplers::cpu::CpuSampler;
use crate::samplers::gpu::{GpuSample, GpuSampler};

/// Pretty JSON with a final newline.
pub fn pretty(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("results serialise") + "\n"
}

/// Write `bytes` to `dir/name` atomically.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), DriveError> {
    let path = dir.join(name);
    crate::artifacts::atomic_write(&path, bytes).map_err(drive_error(&path))
}

/// Records as JSON lines.
pub fn records_jsonl(records: &[RequestRecord]) -> Vec<u8> {
    let mut lines = Vec::new();
    for r in records {
        serde_json::to_writer(&mut lines, r).expect("a record serialises");
        lines.push(b'\n');
    }
    lines
}

/// The samplers of a run, started together and stopped together.
pub struct Samplers {
    cpu: Result<CpuSampler, crate::samplers::cpu::Unavailable>,
    gpu: Result<GpuSampler, String>,
}

impl Samplers {
    /// Per-core busy % and the GPUs' memory and utilisation, 10 Hz (figure 12's sampler).
    pub fn start() -> Samplers {
        Samplers {
            cpu: CpuSampler::start(crate::samplers::INTERVAL),
            gpu: GpuSampler::start(crate::samplers::INTERVAL),
        }
    }

    /// Stop both: what they sampled.
    pub fn stop(self) -> Sampled {
        let cpu = match self.cpu {
            Ok(sampler) => {
                let samples = sampler.stop();
                serde_json::json!({
                    "source": "/proc/stat",
                    "interval_s": crate::samplers::INTERVAL.as_secs_f64(),
                    "per_core_percent": samples.samples,
                    "sampler_cpu_s": samples.thread_cpu.as_secs_f64(),
                })
            }
            Err(unavailable) => {
                serde_json::json!({"source": "/proc/stat", "unavailable": unavailable.to_string()})
            }
        };
        Sampled {
            cpu,
            gpu: self.gpu.map(|s| s.stop()),
        }
    }
}

/// What the samplers took: `cpu.json`'s contents (unavailable is a value), and the GPU samples
/// or why there are none.
pub struct Sampled {
    pub cpu: serde_json::Value,
    pub gpu: Result<Vec<GpuSample>, String>,
}

impl Sampled {
    /// Write `cpu.json` and `gpu.json`.
    pub fn write(&self, dir: &Path) -> Result<(), DriveError> {
        for (name, samples) in [("cpu.json", &self.cpu), ("gpu.json", &gpu_json(&self.gpu))] {
            let text = serde_json::to_string(samples).expect("samples serialise") + "\n";
            write(dir, name, text.as_bytes())?;
        }
        Ok(())
    }
}

/// `gpu.json`: the samples, or why there are none.
fn gpu_json(samples: &Result<Vec<GpuSample>, String>) -> serde_json::Value {
    match samples {
        Ok(samples) => serde_json::json!({
            "source": "nvml",
            "interval_s": crate::samplers::INTERVAL.as_secs_f64(),
            "samples": samples,
        }),
        Err(unavailable) => serde_json::json!({"source": "nvml", "unavailable": unavailable}),
    }
}
