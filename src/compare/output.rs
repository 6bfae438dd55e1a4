//! A comparison as text (a table), JSON (`compare_files`' result, plus the means) or CSV, and
//! the chart model its picture is drawn from. Nothing here does I/O.

use std::fmt::Write;

use serde::Serialize;

use super::{Report, Row, Side};
use crate::num::python_float_repr;

/// The table a person reads: one line per stage (mean ratio, how many labels); with `per_label`
/// each stage's labels under it, as `compare_2_avgs.py -v` prints them.
pub fn text(report: &Report, per_label: bool) -> String {
    let mut out = String::new();
    for (name, side) in [("A", &report.a), ("B", &report.b)] {
        let _ = writeln!(
            out,
            "{name}  {}  ({} labels)",
            side.path.display(),
            side.table.labels.len()
        );
    }
    let paired = report.stages.first().map_or(0, |s| s.rows.len());
    let _ = writeln!(
        out,
        "{paired} labels in both, paired by {}\n",
        report.by.as_str()
    );
    let width = report
        .stages
        .iter()
        .map(|s| s.stage.key().len())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(
        out,
        "{:<width$}  {:>9}  {:>8}  {:>6}",
        "stage", "mean B/A", "stderr", "labels"
    );
    for stage in &report.stages {
        let mean = stage.mean.map_or("-".to_string(), |m| format!("{m:.2}x"));
        let stderr = stage.stderr.map_or("-".to_string(), |e| format!("{e:.3}"));
        let _ = writeln!(
            out,
            "{:<width$}  {mean:>9}  {stderr:>8}  {:>6}",
            stage.stage.key(),
            stage.count
        );
    }
    if per_label {
        for stage in &report.stages {
            let _ = writeln!(out, "\n{}", stage.stage.key());
            let names: Vec<String> = stage.rows.iter().map(row_name).collect();
            let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
            for (row, name) in stage.rows.iter().zip(&names) {
                let ratio = match row.ratio {
                    Ok(r) => format!("{r:.2}x"),
                    Err(problem) => problem.as_str().to_string(),
                };
                let _ = writeln!(
                    out,
                    "  {name:<width$}  A {:>9}  B {:>9}  {ratio}",
                    value_text(row.a),
                    value_text(row.b)
                );
            }
        }
    }
    out
}

fn value_text(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.4}"))
}

/// A row's label, with B's where it differs (paired by model).
fn row_name(row: &Row) -> String {
    if row.b_label == row.label {
        row.label.clone()
    } else {
        format!("{} ({})", row.label, row.b_label)
    }
}

/// What is worth a warning: labels in one table only, labels without a ratio, notes.
pub fn warnings(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for (name, side, only) in [
        ("A", &report.a, &report.only_in_a),
        ("B", &report.b, &report.only_in_b),
    ] {
        if !only.is_empty() {
            out.push(format!(
                "{} label(s) only in {name} (`{}`), not compared: {}",
                only.len(),
                side.path.display(),
                only.join(", ")
            ));
        }
        if let Some(note) = &side.note {
            out.push(format!("{name} says: {note}"));
        }
    }
    for stage in &report.stages {
        for row in &stage.rows {
            if let Err(problem) = row.ratio {
                out.push(format!(
                    "{}, {}: {}, left out of the mean",
                    stage.stage.key(),
                    row.label,
                    problem.as_str()
                ));
            }
        }
    }
    out
}

#[derive(Serialize)]
struct JsonSide<'a> {
    path: String,
    labels: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

impl<'a> JsonSide<'a> {
    fn of(side: &'a Side) -> JsonSide<'a> {
        JsonSide {
            path: side.path.display().to_string(),
            labels: side.table.labels.len(),
            note: side.note.as_deref(),
        }
    }
}

/// A row as `compare_files` returns it (`model_name`, `value1`, `value2`, `speedup`), with the
/// labels and, where there is no ratio, why.
#[derive(Serialize)]
struct JsonRow<'a> {
    label: &'a str,
    b_label: &'a str,
    model_name: Option<&'a str>,
    value1: Option<f64>,
    value2: Option<f64>,
    speedup: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonStage<'a> {
    mean: Option<f64>,
    stderr: Option<f64>,
    count: usize,
    rows: Vec<JsonRow<'a>>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    a: JsonSide<'a>,
    b: JsonSide<'a>,
    paired_by: &'static str,
    only_in_a: &'a [String],
    only_in_b: &'a [String],
    stages: indexmap::IndexMap<&'static str, JsonStage<'a>>,
}

/// The comparison as JSON (Python's float repr, four-space indent).
pub fn json(report: &Report) -> Vec<u8> {
    let stages = report
        .stages
        .iter()
        .map(|stage| {
            let rows = stage
                .rows
                .iter()
                .map(|row| JsonRow {
                    label: &row.label,
                    b_label: &row.b_label,
                    model_name: row.model_name.as_deref(),
                    value1: row.a,
                    value2: row.b,
                    speedup: row.ratio.ok(),
                    problem: row.ratio.err().map(|p| p.as_str()),
                })
                .collect();
            let entry = JsonStage {
                mean: stage.mean,
                stderr: stage.stderr,
                count: stage.count,
                rows,
            };
            (stage.stage.key(), entry)
        })
        .collect();
    let mut bytes = crate::table::pyjson::to_python_json(&JsonReport {
        a: JsonSide::of(&report.a),
        b: JsonSide::of(&report.b),
        paired_by: report.by.as_str(),
        only_in_a: &report.only_in_a,
        only_in_b: &report.only_in_b,
        stages,
    });
    bytes.push(b'\n');
    bytes
}

/// A CSV field, quoted where it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_number(v: Option<f64>) -> String {
    v.map(python_float_repr).unwrap_or_default()
}

/// One line per stage and label: `stage,label,b_label,model_name,a,b,ratio,problem`.
pub fn csv(report: &Report) -> String {
    let mut out = String::from("stage,label,b_label,model_name,a,b,ratio,problem\n");
    for stage in &report.stages {
        for row in &stage.rows {
            let fields = [
                stage.stage.key().to_string(),
                csv_field(&row.label),
                csv_field(&row.b_label),
                csv_field(row.model_name.as_deref().unwrap_or("")),
                csv_number(row.a),
                csv_number(row.b),
                csv_number(row.ratio.ok()),
                csv_field(row.ratio.err().map_or("", |p| p.as_str())),
            ];
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    out
}

/// What the chart draws: per stage the mean ratio, its standard error, and each label's ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareChart {
    pub title: String,
    pub ylabel: String,
    pub bars: Vec<CompareBar>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompareBar {
    pub label: String,
    pub mean: f64,
    pub stderr: Option<f64>,
    pub ratios: Vec<f64>,
}

/// A table's folder by its last two names (`figure-10/gpu1`), or the file's name where it is
/// not called as the paper calls it.
fn short_name(side: &Side) -> String {
    let path = &side.path;
    let named = path
        .file_name()
        .is_some_and(|n| n == crate::table::AVERAGE_FILE);
    let shown = if named {
        path.parent().unwrap_or(path)
    } else {
        path
    };
    let mut names: Vec<String> = shown
        .components()
        .rev()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .take(2)
        .collect();
    names.reverse();
    names.join("/")
}

/// The chart of a comparison; stages without a ratio are left out.
pub fn chart(report: &Report) -> CompareChart {
    CompareChart {
        title: format!(
            "B = {}, A = {}",
            short_name(&report.b),
            short_name(&report.a)
        ),
        ylabel: "B / A".into(),
        bars: report
            .stages
            .iter()
            .filter_map(|stage| {
                Some(CompareBar {
                    label: stage.stage.key().to_string(),
                    mean: stage.mean?,
                    stderr: stage.stderr,
                    ratios: stage.rows.iter().filter_map(|r| r.ratio.ok()).collect(),
                })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{compare, MatchBy};
    use crate::num::Num;
    use crate::parse::{Stage, StageTimings};
    use crate::table::Comparison;
    use std::path::PathBuf;

    fn side(rows: &[(&str, f64)]) -> Side {
        let mut table = Comparison::default();
        for (label, v) in rows {
            let mut row = StageTimings::default();
            row.set(Stage::LoadWeights, Some(Num::Float(*v)));
            table.push(label.to_string(), row);
        }
        Side {
            path: PathBuf::from("x/avg_comparison_results.json"),
            table,
            note: None,
        }
    }

    #[test]
    fn csv_and_json_carry_every_row() {
        let a = side(&[("output_model_a,b.txt", 2.0), ("output_model_c.txt", 0.0)]);
        let b = side(&[("output_model_a,b.txt", 3.0), ("output_model_c.txt", 1.0)]);
        let report = compare(a, b, &[Stage::LoadWeights], MatchBy::Label).unwrap();
        let csv = csv(&report);
        assert_eq!(
            csv,
            "stage,label,b_label,model_name,a,b,ratio,problem\n\
             load_weights,\"output_model_a,b.txt\",\"output_model_a,b.txt\",\"a,b\",2.0,3.0,1.5,\n\
             load_weights,output_model_c.txt,output_model_c.txt,c,0.0,1.0,,\"A is 0, so there is no ratio\"\n"
        );
        let json = String::from_utf8(json(&report)).unwrap();
        assert!(json.contains("\"speedup\": 1.5"), "{json}");
        assert!(
            json.contains("\"problem\": \"A is 0, so there is no ratio\""),
            "{json}"
        );
        assert!(text(&report, true).contains("load_weights"));
        assert_eq!(chart(&report).bars[0].ratios, [1.5]);
    }
}
