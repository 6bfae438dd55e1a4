//! Figure 1: startup time of each vLLM release, from the `initialize_engine took X seconds` line
//! of each `iterations/output_<version>.txt` (the figure's `plot.py`). The paper times one warm
//! run per version; a folder made with more iterations (`output_<version>_<i>.txt`) gives one
//! bar per version, the mean of its runs, never a bar per file.

use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use crate::recipe::plot::VersionBars;

use super::labels;
use super::FigureError;

/// One timed line: the log file's name and the seconds it reports.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineTime {
    pub file: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionBar {
    pub version: String,
    /// `version\nrelease date`
    pub tick: String,
    /// `round(seconds, 2)`
    pub value: f64,
    /// The annotation, `f'{value}'`.
    pub text: String,
    /// How many timed runs the value is the mean of (1 in the paper).
    pub runs: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionBarsData {
    pub bars: Vec<VersionBar>,
    pub xlabel: String,
    pub ylabel: String,
}

/// Every `initialize_engine took` line of the files in `dir` (one entry per line, as the paper
/// appends one per matching line).
pub fn read_engine_times(dir: &Path) -> Result<Vec<EngineTime>, FigureError> {
    static TOOK: OnceLock<Regex> = OnceLock::new();
    let re = TOOK.get_or_init(|| {
        Regex::new(r"initialize_engine took ([\d.]+) seconds").expect("valid regex")
    });
    let mut times = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|source| FigureError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths.into_iter().filter(|p| p.is_file()) {
        let bytes = std::fs::read(&path).map_err(|source| FigureError::Io {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for line in text.lines().filter(|l| l.contains("initialize_engine")) {
            let seconds = re
                .captures(line)
                .and_then(|c| c[1].parse().ok())
                .ok_or_else(|| FigureError::Log {
                    path: path.clone(),
                    why: format!("`initialize_engine` line without `took X seconds`: {line:?}"),
                })?;
            times.push(EngineTime {
                file: file.clone(),
                seconds,
            });
        }
    }
    Ok(times)
}

/// The version a log file is of: `output_<version>.txt`, or `output_<version>_<i>.txt` for the
/// i-th timed run.
fn file_version(file: &str) -> Result<&str, FigureError> {
    let bad = || {
        FigureError::Label {
        label: file.to_string(),
        why: "expected `output_<version>.txt` or `output_<version>_<i>.txt` with a dotted numeric version".into(),
    }
    };
    let stem = file
        .strip_prefix("output_")
        .and_then(|f| f.strip_suffix(".txt"))
        .ok_or_else(bad)?;
    let version = match stem.rsplit_once('_') {
        Some((version, i)) if i.parse::<u32>().is_ok() => version,
        _ => stem,
    };
    Ok(version)
}

/// The integers of a dotted version, for numeric order (`0.10.0` after `0.9.0`).
fn version_key(file: &str, version: &str) -> Result<Vec<u64>, FigureError> {
    version
        .split('.')
        .map(|p| {
            p.parse().map_err(|_| FigureError::Label {
                label: file.to_string(),
                why: format!("`{version}` is not a dotted numeric version"),
            })
        })
        .collect()
}

/// The bars of `times`; `recipe_versions` (the recipe's `vllm` list, which `release_dates`
/// follows) dates each bar, so the runs of some versions only (`--vllm`, the CPU builds) keep
/// their own dates; empty: the dates in bar order, as the paper's `plot.py`.
pub fn version_bars(
    spec: &VersionBars,
    times: Vec<EngineTime>,
    recipe_versions: &[&str],
) -> Result<VersionBarsData, FigureError> {
    if times.is_empty() {
        return Err(FigureError::NoData(
            "no `initialize_engine took X seconds` line in any log".into(),
        ));
    }
    // Every timed line of a version's files, grouped under the version.
    let mut by_version: std::collections::BTreeMap<Vec<u64>, (String, Vec<f64>)> =
        std::collections::BTreeMap::new();
    for t in &times {
        let version = file_version(&t.file)?;
        let key = version_key(&t.file, version)?;
        by_version
            .entry(key)
            .or_insert_with(|| (version.to_string(), Vec::new()))
            .1
            .push(t.seconds);
    }
    let bars = by_version
        .into_values()
        .enumerate()
        .map(|(i, (version, seconds))| {
            let index = match recipe_versions {
                [] => Some(i),
                listed => listed.iter().position(|v| *v == version),
            };
            let date = index
                .and_then(|i| spec.release_dates.get(i))
                .cloned()
                .unwrap_or_default();
            let mean = crate::stats::mean(&seconds).unwrap_or(0.0);
            let value = labels::round2(mean);
            VersionBar {
                tick: format!("{version}\n{date}"),
                version,
                value,
                text: labels::py_float(value),
                runs: seconds.len(),
            }
        })
        .collect();
    Ok(VersionBarsData {
        bars,
        xlabel: spec.xlabel.clone(),
        ylabel: spec.ylabel.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically() {
        let spec = VersionBars {
            release_dates: vec!["A".into(), "B".into(), "C".into()],
            xlabel: "x".into(),
            ylabel: "y".into(),
        };
        let t = |f: &str, s| EngineTime {
            file: f.into(),
            seconds: s,
        };
        let data = version_bars(
            &spec,
            vec![
                t("output_0.10.0.txt", 33.98),
                t("output_0.3.1.txt", 19.19),
                t("output_0.9.0.txt", 8.0),
            ],
            &[],
        )
        .unwrap();
        let versions: Vec<_> = data.bars.iter().map(|b| b.version.as_str()).collect();
        assert_eq!(versions, ["0.3.1", "0.9.0", "0.10.0"]);
        assert_eq!(data.bars[1].text, "8.0");
        assert_eq!(data.bars[2].tick, "0.10.0\nC");
        // Some of the recipe's versions only: each keeps its own date.
        let some = version_bars(
            &spec,
            vec![t("output_0.10.0.txt", 3.0), t("output_0.9.0.txt", 8.0)],
            &["0.3.1", "0.9.0", "0.10.0"],
        )
        .unwrap();
        let ticks: Vec<_> = some.bars.iter().map(|b| b.tick.as_str()).collect();
        assert_eq!(ticks, ["0.9.0\nB", "0.10.0\nC"]);
    }

    #[test]
    fn several_iterations_give_one_bar_per_version() {
        let spec = VersionBars {
            release_dates: vec!["A".into(), "B".into()],
            xlabel: "x".into(),
            ylabel: "y".into(),
        };
        let t = |f: &str, s| EngineTime {
            file: f.into(),
            seconds: s,
        };
        let data = version_bars(
            &spec,
            vec![
                t("output_0.3.1.txt", 10.0),
                t("output_0.3.1_2.txt", 12.0),
                t("output_0.10.0_2.txt", 3.0),
                t("output_0.10.0.txt", 5.0),
            ],
            &[],
        )
        .unwrap();
        let bars: Vec<_> = data
            .bars
            .iter()
            .map(|b| (b.version.as_str(), b.value, b.runs, b.tick.as_str()))
            .collect();
        assert_eq!(
            bars,
            [
                ("0.3.1", 11.0, 2, "0.3.1\nA"),
                ("0.10.0", 4.0, 2, "0.10.0\nB")
            ]
        );
    }
}
