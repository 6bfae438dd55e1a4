//! Figures 10, 11, 13: `compare_2_archs` — per model and stage the ratio compared / base of the
//! two parts' averages, then per stage the mean ratio over models with its standard error.

use crate::parse::Stage;
use crate::recipe::plot::SpeedupBars;
use crate::stats;
use crate::table::Comparison;

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

/// Pair the runs of the two parts: by exact label, then — for the runs left — by model name
/// (`extract_model_name`) where one run on each side has it (the paper's parts name a run
/// `qwen-14b` in one and `qwen-14b_max_model_len_16752` in the other). Runs of a sweep that
/// share a model are never paired by model alone. Runs without a partner are reported.
fn pair_runs<'a>(
    base: &'a Comparison,
    compared: &'a Comparison,
    skipped: &mut Vec<String>,
) -> Result<Vec<(usize, usize, &'a str)>, FigureError> {
    let names = |c: &'a Comparison| -> Result<Vec<&'a str>, FigureError> {
        c.labels
            .iter()
            .map(|l| labels::model_name(l).map_err(FigureError::from))
            .collect()
    };
    let (base_names, compared_names) = (names(base)?, names(compared)?);
    let mut taken = vec![false; compared.labels.len()];
    let mut pairs = Vec::new();
    let mut left = Vec::new();
    for (i, label) in base.labels.iter().enumerate() {
        match compared.labels.iter().position(|l| l == label) {
            Some(j) => {
                taken[j] = true;
                pairs.push((i, j, base_names[i]));
            }
            None => left.push(i),
        }
    }
    let count = |names: &[&str], open: &dyn Fn(usize) -> bool, name: &str| {
        (0..names.len())
            .filter(|&k| open(k) && names[k] == name)
            .count()
    };
    let base_open = |k: usize| left.contains(&k);
    for &i in &left {
        let name = base_names[i];
        let compared_open = |k: usize| !taken[k];
        let on_base = count(&base_names, &base_open, name);
        let on_compared = count(&compared_names, &compared_open, name);
        match (on_base, on_compared) {
            (_, 0) => skipped.push(format!("`{name}`: no run in the compared part")),
            (1, 1) => {
                let j = (0..compared_names.len())
                    .find(|&k| !taken[k] && compared_names[k] == name)
                    .expect("counted one");
                taken[j] = true;
                pairs.push((i, j, name));
            }
            _ => skipped.push(format!(
                "`{}`: no run of the same label in the compared part, and {on_base} base and {on_compared} compared runs share model `{name}`: not paired",
                base.labels[i]
            )),
        }
    }
    for (j, name) in compared_names.iter().enumerate() {
        if !taken[j] && !base_names.contains(name) {
            skipped.push(format!("`{name}`: no run in the base part"));
        }
    }
    pairs.sort_by_key(|&(i, _, _)| i);
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
    fn runs_of_a_sweep_pair_by_label_never_by_model_alone() {
        let base = table(&[
            ("a-1b_max-num-seqs_16", Some(1.0)),
            ("a-1b_max-num-seqs_160", Some(10.0)),
        ]);
        let compared = table(&[
            ("a-1b_max-num-seqs_160", Some(20.0)),
            ("a-1b_max-num-seqs_16", Some(3.0)),
        ]);
        let data = speedup_bars(&spec(), &base, &compared).unwrap();
        assert_eq!(data.bars[0].models, 2);
        assert_eq!(data.bars[0].mean, (3.0 + 2.0) / 2.0);
        // Labels that differ while two runs share the model: ambiguous, so not paired.
        let other = table(&[("a-1b_x_1", Some(2.0)), ("a-1b_x_2", Some(2.0))]);
        let data = speedup_bars(&spec(), &base, &other).unwrap();
        assert!(data.bars.is_empty(), "{:?}", data.bars);
        assert!(
            data.skipped.iter().any(|s| s.contains("not paired")),
            "{:?}",
            data.skipped
        );
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
