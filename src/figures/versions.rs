//! Figure 1: startup time of each vLLM release, from the `initialize_engine took X seconds` line
//! of each `iterations/output_<version>.txt` (the figure's `plot.py`).

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

/// `version_key`: the integers of `label.split('_')[1]` without `.txt`.
fn version_key(file: &str) -> Result<Vec<u64>, FigureError> {
    let bad = || FigureError::Label {
        label: file.to_string(),
        why: "expected `output_<version>.txt` with a dotted numeric version".into(),
    };
    let version = file.split('_').nth(1).ok_or_else(bad)?.replace(".txt", "");
    version
        .split('.')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect()
}

pub fn version_bars(
    spec: &VersionBars,
    mut times: Vec<EngineTime>,
) -> Result<VersionBarsData, FigureError> {
    if times.is_empty() {
        return Err(FigureError::NoData(
            "no `initialize_engine took X seconds` line in any log".into(),
        ));
    }
    let mut keyed = Vec::with_capacity(times.len());
    for t in times.drain(..) {
        keyed.push((version_key(&t.file)?, t));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let bars = keyed
        .into_iter()
        .enumerate()
        .map(|(i, (_, t))| {
            let last = t.file.rsplit('_').next().unwrap_or(&t.file);
            let version = last.split(".txt").next().unwrap_or(last).to_string();
            let date = spec.release_dates.get(i).cloned().unwrap_or_default();
            let value = labels::round2(t.seconds);
            VersionBar {
                tick: format!("{version}\n{date}"),
                version,
                value,
                text: labels::py_float(value),
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
        )
        .unwrap();
        let versions: Vec<_> = data.bars.iter().map(|b| b.version.as_str()).collect();
        assert_eq!(versions, ["0.3.1", "0.9.0", "0.10.0"]);
        assert_eq!(data.bars[1].text, "8.0");
        assert_eq!(data.bars[2].tick, "0.10.0\nC");
    }
}
