//! A run's summary from its raw records: pure arithmetic, no I/O.
//!
//! Definitions (also written into every `summary.json` under `definitions`):
//! - **TTFT** (time to first token): arrival of the first chunk carrying generated text − send time.
//! - **E2E** (end-to-end latency): end of the stream (`[DONE]`) − send time.
//! - **TPOT** (time per output token): (E2E − TTFT) / (output tokens − 1), for requests with at
//!   least two output tokens; output tokens are the server's `usage.completion_tokens`, or the
//!   number of text chunks where the server sent no usage (counted in `usage_missing`).
//! - **ITL** (inter-token latency): every gap between two consecutive text chunks of a request,
//!   all requests pooled (a chunk may carry several tokens; ITL is per chunk).
//! - Latency statistics are over successful (`ok`) requests only; failures are counted apart.
//! - **Duration**: first send → last end (any outcome). Throughputs divide by it: requests/s
//!   (ok requests), output tokens/s (ok requests' output tokens), total tokens/s (ok requests'
//!   prompt + output tokens).
//! - **Goodput**: ok requests that meet every SLO the recipe sets (TTFT ≤, TPOT ≤, E2E ≤; a
//!   request with no TPOT meets a TPOT SLO) per second of duration, and their share of all
//!   requests.
//! - **Percentiles**: linear interpolation between the two nearest ranks (numpy's default,
//!   Hyndman–Fan type 7): p at rank (n − 1)·p/100 of the sorted values.
//! - **Arrival rate achieved**: (sent − 1) / (last send − first send); **scheduled rate**: the
//!   same of the scheduled send times (a finite Poisson sample is off its target by ~1/√n);
//!   **send lag**: actual send − scheduled send (open loop only).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::deadline::{self, DeadlineSummary, Deadlines};
pub use super::measures::{percentile_sorted, Arrivals, Dist};
use super::record::{Outcome, RequestRecord};

/// The definitions above, as written into `summary.json`.
pub fn definitions() -> IndexMap<&'static str, &'static str> {
    IndexMap::from([
        ("ttft", "first chunk carrying generated text - send time, seconds"),
        ("e2e", "end of stream ([DONE]) - send time, seconds"),
        ("tpot", "(e2e - ttft) / (output_tokens - 1), requests with >= 2 output tokens, seconds"),
        ("itl", "every gap between consecutive text chunks, all requests pooled, seconds"),
        ("output_tokens", "server's usage.completion_tokens; the number of text chunks where usage is missing"),
        ("latency_population", "latency statistics use ok requests only; other outcomes are counted in `outcomes`"),
        ("duration", "first send -> last end of any request, seconds"),
        ("throughput", "ok requests, their output tokens, their prompt+output tokens, each / duration"),
        ("goodput", "ok requests meeting every SLO set (ttft <=, tpot <=, e2e <=) / duration; a request without tpot meets a tpot SLO"),
        ("percentiles", "linear interpolation between nearest ranks (numpy default, Hyndman-Fan type 7)"),
        ("achieved_rate", "(sent - 1) / (last send - first send), requests/s"),
        ("scheduled_rate", "(scheduled - 1) / (last - first scheduled send), requests/s: the seeded schedule's own rate"),
        ("send_lag", "actual send - scheduled send, seconds (open loop only)"),
        ("dispatch_lag", "hand-over to the async runtime - scheduled send, seconds (open loop only): the timer's share of send_lag"),
        ("client", "the load generator's self-check (open loop): invalid when p90 send lag > max(10 ms, 1/2 of the mean scheduled gap), achieved < 95% of the scheduled rate, or the client's CPU >= 90% of its usable cores; an invalid run is kept but left out of curves and capacity searches"),
        ("attainment", "share of all requests (any outcome) meeting each SLO set, and every one (`all`, = good_fraction)"),
        ("deadlines", "etalon (arXiv 2407.07000): the first token is due ttft_deadline after the send, each next tbt_deadline after the one before plus the slack saved so far; a late token misses floor((gap - slack) / tbt_deadline) deadlines (the first 1 + floor((ttft - ttft_deadline) / tbt_deadline)) and resets the slack; one text chunk = one token"),
        ("fluidity_index", "deadlines met / deadlines, every ok request's tokens pooled; request_fluidity: the same per ok request; miss_rate: 1 - request_fluidity"),
        ("fluid_requests", "requests (of all) with fluidity-index >= 0.9; fluid_fraction = fluid_requests / requests"),
        ("good_token_throughput", "tokens that met their deadline / duration"),
        ("fluid_token_rate", "etalon's deadline-based throughput: 1 / p99 over ok requests of the smallest TBT deadline with <= 10% of its later tokens missing (first token ignored), tokens/s"),
    ])
}

/// Service-level objectives, seconds; a `None` is not checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    pub ttft: Option<f64>,
    pub tpot: Option<f64>,
    pub e2e: Option<f64>,
    /// The deadline metrics' first-token deadline where the recipe sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_deadline: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tbt_deadline: Option<f64>,
}

impl Slo {
    /// The recipe's objectives, in seconds.
    pub fn of(spec: &crate::recipe::bench::SloSpec) -> Slo {
        Slo {
            ttft: spec.ttft.map(|d| d.as_secs_f64()),
            tpot: spec.tpot.map(|d| d.as_secs_f64()),
            e2e: spec.e2e.map(|d| d.as_secs_f64()),
            ttft_deadline: spec.ttft_deadline.map(|d| d.as_secs_f64()),
            tbt_deadline: spec.tbt_deadline.map(|d| d.as_secs_f64()),
        }
    }

    /// The deadlines of the deadline metrics: the recipe's, else the SLO's, else etalon's
    /// defaults; with where each came from (`ttft: recipe, tbt: slo`).
    pub fn deadlines(&self) -> (Deadlines, String) {
        let pick = |own: Option<f64>, slo: Option<f64>, default: f64| match (own, slo) {
            (Some(v), _) => (v, "recipe"),
            (None, Some(v)) => (v, "slo"),
            (None, None) => (default, "etalon-default"),
        };
        let (ttft, a) = pick(
            self.ttft_deadline,
            self.ttft,
            deadline::DEFAULT_TTFT_DEADLINE,
        );
        let (tbt, b) = pick(self.tbt_deadline, self.tpot, deadline::DEFAULT_TBT_DEADLINE);
        (Deadlines { ttft, tbt }, format!("ttft: {a}, tbt: {b}"))
    }

    /// Whether an ok request meets each objective set: `(ttft, tpot, e2e)`, `None` where unset.
    fn each_met_by(&self, r: &RequestRecord) -> [Option<bool>; 3] {
        let ok = r.outcome == Outcome::Ok;
        let within = |limit: Option<f64>, value: Option<f64>, missing: bool| {
            limit.map(|l| ok && value.map_or(missing, |v| v <= l))
        };
        [
            within(self.ttft, r.ttft(), false),
            within(self.tpot, r.tpot(), true),
            within(self.e2e, r.e2e(), false),
        ]
    }

    /// Whether an ok request meets every objective.
    pub fn met_by(&self, r: &RequestRecord) -> bool {
        let within = |limit: Option<f64>, value: Option<f64>| match (limit, value) {
            (None, _) => true,
            (Some(limit), Some(v)) => v <= limit,
            (Some(_), None) => false,
        };
        r.outcome == Outcome::Ok
            && within(self.ttft, r.ttft())
            && within(self.e2e, r.e2e())
            && (self.tpot.is_none() || r.tpot().is_none() || within(self.tpot, r.tpot()))
    }
}

/// SLO attainment: the share of all requests (any outcome) meeting each SLO set, and every one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attainment {
    pub ttft: Option<f64>,
    pub tpot: Option<f64>,
    pub e2e: Option<f64>,
    /// Meeting every SLO set (an ok request where none is set).
    pub all: f64,
}

impl Attainment {
    fn of(records: &[RequestRecord], slo: &Slo) -> Attainment {
        let n = records.len().max(1) as f64;
        let each: Vec<[Option<bool>; 3]> = records.iter().map(|r| slo.each_met_by(r)).collect();
        let share = |i: usize| {
            let met: Vec<bool> = each.iter().filter_map(|e| e[i]).collect();
            (!met.is_empty()).then(|| met.iter().filter(|&&m| m).count() as f64 / n)
        };
        Attainment {
            ttft: share(0),
            tpot: share(1),
            e2e: share(2),
            all: records.iter().filter(|r| slo.met_by(r)).count() as f64 / n,
        }
    }
}

/// Counts and rates of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Format version of this file.
    pub format: u32,
    pub requests: usize,
    /// Requests per outcome, every outcome listed (0 included).
    pub outcomes: IndexMap<String, usize>,
    /// Ok requests without a usage report (their tokens were counted as chunks).
    pub usage_missing: usize,
    pub duration: f64,
    pub request_throughput: f64,
    pub output_throughput: f64,
    pub total_token_throughput: f64,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub slo: Slo,
    /// Ok requests meeting every SLO, per second of duration.
    pub goodput: f64,
    pub good_requests: usize,
    /// good requests / all requests.
    pub good_fraction: f64,
    pub ttft: Dist,
    pub tpot: Dist,
    pub itl: Dist,
    pub e2e: Dist,
    pub arrivals: Arrivals,
    /// SLO attainment beside the percentiles; `null` in summaries written before it.
    #[serde(default)]
    pub attainment: Option<Attainment>,
    /// etalon's deadline metrics (`bench::deadline`); `null` in summaries written before them.
    #[serde(default)]
    pub deadlines: Option<DeadlineSummary>,
    /// The load generator's check of itself (`bench::loadcheck`): whether the client was the
    /// limit; `null` in summaries written before it.
    #[serde(default)]
    pub client: Option<super::loadcheck::ClientCheck>,
    /// TPOT / ITL / E2E as vLLM, GuideLLM and AIPerf each define them (`bench::tools`), under
    /// their own names; `null` in summaries written before it.
    #[serde(default)]
    pub by_tool: Option<super::tools::ByTool>,
    /// The server's start-up (spawn → healthy, its log's ledger, the first token); `null` in
    /// summaries written before repro recorded it.
    #[serde(default)]
    pub startup: Option<super::startup::Startup>,
    /// A repeated point's spread over its repeats (`bench::repeats`); absent for a run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<super::measures::RepeatStats>,
    /// A conversation workload's requests per turn (`bench::turns`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_turn: Option<IndexMap<String, super::turns::TurnStats>>,
    pub definitions: IndexMap<String, String>,
}

/// How the load was offered, for the summary's `arrivals`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Offered {
    pub target_rate: Option<f64>,
    pub concurrency: Option<u32>,
}

/// The summary of a run's records.
pub fn summarize(records: &[RequestRecord], slo: Slo, offered: Offered) -> Summary {
    let mut outcomes: IndexMap<String, usize> = Outcome::ALL
        .iter()
        .map(|o| (o.name().to_string(), 0))
        .collect();
    for r in records {
        *outcomes.entry(r.outcome.name().to_string()).or_default() += 1;
    }
    let ok: Vec<&RequestRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Ok)
        .collect();
    let first_send = records.iter().filter_map(|r| r.sent).min_by(f64::total_cmp);
    let last_end = records
        .iter()
        .filter_map(|r| r.end.or(r.sent))
        .max_by(f64::total_cmp);
    let duration = match (first_send, last_end) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => 0.0,
    };
    let per_s = |x: f64| if duration > 0.0 { x / duration } else { 0.0 };
    let output_tokens: u64 = ok.iter().map(|r| r.output_tokens()).sum();
    let prompt_tokens: u64 = ok.iter().filter_map(|r| r.prompt_tokens).sum();
    let good = ok.iter().filter(|r| slo.met_by(r)).count();
    Summary {
        format: 1,
        requests: records.len(),
        outcomes,
        usage_missing: ok.iter().filter(|r| r.completion_tokens.is_none()).count(),
        duration,
        request_throughput: per_s(ok.len() as f64),
        output_throughput: per_s(output_tokens as f64),
        total_token_throughput: per_s((output_tokens + prompt_tokens) as f64),
        prompt_tokens,
        output_tokens,
        slo,
        goodput: per_s(good as f64),
        good_requests: good,
        good_fraction: if records.is_empty() {
            0.0
        } else {
            good as f64 / records.len() as f64
        },
        ttft: Dist::of(ok.iter().filter_map(|r| r.ttft()).collect()),
        tpot: Dist::of(ok.iter().filter_map(|r| r.tpot()).collect()),
        itl: Dist::of(ok.iter().flat_map(|r| r.itls()).collect()),
        e2e: Dist::of(ok.iter().filter_map(|r| r.e2e()).collect()),
        arrivals: arrivals(records, offered),
        attainment: Some(Attainment::of(records, &slo)),
        deadlines: Some({
            let (d, source) = slo.deadlines();
            deadline::summarize(records, d, &source, duration)
        }),
        client: None,
        by_tool: Some(super::tools::by_tool(records)),
        startup: None,
        repeats: None,
        by_turn: super::turns::by_turn(records),
        definitions: definitions()
            .into_iter()
            .chain(super::tools::definitions())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// How the requests arrived: the rate asked, the schedule's and the achieved, how late sends
/// and the timer were.
fn arrivals(records: &[RequestRecord], offered: Offered) -> Arrivals {
    let first_send = records.iter().filter_map(|r| r.sent).min_by(f64::total_cmp);
    let last_send = records.iter().filter_map(|r| r.sent).max_by(f64::total_cmp);
    let sent = records.iter().filter(|r| r.sent.is_some()).count();
    let achieved_rate = match (first_send, last_send) {
        (Some(a), Some(b)) if b > a && sent >= 2 => Some((sent - 1) as f64 / (b - a)),
        _ => None,
    };
    let scheduled: Vec<f64> = records.iter().filter_map(|r| r.scheduled).collect();
    let scheduled_rate = match (
        scheduled.iter().copied().min_by(f64::total_cmp),
        scheduled.iter().copied().max_by(f64::total_cmp),
    ) {
        (Some(a), Some(b)) if b > a => Some((scheduled.len() - 1) as f64 / (b - a)),
        _ => None,
    };
    let lag = |from: fn(&RequestRecord) -> Option<f64>| -> Vec<f64> {
        records
            .iter()
            .filter_map(|r| Some(from(r)? - r.scheduled?))
            .collect()
    };
    Arrivals {
        target_rate: offered.target_rate,
        scheduled_rate,
        achieved_rate,
        concurrency: offered.concurrency,
        send_lag: Dist::of(lag(|r| r.sent)),
        dispatch_lag: Dist::of(lag(|r| r.dispatched)),
    }
}

/// The summary of each priority class (the records sent with that `priority`), lowest first;
/// empty where no request had one. Each class's rates are over its own duration.
pub fn by_priority(records: &[RequestRecord], slo: Slo) -> IndexMap<String, Summary> {
    let mut classes: Vec<i64> = records.iter().filter_map(|r| r.priority).collect();
    classes.sort_unstable();
    classes.dedup();
    classes
        .into_iter()
        .map(|class| {
            let of_class: Vec<RequestRecord> = records
                .iter()
                .filter(|r| r.priority == Some(class))
                .cloned()
                .collect();
            (
                class.to_string(),
                summarize(&of_class, slo, Offered::default()),
            )
        })
        .collect()
}

/// A line per complete run of a benchmark folder that has `by_turn`: its mean TTFT per turn,
/// for the terminal (`<label>: TTFT mean by turn: 52 | 125 | 196 ms`).
pub fn turn_lines(bench_dir: &std::path::Path) -> Vec<String> {
    let mut runs: Vec<std::path::PathBuf> = std::fs::read_dir(bench_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("summary.json").is_file())
        .collect();
    runs.sort();
    runs.iter()
        .filter_map(|run| {
            let text = std::fs::read(run.join("summary.json")).ok()?;
            let summary: Summary = serde_json::from_slice(&text).ok()?;
            let means: Vec<String> = summary
                .by_turn?
                .values()
                .map(|t| {
                    t.ttft
                        .mean
                        .map_or("-".into(), |m| format!("{:.0}", m * 1000.0))
                })
                .collect();
            let label = run.file_name()?.to_string_lossy().into_owned();
            Some(format!(
                "{label}: TTFT mean by turn: {} ms",
                means.join(" | ")
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(id: u64, sent: f64, chunks: &[f64], end: f64, tokens: Option<u64>) -> RequestRecord {
        RequestRecord {
            id,
            scheduled: Some(sent),
            dispatched: None,
            sent: Some(sent),
            first_token: chunks.first().copied(),
            chunks: chunks.to_vec(),
            end: Some(end),
            prompt_len: 10,
            max_tokens: 4,
            prompt_tokens: Some(10),
            completion_tokens: tokens,
            status: Some(200),
            outcome: Outcome::Ok,
            error: None,
            priority: None,
            conversation: None,
            turn: None,
        }
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("a value");
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    /// Three ok requests, one refused, one 5xx, worked out by hand.
    #[test]
    fn hand_worked_summary() {
        let records = vec![
            // ttft 0.5, e2e 2.0, 4 tokens → tpot (2.0-0.5)/3 = 0.5; itls 0.5, 0.5, 0.5
            ok(0, 0.0, &[0.5, 1.0, 1.5, 2.0], 2.0, Some(4)),
            // ttft 0.25, e2e 1.25, 2 tokens → tpot 1.0; itl 1.0
            ok(1, 1.0, &[1.25, 2.25], 2.25, Some(2)),
            // ttft 1.0, e2e 1.0, 1 token → no tpot, no itl; no usage → counted by chunks
            ok(2, 2.0, &[3.0], 3.0, None),
            RequestRecord {
                outcome: Outcome::Refused,
                end: Some(3.5),
                ..RequestRecord::not_sent(3, Some(3.0), 10, 4)
            }
            .with_sent(3.0),
            RequestRecord {
                outcome: Outcome::HttpError,
                status: Some(500),
                end: Some(4.0),
                ..RequestRecord::not_sent(4, Some(4.0), 10, 4)
            }
            .with_sent(4.0),
        ];
        let slo = Slo {
            ttft: Some(0.6),
            tpot: Some(0.6),
            ..Slo::default()
        };
        let s = summarize(
            &records,
            slo,
            Offered {
                target_rate: Some(1.0),
                concurrency: None,
            },
        );
        assert_eq!(s.requests, 5);
        assert_eq!(s.outcomes["ok"], 3);
        assert_eq!(s.outcomes["refused"], 1);
        assert_eq!(s.outcomes["http_error"], 1);
        assert_eq!(s.outcomes["timed_out"], 0);
        assert_eq!(s.usage_missing, 1);
        // duration: first send 0.0 → last end 4.0
        close(Some(s.duration), 4.0);
        close(Some(s.request_throughput), 0.75);
        // output tokens 4 + 2 + 1 = 7; prompt tokens 30
        assert_eq!(s.output_tokens, 7);
        close(Some(s.output_throughput), 7.0 / 4.0);
        close(Some(s.total_token_throughput), 37.0 / 4.0);
        // ttft: 0.5, 0.25, 1.0 → sorted 0.25 0.5 1.0; mean 0.58333; p50 0.5; p90 rank 1.8 → 0.9
        close(s.ttft.mean, 1.75 / 3.0);
        close(s.ttft.p50, 0.5);
        close(s.ttft.p90, 0.9);
        close(s.ttft.p99, 0.99);
        // tpot: 0.5 and 1.0
        assert_eq!(s.tpot.count, 2);
        close(s.tpot.mean, 0.75);
        close(s.tpot.p50, 0.75);
        // itl: 0.5 ×3, 1.0
        assert_eq!(s.itl.count, 4);
        close(s.itl.mean, 0.625);
        close(s.itl.p95, 0.5 + 0.5 * 0.85);
        // e2e: 2.0, 1.25, 1.0
        close(s.e2e.p50, 1.25);
        close(s.e2e.max, 2.0);
        // goodput: only request 0 meets ttft ≤ 0.6 and tpot ≤ 0.6 (1: tpot 1.0; 2: ttft 1.0)
        assert_eq!(s.good_requests, 1);
        close(Some(s.goodput), 0.25);
        close(Some(s.good_fraction), 0.2);
        // attainment of all 5: ttft by 0 and 1; tpot by 0 and 2 (no tpot); both by 0 alone
        let a = s.attainment.as_ref().unwrap();
        close(a.ttft, 0.4);
        close(a.tpot, 0.4);
        assert_eq!(a.e2e, None);
        close(Some(a.all), 0.2);
        // deadlines from the SLOs: ttft 0.6, tbt 0.6
        let d = s.deadlines.as_ref().unwrap();
        assert_eq!(d.source, "ttft: slo, tbt: slo");
        // 0: 0.5 met (slack 0.1), 0.5 ×3 met → 4/4; 1: 0.25 met (slack 0.35), 1.0 > 0.95 →
        // ⌊(1.0 − 0.35) / 0.6⌋ = 1 missed → 1/2; 2: ttft 1.0 → 1 + ⌊0.4 / 0.6⌋ = 1 missed → 0/1
        close(d.fluidity_index, 5.0 / 7.0);
        assert_eq!(d.fluid_requests, 1);
        close(Some(d.good_token_throughput), 5.0 / 4.0);
        // 5 sent between 0.0 and 4.0 → 4 / 4 s
        close(s.arrivals.achieved_rate, 1.0);
        close(s.arrivals.scheduled_rate, 1.0);
        close(s.arrivals.send_lag.max, 0.0);
    }

    #[test]
    fn percentiles_interpolate_linearly() {
        let v = [1.0, 2.0, 3.0, 4.0];
        close(percentile_sorted(&v, 50.0), 2.5);
        close(percentile_sorted(&v, 99.0), 3.97);
        close(percentile_sorted(&[7.0], 99.0), 7.0);
        assert_eq!(percentile_sorted(&[], 50.0), None);
    }

    #[test]
    fn each_priority_class_is_summarized_apart() {
        let mut records = vec![
            ok(0, 0.0, &[0.5, 1.0], 1.0, Some(2)),
            ok(1, 0.0, &[0.1, 0.2], 0.2, Some(2)),
            ok(2, 0.0, &[0.3, 0.4], 0.4, Some(2)),
        ];
        records[0].priority = Some(1);
        records[1].priority = Some(0);
        records[2].priority = Some(0);
        let classes = by_priority(&records, Slo::default());
        assert_eq!(classes.keys().collect::<Vec<_>>(), ["0", "1"]);
        assert_eq!(classes["0"].requests, 2);
        close(classes["0"].ttft.mean, 0.2);
        close(classes["1"].e2e.p50, 1.0);
        assert!(by_priority(&records[..0], Slo::default()).is_empty());
    }

    #[test]
    fn empty_run_has_zero_rates() {
        let s = summarize(&[], Slo::default(), Offered::default());
        assert_eq!(s.duration, 0.0);
        assert_eq!(s.ttft.mean, None);
        assert_eq!(s.arrivals.achieved_rate, None);
    }

    impl RequestRecord {
        fn with_sent(mut self, t: f64) -> Self {
            self.sent = Some(t);
            self
        }
    }
}
