//! Deadline-based metrics as etalon defines them (Agrawal et al., "etalon: Holistic Performance
//! Evaluation Framework for LLM Inference Systems", arXiv 2407.07000; its code,
//! `etalon/metrics/metric_utils.py`), from the same records as every other number.
//!
//! Every output token has a deadline. The first is due `ttft_deadline` after the send; each next
//! one `tbt_deadline` after the one before, plus the slack the tokens before it saved: a token
//! that arrives `s` after the one before, with `s ≤ D + slack`, meets its deadline and leaves
//! `slack + D − s` for the next. A token that is late misses `⌊(s − slack) / D⌋` deadlines
//! (the first token `1 + ⌊(s − slack − ttft_deadline) / D⌋`, `D` the TBT deadline) and the
//! slack starts again from zero. A request's **fluidity-index** is its deadlines met over its
//! deadlines (met + missed); its **deadline miss rate** is one minus that.
//!
//! A text chunk counts as one token (vLLM streams one token per chunk); etalon splits a chunk
//! of k tokens into a gap and k − 1 zero gaps by tokenizing it, which repro does not do.

use serde::{Deserialize, Serialize};

use super::measures::{percentile_sorted, Dist};
use super::record::{Outcome, RequestRecord};

/// etalon's defaults (`MetricStore`: `ttft_deadline = 0.1`, `tbt_deadline = 0.05`), used where a
/// recipe sets neither a deadline nor an SLO to take it from.
pub const DEFAULT_TTFT_DEADLINE: f64 = 0.1;
pub const DEFAULT_TBT_DEADLINE: f64 = 0.05;

/// A request is fluid when its fluidity-index is at least this (etalon's fluid token generation
/// rate: 99 % of requests at ≥ 0.9).
pub const FLUID_INDEX: f64 = 0.9;

/// The quantile over requests of etalon's deadline-based throughput.
const FLUID_QUANTILE: f64 = 99.0;

/// Deadlines met and missed by one request's tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub met: u64,
    pub missed: u64,
}

impl Tally {
    pub fn total(&self) -> u64 {
        self.met + self.missed
    }

    /// Deadlines met / deadlines; `None` for a request with none.
    pub fn fluidity(&self) -> Option<f64> {
        (self.total() > 0).then(|| self.met as f64 / self.total() as f64)
    }
}

/// etalon's `get_request_level_deadline_miss_rate`: `gaps[0]` is the time to the first token,
/// the rest the gaps between tokens. `tbt_deadline` must be > 0.
pub fn tally(gaps: &[f64], ttft_deadline: f64, tbt_deadline: f64, ignore_first: bool) -> Tally {
    let mut t = Tally::default();
    let mut slack = 0.0;
    for (i, &gap) in gaps.iter().enumerate() {
        let missed = if i == 0 {
            if ignore_first {
                continue;
            }
            if gap <= ttft_deadline + slack {
                slack += ttft_deadline - gap;
                t.met += 1;
                continue;
            }
            1.0 + ((gap - slack - ttft_deadline) / tbt_deadline).floor()
        } else {
            if gap <= tbt_deadline + slack {
                slack += tbt_deadline - gap;
                t.met += 1;
                continue;
            }
            ((gap - slack) / tbt_deadline).floor()
        };
        t.missed += missed as u64;
        // Later tokens start new deadlines from this one.
        slack = 0.0;
    }
    t
}

/// A request's gaps as etalon takes them: send → first token, then between text chunks.
pub fn gaps(r: &RequestRecord) -> Option<Vec<f64>> {
    let ttft = r.ttft()?;
    Some(std::iter::once(ttft).chain(r.itls()).collect())
}

/// etalon's `find_min_tbt_deadline_to_meet` (first token ignored, TTFT deadline 0): the
/// smallest TBT deadline with which at most `target` of a request's later tokens miss, found
/// by bisection to 1 µs; `None` for a request with fewer than two tokens.
pub fn min_tbt_deadline(itls: &[f64], target: f64) -> Option<f64> {
    if itls.is_empty() {
        return None;
    }
    let mut with_first = Vec::with_capacity(itls.len() + 1);
    with_first.push(0.0);
    with_first.extend_from_slice(itls);
    let miss = |d: f64| {
        let t = tally(&with_first, 0.0, d, true);
        t.fluidity().map_or(0.0, |f| 1.0 - f)
    };
    // At the largest gap every token is on time.
    let mut hi = itls.iter().copied().fold(0.0, f64::max).max(1e-6);
    let mut lo = 0.0;
    while hi - lo > 1e-6 {
        let mid = (lo + hi) / 2.0;
        if mid > 0.0 && miss(mid) <= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The deadlines a run was judged against and where they came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Deadlines {
    pub ttft: f64,
    pub tbt: f64,
}

/// A run's deadline metrics, for `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineSummary {
    /// Seconds: the first token's deadline after the send.
    pub ttft_deadline: f64,
    /// Seconds: each next token's deadline after the one before (plus slack).
    pub tbt_deadline: f64,
    /// `recipe` (`[slo] ttft_deadline` / `tbt_deadline`), `slo` (the TTFT / TPOT SLO), or
    /// `etalon-default`, per deadline.
    pub source: String,
    /// Deadlines met / deadlines over every ok request's tokens.
    pub fluidity_index: Option<f64>,
    /// Per ok request: its deadlines met / its deadlines.
    pub request_fluidity: Dist,
    /// Per ok request: 1 − its fluidity-index (etalon reports the p99 of this).
    pub miss_rate: Dist,
    /// Requests (of all, any outcome) whose fluidity-index is ≥ `FLUID_INDEX` (0.9); a failed
    /// request is not fluid.
    pub fluid_requests: usize,
    pub fluid_fraction: f64,
    /// Tokens that met their deadline, per second of the run's duration.
    pub good_token_throughput: f64,
    /// etalon's deadline-based throughput: 1 / p99 over ok requests (≥ 2 tokens) of the smallest
    /// TBT deadline each meets with ≤ 10 % misses; tokens/s per request.
    pub fluid_token_rate: Option<f64>,
}

/// The deadline metrics of a run lasting `duration` seconds.
pub fn summarize(
    records: &[RequestRecord],
    deadlines: Deadlines,
    source: &str,
    duration: f64,
) -> DeadlineSummary {
    let ok = records.iter().filter(|r| r.outcome == Outcome::Ok);
    let tallies: Vec<Tally> = ok
        .clone()
        .filter_map(gaps)
        .map(|g| tally(&g, deadlines.ttft, deadlines.tbt, false))
        .collect();
    let (met, total) = tallies
        .iter()
        .fold((0, 0), |(m, n), t| (m + t.met, n + t.total()));
    let fluidity: Vec<f64> = tallies.iter().filter_map(Tally::fluidity).collect();
    let fluid = fluidity.iter().filter(|&&f| f >= FLUID_INDEX).count();
    let mut needed: Vec<f64> = ok
        .filter_map(|r| min_tbt_deadline(&r.itls().collect::<Vec<_>>(), 1.0 - FLUID_INDEX))
        .collect();
    needed.sort_by(f64::total_cmp);
    DeadlineSummary {
        ttft_deadline: deadlines.ttft,
        tbt_deadline: deadlines.tbt,
        source: source.to_string(),
        fluidity_index: (total > 0).then(|| met as f64 / total as f64),
        miss_rate: Dist::of(fluidity.iter().map(|f| 1.0 - f).collect()),
        request_fluidity: Dist::of(fluidity),
        fluid_requests: fluid,
        fluid_fraction: if records.is_empty() {
            0.0
        } else {
            fluid as f64 / records.len() as f64
        },
        good_token_throughput: if duration > 0.0 {
            met as f64 / duration
        } else {
            0.0
        },
        fluid_token_rate: percentile_sorted(&needed, FLUID_QUANTILE)
            .filter(|d| *d > 0.0)
            .map(|d| 1.0 / d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    /// Worked by hand with the rules of etalon's `get_request_level_deadline_miss_rate`.
    #[test]
    fn slack_carries_and_a_late_token_misses_whole_periods() {
        // TTFT deadline 1.0, TBT 0.5. First token at 0.6: met, slack 0.4. Gap 0.8 ≤ 0.5 + 0.4:
        // met, slack 0.1. Gap 0.7 > 0.6: late, misses ⌊(0.7 − 0.1) / 0.5⌋ = 1, slack 0.
        // Gap 0.5: met (on the dot). Gap 1.6: misses ⌊1.6 / 0.5⌋ = 3.
        let t = tally(&[0.6, 0.8, 0.7, 0.5, 1.6], 1.0, 0.5, false);
        assert_eq!(t, Tally { met: 3, missed: 4 });
        close(t.fluidity().unwrap(), 3.0 / 7.0);
    }

    #[test]
    fn a_late_first_token_misses_its_own_deadline_and_whole_tbt_periods_after() {
        // TTFT 2.3 against 1.0 (TBT 0.5): 1 + ⌊1.3 / 0.5⌋ = 3 missed; then two on time.
        let t = tally(&[2.3, 0.1, 0.2], 1.0, 0.5, false);
        assert_eq!(t, Tally { met: 2, missed: 3 });
        // Ignoring the first token leaves only the two on time.
        assert_eq!(
            tally(&[2.3, 0.1, 0.2], 1.0, 0.5, true),
            Tally { met: 2, missed: 0 }
        );
        assert_eq!(tally(&[], 1.0, 0.5, false).fluidity(), None);
    }

    #[test]
    fn the_smallest_tbt_deadline_meeting_ten_percent_misses() {
        // Ten gaps of 0.1 s: any deadline ≥ 0.1 meets all; below it the first gap is late
        // (misses ≥ 1 of ≤ 10 + misses) … the bisection lands on 0.1 within 1 µs.
        let d = min_tbt_deadline(&[0.1; 10], 0.1).unwrap();
        assert!((d - 0.1).abs() < 2e-6, "{d}");
        // One 1 s stall among nine 0.1 s gaps: with D = 0.1 the stall misses 10 of 19 (> 10 %);
        // with slack carried nothing earns slack at D = 0.1, so the deadline must grow.
        let mut gaps = vec![0.1; 9];
        gaps.push(1.0);
        let d = min_tbt_deadline(&gaps, 0.1).unwrap();
        let with_first: Vec<f64> = std::iter::once(0.0).chain(gaps.iter().copied()).collect();
        let at = |d: f64| 1.0 - tally(&with_first, 0.0, d, true).fluidity().unwrap();
        assert!(at(d) <= 0.1 && at(d - 1e-5) > 0.1, "{d}");
        assert_eq!(min_tbt_deadline(&[], 0.1), None);
    }

    fn ok(id: u64, sent: f64, chunks: &[f64]) -> RequestRecord {
        RequestRecord {
            sent: Some(sent),
            first_token: chunks.first().copied(),
            chunks: chunks.to_vec(),
            end: chunks.last().copied(),
            completion_tokens: Some(chunks.len() as u64),
            outcome: Outcome::Ok,
            ..RequestRecord::not_sent(id, Some(sent), 4, chunks.len() as u64)
        }
    }

    #[test]
    fn run_summary_of_hand_made_records() {
        let records = vec![
            // ttft 0.5 ≤ 1: met (slack 0.5); gaps 0.5, 0.5 met (slack stays 0.5): 3/3.
            ok(0, 0.0, &[0.5, 1.0, 1.5]),
            // ttft 2.0: 1 + ⌊1.0 / 0.5⌋ = 3 missed; gap 0.5 met: 1/4.
            ok(1, 1.0, &[3.0, 3.5]),
            RequestRecord {
                outcome: Outcome::HttpError,
                ..RequestRecord::not_sent(2, Some(2.0), 4, 2)
            },
        ];
        let s = summarize(
            &records,
            Deadlines {
                ttft: 1.0,
                tbt: 0.5,
            },
            "recipe",
            4.0,
        );
        close(s.fluidity_index.unwrap(), 4.0 / 7.0);
        assert_eq!(s.request_fluidity.count, 2);
        close(s.request_fluidity.mean.unwrap(), (1.0 + 0.25) / 2.0);
        close(s.miss_rate.max.unwrap(), 0.75);
        assert_eq!(s.fluid_requests, 1);
        close(s.fluid_fraction, 1.0 / 3.0);
        // 4 tokens met their deadline over 4 s.
        close(s.good_token_throughput, 1.0);
        // Both need a 0.5 s TBT deadline: 2 tokens/s.
        let rate = s.fluid_token_rate.unwrap();
        assert!((rate - 2.0).abs() < 1e-4, "{rate}");
    }
}
