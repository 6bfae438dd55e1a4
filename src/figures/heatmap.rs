//! Figure 12: per-core CPU usage over time (`cpu_usage.json`: a list of samples, each a list of
//! per-core percentages).

use std::path::Path;

use crate::recipe::plot::CpuHeatmap;

use super::FigureError;

#[derive(Debug, Clone, PartialEq)]
pub struct CpuHeatmapData {
    /// `[sample][core]`, percent.
    pub samples: Vec<Vec<f64>>,
    pub cores: usize,
    pub interval_s: f64,
    pub xlabel: String,
    pub ylabel: String,
    pub colorbar_label: String,
}

impl CpuHeatmapData {
    /// The time of the last sample: the right edge of the image (matplotlib `extent`).
    pub fn duration(&self) -> f64 {
        self.samples.len().saturating_sub(1) as f64 * self.interval_s
    }
}

pub fn read_samples(path: &Path) -> Result<Vec<Vec<f64>>, FigureError> {
    let bytes = std::fs::read(path).map_err(|source| FigureError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| FigureError::Json {
        path: path.to_path_buf(),
        what: "a list of samples, each a list of per-core percentages",
        source,
    })
}

pub fn cpu_heatmap(
    spec: &CpuHeatmap,
    samples: Vec<Vec<f64>>,
) -> Result<CpuHeatmapData, FigureError> {
    let cores = samples.first().map_or(0, Vec::len);
    if samples.len() < 2 || cores == 0 {
        return Err(FigureError::NoData(format!(
            "`{}` needs at least 2 samples of at least 1 core",
            spec.samples
        )));
    }
    if let Some(i) = samples.iter().position(|s| s.len() != cores) {
        return Err(FigureError::NoData(format!(
            "`{}`: sample {i} has {} cores, sample 0 has {cores}",
            spec.samples,
            samples[i].len()
        )));
    }
    Ok(CpuHeatmapData {
        samples,
        cores,
        interval_s: spec.interval_s,
        xlabel: spec.xlabel.clone(),
        ylabel: spec.ylabel.clone(),
        colorbar_label: spec.colorbar_label.clone(),
    })
}
