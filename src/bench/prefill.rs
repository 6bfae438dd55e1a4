//! Prefill profile (`[prefill_profile]` in a benchmark recipe), as etalon's prefill profiler
//! does it: one request at a time over a range of prompt lengths with a small fixed output, the
//! fastest TTFT of each length against the prompt's tokens, fitted and saved as a predictor of
//! the prefill time. etalon fits a random forest on degree-2 polynomial features; repro fits
//! the polynomial itself by least squares (c0 + c1·n + c2·n², n the prompt's tokens), which
//! extrapolates past the longest length profiled where a forest stays flat.
//!
//! `prefill.json` beside the runs holds, per configuration of the matrix, the points and the
//! fit; a capacity search of `goal = "fluidity"` can take its TTFT deadlines from it
//! (`capacity.prefill`: the predicted prefill of each request's prompt plus `ttft_slack`, as
//! etalon's capacity search does).

use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::error::{drive_error_of, BenchError};
use super::record::{Outcome, RequestRecord};
use super::runner;
use crate::plan::bench::BenchTask;
use crate::recipe::Scalar;

/// Version of `prefill.json`.
pub const FORMAT: u32 = 1;

/// One prompt length, measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Words of the prompt asked for.
    pub prompt_len: u64,
    /// The server's count of the prompt's tokens (its usage report; the words where missing),
    /// the mean over the requests of this length.
    pub prompt_tokens: f64,
    /// The fastest TTFT of this length, seconds (the prefill with the least noise on top).
    pub ttft_min: f64,
    /// Every ok request's TTFT of this length, seconds.
    pub ttfts: Vec<f64>,
}

/// A polynomial in the prompt's tokens predicting the prefill time (seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    pub degree: usize,
    /// `c0, c1, …`: prefill ≈ Σ c_k · tokens^k seconds.
    pub coefficients: Vec<f64>,
    /// Root mean square error over the points, seconds.
    pub rmse: f64,
}

impl Fit {
    pub fn predict(&self, tokens: f64) -> f64 {
        self.coefficients
            .iter()
            .rev()
            .fold(0.0, |acc, c| acc * tokens + c)
    }
}

/// The points of a profile run's ok requests, by prompt length, shortest first.
pub fn points(records: &[RequestRecord]) -> Vec<Point> {
    let mut by_len: IndexMap<u64, Vec<&RequestRecord>> = IndexMap::new();
    for r in records.iter().filter(|r| r.outcome == Outcome::Ok) {
        by_len.entry(r.prompt_len).or_default().push(r);
    }
    by_len.sort_keys();
    by_len
        .into_iter()
        .filter_map(|(len, rs)| {
            let ttfts: Vec<f64> = rs.iter().filter_map(|r| r.ttft()).collect();
            let ttft_min = ttfts.iter().copied().min_by(f64::total_cmp)?;
            let tokens: f64 = rs
                .iter()
                .map(|r| r.prompt_tokens.unwrap_or(r.prompt_len) as f64)
                .sum::<f64>()
                / rs.len() as f64;
            Some(Point {
                prompt_len: len,
                prompt_tokens: tokens,
                ttft_min,
                ttfts,
            })
        })
        .collect()
}

/// Least squares of `ttft_min` on a polynomial of `degree` (lowered to fit the points there
/// are); `None` without a point.
pub fn fit(points: &[Point], degree: usize) -> Option<Fit> {
    let degree = degree.min(points.len().checked_sub(1)?);
    // Tokens scaled to ~1 keep the normal equations well conditioned.
    let scale = points.iter().map(|p| p.prompt_tokens).fold(1.0, f64::max);
    let k = degree + 1;
    let mut a = vec![vec![0.0; k + 1]; k];
    for p in points {
        let x = p.prompt_tokens / scale;
        let powers: Vec<f64> = (0..k).map(|i| x.powi(i as i32)).collect();
        for i in 0..k {
            for j in 0..k {
                a[i][j] += powers[i] * powers[j];
            }
            a[i][k] += powers[i] * p.ttft_min;
        }
    }
    let scaled = solve(a)?;
    let coefficients: Vec<f64> = scaled
        .iter()
        .enumerate()
        .map(|(i, c)| c / scale.powi(i as i32))
        .collect();
    let mut f = Fit {
        degree,
        coefficients,
        rmse: 0.0,
    };
    let sq: f64 = points
        .iter()
        .map(|p| (f.predict(p.prompt_tokens) - p.ttft_min).powi(2))
        .sum();
    f.rmse = (sq / points.len() as f64).sqrt();
    Some(f)
}

/// Gaussian elimination with partial pivoting of an augmented matrix; `None` when singular.
fn solve(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let n = a.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let factor = row[col] / pivot_row[col];
                for (x, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= factor * p;
                }
            }
        }
    }
    Some((0..n).map(|i| a[i][n] / a[i][i]).collect())
}

/// One configuration's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigProfile {
    /// The run's label (`default`, `max-num-seqs_8`).
    pub config: String,
    pub params: IndexMap<String, Scalar>,
    pub points: Vec<Point>,
    pub fit: Option<Fit>,
}

/// `prefill.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrefillFile {
    pub format: u32,
    pub benchmark: String,
    pub configs: Vec<ConfigProfile>,
}

impl PrefillFile {
    /// The profile of `config`, else the only one.
    pub fn profile(&self, config: &str) -> Option<&ConfigProfile> {
        self.configs
            .iter()
            .find(|c| c.config == config)
            .or(match self.configs.as_slice() {
                [only] => Some(only),
                _ => None,
            })
    }
}

fn read_records(path: &Path) -> Option<Vec<RequestRecord>> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Fit every complete run of a profile and write `prefill.json` (its chart `prefill.svg` is the
/// command line's) (whole or
/// not at all) into `bench`; `None` where no run is complete.
pub fn write_profiles(
    bench: &Path,
    name: &str,
    degree: usize,
    tasks: &[BenchTask],
) -> Result<Option<PrefillFile>, BenchError> {
    let mut configs = Vec::new();
    for task in tasks {
        if runner::state(task) != crate::run::folder::FolderState::Done {
            continue;
        }
        let Some(records) = read_records(&task.folder.dir.join("records.jsonl")) else {
            continue;
        };
        let points = points(&records);
        configs.push(ConfigProfile {
            config: task.run.label.clone(),
            params: task.run.params.clone(),
            fit: fit(&points, degree),
            points,
        });
    }
    if configs.is_empty() {
        return Ok(None);
    }
    let file = PrefillFile {
        format: FORMAT,
        benchmark: name.to_string(),
        configs,
    };
    let text = serde_json::to_string_pretty(&file).expect("a profile serialises") + "\n";
    let path = bench.join("prefill.json");
    crate::artifacts::atomic_write(&path, text.as_bytes()).map_err(|e| drive_error_of(&path, e))?;
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(tokens: f64, ttft: f64) -> Point {
        Point {
            prompt_len: tokens as u64,
            prompt_tokens: tokens,
            ttft_min: ttft,
            ttfts: vec![ttft],
        }
    }

    #[test]
    fn a_quadratic_is_recovered_exactly() {
        // 0.01 + 1e-4 n + 1e-8 n²
        let f = |n: f64| 0.01 + 1e-4 * n + 1e-8 * n * n;
        let pts: Vec<Point> = [16.0, 256.0, 1024.0, 4096.0]
            .iter()
            .map(|&n| point(n, f(n)))
            .collect();
        let fit = fit(&pts, 2).unwrap();
        assert!(fit.rmse < 1e-12, "{fit:?}");
        assert!((fit.predict(8192.0) - f(8192.0)).abs() < 1e-9, "{fit:?}");
        // Two points: the degree drops to a line through both.
        let line = super::fit(&pts[..2], 2).unwrap();
        assert_eq!(line.degree, 1);
        assert!((line.predict(16.0) - f(16.0)).abs() < 1e-12);
        assert!(super::fit(&[], 2).is_none());
    }

    #[test]
    fn the_fastest_ttft_of_each_length() {
        let rec = |len: u64, sent: f64, ttft: f64| RequestRecord {
            sent: Some(sent),
            first_token: Some(sent + ttft),
            chunks: vec![sent + ttft],
            end: Some(sent + ttft),
            prompt_tokens: Some(len + 1),
            outcome: Outcome::Ok,
            ..RequestRecord::not_sent(0, None, len, 2)
        };
        let records = [
            rec(64, 0.0, 0.30),
            rec(16, 1.0, 0.10),
            rec(64, 2.0, 0.25),
            rec(16, 3.0, 0.12),
        ];
        let p = points(&records);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].prompt_len, p[0].prompt_tokens), (16, 17.0));
        assert!((p[0].ttft_min - 0.10).abs() < 1e-9);
        assert!((p[1].ttft_min - 0.25).abs() < 1e-9);
        assert_eq!(p[1].ttfts.len(), 2);
    }
}
