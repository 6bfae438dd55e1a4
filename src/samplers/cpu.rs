//! Per-core CPU usage from `/proc/stat`, sampled at 10 Hz in a thread beside the run and written
//! in figure 12's `cpu_usage.json` format: a list of samples, each a list of per-core percentages
//! (one decimal, as psutil's `cpu_percent(percpu=True)`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A core's jiffies: busy and total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreTimes {
    pub busy: u64,
    pub total: u64,
}

/// Why CPU sampling cannot run here.
#[derive(Debug, thiserror::Error)]
#[error("unavailable: cannot read /proc/stat ({0})")]
pub struct Unavailable(String);

/// The `cpuN` lines of a `/proc/stat` text (idle + iowait count as idle, as psutil does).
pub fn parse_proc_stat(text: &str) -> Vec<CoreTimes> {
    text.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|line| {
            let fields: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|f| f.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal (guest time is inside user).
            let total: u64 = fields.iter().take(8).sum();
            let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
            CoreTimes {
                busy: total - idle,
                total,
            }
        })
        .collect()
}

fn read_cores() -> Result<Vec<CoreTimes>, Unavailable> {
    let text = std::fs::read_to_string("/proc/stat").map_err(|e| Unavailable(e.to_string()))?;
    let cores = parse_proc_stat(&text);
    if cores.is_empty() {
        return Err(Unavailable("no cpuN lines".into()));
    }
    Ok(cores)
}

/// Per-core percentages between two readings, one decimal.
pub fn usage(before: &[CoreTimes], after: &[CoreTimes]) -> Vec<f64> {
    before
        .iter()
        .zip(after)
        .map(|(b, a)| {
            let total = a.total.saturating_sub(b.total);
            if total == 0 {
                return 0.0;
            }
            let busy = a.busy.saturating_sub(b.busy);
            (busy as f64 * 1000.0 / total as f64).round() / 10.0
        })
        .collect()
}

/// What a finished sampler gives back.
#[derive(Debug, Clone)]
pub struct CpuSamples {
    pub samples: Vec<Vec<f64>>,
    /// CPU time the sampler thread used, and over how long (its overhead).
    pub thread_cpu: Duration,
    pub wall: Duration,
}

impl CpuSamples {
    /// `[[12.5, 0.0, …], …]`, as the paper's `json.dump(usage_log)`.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.samples).expect("floats serialise")
    }
}

/// A running sampler thread.
pub struct CpuSampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<CpuSamples>,
}

impl CpuSampler {
    /// Start sampling every `interval`.
    pub fn start(interval: Duration) -> Result<CpuSampler, Unavailable> {
        let first = read_cores()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("cpu-sampler".into())
            .spawn(move || sample_loop(first, interval, &flag))
            .map_err(|e| Unavailable(e.to_string()))?;
        Ok(CpuSampler { stop, thread })
    }

    pub fn stop(self) -> CpuSamples {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or(CpuSamples {
            samples: vec![],
            thread_cpu: Duration::ZERO,
            wall: Duration::ZERO,
        })
    }
}

fn sample_loop(first: Vec<CoreTimes>, interval: Duration, stop: &AtomicBool) -> CpuSamples {
    let start = Instant::now();
    let mut previous = first;
    let mut samples = Vec::new();
    let mut next = start + interval;
    while !stop.load(Ordering::Relaxed) {
        super::tick(&mut next, interval);
        let Ok(now) = read_cores() else { break };
        samples.push(usage(&previous, &now));
        previous = now;
    }
    CpuSamples {
        samples,
        thread_cpu: super::thread_cpu_time(),
        wall: start.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_lines_become_percentages() {
        let a = parse_proc_stat(
            "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\ncpu1 5 0 5 40 0 0 0 0 0 0\nintr 1\n",
        );
        let b =
            parse_proc_stat("cpu  0\ncpu0 10 0 10 80 0 0 0 0 0 0\ncpu1 5 0 5 140 0 0 0 0 0 0\n");
        assert_eq!(a.len(), 2);
        assert_eq!(usage(&a, &b), vec![20.0, 0.0]);
    }

    #[test]
    fn sampler_collects_samples() {
        let Ok(sampler) = CpuSampler::start(Duration::from_millis(10)) else {
            eprintln!("SKIPPED: /proc/stat unreadable here");
            return;
        };
        std::thread::sleep(Duration::from_millis(80));
        let out = sampler.stop();
        assert!(!out.samples.is_empty());
        assert!(out
            .samples
            .iter()
            .all(|s| s.iter().all(|p| (0.0..=100.0).contains(p))));
    }

    /// Overhead of the sampler: its thread's CPU time per wall second, at 10 Hz.
    /// `REPRO_SAMPLER_BENCH_SECS=20 cargo test --release --lib sampler_overhead -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn sampler_overhead() {
        let secs: u64 = std::env::var("REPRO_SAMPLER_BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20);
        let sampler = CpuSampler::start(crate::samplers::INTERVAL).unwrap();
        std::thread::sleep(Duration::from_secs(secs));
        let out = sampler.stop();
        let share = out.thread_cpu.as_secs_f64() / out.wall.as_secs_f64() * 100.0;
        println!(
            "cpu sampler: {} samples of {} cores in {:.1} s wall, {:.3} ms CPU = {share:.4}% of one core",
            out.samples.len(),
            out.samples.first().map_or(0, Vec::len),
            out.wall.as_secs_f64(),
            out.thread_cpu.as_secs_f64() * 1000.0
        );
    }
}
