//! A tiny per-core CPU sampler (`/proc/stat`, 10 Hz) that runs beside the load, so a run shows
//! whether the client, the server or a neighbour used the cores. Kept here, small, until the
//! shared `samplers` module lands; "unavailable" (no `/proc/stat`) is a value, not a failure.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Busy share (0–1) of each core between two readings, at `t` seconds from the start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub t: f64,
    pub busy: Vec<f64>,
}

/// What the sampler saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpuUsage {
    pub source: &'static str,
    pub interval_s: f64,
    /// `None` where `/proc/stat` could not be read.
    pub samples: Option<Vec<Sample>>,
}

/// (busy, total) jiffies per core (`cpuN` lines; the `cpu` total line is skipped).
pub fn parse_proc_stat(text: &str) -> Vec<(u64, u64)> {
    text.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<u64> = l
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            let total: u64 = v.iter().take(8).sum();
            // idle + iowait are not busy.
            let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
            (total - idle.min(total), total)
        })
        .collect()
}

/// Busy share per core between two readings.
pub fn busy_between(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .map(|(&(busy0, total0), &(busy1, total1))| {
            let dt = total1.saturating_sub(total0);
            if dt == 0 {
                0.0
            } else {
                busy1.saturating_sub(busy0) as f64 / dt as f64
            }
        })
        .collect()
}

/// A running sampler; `stop` returns what it saw.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Option<Vec<Sample>>>,
    interval: Duration,
}

impl Sampler {
    pub fn start(interval: Duration) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let read = || {
                std::fs::read_to_string("/proc/stat")
                    .ok()
                    .map(|t| parse_proc_stat(&t))
            };
            let t0 = Instant::now();
            let mut last = read()?;
            let mut samples = Vec::new();
            // Bounded: one hour of samples at most.
            while !flag.load(Ordering::SeqCst) && samples.len() < 36_000 {
                std::thread::sleep(interval);
                let now = read()?;
                samples.push(Sample {
                    t: t0.elapsed().as_secs_f64(),
                    busy: busy_between(&last, &now),
                });
                last = now;
            }
            Some(samples)
        });
        Sampler {
            stop,
            handle,
            interval,
        }
    }

    pub fn stop(self) -> CpuUsage {
        self.stop.store(true, Ordering::SeqCst);
        CpuUsage {
            source: "/proc/stat",
            interval_s: self.interval.as_secs_f64(),
            samples: self.handle.join().ok().flatten(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_share_per_core() {
        let a = parse_proc_stat("cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\ncpu1 5 0 5 40 0 0 0 0\nintr 1\n");
        let b = parse_proc_stat("cpu0 15 0 5 50 0 0 0 0 0 0\ncpu1 5 0 5 60 0 0 0 0\n");
        assert_eq!(a, vec![(10, 50), (10, 50)]);
        // core 0: 10 busy of 20; core 1: 0 of 20.
        assert_eq!(busy_between(&a, &b), vec![0.5, 0.0]);
    }
}
