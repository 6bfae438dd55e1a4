//! The load generator: open loop (send at scheduled times, whatever the server does) or closed
//! loop (`concurrency` requests in flight). Every request ends in a record; requests not sent
//! before the run's time limit or an interrupt are recorded as `not_sent`.
//!
//! Open loop: the calling thread (not a runtime worker) sleeps until each send time (a coarse sleep with 1 ns timer
//! slack, then a short spin for the last 20 µs, since tokio's timer ticks in milliseconds) and hands the request to
//! the runtime; the request stamps its own send time when it starts, so the recorded send lag
//! includes the runtime's scheduling delay.

use crate::run::Interrupt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::client::{self, Target};
use super::record::RequestRecord;
use super::workload::Request;

/// How the load is offered.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Send times, seconds from the start, one per request.
    Open(Vec<f64>),
    Closed {
        concurrency: u32,
    },
}

/// Sleep until `t` with sub-millisecond accuracy, waking at least every 100 ms to look at
/// Ctrl-C. Returns false if interrupted.
pub(crate) fn sleep_until(t: Instant, interrupt: &Interrupt) -> bool {
    const SPIN: Duration = Duration::from_micros(20);
    loop {
        if interrupt.count() > 0 {
            return false;
        }
        let now = Instant::now();
        if t <= now + SPIN {
            break;
        }
        std::thread::sleep((t - now - SPIN).min(Duration::from_millis(100)));
    }
    while Instant::now() < t {
        std::hint::spin_loop();
    }
    true
}

/// One load: where its requests go and what bounds it.
pub struct Load<'a> {
    pub rt: &'a tokio::runtime::Runtime,
    pub client: &'a reqwest::Client,
    pub target: &'a Target,
    /// No request is sent after this long.
    pub max_duration: Duration,
    pub interrupt: &'a Interrupt,
    pub limits: Limits,
}

/// Drive the whole workload; returns one record per request, in request order.
pub fn run(
    rt: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    target: &Target,
    requests: Vec<Request>,
    plan: &Plan,
    max_duration: Duration,
    interrupt: &Interrupt,
) -> Vec<RequestRecord> {
    let load = Load {
        rt,
        client,
        target,
        max_duration,
        interrupt,
        limits: Limits::default(),
    };
    run_with(&load, requests, plan)
}

/// What bounds an open loop beyond its schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    /// Keep the sending thread busy this long before each send: a deliberately starved client,
    /// to test that the self-check (`bench::loadcheck`) catches it.
    pub slowdown: Duration,
    /// Stop sending once this many requests are in flight (an over-saturated server would only
    /// queue more); the rest are `not_sent`, their error saying so.
    pub max_in_flight: Option<usize>,
}

/// The error of a request not sent because `limit` requests were in flight.
pub fn in_flight_stop(limit: usize) -> String {
    format!("not sent: {limit} requests were in flight, the limit (`capacity.max_in_flight`)")
}

/// [`run`] within the load's limits.
pub fn run_with(load: &Load, requests: Vec<Request>, plan: &Plan) -> Vec<RequestRecord> {
    let requests: Arc<Vec<Request>> = Arc::new(requests);
    match plan {
        Plan::Open(times) => open_loop(load, requests, times),
        Plan::Closed { concurrency } => closed_loop(load, requests, *concurrency),
    }
}

/// This thread's timer slack at 1 ns while it lives, so that sleeps wake on time, not up to
/// 50 µs late (the default); the old slack back when dropped.
pub(crate) struct TimerSlack(libc::c_int);

impl TimerSlack {
    pub(crate) fn tight() -> TimerSlack {
        // SAFETY: prctl with integer arguments only changes this thread's timer slack.
        let slack = unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) };
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1, 0, 0, 0) };
        TimerSlack(slack)
    }
}

impl Drop for TimerSlack {
    fn drop(&mut self) {
        if self.0 > 0 {
            // SAFETY: as above.
            unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, self.0 as libc::c_ulong, 0, 0, 0) };
        }
    }
}

/// Keep this thread busy for `d` (a starved client, for testing the self-check).
pub(crate) fn starve(d: Duration) {
    if !d.is_zero() {
        let busy = Instant::now() + d;
        while Instant::now() < busy {
            std::hint::spin_loop();
        }
    }
}

/// The record of a request not sent (scheduled at `at`); `limit` where the in-flight limit
/// stopped it.
fn not_sent(req: &Request, at: Option<f64>, limit: Option<usize>) -> RequestRecord {
    RequestRecord {
        priority: req.priority,
        error: limit.map(in_flight_stop),
        ..RequestRecord::not_sent(req.id, at, req.prompt_len, req.max_tokens)
    }
}

/// Send each request at its time from this thread, handing it to the runtime.
fn open_loop(load: &Load, requests: Arc<Vec<Request>>, times: &[f64]) -> Vec<RequestRecord> {
    let t0 = Instant::now();
    let stop_at = t0 + load.max_duration;
    let handle = load.rt.handle().clone();
    let target = Arc::new(load.target.clone());
    let limits = load.limits;
    let slack = TimerSlack::tight();
    let mut pending = Vec::with_capacity(requests.len());
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut saturated = false;
    for (req, &at) in requests.iter().zip(times) {
        let when = t0 + Duration::from_secs_f64(at.max(0.0));
        saturated = saturated
            || limits
                .max_in_flight
                .is_some_and(|max| in_flight.load(Ordering::SeqCst) >= max);
        if saturated || when > stop_at || !sleep_until(when, load.interrupt) {
            let limit = limits.max_in_flight.filter(|_| saturated);
            pending.push(Err(not_sent(req, Some(at), limit)));
            continue;
        }
        starve(limits.slowdown);
        let (client, target, requests) = (load.client.clone(), target.clone(), requests.clone());
        let index = req.id as usize;
        let dispatched = Some(Instant::now().duration_since(t0).as_secs_f64());
        let in_flight = in_flight.clone();
        in_flight.fetch_add(1, Ordering::SeqCst);
        pending.push(Ok(handle.spawn(async move {
            let record =
                client::send(&client, &target, &requests[index], t0, Some(at), dispatched).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            record
        })));
    }
    drop(slack);
    load.rt.block_on(async {
        let mut records = Vec::with_capacity(pending.len());
        for p in pending {
            records.push(match p {
                Ok(task) => task.await.expect("request task panicked"),
                Err(record) => record,
            });
        }
        records
    })
}

/// `concurrency` workers, each sending its next request when its last one ended.
fn closed_loop(load: &Load, requests: Arc<Vec<Request>>, concurrency: u32) -> Vec<RequestRecord> {
    let t0 = Instant::now();
    let stop_at = t0 + load.max_duration;
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, target, requests, next, interrupt) = (
                load.client.clone(),
                load.target.clone(),
                requests.clone(),
                next.clone(),
                load.interrupt.clone(),
            );
            load.rt.spawn(async move {
                let mut done = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(req) = requests.get(i) else { break };
                    if Instant::now() >= stop_at || interrupt.count() > 0 {
                        done.push(not_sent(req, None, None));
                        continue;
                    }
                    done.push(client::send(&client, &target, req, t0, None, None).await);
                }
                done
            })
        })
        .collect();
    let mut records = load.rt.block_on(async {
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.expect("closed-loop worker panicked"));
        }
        all
    });
    records.sort_by_key(|r| r.id);
    records
}
