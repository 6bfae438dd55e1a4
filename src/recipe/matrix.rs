//! The experiment matrix, with the semantics of the paper's `run_test.py`: each config is merged
//! over the default params (the config wins, keeping the default's position); list values are
//! expanded as a cartesian product; each combination is one run, named after its params.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::num::python_float_repr;

/// A single parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    /// The value as a number, where it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) => Some(*f),
            Scalar::Bool(_) | Scalar::Str(_) => None,
        }
    }

    /// Python's `str(value)`.
    pub fn python_str(&self) -> String {
        match self {
            Scalar::Bool(true) => "True".into(),
            Scalar::Bool(false) => "False".into(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => python_float_repr(*f),
            Scalar::Str(s) => s.clone(),
        }
    }
}

/// A parameter as written in a recipe: one value, or a list to sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    One(Scalar),
    Sweep(Vec<Scalar>),
}

/// Ordered params: the order decides the run's label, as in the paper.
pub type Params = IndexMap<String, ParamValue>;

/// One run of the matrix: its params in label order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Combination {
    pub params: IndexMap<String, Scalar>,
}

/// Expand one config over the defaults into its runs, in the paper's order.
pub fn expand(defaults: &Params, config: &Params) -> Vec<Combination> {
    let mut merged = defaults.clone();
    for (key, value) in config {
        // `{**defaults, **cfg}`: an overridden key keeps the default's position.
        merged.insert(key.clone(), value.clone());
    }
    let statics: IndexMap<String, Scalar> = merged
        .iter()
        .filter_map(|(k, v)| match v {
            ParamValue::One(s) => Some((k.clone(), s.clone())),
            ParamValue::Sweep(_) => None,
        })
        .collect();
    let sweeps: Vec<(&String, &Vec<Scalar>)> = merged
        .iter()
        .filter_map(|(k, v)| match v {
            ParamValue::Sweep(list) => Some((k, list)),
            ParamValue::One(_) => None,
        })
        .collect();
    // itertools.product order: the last list varies fastest.
    let mut combos: Vec<IndexMap<String, Scalar>> = vec![statics];
    for (key, values) in sweeps {
        combos = combos
            .into_iter()
            .flat_map(|base| {
                values.iter().map(move |value| {
                    let mut next = base.clone();
                    next.insert(key.clone(), value.clone());
                    next
                })
            })
            .collect();
    }
    combos
        .into_iter()
        .map(|params| Combination { params })
        .collect()
}

impl Combination {
    /// `run_test.py`'s output name without `output_`/`.txt`: `model_qwen-4b_max-model-len_4096`.
    /// A value with a `/` contributes its last path component; spaces become `_`.
    pub fn label(&self) -> String {
        self.params
            .iter()
            .map(|(key, value)| {
                let mut text = value.python_str();
                if text.contains('/') {
                    text = text
                        .trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_string();
                }
                format!("{key}_{}", text.replace(' ', "_"))
            })
            .collect::<Vec<_>>()
            .join("_")
    }

    /// The log's file name: `output_<label>.txt` (`output.txt` without params).
    pub fn log_name(&self) -> String {
        if self.params.is_empty() {
            "output.txt".into()
        } else {
            format!("output_{}.txt", self.label())
        }
    }

    /// The engine's arguments, as `run_test.py` builds them: `--key value`; a string value is
    /// split by Python's `shlex.split` (`"1 2 4"` → three arguments, quotes group words), an
    /// empty string gives the flag alone, a string starting with `{` (JSON) stays one argument.
    /// `model_path` replaces the `model` value (a name in `models.toml`) with its local path.
    pub fn engine_args(&self, model_path: Option<&str>) -> Vec<String> {
        let mut args = Vec::new();
        // `cache` says how the run starts (cold or warm caches), not what vLLM is given.
        for (key, value) in self.params.iter().filter(|(k, _)| *k != CACHE_PARAM) {
            args.push(format!("--{key}"));
            match (value, model_path) {
                (Scalar::Str(_), Some(path)) if key == "model" => args.push(path.to_string()),
                (Scalar::Str(s), _) if s.trim_start().starts_with('{') => args.push(s.clone()),
                (Scalar::Str(s), _) => args.extend(split_words(s)),
                (other, _) => args.push(other.python_str()),
            }
        }
        args
    }

    /// The `model` param, where there is one.
    pub fn model(&self) -> Option<&str> {
        match self.params.get("model") {
            Some(Scalar::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// The param that sweeps the state of vLLM's compile caches: `cache = ["cold", "warm"]`. It is
/// part of a run's label and key like any param, but never an engine argument.
pub const CACHE_PARAM: &str = "cache";

/// The state of vLLM's compile caches (its `VLLM_CACHE_ROOT`, Inductor's cache) when a run
/// starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheState {
    /// Fresh, empty caches for every run: torch.compile compiles.
    Cold,
    /// The caches the earlier runs of the same config left (the warm-up run fills them).
    Warm,
}

impl CacheState {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheState::Cold => "cold",
            CacheState::Warm => "warm",
        }
    }
}

/// A string param's words (`shlex.split`). [`Recipe::parse`](super::Recipe::parse) refuses a
/// value that does not split; should one get here, it is split at whitespace.
fn split_words(value: &str) -> Vec<String> {
    super::shlex::split(value)
        .unwrap_or_else(|_| value.split_whitespace().map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(toml_text: &str) -> Params {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn labels_match_the_published_file_names() {
        let defaults = params("cuda-graph-sizes = [1, 56]");
        let runs = expand(&defaults, &params("model = \"llama2-7b-hf\""));
        let names: Vec<String> = runs.iter().map(Combination::log_name).collect();
        assert_eq!(
            names,
            [
                "output_model_llama2-7b-hf_cuda-graph-sizes_1.txt",
                "output_model_llama2-7b-hf_cuda-graph-sizes_56.txt"
            ]
        );
        let run = &expand(
            &Params::new(),
            &params("model = \"qwen-14b\"\nmax_model_len = 16752"),
        )[0];
        assert_eq!(
            run.log_name(),
            "output_model_qwen-14b_max_model_len_16752.txt"
        );
        let run = &expand(
            &Params::new(),
            &params("model = \"g\"\nno-enable-prefix-caching = \"\""),
        )[0];
        assert_eq!(
            run.log_name(),
            "output_model_g_no-enable-prefix-caching_.txt"
        );
        assert_eq!(
            run.engine_args(Some("/m/g")),
            ["--model", "/m/g", "--no-enable-prefix-caching"]
        );
    }

    #[test]
    fn override_keeps_default_position_and_product_order() {
        let defaults = params("a = [1, 2]\nb = 0.9\nc = [\"x\", \"y\"]");
        let runs = expand(&defaults, &params("model = \"m\"\nb = 0.5"));
        let labels: Vec<String> = runs.iter().map(Combination::label).collect();
        assert_eq!(
            labels,
            [
                "b_0.5_model_m_a_1_c_x",
                "b_0.5_model_m_a_1_c_y",
                "b_0.5_model_m_a_2_c_x",
                "b_0.5_model_m_a_2_c_y"
            ]
        );
    }

    #[test]
    fn string_values_split_like_a_shell() {
        let run = &expand(
            &Params::new(),
            &params("model = \"m\"\ncuda-graph-sizes = \"1 2 4\""),
        )[0];
        assert_eq!(
            run.engine_args(None),
            ["--model", "m", "--cuda-graph-sizes", "1", "2", "4"]
        );
        assert_eq!(run.label(), "model_m_cuda-graph-sizes_1_2_4");
        let run = &expand(
            &Params::new(),
            &params("model = \"m\"\nx = \"--a 'b c'\"\ny = ' {\"k\": \"v w\"}'"),
        )[0];
        assert_eq!(
            run.engine_args(None),
            [
                "--model",
                "m",
                "--x",
                "--a",
                "b c",
                "--y",
                " {\"k\": \"v w\"}"
            ]
        );
    }
}
