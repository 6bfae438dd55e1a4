//! Figures 10, 11, 13: `compare_2_archs` — per model and stage the ratio compared / base of the
//! two parts' averages, then per stage the mean ratio over models with its standard error.

use crate::parse::Stage;
use crate::recipe::plot::SpeedupBars;
use crate::table::{stats, Comparison};

use super::labels;
use super::FigureError;

/// The grey of the `Total Time` bar and the blue of the others (matplotlib's `tab:blue`).
pub const TOTAL_COLOR: &str = "#666666";
pub const STEP_COLOR: &str = "#1f77b4";

#[derive(Debug, Clone, PartialEq)]
pub struct SpeedupBar {
    pub stage: Stage,
    pub label: String,
    pub mean: f64,
    /// `scipy.stats.sem` over models; `None` with one model.
    pub stderr: Option<f64>,
    /// Models the mean is over.
    pub models: usize,
    pub color: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpeedupBarsData {
    pub bars: Vec<SpeedupBar>,
    pub ylabel: String,
    /// What was left out, and why (a model missing from one part, a zero or missing base).
    pub skipped: Vec<String>,
}

/// Pair the runs of the two parts by model name (`extract_model_name`): base label, compared
/// label. Runs without a partner are reported.
fn pair_runs<'a>(
    base: &'a Comparison,
    compared: &'a Comparison,
    skipped: &mut Vec<String>,
) -> Result<Vec<(usize, usize, &'a str)>, FigureError> {
    let mut compared_names = Vec::with_capacity(compared.labels.len());
    for label in &compared.labels {
        compared_names.push(labels::model_name(label)?);
    }
    let mut pairs = Vec::new();
    for (i, label) in base.labels.iter().enumerate() {
        let name = labels::model_name(label)?;
        match compared_names.iter().position(|n| *n == name) {
            Some(j) => pairs.push((i, j, name)),
            None => skipped.push(format!("`{name}`: no run in the compared part")),
        }
    }
    for name in &compared_names {
        if !pairs.iter().any(|(_, _, n)| n == name) {
            skipped.push(format!("`{name}`: no run in the base part"));
        }
    }
    Ok(pairs)
}

pub fn speedup_bars(
    spec: &SpeedupBars,
    base: &Comparison,
    compared: &Comparison,
) -> Result<SpeedupBarsData, FigureError> {
    let mut skipped = Vec::new();
    let pairs = pair_runs(base, compared, &mut skipped)?;
    let mut bars = Vec::new();
    for (key, label) in &spec.steps {
        let stage: Stage = key
            .parse()
            .map_err(|e: crate::parse::UnknownStage| FigureError::Spec(e.to_string()))?;
        let mut ratios = Vec::new();
        for &(i, j, name) in &pairs {
            let (Some(b), Some(c)) = (base.value(stage, i), compared.value(stage, j)) else {
                skipped.push(format!("`{name}`, {stage}: no value in one of the parts"));
                continue;
            };
            if b.as_f64() == 0.0 {
                skipped.push(format!("`{name}`, {stage}: the base value is 0"));
                continue;
            }
            ratios.push(c.as_f64() / b.as_f64());
        }
        let Some(mean) = stats::mean(&ratios) else {
            skipped.push(format!("{stage}: no model to compare, bar left out"));
            continue;
        };
        bars.push(SpeedupBar {
            stage,
            label: label.clone(),
            mean,
            stderr: stats::sem(&ratios),
            models: ratios.len(),
            color: if stage == Stage::ActualTotalTime {
                TOTAL_COLOR
            } else {
                STEP_COLOR
            }
            .to_string(),
        });
    }
    Ok(SpeedupBarsData {
        bars,
        ylabel: spec.ylabel.clone(),
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::Num;
    use crate::parse::StageTimings;

    fn table(rows: &[(&str, Option<f64>)]) -> Comparison {
        let mut c = Comparison::default();
        for (label, v) in rows {
            let mut row = StageTimings::default();
            row.set(Stage::LoadWeights, v.map(Num::Float));
            c.push(format!("output_model_{label}.txt"), row);
        }
        c
    }

    fn spec() -> SpeedupBars {
        SpeedupBars {
            base: "gpu0".into(),
            compared: "gpu1".into(),
            ylabel: "Normalized".into(),
            steps: [("load_weights".to_string(), "Load Weights".to_string())]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn ratios_pair_by_model_name_and_skip_bad_bases() {
        let base = table(&[
            ("a-1b", Some(2.0)),
            ("b-2b_max_model_len_5", Some(4.0)),
            ("c-3b", Some(0.0)),
            ("d-4b", Some(1.0)),
        ]);
        // Other order, other suffix; `d` is missing, `e` has no base.
        let compared = table(&[
            ("b-2b", Some(2.0)),
            ("a-1b", Some(3.0)),
            ("c-3b", Some(1.0)),
            ("e-5b", Some(1.0)),
        ]);
        let data = speedup_bars(&spec(), &base, &compared).unwrap();
        let bar = &data.bars[0];
        assert_eq!(bar.models, 2);
        assert_eq!(bar.mean, (1.5 + 0.5) / 2.0);
        assert!((bar.stderr.unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(bar.color, STEP_COLOR);
        let skipped = data.skipped.join("\n");
        assert!(
            skipped.contains("`d-4b`: no run in the compared part"),
            "{skipped}"
        );
        assert!(
            skipped.contains("`e-5b`: no run in the base part"),
            "{skipped}"
        );
        assert!(
            skipped.contains("`c-3b`, load_weights: the base value is 0"),
            "{skipped}"
        );
    }
}
