//! What the paper's `utils.py` reads out of a run label (`output_model_<name>_<param>_<v>.txt`):
//! the model's name and size, the CUDA graph sizes. Figures, the predictor and `compare` pair
//! and order runs by these.

use std::sync::OnceLock;

use regex::Regex;

/// A run label that does not say what is asked of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("run label `{label}`: {why}")]
pub struct LabelError {
    pub label: String,
    pub why: String,
}

/// `extract_model_name`: `label.split("model_")[1].split("_")[0].split(".txt")[0]`.
pub fn model_name(label: &str) -> Result<&str, LabelError> {
    let mut pieces = label.split("model_");
    pieces.next();
    let piece = pieces.next().ok_or_else(|| LabelError {
        label: label.to_string(),
        why: "it has no `model_` in it".into(),
    })?;
    let name = piece.split('_').next().unwrap_or(piece);
    Ok(name.split(".txt").next().unwrap_or(name))
}

/// `extract_model_size`: billions of parameters read from the model name (`7b`, `125m`);
/// `gpt-oss-20b` is divided by 3.5, as the paper does for its mxfp4 weights.
pub fn model_size(label: &str) -> Result<f64, LabelError> {
    static SIZE: OnceLock<Regex> = OnceLock::new();
    let re = SIZE.get_or_init(|| Regex::new(r"(\d+(?:\.\d+)?[bm])").expect("valid regex"));
    let name = model_name(label)?;
    let found = re.find(name).ok_or_else(|| LabelError {
        label: label.to_string(),
        why: format!("model name `{name}` has no size such as `7b` or `125m`"),
    })?;
    let text = found.as_str();
    let mut size: f64 = text[..text.len() - 1].parse().map_err(|_| LabelError {
        label: label.to_string(),
        why: format!("`{text}` is not a number"),
    })?;
    if text.ends_with('m') {
        size /= 1000.0;
    }
    if name.contains("gpt-oss-20b") {
        size /= 3.5;
    }
    Ok(size)
}

/// `num_of_batch_sizes`: `len([1, 2, 4] + list(range(8, n + 1, 8)))`.
pub fn num_of_batch_sizes(cuda_graph_sizes: i64) -> i64 {
    3 + if cuda_graph_sizes >= 8 {
        (cuda_graph_sizes - 8) / 8 + 1
    } else {
        0
    }
}

/// `extract_cuda_graph_size`: the integer after `cuda-graph-sizes_` in the label.
pub fn cuda_graph_sizes(label: &str) -> Result<i64, LabelError> {
    let bad = |why: &str| LabelError {
        label: label.to_string(),
        why: why.to_string(),
    };
    let rest = label
        .split("cuda-graph-sizes")
        .nth(1)
        .ok_or_else(|| bad("it has no `cuda-graph-sizes_N` in it"))?;
    let rest = rest.split(".txt").next().unwrap_or(rest);
    let value = rest
        .split('_')
        .nth(1)
        .ok_or_else(|| bad("`cuda-graph-sizes` has no value"))?;
    value
        .parse()
        .map_err(|_| bad(&format!("cuda-graph-sizes `{value}` is not an integer")))
}
