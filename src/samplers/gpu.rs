//! GPU memory and utilisation through NVML (`nvml-wrapper` loads libnvidia-ml at run time).
//! Without a driver, [`GpuInventory::Unavailable`] says so and runs go on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nvml_wrapper::Nvml;
use serde::{Deserialize, Serialize};

/// The GPUs of this machine, or why they are not known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GpuInventory {
    Available {
        driver: Option<String>,
        devices: Vec<GpuDevice>,
    },
    /// `unavailable: no NVIDIA driver (…)`.
    Unavailable(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuDevice {
    pub index: u32,
    pub name: String,
    pub memory_total_bytes: u64,
}

fn unavailable(error: impl std::fmt::Display) -> String {
    format!("unavailable: no NVIDIA driver ({error})")
}

/// What NVML says about this machine's GPUs.
pub fn inventory() -> GpuInventory {
    let nvml = match Nvml::init() {
        Ok(nvml) => nvml,
        Err(e) => return GpuInventory::Unavailable(unavailable(e)),
    };
    let count = match nvml.device_count() {
        Ok(n) => n,
        Err(e) => return GpuInventory::Unavailable(format!("unavailable: {e}")),
    };
    let devices = (0..count)
        .filter_map(|index| {
            let device = nvml.device_by_index(index).ok()?;
            Some(GpuDevice {
                index,
                name: device.name().unwrap_or_default(),
                memory_total_bytes: device.memory_info().map(|m| m.total).unwrap_or(0),
            })
        })
        .collect();
    GpuInventory::Available {
        driver: nvml.sys_driver_version().ok(),
        devices,
    }
}

/// One reading of every GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuSample {
    /// Seconds since the sampler started.
    pub t: f64,
    /// Per device: bytes of memory used.
    pub memory_used_bytes: Vec<u64>,
    /// Per device: percent of time a kernel ran.
    pub utilization_percent: Vec<u32>,
}

/// A running GPU sampler.
pub struct GpuSampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<GpuSample>>,
}

impl GpuSampler {
    /// Start sampling every `interval`, or say why it cannot.
    pub fn start(interval: Duration) -> Result<GpuSampler, String> {
        let nvml = Nvml::init().map_err(unavailable)?;
        let count = nvml
            .device_count()
            .map_err(|e| format!("unavailable: {e}"))?;
        if count == 0 {
            return Err("unavailable: NVML sees no GPU".into());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("gpu-sampler".into())
            .spawn(move || sample_loop(&nvml, count, interval, &flag))
            .map_err(|e| format!("unavailable: {e}"))?;
        Ok(GpuSampler { stop, thread })
    }

    pub fn stop(self) -> Vec<GpuSample> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

fn sample_loop(nvml: &Nvml, count: u32, interval: Duration, stop: &AtomicBool) -> Vec<GpuSample> {
    let start = Instant::now();
    let mut next = start;
    let mut samples = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let mut sample = GpuSample {
            t: start.elapsed().as_secs_f64(),
            memory_used_bytes: vec![],
            utilization_percent: vec![],
        };
        for index in 0..count {
            let device = nvml.device_by_index(index);
            let (used, util) = match device {
                Ok(d) => (
                    d.memory_info().map(|m| m.used).unwrap_or(0),
                    d.utilization_rates().map(|u| u.gpu).unwrap_or(0),
                ),
                Err(_) => (0, 0),
            };
            sample.memory_used_bytes.push(used);
            sample.utilization_percent.push(util);
        }
        samples.push(sample);
        super::tick(&mut next, interval);
    }
    samples
}
