//! Samplers that run beside an engine run: per-core CPU usage (/proc/stat) and GPU memory and
//! utilisation (NVML). A sampler that cannot run on this machine reports why; that is a value
//! recorded in the manifest, not an error.

pub mod cpu;
pub mod gpu;

use std::time::Duration;

/// 10 Hz, as the paper's figure-12 monitor.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// CPU time the calling thread has used (user + system), from `getrusage(RUSAGE_THREAD)`.
pub fn thread_cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a complete rusage into the pointer it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) };
    if rc != 0 {
        return Duration::ZERO;
    }
    // SAFETY: rc == 0, so the struct was filled in.
    let usage = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Sleep until `next`, then move it on by `interval` (no drift from the work in between).
fn tick(next: &mut std::time::Instant, interval: Duration) {
    let now = std::time::Instant::now();
    if *next > now {
        std::thread::sleep(*next - now);
    }
    *next += interval;
    if *next < now {
        *next = now + interval;
    }
}
