//! Capacity search (`[capacity]` in a benchmark recipe): the highest open-loop request rate a
//! server sustains within a goal — every SLO met by a share of the requests, or a share of them
//! fluid (etalon's fluidity-index) — per server configuration of the matrix.
//!
//! The search brackets the capacity from `start_rate`, growing the rate by `growth` while probes
//! pass (shrinking it while they fail), then bisects the bracket until (lowest failing − highest
//! passing) / highest passing ≤ `precision`, at most `max_probes` probes. A probe whose server
//! completes requests more slowly than they were sent (by more than `saturation`) is
//! over-saturated: it fails whatever its latencies, so the bracket stops growing there; when
//! even `min_rate` over-saturates, the search stops. A probe the load generator could not
//! deliver (`client.valid = false`) stops the search: its rate says nothing of the server; the
//! next search runs that probe again (and reuses the others).
//!
//! Each probe is a run of its own (`capacity/<config>/rate_<r>/`, keyed like every run): the
//! search is a pure function of the probes' results, so a rerun after an interrupt finds the
//! same rates, skips the finished probes and reads their results back. `capacity.json` beside
//! the probes holds, per configuration, `capacity_rps` (the highest passing rate), the probes
//! in order and why the search stopped.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::deadline;
use super::metrics::Summary;
use super::prefill::Fit;
use super::record::{Outcome, RequestRecord};
use crate::artifacts::layout::bench_dir;
use crate::plan::bench::BenchTask;
use crate::recipe::bench::{BenchRecipe, BenchRun, CapacityGoal, CapacitySpec};
use crate::recipe::Scalar;
use crate::run::folder::FolderTask;

/// Version of `capacity.json`.
pub const FORMAT: u32 = 1;

/// A probe as the search sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// Requests/s offered.
    pub rate: f64,
    /// The run's folder, relative to the benchmark's (`capacity/default/rate_40.0`).
    pub dir: String,
    pub passed: bool,
    /// The share of requests meeting the goal (SLO attainment or fluid share).
    pub score: f64,
    /// Why the probe counts as over-saturated, where it does.
    pub saturated: Option<String>,
    /// Why the load generator, not the server, was the limit, where it was.
    pub invalid: Option<String>,
    /// Whether this search found it done before (and so did not run it).
    pub reused: bool,
    pub achieved_rate: Option<f64>,
    pub request_throughput: f64,
    pub completion_rate: Option<f64>,
    pub ttft_p99: Option<f64>,
    pub tpot_p99: Option<f64>,
    pub fluidity_index: Option<f64>,
}

/// Why a search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The bracket is within `precision`.
    Precision,
    /// `max_probes` probes were run.
    MaxProbes,
    /// Even `max_rate` meets the goal: the capacity is at least that.
    GoalMetAtMaxRate,
    /// Even `min_rate` misses the goal: the capacity is below it.
    GoalMissedAtMinRate,
    /// Even `min_rate` over-saturates the server.
    SaturatedAtMinRate,
    /// The load generator could not deliver a probe's rate.
    ClientLimit,
    /// A probe's run failed (its server did not start or died).
    ProbeFailed,
}

impl Stop {
    pub fn words(self) -> &'static str {
        match self {
            Stop::Precision => "the bracket is within the precision",
            Stop::MaxProbes => "the probe limit was reached",
            Stop::GoalMetAtMaxRate => "even max_rate meets the goal: the capacity is at least that",
            Stop::GoalMissedAtMinRate => "even min_rate misses the goal: the capacity is below it",
            Stop::SaturatedAtMinRate => "even min_rate over-saturates the server",
            Stop::ClientLimit => {
                "the load generator could not deliver a probe's rate (see the probe's `invalid`)"
            }
            Stop::ProbeFailed => "a probe's run failed (see its `<label>.failed/`)",
        }
    }
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    Probe(f64),
    Stop(Stop),
}

/// A rate to three significant digits, so probe labels stay short and reruns find them.
pub fn round_rate(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return x;
    }
    let scale = 10f64.powi(2 - x.log10().floor() as i32);
    (x * scale).round() / scale
}

/// The highest passing rate, and the lowest failing rate above it.
pub(crate) fn bracket(probes: &[Probe]) -> (Option<f64>, Option<f64>) {
    let lo = probes
        .iter()
        .filter(|p| p.passed)
        .map(|p| p.rate)
        .max_by(f64::total_cmp);
    // A failing probe below a passing one (noise near the capacity) does not bound it.
    let hi = probes
        .iter()
        .filter(|p| !p.passed && lo.is_none_or(|l| p.rate > l))
        .map(|p| p.rate)
        .min_by(f64::total_cmp);
    (lo, hi)
}

/// The next probe's rate, or why to stop, from the probes so far.
pub fn next_step(spec: &CapacitySpec, probes: &[Probe]) -> Step {
    if probes.iter().any(|p| p.invalid.is_some()) {
        return Step::Stop(Stop::ClientLimit);
    }
    let candidate = match bracket(probes) {
        (None, None) => spec.start_rate.unwrap_or(spec.min_rate),
        (Some(lo), None) if lo >= spec.max_rate => return Step::Stop(Stop::GoalMetAtMaxRate),
        (Some(lo), None) => (lo * spec.growth).min(spec.max_rate),
        (None, Some(hi)) if hi <= spec.min_rate => {
            let saturated = probes.iter().any(|p| p.rate == hi && p.saturated.is_some());
            return Step::Stop(match saturated {
                true => Stop::SaturatedAtMinRate,
                false => Stop::GoalMissedAtMinRate,
            });
        }
        (None, Some(hi)) => (hi / spec.growth).max(spec.min_rate),
        (Some(lo), Some(hi)) if (hi - lo) / lo <= spec.precision => {
            return Step::Stop(Stop::Precision)
        }
        (Some(lo), Some(hi)) => (lo + hi) / 2.0,
    };
    if probes.len() >= spec.max_probes as usize {
        return Step::Stop(Stop::MaxProbes);
    }
    let rate = round_rate(candidate).clamp(spec.min_rate, spec.max_rate);
    if probes.iter().any(|p| p.rate == rate) {
        // Three digits cannot split the bracket further.
        return Step::Stop(Stop::Precision);
    }
    Step::Probe(rate)
}

/// How fast the server completed requests against how fast they were sent, and how many were
/// in flight: from the middle half of the sends and of the ok completions, so the latency (a
/// shift of every completion) does not count, only a difference of rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saturation {
    pub send_rate: f64,
    pub completion_rate: f64,
    /// 1 − completion rate / send rate, at least 0.
    pub behind: f64,
    /// Requests sent and not ended, at each send: the mean over the first and last quarter of
    /// the sends, and the most.
    pub in_flight_first_quarter: f64,
    pub in_flight_last_quarter: f64,
    pub in_flight_peak: usize,
}

/// The rate of the middle half of sorted times: (k3 − k1) / (t[k3] − t[k1]).
fn middle_rate(sorted: &[f64]) -> Option<f64> {
    let (k1, k3) = (sorted.len() / 4, sorted.len() * 3 / 4);
    let span = sorted.get(k3)? - sorted.get(k1)?;
    (span > 0.0 && k3 > k1).then(|| (k3 - k1) as f64 / span)
}

/// Completion against send rates of a run's records; `None` with fewer than 8 sent.
pub fn saturation(records: &[RequestRecord]) -> Option<Saturation> {
    let mut sends: Vec<f64> = records.iter().filter_map(|r| r.sent).collect();
    if sends.len() < 8 {
        return None;
    }
    sends.sort_by(f64::total_cmp);
    let send_rate = middle_rate(&sends)?;
    let mut done: Vec<f64> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Ok)
        .filter_map(|r| r.end)
        .collect();
    done.sort_by(f64::total_cmp);
    // Fewer than half served: the server kept up with at most that share.
    let completion_rate = match done.len() * 2 >= sends.len() {
        true => middle_rate(&done).unwrap_or(0.0),
        false => send_rate * done.len() as f64 / sends.len() as f64,
    };
    let mut ends: Vec<f64> = records
        .iter()
        .filter(|r| r.sent.is_some())
        .filter_map(|r| r.end)
        .collect();
    ends.sort_by(f64::total_cmp);
    let in_flight: Vec<usize> = sends
        .iter()
        .enumerate()
        .map(|(i, &t)| (i + 1).saturating_sub(ends.partition_point(|&e| e <= t)))
        .collect();
    let quarter = (in_flight.len() / 4).max(1);
    let mean = |v: &[usize]| v.iter().sum::<usize>() as f64 / v.len().max(1) as f64;
    Some(Saturation {
        send_rate,
        completion_rate,
        behind: (1.0 - completion_rate / send_rate).max(0.0),
        in_flight_first_quarter: mean(&in_flight[..quarter]),
        in_flight_last_quarter: mean(&in_flight[in_flight.len() - quarter..]),
        in_flight_peak: in_flight.iter().copied().max().unwrap_or(0),
    })
}

/// The share of a run's requests meeting the goal; with a prefill fit, each request's TTFT
/// deadline is its predicted prefill plus `ttft_slack`.
pub fn score(
    spec: &CapacitySpec,
    summary: &Summary,
    records: &[RequestRecord],
    prefill: Option<&Fit>,
) -> f64 {
    match spec.goal {
        CapacityGoal::Slo => summary.attainment.as_ref().map_or(0.0, |a| a.all),
        CapacityGoal::Fluidity => {
            let (d, _) = summary.slo.deadlines();
            let slack = spec.ttft_slack.map_or(0.0, |s| s.as_secs_f64());
            let ttft_deadline = |r: &RequestRecord| match prefill {
                Some(fit) => fit.predict(r.prompt_tokens.unwrap_or(r.prompt_len) as f64) + slack,
                None => d.ttft,
            };
            let fluid = records
                .iter()
                .filter(|r| r.outcome == Outcome::Ok)
                .filter_map(|r| {
                    let g = deadline::gaps(r)?;
                    deadline::tally(&g, ttft_deadline(r), d.tbt, false).fluidity()
                })
                .filter(|&f| f >= spec.fluidity)
                .count();
            fluid as f64 / records.len().max(1) as f64
        }
    }
}

/// A finished probe, judged.
pub fn judge(
    spec: &CapacitySpec,
    rate: f64,
    dir: String,
    summary: &Summary,
    records: &[RequestRecord],
    prefill: Option<&Fit>,
) -> Probe {
    let score = score(spec, summary, records, prefill);
    let sat = saturation(records);
    let stopped = spec
        .max_in_flight
        .map(super::load::in_flight_stop)
        .and_then(|why| {
            let n = records
                .iter()
                .filter(|r| r.error.as_deref() == Some(why.as_str()))
                .count();
            (n > 0).then(|| format!("stopped sending with {n} requests left: {why}"))
        });
    let measured = sat.as_ref().filter(|s| s.behind > spec.saturation).map(|s| {
        format!(
            "completions at {:.2} req/s, {:.0}% behind the {:.2} req/s sent; in flight {:.1} → {:.1} (peak {})",
            s.completion_rate,
            s.behind * 100.0,
            s.send_rate,
            s.in_flight_first_quarter,
            s.in_flight_last_quarter,
            s.in_flight_peak
        )
    });
    let saturated = match (stopped, measured) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    let invalid = summary
        .client
        .as_ref()
        .filter(|c| !c.valid)
        .map(|c| c.tripped.join("; "));
    Probe {
        rate,
        dir,
        passed: score >= spec.attainment && saturated.is_none() && invalid.is_none(),
        score,
        saturated,
        invalid,
        reused: false,
        achieved_rate: summary.arrivals.achieved_rate,
        request_throughput: summary.request_throughput,
        completion_rate: sat.map(|s| s.completion_rate),
        ttft_p99: summary.ttft.p99,
        tpot_p99: summary.tpot.p99,
        fluidity_index: summary.deadlines.as_ref().and_then(|d| d.fluidity_index),
    }
}

/// One configuration's search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigCapacity {
    /// The configuration's label (`default`, `max-num-seqs_8`).
    pub config: String,
    pub params: IndexMap<String, Scalar>,
    /// The highest passing rate; `null` where none passed.
    pub capacity_rps: Option<f64>,
    /// The lowest failing rate above it, where one was probed.
    pub failing_rps: Option<f64>,
    pub stop: Stop,
    pub stop_words: String,
    pub probes: Vec<Probe>,
}

/// `capacity.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityFile {
    pub format: u32,
    pub benchmark: String,
    pub spec: CapacitySpec,
    /// What a probe must do to pass, in words.
    pub goal: String,
    pub configs: Vec<ConfigCapacity>,
}

/// The goal in words.
pub fn goal_words(spec: &CapacitySpec) -> String {
    let share = spec.attainment * 100.0;
    match spec.goal {
        CapacityGoal::Slo => format!("{share}% of requests meet every SLO, not over-saturated"),
        CapacityGoal::Fluidity => format!(
            "{share}% of requests have a fluidity-index ≥ {}, not over-saturated",
            spec.fluidity
        ),
    }
}

/// The folder of a configuration's probes.
pub fn config_dir(results: &Path, name: &str, config: &str) -> PathBuf {
    bench_dir(results, name).join("capacity").join(config)
}

/// The probe of `config` at `rate` as a task of the runner.
pub fn probe_task(
    recipe: &BenchRecipe,
    results: &Path,
    name: &str,
    config: &BenchRun,
    rate: f64,
) -> BenchTask {
    let run = recipe.probe(config, rate);
    BenchTask {
        folder: FolderTask {
            label: run.label.clone(),
            key: crate::plan::bench::key(recipe, &run),
            dir: config_dir(results, name, &config.label).join(&run.label),
        },
        run,
        point: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn spec() -> CapacitySpec {
        CapacitySpec {
            min_rate: 5.0,
            max_rate: 400.0,
            start_rate: Some(10.0),
            goal: CapacityGoal::Slo,
            attainment: 0.9,
            fluidity: 0.9,
            precision: 0.05,
            max_probes: 12,
            growth: 2.0,
            probe_duration: Some(Duration::from_secs(2)),
            saturation: 0.1,
            max_in_flight: None,
            prefill: None,
            ttft_slack: None,
        }
    }

    fn probe(rate: f64, passed: bool) -> Probe {
        Probe {
            rate,
            dir: String::new(),
            passed,
            score: if passed { 1.0 } else { 0.0 },
            saturated: (!passed).then(|| "behind".to_string()),
            invalid: None,
            reused: false,
            achieved_rate: None,
            request_throughput: 0.0,
            completion_rate: None,
            ttft_p99: None,
            tpot_p99: None,
            fluidity_index: None,
        }
    }

    /// Drive the search against a server whose capacity is `capacity`: every probe at or below
    /// it passes.
    fn simulate(spec: &CapacitySpec, capacity: f64) -> (Vec<Probe>, Stop) {
        let mut probes = Vec::new();
        loop {
            match next_step(spec, &probes) {
                Step::Probe(rate) => probes.push(probe(rate, rate <= capacity)),
                Step::Stop(stop) => return (probes, stop),
            }
        }
    }

    #[test]
    fn bracket_then_bisect_to_the_precision() {
        let (probes, stop) = simulate(&spec(), 80.0);
        let rates: Vec<f64> = probes.iter().map(|p| p.rate).collect();
        // 10, 20, 40, 80 pass, 160 fails; then 120, 100, 90, 85 (fail), 82.5 (fail): 80..82.5 ≤ 5 %.
        assert_eq!(
            rates,
            [10.0, 20.0, 40.0, 80.0, 160.0, 120.0, 100.0, 90.0, 85.0, 82.5]
        );
        assert_eq!(stop, Stop::Precision);
        assert_eq!(bracket(&probes), (Some(80.0), Some(82.5)));
    }

    #[test]
    fn the_bracket_shrinks_below_the_start_and_stops_at_the_bounds() {
        let (probes, stop) = simulate(&spec(), 7.0);
        assert_eq!(probes[0].rate, 10.0);
        assert_eq!(probes[1].rate, 5.0);
        assert_eq!(stop, Stop::Precision);
        let (probes, stop) = simulate(&spec(), 1.0);
        assert_eq!((probes.len(), stop), (2, Stop::SaturatedAtMinRate));
        let (probes, stop) = simulate(&spec(), 1000.0);
        assert_eq!(probes.last().unwrap().rate, 400.0);
        assert_eq!(stop, Stop::GoalMetAtMaxRate);
        let few = CapacitySpec {
            max_probes: 3,
            ..spec()
        };
        assert_eq!(simulate(&few, 80.0).1, Stop::MaxProbes);
    }

    #[test]
    fn an_invalid_probe_stops_the_search() {
        let mut p = probe(10.0, false);
        p.invalid = Some("send lag".into());
        assert_eq!(next_step(&spec(), &[p]), Step::Stop(Stop::ClientLimit));
    }

    #[test]
    fn rates_keep_three_digits() {
        assert_eq!(round_rate(41.25), 41.3);
        assert_eq!(round_rate(0.123456), 0.123);
        assert_eq!(round_rate(1234.5), 1230.0);
    }

    fn rec(sent: f64, end: f64) -> RequestRecord {
        RequestRecord {
            sent: Some(sent),
            end: Some(end),
            outcome: Outcome::Ok,
            ..RequestRecord::not_sent(0, Some(sent), 1, 1)
        }
    }

    #[test]
    fn saturation_compares_rates_not_latency() {
        // Sent every 0.1 s, each served 1 s later: the same rate, only shifted; one in flight
        // per 0.1 s of latency (10, after the first second).
        let steady: Vec<RequestRecord> = (0..40)
            .map(|i| rec(i as f64 * 0.1, i as f64 * 0.1 + 1.0))
            .collect();
        let s = saturation(&steady).unwrap();
        assert!(
            (s.send_rate - 10.0).abs() < 1e-6 && s.behind < 1e-6,
            "{s:?}"
        );
        assert_eq!(s.in_flight_peak, 10);
        // Sent every 0.1 s, served one per 0.2 s: half as fast, the queue grows.
        let behind: Vec<RequestRecord> = (0..40)
            .map(|i| rec(i as f64 * 0.1, 0.2 * (i + 1) as f64))
            .collect();
        let s = saturation(&behind).unwrap();
        assert!((s.behind - 0.5).abs() < 1e-6, "{s:?}");
        assert!(
            s.in_flight_last_quarter > s.in_flight_first_quarter,
            "{s:?}"
        );
    }

    #[test]
    fn a_prefill_fit_sets_each_requests_ttft_deadline() {
        use crate::bench::metrics::{summarize, Offered, Slo};
        // A long prompt (500 tokens) whose first token takes 0.5 s, then two tokens 10 ms apart.
        let r = RequestRecord {
            sent: Some(0.0),
            first_token: Some(0.5),
            chunks: vec![0.5, 0.51, 0.52],
            end: Some(0.52),
            prompt_tokens: Some(500),
            completion_tokens: Some(3),
            outcome: Outcome::Ok,
            ..RequestRecord::not_sent(0, Some(0.0), 500, 3)
        };
        let records = [r];
        let summary = summarize(&records, Slo::default(), Offered::default());
        let spec = CapacitySpec {
            goal: CapacityGoal::Fluidity,
            ttft_slack: Some(Duration::from_millis(50)),
            ..spec()
        };
        // etalon's default TTFT deadline (100 ms) misses it: 1 + ⌊0.4 / 0.05⌋ = 9 missed of 11.
        assert_eq!(score(&spec, &summary, &records, None), 0.0);
        // Predicted prefill 0.1 + 0.0008 · 500 = 0.5 s, + 50 ms slack: on time.
        let fit = Fit {
            degree: 1,
            coefficients: vec![0.1, 0.0008],
            rmse: 0.0,
        };
        assert_eq!(score(&spec, &summary, &records, Some(&fit)), 1.0);
    }

    /// Each configuration of the matrix searches in a folder of its own; a probe is that
    /// configuration's run with the rate set, keyed apart from the other configuration's.
    #[test]
    fn probes_per_configuration_of_the_matrix() {
        let text = r#"
title = "t"
[server]
kind = "command"
command = ["srv"]
model = "m"
[workload]
arrival = "poisson"
requests = 10
prompt = { kind = "synthetic", len = { dist = "fixed", value = 8 } }
output_len = { dist = "fixed", value = 2 }
[slo]
ttft = "1s"
[capacity]
min_rate = 1.0
max_rate = 8.0
probe_duration = "10s"
[matrix]
max-num-seqs = [8, 16]
"#;
        let recipe = BenchRecipe::parse(Path::new("c.toml"), text).unwrap();
        let configs = recipe.runs();
        assert_eq!(configs.len(), 2);
        let results = Path::new("/r");
        let a = probe_task(&recipe, results, "c", &configs[0], 2.5);
        let b = probe_task(&recipe, results, "c", &configs[1], 2.5);
        assert_eq!(
            a.folder.dir,
            Path::new("/r/bench-c/capacity/max-num-seqs_8/rate_2.5")
        );
        assert_eq!(
            b.folder.dir,
            Path::new("/r/bench-c/capacity/max-num-seqs_16/rate_2.5")
        );
        assert_ne!(a.folder.key, b.folder.key);
        assert_eq!(b.run.server_args, ["--max-num-seqs", "16"]);
        assert_eq!(a.run.workload.rate, Some(2.5));
        // 2.5 req/s × 10 s
        assert_eq!(a.run.workload.requests, 25);
        let text = text.replace("[matrix]", "[matrix]\nrate = [1.0, 2.0]");
        let err = BenchRecipe::parse(Path::new("c.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("take `rate` out of [matrix]"), "{err}");
    }
}
