//! A load generator that checks itself: whether the client, not the server, was the limit of a
//! run. Every open-loop run records, per request, its scheduled, dispatched and actual send time;
//! from them, the in-flight requests and the client's own CPU use, a run is marked invalid when
//! the generator fell behind its own schedule — it stays on disk, but curves and capacity
//! searches leave it out — saying which measure tripped.
//!
//! Limits (open loop only; a closed loop paces itself on the server's answers):
//! - **send lag**: p90 of actual − scheduled send above `max(10 ms, ½ of the mean scheduled
//!   gap)` — the sender could not keep its timetable (p90, not p99: a few late sends when the
//!   machine is busy are noise; a generator at its limit falls behind for good);
//! - **achieved rate**: the achieved send rate below 95 % of the schedule's own rate;
//! - **client CPU**: the generator's process busy ≥ 90 % of the cores it could use (its runtime's
//!   workers and the sending thread, at most the machine's cores) during the load.
//!
//! Also recorded, not judged: the peak of requests in flight and the sockets the client holds
//! open after the load (its connection pool: about the most connections open at once).

use serde::{Deserialize, Serialize};

use super::measures::Arrivals;
use super::record::RequestRecord;

/// The send-lag limit: at least this, seconds.
pub const LAG_FLOOR: f64 = 0.010;
/// … or this share of the mean gap between scheduled sends.
pub const LAG_SHARE_OF_GAP: f64 = 0.5;
/// The achieved send rate must be at least this share of the scheduled one.
pub const RATE_SHARE: f64 = 0.95;
/// The client's CPU use must stay below this share of the cores it could use.
pub const CPU_SHARE: f64 = 0.9;

/// What the generator measured of itself.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClientUse {
    /// CPU seconds of the repro process (user + system) during the load.
    pub cpu_s: f64,
    /// Wall seconds of the load.
    pub wall_s: f64,
    /// Cores the generator could use.
    pub cores: f64,
    /// Sockets this process holds open right after the load (`/proc/self/fd`): the connection
    /// pool's, about the most connections open at once; `None` where unreadable.
    pub sockets: Option<usize>,
}

impl ClientUse {
    /// This process's CPU seconds so far (`getrusage(RUSAGE_SELF)`); 0 where unavailable.
    pub fn process_cpu_s() -> f64 {
        // SAFETY: getrusage writes into the zeroed struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
            return 0.0;
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        secs(usage.ru_utime) + secs(usage.ru_stime)
    }

    /// Sockets this process holds open now; `None` without `/proc`.
    pub fn open_sockets() -> Option<usize> {
        let fds = std::fs::read_dir("/proc/self/fd").ok()?;
        Some(
            fds.flatten()
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|t| t.to_string_lossy().starts_with("socket:"))
                })
                .count(),
        )
    }
}

/// The self-check of a run, in `summary.json` as `client`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientCheck {
    /// False when the client was the limit: the run is kept but left out of curves and searches.
    pub valid: bool,
    /// Each limit that tripped, in words with its measure.
    pub tripped: Vec<String>,
    /// p90 of actual − scheduled send, seconds (open loop).
    pub send_lag_p90: Option<f64>,
    /// The send-lag limit this run was held to, seconds.
    pub send_lag_limit: Option<f64>,
    /// Achieved / scheduled send rate.
    pub rate_ratio: Option<f64>,
    /// The client's CPU seconds per wall second during the load (1.0 = one core busy).
    pub cpu_cores_busy: Option<f64>,
    pub cpu_cores_usable: Option<f64>,
    /// Requests in flight (sent, not ended) at their sends: the most.
    pub in_flight_peak: usize,
    /// Sockets the client held open right after the load (its connection pool).
    #[serde(default)]
    pub sockets_open: Option<usize>,
}

/// Requests sent and not yet ended at each send, in send order.
pub fn in_flight_at_sends(records: &[RequestRecord]) -> Vec<usize> {
    let mut sends: Vec<f64> = records.iter().filter_map(|r| r.sent).collect();
    sends.sort_by(f64::total_cmp);
    let mut ends: Vec<f64> = records
        .iter()
        .filter(|r| r.sent.is_some())
        .filter_map(|r| r.end)
        .collect();
    ends.sort_by(f64::total_cmp);
    sends
        .iter()
        .enumerate()
        .map(|(i, &t)| (i + 1).saturating_sub(ends.partition_point(|&e| e <= t)))
        .collect()
}

/// Check a run: how its `records` `arrived` (its summary's); `usage` of the client where
/// measured.
pub fn check(records: &[RequestRecord], a: &Arrivals, usage: Option<ClientUse>) -> ClientCheck {
    let mut tripped = Vec::new();
    let open = a.scheduled_rate.is_some();
    let lag_limit = a
        .scheduled_rate
        .filter(|r| *r > 0.0)
        .map(|r| LAG_FLOOR.max(LAG_SHARE_OF_GAP / r));
    if let (Some(lag), Some(limit)) = (a.send_lag.p90, lag_limit) {
        if lag > limit {
            tripped.push(format!(
                "send lag: p90 {:.1} ms behind the schedule, over the {:.1} ms limit",
                lag * 1000.0,
                limit * 1000.0
            ));
        }
    }
    let ratio = match (a.achieved_rate, a.scheduled_rate) {
        (Some(x), Some(s)) if s > 0.0 => Some(x / s),
        _ => None,
    };
    if let Some(ratio) = ratio.filter(|r| *r < RATE_SHARE) {
        tripped.push(format!(
            "achieved rate: {:.2} req/s sent of {:.2} scheduled ({:.0}%, under {:.0}%)",
            a.achieved_rate.unwrap_or(0.0),
            a.scheduled_rate.unwrap_or(0.0),
            ratio * 100.0,
            RATE_SHARE * 100.0
        ));
    }
    let busy = usage
        .filter(|u| u.wall_s > 0.0)
        .map(|u| (u.cpu_s / u.wall_s, u.cores));
    if let Some((busy, cores)) = busy.filter(|_| open) {
        if busy >= CPU_SHARE * cores {
            tripped.push(format!(
                "client CPU: {busy:.2} cores busy of {cores} usable (≥ {:.0}%)",
                CPU_SHARE * 100.0
            ));
        }
    }
    ClientCheck {
        valid: tripped.is_empty(),
        tripped,
        send_lag_p90: a.send_lag.p90,
        send_lag_limit: lag_limit,
        rate_ratio: ratio,
        cpu_cores_busy: busy.map(|b| b.0),
        cpu_cores_usable: busy.map(|b| b.1),
        in_flight_peak: in_flight_at_sends(records).into_iter().max().unwrap_or(0),
        sockets_open: usage.and_then(|u| u.sockets),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::metrics::{summarize, Offered, Slo};
    use crate::bench::record::Outcome;

    /// Scheduled every 10 ms (100 req/s), sent `lag(i)` late, each served in 55 ms.
    fn run(lag: impl Fn(usize) -> f64) -> Vec<RequestRecord> {
        (0..100)
            .map(|i| {
                let at = i as f64 * 0.01;
                let sent = at + lag(i);
                RequestRecord {
                    sent: Some(sent),
                    first_token: Some(sent + 0.055),
                    chunks: vec![sent + 0.055],
                    end: Some(sent + 0.055),
                    completion_tokens: Some(1),
                    outcome: Outcome::Ok,
                    ..RequestRecord::not_sent(i as u64, Some(at), 1, 1)
                }
            })
            .collect()
    }

    fn checked(records: &[RequestRecord], usage: Option<ClientUse>) -> ClientCheck {
        let offered = Offered {
            target_rate: Some(100.0),
            concurrency: None,
        };
        check(
            records,
            &summarize(records, Slo::default(), offered).arrivals,
            usage,
        )
    }

    #[test]
    fn a_punctual_client_is_valid() {
        let c = checked(&run(|_| 0.0001), None);
        assert!(c.valid, "{c:?}");
        // 55 ms of service at 100 req/s: a send finds the 5 before it and itself in flight.
        assert_eq!(c.in_flight_peak, 6);
    }

    #[test]
    fn a_client_falling_behind_trips_lag_and_rate() {
        // 5 ms more behind at each send: it sends at 1 / 15 ms, not 1 / 10 ms.
        let c = checked(&run(|i| i as f64 * 0.005), None);
        assert!(!c.valid);
        assert!(c.tripped[0].starts_with("send lag"), "{:?}", c.tripped);
        assert!(c.tripped[1].starts_with("achieved rate"), "{:?}", c.tripped);
        assert!((c.rate_ratio.unwrap() - 10.0 / 15.0).abs() < 1e-9);
    }

    #[test]
    fn a_busy_client_trips_cpu() {
        let usage = ClientUse {
            cpu_s: 1.9,
            wall_s: 1.0,
            cores: 2.0,
            sockets: Some(3),
        };
        let c = checked(&run(|_| 0.0), Some(usage));
        assert_eq!(c.tripped.len(), 1, "{:?}", c.tripped);
        assert!(c.tripped[0].starts_with("client CPU"));
        assert_eq!(c.sockets_open, Some(3));
    }
}
