//! The paper's `env.json` (what `run_test.py` reads) as a recipe with the same matrix.
//!
//! `run_test.py` exports `env` (`str(value)` of each), merges each config over
//! `default_params` (`{**defaults, **cfg}`), sweeps the list values as a cartesian product and
//! names each run's log `output_<key>_<value>_….txt`: fixed params first, then swept ones, a
//! value with a `/` cut to its last component, spaces turned into `_`. [`import`] writes a
//! recipe whose planner gives the same runs under the same names, and checks that it does by
//! parsing the recipe it wrote.
//!
//! What `run_test.py` does that is easy to miss (each checked against a run of it,
//! `tests/fixtures/import/*.run_test.json`):
//! - A config's key that overrides a default keeps the default's place (`{**defaults, **cfg}`),
//!   so a scalar overriding a swept default moves into the fixed part of the name, there.
//! - A value's `str()` names the log: `True`, `1e-05`, `1e+20`, `-0.0`, `None`; `""` gives
//!   `key_` (so `key__next`). The `/` cut applies to any value with a `/`, not only paths
//!   (`"a/b c/d e"` → `d_e`), after a trailing `/` is stripped; only spaces become `_`.
//! - A string is split with `shlex.split` (quotes group, `\` escapes, `#` is no comment); one
//!   starting with `{` is passed whole, but a JSON list string (`"[1, 2]"`) is split. An
//!   unclosed quote stops run_test.py (`ValueError`).
//! - `null` passes a bare flag and names it `key_None`; an object or a list in a list passes
//!   Python's `repr`, which vLLM cannot read. A key given twice keeps its first place and its
//!   last value. `max_model_len` and `max-model-len` are both passed; vLLM keeps the later.
//! - Comment keys inside `configs`/`default_params` are passed to vLLM as flags; at the top
//!   level any key but the three is ignored; no `configs` (or an empty list in a sweep) runs
//!   nothing, silently.
//! - Two runs with one name overwrite each other's log (`tee`), and `| tee` hides the engine's
//!   exit status, so `check=True` never stops it: a crashed run leaves its log and it goes on.
//! - A log whose name does not start with `output_model_` (a default param before `model`, or
//!   no `model`) is averaged by `avg_results.py` but left out when `run_figure.sh` rewrites
//!   each iteration's `comparison_results.json` from `output_model_*`.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::matrix::{self, Combination, ParamValue, Params, Scalar};
use super::model::{self, ModelValue};
use super::toml_text::{toml_params, toml_string, toml_table};
use super::Recipe;
use crate::config::Models;

/// What the recipe is called and where its results go.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub title: String,
    /// The results folder (`<results>/<folder>/`).
    pub folder: String,
    /// The vLLM version the runs use.
    pub vllm: String,
    /// The file name errors in the written recipe would point at.
    pub recipe_path: PathBuf,
}

/// An imported `env.json`.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The recipe's TOML text.
    pub text: String,
    /// The recipe, as parsed back from `text`.
    pub recipe: Recipe,
    /// The logs `run_test.py` writes for it, in its run order.
    pub log_names: Vec<String>,
    /// What was ignored or is worth knowing (a model loaded as given, a flag given twice).
    pub warnings: Vec<String>,
}

/// An `env.json` that cannot become a recipe; nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("`{}` is not JSON: {error}", path.display())]
    NotJson {
        path: PathBuf,
        error: serde_json::Error,
    },
    #[error("`{}` is {found}, not an object with `configs` (the env.json that run_test.py reads: {{\"env\": {{…}}, \"default_params\": {{…}}, \"configs\": [{{…}}]}})", path.display())]
    NotAnObject { path: PathBuf, found: &'static str },
    #[error("`{}` has no `configs`, so run_test.py would run nothing: add a list of configs, e.g. \"configs\": [{{\"model\": \"./models/qwen-4b\"}}]", path.display())]
    NoConfigs { path: PathBuf },
    #[error("`{}`, key `{key}`: {problem}", path.display())]
    Key {
        path: PathBuf,
        key: String,
        problem: String,
    },
    #[error("`{}`: the recipe written for it plans other runs than run_test.py would ({detail}); this is a bug in repro import", path.display())]
    RoundTrip { path: PathBuf, detail: String },
}

/// Top-level keys `run_test.py` reads.
const KEYS: [&str; 3] = ["env", "default_params", "configs"];

/// Keys kept as comments: they are dropped, each named in a warning.
fn is_comment(key: &str) -> bool {
    key.starts_with('_') || key == "notes"
}

/// The matrix of an `env.json`: the params as written (which name the logs) and as the recipe
/// writes them (models mapped to models.toml).
struct Matrix {
    env: IndexMap<String, String>,
    defaults: Sides,
    configs: Vec<Sides>,
}

/// One params object, as given and as the recipe writes it, with a note per mapped model.
#[derive(Default)]
struct Sides {
    given: Params,
    written: Params,
    notes: Vec<String>,
}

struct Reader<'a> {
    path: &'a Path,
    models: &'a Models,
    warnings: Vec<String>,
}

/// `env.json` → recipe, checked: the recipe's planned log names are run_test.py's.
pub fn import(
    path: &Path,
    text: &str,
    models: &Models,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    let mut reader = Reader {
        path,
        models,
        warnings: Vec::new(),
    };
    let matrix = reader.matrix(text)?;
    let log_names = reader.log_names(&matrix)?;
    let text = write_recipe(&matrix, options, &path.display().to_string());
    let recipe = Recipe::parse(&options.recipe_path, &text, Some(models)).map_err(|e| {
        ImportError::RoundTrip {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    })?;
    let planned: Vec<String> = recipe
        .combinations(None)
        .iter()
        .map(Combination::log_name)
        .collect();
    if planned != log_names {
        return Err(ImportError::RoundTrip {
            path: path.to_path_buf(),
            detail: format!("planned {planned:?}, run_test.py names {log_names:?}"),
        });
    }
    Ok(Imported {
        text,
        recipe,
        log_names,
        warnings: reader.warnings,
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Reader<'_> {
    fn key_error(&self, key: &str, problem: impl Into<String>) -> ImportError {
        ImportError::Key {
            path: self.path.to_path_buf(),
            key: key.to_string(),
            problem: problem.into(),
        }
    }

    fn matrix(&mut self, text: &str) -> Result<Matrix, ImportError> {
        let value: Value = serde_json::from_str(text).map_err(|error| ImportError::NotJson {
            path: self.path.to_path_buf(),
            error,
        })?;
        let Value::Object(top) = value else {
            return Err(ImportError::NotAnObject {
                path: self.path.to_path_buf(),
                found: kind(&value),
            });
        };
        self.top_keys(&top)?;
        let env = match top.get("env") {
            None => IndexMap::new(),
            Some(Value::Object(env)) => self.env(env)?,
            Some(other) => {
                return Err(self.key_error(
                    "env",
                    format!("is {}, expected an object of variable → value", kind(other)),
                ))
            }
        };
        let defaults = match top.get("default_params") {
            None => Sides::default(),
            Some(Value::Object(params)) => self.params("default_params", params)?,
            Some(other) => {
                return Err(self.key_error(
                    "default_params",
                    format!("is {}, expected an object of param → value", kind(other)),
                ))
            }
        };
        let configs = self.configs(top.get("configs"))?;
        Ok(Matrix {
            env,
            defaults,
            configs,
        })
    }

    /// Comment keys at the top level are dropped with a warning; any other key but the three
    /// is refused, as run_test.py would ignore it.
    fn top_keys(&mut self, top: &Map<String, Value>) -> Result<(), ImportError> {
        for key in top.keys() {
            if is_comment(key) {
                self.warnings
                    .push(format!("`{key}` ignored (run_test.py does not read it)"));
            } else if !KEYS.contains(&key.as_str()) {
                return Err(self.key_error(
                    key,
                    "run_test.py reads only `env`, `default_params` and `configs`, so it would ignore this key: remove it, or start its name with `_` to keep it as a comment",
                ));
            }
        }
        Ok(())
    }

    /// `configs`: a list of params objects, at least one.
    fn configs(&mut self, configs: Option<&Value>) -> Result<Vec<Sides>, ImportError> {
        match configs {
            None => Err(ImportError::NoConfigs {
                path: self.path.to_path_buf(),
            }),
            Some(Value::Array(list)) if list.is_empty() => Err(self.key_error(
                "configs",
                "is empty, so run_test.py would run nothing: add a config, e.g. {\"model\": \"./models/qwen-4b\"}",
            )),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, config)| {
                    let key = format!("configs[{i}]");
                    match config {
                        Value::Object(params) => self.params(&key, params),
                        other => Err(self.key_error(
                            &key,
                            format!("is {}, expected an object of param → value", kind(other)),
                        )),
                    }
                })
                .collect(),
            Some(other) => Err(self.key_error(
                "configs",
                format!("is {}, expected a list of objects", kind(other)),
            )),
        }
    }

    /// `os.environ[k] = str(v)`: the text each variable gets.
    fn env(&self, env: &Map<String, Value>) -> Result<IndexMap<String, String>, ImportError> {
        env.iter()
            .map(|(name, value)| {
                let key = format!("env.{name}");
                match value {
                    Value::Null | Value::Array(_) | Value::Object(_) => Err(self.key_error(
                        &key,
                        format!("is {}: run_test.py would export Python's `str()` of it; give the variable's text as a string", kind(value)),
                    )),
                    _ => Ok((name.clone(), self.scalar(&key, value)?.python_str())),
                }
            })
            .collect()
    }

    /// A params object: each value one scalar or a list to sweep; models mapped.
    fn params(&mut self, at: &str, params: &Map<String, Value>) -> Result<Sides, ImportError> {
        let mut sides = Sides::default();
        for (name, value) in params {
            let key = format!("{at}.{name}");
            if is_comment(name) {
                self.warnings.push(format!(
                    "`{key}` ignored (run_test.py would pass it to vLLM as `--{name}`, which vLLM refuses)"
                ));
                continue;
            }
            let given = self.param_value(&key, name, value)?;
            let written = if name == "model" {
                self.map_models(&key, &given, &mut sides.notes)?
            } else {
                given.clone()
            };
            if let ParamValue::Sweep(list) = &given {
                if list.is_empty() {
                    self.warnings.push(format!(
                        "`{key}` is an empty list: the product of the sweeps is empty, so run_test.py runs nothing for this config"
                    ));
                }
            }
            sides.given.insert(name.clone(), given);
            sides.written.insert(name.clone(), written);
        }
        Ok(sides)
    }

    fn param_value(&self, key: &str, name: &str, value: &Value) -> Result<ParamValue, ImportError> {
        match value {
            Value::Null => Err(self.key_error(
                key,
                format!("is null: run_test.py passes a bare `--{name}` and names the log `{name}_None`, which a recipe cannot write; give \"\" for a bare flag (the log is then named `{name}_`)"),
            )),
            Value::Object(_) => Err(self.key_error(
                key,
                "is a JSON object: run_test.py would pass Python's `str()` of it (`{'k': 1}`), which vLLM cannot read; write it as a JSON string (\"{\\\"k\\\": 1}\"), which is passed as one argument",
            )),
            Value::Array(list) => list
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Null | Value::Array(_) | Value::Object(_) => Err(self.key_error(
                        &format!("{key}[{i}]"),
                        format!("is {}: a swept value must be a string, number or boolean", kind(item)),
                    )),
                    _ => self.scalar(&format!("{key}[{i}]"), item),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(ParamValue::Sweep),
            _ => self.scalar(key, value).map(ParamValue::One),
        }
    }

    fn scalar(&self, key: &str, value: &Value) -> Result<Scalar, ImportError> {
        match value {
            Value::Bool(b) => Ok(Scalar::Bool(*b)),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Ok(Scalar::Int(i)),
                (None, _) if n.is_u64() => Err(self.key_error(
                    key,
                    format!(
                        "{n} is larger than a recipe's integers (64 bits): give it as a string"
                    ),
                )),
                (None, Some(f)) => Ok(Scalar::Float(f)),
                (None, None) => {
                    Err(self.key_error(key, format!("{n} is not a number a recipe can hold")))
                }
            },
            Value::String(s) => {
                if !s.trim_start().starts_with('{') {
                    super::shlex::split(s).map_err(|e| {
                        self.key_error(
                            key,
                            format!("{s:?} does not split into arguments (Python's shlex.split: {e}), so run_test.py would stop here: close its quotes or escape the character"),
                        )
                    })?;
                }
                Ok(Scalar::Str(s.clone()))
            }
            other => Err(self.key_error(key, format!("is {}", kind(other)))),
        }
    }

    /// The `model` values as the recipe writes them.
    fn map_models(
        &mut self,
        key: &str,
        given: &ParamValue,
        notes: &mut Vec<String>,
    ) -> Result<ParamValue, ImportError> {
        let mut one = |value: &Scalar| match value {
            Scalar::Str(s) => self.map_model(key, s, notes).map(Scalar::Str),
            other => Err(self.key_error(
                key,
                format!(
                    "is {}: a model is a path, a hub id or a models.toml name",
                    other.python_str()
                ),
            )),
        };
        Ok(match given {
            ParamValue::One(value) => ParamValue::One(one(value)?),
            ParamValue::Sweep(list) => {
                ParamValue::Sweep(list.iter().map(one).collect::<Result<_, _>>()?)
            }
        })
    }

    /// One model value: a folder whose name is a models.toml entry becomes that entry, one named
    /// after an entry's hub repo becomes the repo id (the log's name is unchanged either way);
    /// anything else stays as given.
    fn map_model(
        &mut self,
        key: &str,
        value: &str,
        notes: &mut Vec<String>,
    ) -> Result<String, ImportError> {
        let models = self.models;
        match ModelValue::of(value) {
            _ if models.contains(value) => Ok(value.to_string()),
            ModelValue::Name(_) => Err(self.key_error(
                key,
                format!("model `{value}` is not in models.toml and is neither a hub id (`owner/name`) nor a folder (a path with a `/`): add it to models.toml, or give its hub id or its path"),
            )),
            ModelValue::Path(path) => {
                let name = model::basename(path);
                if models.contains(name) {
                    notes.push(path.to_string());
                    return Ok(name.to_string());
                }
                let by_repo = models
                    .models
                    .iter()
                    .find(|(_, m)| !m.synthetic_only() && model::basename(&m.repo) == name);
                if let Some((entry, m)) = by_repo {
                    notes.push(format!("{path}: models.toml's {entry}"));
                    return Ok(m.repo.clone());
                }
                let relative = if path.starts_with('/') {
                    ""
                } else {
                    " (relative to the folder repro runs in)"
                };
                self.warnings.push(format!(
                    "`{key}`: `{path}` is not in models.toml: the runs load that folder as given{relative}"
                ));
                Ok(value.to_string())
            }
            ModelValue::HubId(id) => {
                match model::entry_of_repo(models, id) {
                    Some(entry) => notes.push(format!("models.toml's {entry}")),
                    None => self.warnings.push(format!(
                        "`{key}`: `{id}` is not in models.toml: vLLM downloads it from the hub at each run (add it to models.toml to fetch it once with `repro models fetch`)"
                    )),
                }
                Ok(value.to_string())
            }
        }
    }

    /// run_test.py's log names from the params as given; two runs with one name, and a flag
    /// given twice, are reported.
    fn log_names(&mut self, matrix: &Matrix) -> Result<Vec<String>, ImportError> {
        let mut names = Vec::new();
        let mut first: HashMap<String, usize> = HashMap::new();
        for (i, config) in matrix.configs.iter().enumerate() {
            let runs = matrix::expand(&matrix.defaults.given, &config.given);
            if let Some(run) = runs.first() {
                self.same_flag_twice(i, run);
            }
            for run in runs {
                let name = run.log_name();
                if let Some(&earlier) = first.get(&name) {
                    return Err(self.key_error(
                        &format!("configs[{i}]"),
                        format!("a run of it is logged as `{name}`, as one of configs[{earlier}] is: run_test.py would overwrite the first log with the second; make their params differ"),
                    ));
                }
                first.insert(name.clone(), i);
                names.push(name);
            }
        }
        // run_figure.sh's glob (the table module's LOG_PREFIX, which a recipe does not import).
        let glob = "output_model_";
        let unglobbed = names.iter().filter(|n| !n.starts_with(glob)).count();
        if unglobbed > 0 {
            self.warnings.push(format!(
                "{unglobbed} of the {} logs do not start with `{glob}` (a param comes before `model`): the paper's run_figure.sh leaves them out of each iteration's comparison_results.json (its glob is `{glob}*`); repro's tables keep every `output_*` log",
                names.len()
            ));
        }
        Ok(names)
    }

    /// `max-model-len` and `max_model_len` are one vLLM flag: both are passed, the later wins.
    fn same_flag_twice(&mut self, config: usize, run: &Combination) {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for key in run.params.keys() {
            if let Some(other) = seen.insert(key.replace('_', "-"), key) {
                self.warnings.push(format!(
                    "`configs[{config}]`: `{other}` and `{key}` are one vLLM flag; run_test.py passes both and vLLM keeps the later"
                ));
            }
        }
    }
}

/// The recipe's text: one config a line, the model as given in a comment where it was mapped.
fn write_recipe(matrix: &Matrix, options: &ImportOptions, source: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `repro import` from `{source}`.\n\
         # run_test.py's matrix: each config over default_params, list values swept; each run's\n\
         # log named as run_test.py names it (fixed params, then swept ones)."
    );
    let _ = writeln!(out, "title = {}", toml_string(&options.title));
    let _ = writeln!(out, "folder = {}", toml_string(&options.folder));
    let _ = writeln!(out, "\n[run]\nvllm = {}", toml_string(&options.vllm));
    let _ = writeln!(
        out,
        "# As run_figure.sh runs it: one warm-up run kept as uncached/, then 5 timed iterations.\niterations = 5\nwarmup = true"
    );
    let env = matrix.env.iter().map(|(k, v)| (k, toml_string(v)));
    let _ = writeln!(out, "env = {}", toml_table(env));
    if !matrix.defaults.written.is_empty() {
        let _ = writeln!(
            out,
            "default_params = {}",
            toml_params(&matrix.defaults.written)
        );
    }
    for note in &matrix.defaults.notes {
        let _ = writeln!(out, "# default_params model: {note}");
    }
    out.push_str("configs = [\n");
    for config in &matrix.configs {
        let _ = write!(out, "    {},", toml_params(&config.written));
        if !config.notes.is_empty() {
            let _ = write!(out, "  # {}", config.notes.join("; "));
        }
        out.push('\n');
    }
    out.push_str("]\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> Models {
        Models::parse(Path::new("models.toml"), include_str!("../../models.toml")).unwrap()
    }

    fn options() -> ImportOptions {
        ImportOptions {
            title: "t".into(),
            folder: "f".into(),
            vllm: "0.10.1.1".into(),
            recipe_path: "f.toml".into(),
        }
    }

    fn run(json: &str) -> Result<Imported, ImportError> {
        import(Path::new("env.json"), json, &models(), &options())
    }

    #[test]
    fn every_shape_becomes_the_same_runs() {
        let json = r#"{
            "_comment": "x", "notes": "y",
            "env": {"VLLM_USE_V1": 1, "LEVEL": "DEBUG", "F": 0.5, "B": true},
            "default_params": {"cuda-graph-sizes": [1, 56], "gpu_memory_utilization": 0.9},
            "configs": [
                {"model": "./models/qwen-4b", "max_model_len": 4096},
                {"model": "/abs/models/granite4.0-h-3b/", "no-enable-prefix-caching": ""},
                {"model": "Qwen/Qwen1.5-7B", "cuda-graph-sizes": "1 2 4"},
                {"model": "/data/Yi-9B", "_why": "z"},
                {"model": "org/other-7b", "gpu_memory_utilization": [0.8, 0.85], "tokenizer": "a/b/tok"}
            ]
        }"#;
        let imported = run(json).unwrap();
        assert_eq!(
            imported.log_names,
            [
                "output_gpu_memory_utilization_0.9_model_qwen-4b_max_model_len_4096_cuda-graph-sizes_1.txt",
                "output_gpu_memory_utilization_0.9_model_qwen-4b_max_model_len_4096_cuda-graph-sizes_56.txt",
                "output_gpu_memory_utilization_0.9_model_granite4.0-h-3b_no-enable-prefix-caching__cuda-graph-sizes_1.txt",
                "output_gpu_memory_utilization_0.9_model_granite4.0-h-3b_no-enable-prefix-caching__cuda-graph-sizes_56.txt",
                "output_cuda-graph-sizes_1_2_4_gpu_memory_utilization_0.9_model_Qwen1.5-7B.txt",
                "output_gpu_memory_utilization_0.9_model_Yi-9B_cuda-graph-sizes_1.txt",
                "output_gpu_memory_utilization_0.9_model_Yi-9B_cuda-graph-sizes_56.txt",
                "output_model_other-7b_tokenizer_tok_cuda-graph-sizes_1_gpu_memory_utilization_0.8.txt",
                "output_model_other-7b_tokenizer_tok_cuda-graph-sizes_1_gpu_memory_utilization_0.85.txt",
                "output_model_other-7b_tokenizer_tok_cuda-graph-sizes_56_gpu_memory_utilization_0.8.txt",
                "output_model_other-7b_tokenizer_tok_cuda-graph-sizes_56_gpu_memory_utilization_0.85.txt",
            ]
        );
        let text = &imported.text;
        assert!(
            text.contains(r#"env = { VLLM_USE_V1 = "1", LEVEL = "DEBUG", F = "0.5", B = "True" }"#),
            "{text}"
        );
        assert!(
            text.contains(r#"{ model = "qwen-4b", max_model_len = 4096 },  # ./models/qwen-4b"#),
            "{text}"
        );
        assert!(
            text.contains(r#"{ model = "01-ai/Yi-9B" },  # /data/Yi-9B: models.toml's yi-9b"#),
            "{text}"
        );
        let warnings = imported.warnings.join("\n");
        for needle in [
            "`_comment` ignored",
            "`notes` ignored",
            "`configs[3]._why` ignored",
            "`org/other-7b` is not in models.toml",
        ] {
            assert!(warnings.contains(needle), "{needle}: {warnings}");
        }
    }

    #[test]
    fn bad_shapes_name_the_key() {
        let err = |json: &str| run(json).unwrap_err().to_string();
        assert!(err("[1]").contains("is a list, not an object"));
        assert!(err("{\"env\": {}}").contains("has no `configs`"));
        assert!(err("{\"configs\": []}").contains("key `configs`: is empty"));
        assert!(
            err("{\"configs\": [{\"model\": \"qwen-4b\", \"x\": null}]}")
                .contains("key `configs[0].x`: is null")
        );
        assert!(err("{\"configs\": [{\"model\": \"nope\"}]}")
            .contains("key `configs[0].model`: model `nope` is not in models.toml"));
        assert!(
            err("{\"configs\": [{\"model\": \"qwen-4b\", \"a\": \"'x\"}]}")
                .contains("No closing quotation")
        );
        assert!(
            err("{\"configs\": [{\"model\": \"qwen-4b\", \"a\": {\"b\": 1}}]}")
                .contains("is a JSON object")
        );
        assert!(
            err("{\"configs\": [{\"model\": \"qwen-4b\", \"a\": [[1]]}]}")
                .contains("`configs[0].a[0]`")
        );
        assert!(
            err("{\"configs\": [{\"model\": \"./a/qwen-4b\"}, {\"model\": \"./b/qwen-4b\"}]}")
                .contains("as one of configs[0] is")
        );
        assert!(err("{\"iterations\": 3, \"configs\": [{}]}").contains("key `iterations`"));
        assert!(err("{\"env\": {\"A\": [1]}, \"configs\": [{}]}").contains("key `env.A`"));
        assert!(err("{\"configs\": [{").contains("is not JSON"));
    }

    #[test]
    fn a_config_without_params_is_logged_as_output_txt() {
        let imported = run("{\"configs\": [{}]}").unwrap();
        assert_eq!(imported.log_names, ["output.txt"]);
    }
}
