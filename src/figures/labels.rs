//! How the paper's `utils.py` prints numbers and titles and picks colours, so tick labels come
//! out the same (what it reads out of a run label is `recipe::labels`).

pub use crate::recipe::labels::{cuda_graph_sizes, model_name, model_size, num_of_batch_sizes};

/// How Python prints a number that came from `models_config.json`: integers (every integral
/// value there is written as an int) without a decimal point, floats as `repr` does.
pub fn py_number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Python's `repr` of a float (`8.0`, `19.19`).
pub fn py_float(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// Python's `round(v, 2)`.
pub fn round2(v: f64) -> f64 {
    format!("{v:.2}").parse().unwrap_or(v)
}

/// Python's `str.title()`: a letter is upper-cased after a non-letter, lower-cased after one.
pub fn py_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_cased = false;
    for c in s.chars() {
        if prev_cased {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        prev_cased = c.is_alphabetic();
    }
    out
}

/// The paper's colour-blind-friendly palette (`cbf_colors` of `draw`).
pub const CBF_COLORS: [&str; 25] = [
    "#4477AA", "#66CCEE", "#228833", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
    "#882255", "#AA4499", "#332288", "#EE7733", "#BBBBBB", "#77AADD", "#EEDD88", "#FFAABB",
    "#99DDFF", "#55CC77", "#FFDD44", "#AA3377", "#1177AA", "#66AA77", "#CCBB44", "#BB5566",
    "#DDDDDD",
];

/// The models of `draw`'s `color_map`, in palette order.
const COLOR_MODELS: [&str; 25] = [
    "qwen-0.5b",
    "qwen-1.8b",
    "qwen-4b",
    "qwen-7b",
    "qwen-14b",
    "qwen-14.3b",
    "llama2-7b-hf",
    "llama2-13b-hf",
    "llama3-3b",
    "llama3.1-8b-instruct",
    "falcon-7b",
    "falcon-11b",
    "yi-6b",
    "yi-9b",
    "mpt-7b",
    "mistral-7b",
    "gemma-7b",
    "gpt-oss-20b",
    "deepseek-v2-lite-16b",
    "deepseek-r1-distill-llama-8b",
    "deepseek-r1-distill-qwen-7b",
    "granite3.3-8b-instruct",
    "granite4.0-h-3b",
    "granite4.0-h-32b",
    "olmoe-7b",
];

/// `color_map[model]`; a model the paper did not list gets the palette colour of its bar index.
pub fn model_color(model: &str, index: usize) -> &'static str {
    COLOR_MODELS
        .iter()
        .position(|m| *m == model)
        .map_or(CBF_COLORS[index % CBF_COLORS.len()], |i| CBF_COLORS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_follow_split_rules() {
        assert_eq!(model_name("output_model_qwen-4b.txt").unwrap(), "qwen-4b");
        assert_eq!(
            model_name("output_model_qwen-14b_max_model_len_16752.txt").unwrap(),
            "qwen-14b"
        );
        assert_eq!(
            model_name("output_model_llama2-7b-hf_cuda-graph-sizes_56.txt").unwrap(),
            "llama2-7b-hf"
        );
        assert!(model_name("output_0.10.0.txt").is_err());
    }

    #[test]
    fn model_sizes_like_extract_model_size() {
        let size = |name: &str| model_size(&format!("output_model_{name}.txt")).unwrap();
        assert_eq!(size("qwen-14.3b"), 14.3);
        assert_eq!(size("llama2-13b-hf"), 13.0);
        assert_eq!(size("deepseek-r1-distill-llama-8b"), 8.0);
        assert_eq!(size("granite3.3-8b-instruct"), 8.0);
        assert_eq!(size("opt-125m"), 0.125);
        assert_eq!(size("gpt-oss-20b"), 20.0 / 3.5);
        assert!(model_size("output_model_tiny.txt").is_err());
    }

    #[test]
    fn batch_sizes_count_like_python() {
        // len([1, 2, 4] + list(range(8, n + 1, 8)))
        for (n, want) in [(1, 3), (7, 3), (8, 4), (56, 10), (136, 20), (456, 60)] {
            assert_eq!(num_of_batch_sizes(n), want, "n = {n}");
        }
        assert_eq!(
            cuda_graph_sizes("output_model_llama2-7b-hf_cuda-graph-sizes_136.txt").unwrap(),
            136
        );
    }

    #[test]
    fn python_printing() {
        assert_eq!(py_number(695.0), "695");
        assert_eq!(py_number(6.8), "6.8");
        assert_eq!(py_float(8.0), "8.0");
        assert_eq!(py_float(round2(19.194)), "19.19");
        assert_eq!(py_title("llama2-13b"), "Llama2-13B");
        assert_eq!(py_title("runai streamer"), "Runai Streamer");
        assert_eq!(model_color("qwen-4b", 7), "#228833");
        assert_eq!(model_color("unknown-1b", 1), "#66CCEE");
    }
}
