//! The loads of a shared run, at once: each tenant's in a thread of its own (after its
//! `start_after`), while this thread watches the servers — one that exits stops every load
//! (the requests not yet sent are recorded `not_sent`), as Ctrl-C does.

use std::time::{Duration, Instant};

use super::client::{ApiKey, Target};
use super::context::Http;
use super::load;
use super::metrics::Offered;
use super::record::RequestRecord;
use super::runner::{self, Launch};
use super::workload::Request;
use crate::recipe::tenants::TenantRun;
use crate::run::child::Background;
use crate::run::Interrupt;

/// A tenant's workload, made before anything starts.
pub struct Inputs {
    pub requests: Vec<Request>,
    pub times: Option<Vec<f64>>,
    pub api_key: Option<String>,
}

/// What the loads gave: per tenant its records, how its load was offered, when it started, and
/// how its server ended where it died during the load.
pub struct Loaded {
    pub t0: Instant,
    pub records: Vec<Vec<RequestRecord>>,
    pub offered: Vec<Offered>,
    pub starts: Vec<Instant>,
    pub died: Vec<Option<String>>,
    /// The GPU samples taken during the loads (none without a GPU).
    pub gpu: Vec<crate::samplers::gpu::GpuSample>,
}

/// Every tenant's load at once against its started server.
pub fn run(
    http: &Http,
    tenants: &[TenantRun],
    inputs: Vec<Inputs>,
    started: &mut [(Launch, Background, Instant)],
    interrupt: &Interrupt,
) -> Loaded {
    let stop = Interrupt::default();
    let mut died: Vec<Option<String>> = vec![None; tenants.len()];
    let t0 = Instant::now();
    let outputs: Vec<(Vec<RequestRecord>, Offered, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = tenants
            .iter()
            .zip(inputs)
            .zip(started.iter())
            .map(|((t, input), (launch, _, _))| {
                let stop = stop.clone();
                let target = target_of(t, &input, launch);
                s.spawn(move || one_load(http, t, input, target, t0, &stop))
            })
            .collect();
        while !handles.iter().all(|h| h.is_finished()) {
            if interrupt.count() > 0 && stop.count() == 0 {
                stop.raise();
            }
            note_deaths(started, &mut died, &stop);
            std::thread::sleep(Duration::from_millis(20));
        }
        handles
            .into_iter()
            .map(|h| h.join().expect("a load thread panicked"))
            .collect()
    });
    for (i, (_, server, _)) in started.iter_mut().enumerate() {
        if died[i].is_none() {
            died[i] = server.exited();
        }
    }
    let mut loaded = Loaded {
        t0,
        records: vec![],
        offered: vec![],
        starts: vec![],
        died,
        gpu: vec![],
    };
    for (records, offered, start) in outputs {
        loaded.records.push(records);
        loaded.offered.push(offered);
        loaded.starts.push(start);
    }
    loaded
}

/// A server that exited stops every load.
fn note_deaths(
    started: &mut [(Launch, Background, Instant)],
    died: &mut [Option<String>],
    stop: &Interrupt,
) {
    for (i, (_, server, _)) in started.iter_mut().enumerate() {
        if died[i].is_none() {
            if let Some(status) = server.exited() {
                died[i] = Some(status);
                stop.raise();
            }
        }
    }
}

/// Where a tenant's requests go.
fn target_of(t: &TenantRun, input: &Inputs, launch: &Launch) -> Target {
    let w = &t.run.workload;
    Target {
        base_url: launch.base_url.clone(),
        endpoint: w.endpoint,
        model: t.run.model.clone(),
        ignore_eos: w.ignore_eos,
        api_key: input.api_key.clone().map(ApiKey),
        timeout: w.request_timeout,
        send_priority: super::client::schedules_by_priority(launch.argv.as_deref()),
    }
}

/// One tenant's load, from `t0 + start_after` (or nothing, if stopped before).
fn one_load(
    http: &Http,
    t: &TenantRun,
    input: Inputs,
    target: Target,
    t0: Instant,
    stop: &Interrupt,
) -> (Vec<RequestRecord>, Offered, Instant) {
    let w = &t.run.workload;
    let at = t0 + t.start_after;
    while stop.count() == 0 {
        let now = Instant::now();
        if now >= at {
            break;
        }
        std::thread::sleep((at - now).min(Duration::from_millis(10)));
    }
    let start = Instant::now();
    let (plan, offered) = runner::load_plan(w, input.times.as_deref());
    let records = load::run(
        &http.rt,
        &http.client,
        &target,
        input.requests,
        &plan,
        w.max_duration,
        stop,
    );
    (records, offered, start)
}

/// Await every future; the first error (with its index) ends the wait for the rest.
pub async fn all_ok<T, E, F>(futures: Vec<F>) -> Result<Vec<T>, (usize, E)>
where
    F: std::future::Future<Output = Result<T, E>>,
{
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futures.iter_mut().enumerate() {
            if done[i].is_some() {
                continue;
            }
            match f.as_mut().poll(cx) {
                std::task::Poll::Ready(Ok(v)) => done[i] = Some(v),
                std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready(Err((i, e))),
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(Ok(()))
        }
    })
    .await?;
    Ok(done
        .into_iter()
        .map(|d| d.expect("every future is done"))
        .collect())
}
