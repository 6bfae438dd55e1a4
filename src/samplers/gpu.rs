//! GPU memory and utilisation through NVML (`nvml-wrapper` loads libnvidia-ml at run time), per
//! device and, where NVML lists them, per compute process (with its process group, so a
//! server's memory is found through the group repro started it in).
//! Without a driver, [`GpuInventory::Unavailable`] says so and runs go on.

use std::collections::BTreeSet;
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
        /// The CUDA version the driver supports (`12.8`); absent in older manifests.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cuda: Option<String>,
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

impl GpuInventory {
    /// `NVIDIA H100 NVL` (names joined), or `none (no NVIDIA driver)`.
    pub fn describe(&self) -> String {
        match self {
            GpuInventory::Available { devices, .. } if !devices.is_empty() => {
                let names: BTreeSet<&str> = devices.iter().map(|d| d.name.as_str()).collect();
                format!(
                    "{} × {}",
                    devices.len(),
                    names.into_iter().collect::<Vec<_>>().join(", ")
                )
            }
            GpuInventory::Available { .. } => "none found".into(),
            GpuInventory::Unavailable(why) if why.contains("no NVIDIA driver") => {
                "none (no NVIDIA driver)".into()
            }
            GpuInventory::Unavailable(why) => format!("unknown ({why})"),
        }
    }
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
        cuda: nvml.sys_cuda_driver_version().ok().map(cuda_version),
        devices,
    }
}

/// NVML's CUDA driver version (`12080`) as CUDA writes it (`12.8`).
fn cuda_version(code: i32) -> String {
    format!("{}.{}", code / 1000, code % 1000 / 10)
}

/// The compute processes of one device, with their process groups.
fn processes(index: u32, device: &nvml_wrapper::Device<'_>) -> Vec<GpuProcess> {
    use nvml_wrapper::enums::device::UsedGpuMemory;
    let listed = device.running_compute_processes().unwrap_or_default();
    listed
        .into_iter()
        .map(|p| GpuProcess {
            device: index,
            pid: p.pid,
            pgid: process_group(p.pid),
            memory_used_bytes: match p.used_gpu_memory {
                UsedGpuMemory::Used(bytes) => Some(bytes),
                UsedGpuMemory::Unavailable => None,
            },
        })
        .collect()
}

/// The process group of `pid`: the fifth field of `/proc/<pid>/stat`, after the command name
/// in parentheses (which may itself hold spaces and parentheses).
fn process_group(pid: u32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    pgid_from_stat(&stat)
}

fn pgid_from_stat(stat: &str) -> Option<i32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // state, ppid, pgrp
    after_name.split_whitespace().nth(2)?.parse().ok()
}

/// What a run's samples say of the devices and of named process groups (a tenant's server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuUse {
    pub samples: usize,
    pub devices: Vec<DeviceUse>,
    /// Per named group: the most device memory its processes held at once (summed over its
    /// processes and devices), or null where NVML never listed one of them.
    pub peak_memory_bytes_by_group: indexmap::IndexMap<String, Option<u64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceUse {
    pub index: usize,
    pub mean_utilization_percent: f64,
    pub peak_utilization_percent: u32,
    pub peak_memory_used_bytes: u64,
}

/// Sum up samples: per device the mean and peak utilisation and the peak memory; per named
/// process group its peak memory. None for no samples (no GPU).
pub fn usage(samples: &[GpuSample], groups: &[(String, i32)]) -> Option<GpuUse> {
    let first = samples.first()?;
    let devices = (0..first.utilization_percent.len())
        .map(|index| {
            let util: Vec<u32> = samples
                .iter()
                .filter_map(|s| s.utilization_percent.get(index).copied())
                .collect();
            DeviceUse {
                index,
                mean_utilization_percent: util.iter().map(|&u| f64::from(u)).sum::<f64>()
                    / util.len().max(1) as f64,
                peak_utilization_percent: util.iter().copied().max().unwrap_or(0),
                peak_memory_used_bytes: samples
                    .iter()
                    .filter_map(|s| s.memory_used_bytes.get(index).copied())
                    .max()
                    .unwrap_or(0),
            }
        })
        .collect();
    let peak = |pgid: i32| {
        samples
            .iter()
            .filter_map(|s| {
                let mine: Vec<_> = s
                    .processes
                    .iter()
                    .filter(|p| p.pgid == Some(pgid))
                    .collect();
                (!mine.is_empty()).then(|| mine.iter().filter_map(|p| p.memory_used_bytes).sum())
            })
            .max()
    };
    Some(GpuUse {
        samples: samples.len(),
        devices,
        peak_memory_bytes_by_group: groups
            .iter()
            .map(|(name, pgid)| (name.clone(), peak(*pgid)))
            .collect(),
    })
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
    /// The compute processes NVML lists on any device (none where it lists none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<GpuProcess>,
}

/// One compute process on one device, at one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuProcess {
    pub device: u32,
    pub pid: u32,
    /// Its process group (from /proc), where this machine still shows the process.
    pub pgid: Option<i32>,
    /// Bytes of device memory it holds, where NVML says.
    pub memory_used_bytes: Option<u64>,
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
            processes: vec![],
        };
        for index in 0..count {
            let device = nvml.device_by_index(index);
            let (used, util) = match &device {
                Ok(d) => (
                    d.memory_info().map(|m| m.used).unwrap_or(0),
                    d.utilization_rates().map(|u| u.gpu).unwrap_or(0),
                ),
                Err(_) => (0, 0),
            };
            sample.memory_used_bytes.push(used);
            sample.utilization_percent.push(util);
            if let Ok(d) = &device {
                sample.processes.extend(processes(index, d));
            }
        }
        samples.push(sample);
        super::tick(&mut next, interval);
    }
    samples
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t: f64, util: u32, mem: u64, processes: Vec<GpuProcess>) -> GpuSample {
        GpuSample {
            t,
            memory_used_bytes: vec![mem],
            utilization_percent: vec![util],
            processes,
        }
    }

    fn process(pid: u32, pgid: i32, bytes: u64) -> GpuProcess {
        GpuProcess {
            device: 0,
            pid,
            pgid: Some(pgid),
            memory_used_bytes: Some(bytes),
        }
    }

    #[test]
    fn a_groups_peak_is_the_most_its_processes_held_at_once() {
        let samples = [
            sample(0.0, 10, 100, vec![process(11, 10, 30), process(21, 20, 5)]),
            // Group 10's two processes together: 30 + 40 at once beats either alone.
            sample(0.1, 50, 300, vec![process(11, 10, 30), process(12, 10, 40)]),
            sample(0.2, 30, 200, vec![process(12, 10, 60)]),
        ];
        let groups = [
            ("a".to_string(), 10),
            ("b".to_string(), 20),
            ("c".to_string(), 30),
        ];
        let used = usage(&samples, &groups).unwrap();
        assert_eq!(used.samples, 3);
        assert_eq!(used.devices[0].mean_utilization_percent, 30.0);
        assert_eq!(used.devices[0].peak_utilization_percent, 50);
        assert_eq!(used.devices[0].peak_memory_used_bytes, 300);
        assert_eq!(used.peak_memory_bytes_by_group["a"], Some(70));
        assert_eq!(used.peak_memory_bytes_by_group["b"], Some(5));
        assert_eq!(used.peak_memory_bytes_by_group["c"], None, "never listed");
        assert_eq!(usage(&[], &groups), None);
    }

    #[test]
    fn the_process_group_is_read_after_the_command_name() {
        let stat = "4242 (python3 (a) b) S 1 4240 4240 0 -1 4194560 …";
        assert_eq!(pgid_from_stat(stat), Some(4240));
        assert_eq!(pgid_from_stat("garbage"), None);
        assert!(process_group(std::process::id()).is_some());
    }

    #[test]
    fn samples_without_processes_serialise_as_before() {
        let text = serde_json::to_string(&sample(0.5, 1, 2, vec![])).unwrap();
        assert_eq!(
            text,
            r#"{"t":0.5,"memory_used_bytes":[2],"utilization_percent":[1]}"#
        );
    }
}
