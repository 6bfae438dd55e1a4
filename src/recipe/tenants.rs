//! A benchmark of several tenants sharing one device (`[[tenant]]`s in `benchmarks/<name>.toml`):
//! each tenant is a server, its model and its workload, as in a one-server benchmark; all are
//! started, loaded at once and stopped together. The matrix applies to every tenant (a workload
//! key to every workload, any other key to every server), except `sharing`, which sweeps how the
//! device is shared (`none`, `mps`).
//!
//! With `together = false` the tenants are never run at once: each runs alone in turn (its solo
//! runs), which is how several engines are put side by side under one seeded workload (the
//! recipe's `[workload]`, which every tenant without its own takes).

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Seg};
use crate::recipe::bench::{BenchRecipe, BenchRun, ServerKind, ServerSpec, SloSpec, WorkloadSpec};
use crate::recipe::matrix::{expand, Combination, ParamValue, Params, Scalar};

/// The matrix key that sweeps the device sharing.
pub const SHARING_KEY: &str = "sharing";

/// How the tenants share the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sharing {
    /// Each server uses the device as it would alone (time-slicing on a GPU).
    #[default]
    None,
    /// NVIDIA's Multi-Process Service: one MPS control daemon for the run, every server its
    /// client, each with its share of the SMs (`mps_thread_percentage`).
    Mps,
}

impl Sharing {
    pub fn name(self) -> &'static str {
        match self {
            Sharing::None => "none",
            Sharing::Mps => "mps",
        }
    }
}

/// A benchmark of tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantsRecipe {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// How the device is shared (or `sharing = […]` in the matrix).
    #[serde(default)]
    pub sharing: Sharing,
    /// Also run each tenant alone (same server, same workload) to compare against.
    #[serde(default = "yes")]
    pub solo: bool,
    /// Run the tenants at once (the shared runs); `false`: only each alone, in turn — servers
    /// side by side under the same workload.
    #[serde(default = "yes")]
    pub together: bool,
    /// The workload of every tenant that has none of its own.
    #[serde(default)]
    pub workload: Option<WorkloadSpec>,
    /// Tenant i's load starts i × this after the first's (unless it sets `start_after`).
    #[serde(default, with = "humantime_serde")]
    pub stagger: Duration,
    /// The MPS control program (`nvidia-cuda-mps-control`, found on PATH).
    #[serde(default = "mps_control")]
    pub mps_control: String,
    #[serde(rename = "tenant")]
    pub tenants: Vec<TenantSpec>,
    /// The SLOs of every tenant that sets none of its own.
    #[serde(default)]
    pub slo: SloSpec,
    #[serde(default)]
    pub matrix: Params,
}

/// One tenant: a server and its load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSpec {
    /// Names its files (`<name>.summary.json`) and its solo run (`solo-<name>`).
    pub name: String,
    pub server: ServerSpec,
    /// Its load; else the recipe's `[workload]`.
    #[serde(default)]
    pub workload: Option<WorkloadSpec>,
    #[serde(default)]
    pub slo: Option<SloSpec>,
    /// When its load starts, after the first tenant's (default: its index × `stagger`).
    #[serde(default, with = "humantime_serde")]
    pub start_after: Option<Duration>,
    /// `mps`: its `CUDA_MPS_ACTIVE_THREAD_PERCENTAGE` (1–100), the share of the SMs it may use.
    #[serde(default)]
    pub mps_thread_percentage: Option<u32>,
    /// `vllm`: the share of the device's memory it may take (`--gpu-memory-utilization`).
    #[serde(default)]
    pub gpu_memory_share: Option<f64>,
}

fn yes() -> bool {
    true
}
fn mps_control() -> String {
    "nvidia-cuda-mps-control".into()
}

/// One point of the matrix: how the device is shared and each tenant's run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedRun {
    /// The folder's name: `shared` without a matrix, else the params' label.
    pub label: String,
    pub sharing: Sharing,
    /// In the recipe's order, each with its resolved run (labelled by the matrix without
    /// `sharing`, as its solo run is).
    pub tenants: Vec<TenantRun>,
}

/// One tenant in one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantRun {
    pub name: String,
    pub run: BenchRun,
    pub start_after: Duration,
    pub mps_thread_percentage: Option<u32>,
    /// The label of its solo run (`solo-<name>`, `solo-<name>_rate_2.0`).
    pub solo_label: String,
}

impl TenantsRecipe {
    /// Parse and check a recipe: each tenant as a one-server benchmark, then what tenants add.
    pub fn parse(path: &Path, text: &str) -> Result<TenantsRecipe, ConfigError> {
        let recipe: TenantsRecipe = crate::config::from_toml(path, text)?;
        let at_segs =
            |segs: &[Seg<'_>], message: String| crate::config::error_at(path, text, segs, message);
        let at = |keys: &[&str], message: String| {
            let segs: Vec<Seg<'_>> = keys.iter().map(|k| Seg::Key(k)).collect();
            at_segs(&segs, message)
        };
        recipe.check_whole(&at)?;
        let mut names = std::collections::HashSet::new();
        for (i, tenant) in recipe.tenants.iter().enumerate() {
            let tenant_at = |keys: &[&str], message: String| {
                let mut segs = vec![Seg::Key("tenant"), Seg::Index(i)];
                if keys.first() == Some(&"matrix") {
                    segs.clear();
                }
                segs.extend(keys.iter().map(|k| Seg::Key(k)));
                at_segs(&segs, format!("tenant `{}`: {message}", tenant.name))
            };
            recipe.check_tenant(i, &tenant_at, &mut names)?;
        }
        recipe.check_sharing(&at)?;
        Ok(recipe)
    }

    /// The recipe's own rules: tenants there, its sharing values, `together` and `solo`, a
    /// workload for each tenant.
    fn check_whole(&self, at: &dyn Fn(&[&str], String) -> ConfigError) -> Result<(), ConfigError> {
        let recipe = self;
        if recipe.tenants.is_empty() {
            return Err(at(
                &[],
                "a tenants benchmark needs at least one `[[tenant]]`".into(),
            ));
        }
        if let Some(values) = recipe.matrix.get(SHARING_KEY) {
            let values: Vec<&Scalar> = match values {
                ParamValue::One(v) => vec![v],
                ParamValue::Sweep(vs) => vs.iter().collect(),
            };
            for v in values {
                if sharing_of(v).is_none() {
                    return Err(at(
                        &["matrix", SHARING_KEY],
                        format!("`sharing` is `none` or `mps`, not `{}`", v.python_str()),
                    ));
                }
            }
        }
        if !recipe.together && !recipe.solo {
            return Err(at(
                &["together"],
                "`together = false` runs each tenant alone, which `solo = false` forbids: nothing would run".into(),
            ));
        }
        if !recipe.together
            && (recipe.sharing != Sharing::None || recipe.matrix.contains_key(SHARING_KEY))
        {
            return Err(at(
                &["together"],
                "`sharing` is how tenants run together share the device; with `together = false` they never do: drop it".into(),
            ));
        }
        if let Some(t) = recipe
            .tenants
            .iter()
            .find(|t| t.workload.is_none() && recipe.workload.is_none())
        {
            return Err(at(
                &["tenant"],
                format!("tenant `{}` has no `[tenant.workload]` and the recipe no `[workload]` for it to take", t.name),
            ));
        }
        Ok(())
    }

    /// Tenant `i`'s rules: its name (one no other tenant has), its recipe, its server kind, its MPS and memory shares.
    fn check_tenant<'a>(
        &'a self,
        i: usize,
        tenant_at: &dyn Fn(&[&str], String) -> ConfigError,
        names: &mut std::collections::HashSet<&'a str>,
    ) -> Result<(), ConfigError> {
        let (recipe, tenant) = (self, &self.tenants[i]);
        let name_ok = !tenant.name.is_empty()
            && tenant
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(tenant_at(
                &["name"],
                "a tenant's name names its files: letters, digits, `-` and `_` only".into(),
            ));
        }
        if !names.insert(tenant.name.as_str()) {
            return Err(tenant_at(&["name"], "two tenants have this name".into()));
        }
        recipe.tenant_recipe(i).check(&tenant_at)?;
        if recipe.tenant_recipe(i).workload.conversation.is_some() {
            return Err(tenant_at(
                &["workload", "conversation"],
                "conversations run in a one-server benchmark; a tenant sends independent requests"
                    .into(),
            ));
        }
        if tenant.server.kind == ServerKind::Url {
            return Err(tenant_at(
                &["server", "kind"],
                "a tenant's server is started and stopped by repro: `vllm` or `command`, not `url`"
                    .into(),
            ));
        }
        if let Some(p) = tenant.mps_thread_percentage {
            if !(1..=100).contains(&p) {
                return Err(tenant_at(
                    &["mps_thread_percentage"],
                    "`mps_thread_percentage` is 1 to 100".into(),
                ));
            }
        }
        if let Some(share) = tenant.gpu_memory_share {
            if !(share > 0.0 && share <= 1.0) {
                return Err(tenant_at(
                    &["gpu_memory_share"],
                    "`gpu_memory_share` is more than 0 and at most 1".into(),
                ));
            }
            if tenant.server.kind != ServerKind::Vllm {
                return Err(tenant_at(
                    &["gpu_memory_share"],
                    "`gpu_memory_share` sets vLLM's `--gpu-memory-utilization`: a `vllm` server only".into(),
                ));
            }
        }
        Ok(())
    }

    /// MPS needs a GPU for every vLLM tenant; the memory shares fit in one device.
    fn check_sharing(
        &self,
        at: &dyn Fn(&[&str], String) -> ConfigError,
    ) -> Result<(), ConfigError> {
        let recipe = self;
        let mps_swept = recipe.sharings().contains(&Some(Sharing::Mps));
        if recipe.sharing == Sharing::Mps || mps_swept {
            if let Some(t) = recipe.tenants.iter().find(|t| {
                t.server.kind == ServerKind::Vllm
                    && t.server.device == crate::config::machines::Device::Cpu
            }) {
                return Err(at(
                    &[SHARING_KEY],
                    format!(
                        "MPS shares an NVIDIA GPU, but tenant `{}` runs vLLM's CPU build",
                        t.name
                    ),
                ));
            }
        }
        let shares: f64 = recipe
            .tenants
            .iter()
            .filter_map(|t| t.gpu_memory_share)
            .sum();
        if shares > 1.0 + 1e-9 {
            return Err(at(
                &["tenant"],
                format!("the tenants' `gpu_memory_share`s add up to {shares:.2}, more than the whole device"),
            ));
        }
        Ok(())
    }

    /// The matrix without `sharing`: what each tenant's runs are expanded from.
    fn inner_matrix(&self) -> Params {
        let mut matrix = self.matrix.clone();
        matrix.shift_remove(SHARING_KEY);
        matrix
    }

    /// Tenant `i` as a one-server benchmark: its solo runs are this recipe's runs.
    pub fn tenant_recipe(&self, i: usize) -> BenchRecipe {
        let t = &self.tenants[i];
        let mut server = t.server.clone();
        if let Some(share) = t.gpu_memory_share {
            server.args.push("--gpu-memory-utilization".into());
            server.args.push(Scalar::Float(share).python_str());
        }
        BenchRecipe {
            title: format!("{} — tenant {}", self.title, t.name),
            description: None,
            server,
            workload: t
                .workload
                .clone()
                .or_else(|| self.workload.clone())
                .expect("parse checks that every tenant has a workload"),
            slo: t.slo.clone().unwrap_or_else(|| self.slo.clone()),
            matrix: self.inner_matrix(),
            capacity: None,
            prefill_profile: None,
        }
    }

    /// The values of `sharing` to run, in order (the recipe's one without a sweep).
    fn sharings(&self) -> Vec<Option<Sharing>> {
        match self.matrix.get(SHARING_KEY) {
            None => vec![None],
            Some(ParamValue::One(v)) => vec![sharing_of(v)],
            Some(ParamValue::Sweep(vs)) => vs.iter().map(sharing_of).collect(),
        }
    }

    /// Every shared run: each value of `sharing` (outermost), then the rest of the matrix; none
    /// with `together = false`.
    pub fn runs(&self) -> Vec<SharedRun> {
        if !self.together {
            return vec![];
        }
        let per_tenant: Vec<Vec<BenchRun>> = (0..self.tenants.len())
            .map(|i| self.tenant_recipe(i).runs())
            .collect();
        let inner = expand(&self.inner_matrix(), &Params::new());
        let mut runs = Vec::new();
        for swept in self.sharings() {
            for (j, combination) in inner.iter().enumerate() {
                let mut params = indexmap::IndexMap::new();
                if let Some(s) = swept {
                    params.insert(SHARING_KEY.to_string(), Scalar::Str(s.name().into()));
                }
                params.extend(combination.params.clone());
                let label = if params.is_empty() {
                    "shared".to_string()
                } else {
                    Combination { params }.label()
                };
                let tenants = self
                    .tenants
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let run = per_tenant[i][j].clone();
                        TenantRun {
                            name: t.name.clone(),
                            solo_label: solo_label(&t.name, &run.label),
                            start_after: t.start_after.unwrap_or(self.stagger * i as u32),
                            mps_thread_percentage: t.mps_thread_percentage,
                            run,
                        }
                    })
                    .collect();
                runs.push(SharedRun {
                    label,
                    sharing: swept.unwrap_or(self.sharing),
                    tenants,
                });
            }
        }
        runs
    }

    /// Tenant `i`'s solo runs (none with `solo = false`), labelled `solo-<name>[_<params>]`.
    pub fn solo_runs(&self, i: usize) -> Vec<BenchRun> {
        if !self.solo {
            return vec![];
        }
        let name = &self.tenants[i].name;
        self.tenant_recipe(i)
            .runs()
            .into_iter()
            .map(|mut run| {
                run.label = solo_label(name, &run.label);
                run
            })
            .collect()
    }
}

fn solo_label(tenant: &str, run_label: &str) -> String {
    match run_label {
        "default" => format!("solo-{tenant}"),
        label => format!("solo-{tenant}_{label}"),
    }
}

fn sharing_of(v: &Scalar) -> Option<Sharing> {
    match v {
        Scalar::Str(s) if s == "none" => Some(Sharing::None),
        Scalar::Str(s) if s == "mps" => Some(Sharing::Mps),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
title = "two"
stagger = "1s"
[[tenant]]
name = "a"
mps_thread_percentage = 30
[tenant.server]
kind = "command"
command = ["x", "{port}"]
model = "ma"
[tenant.workload]
arrival = "poisson"
rate = 2.0
requests = 5
prompt = { kind = "synthetic", len = { dist = "fixed", value = 4 } }
output_len = { dist = "fixed", value = 3 }
[[tenant]]
name = "b"
[tenant.server]
kind = "command"
command = ["y", "{port}"]
model = "mb"
[tenant.workload]
arrival = "closed"
concurrency = 2
requests = 5
prompt = { kind = "synthetic", len = { dist = "fixed", value = 4 } }
output_len = { dist = "fixed", value = 3 }
[matrix]
sharing = ["none", "mps"]
max-num-seqs = [4, 8]
"#;

    #[test]
    fn the_matrix_sweeps_sharing_outermost_and_the_rest_for_every_tenant() {
        let r = TenantsRecipe::parse(Path::new("t.toml"), BASE).unwrap();
        let runs = r.runs();
        let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "sharing_none_max-num-seqs_4",
                "sharing_none_max-num-seqs_8",
                "sharing_mps_max-num-seqs_4",
                "sharing_mps_max-num-seqs_8"
            ]
        );
        assert_eq!(runs[2].sharing, Sharing::Mps);
        let b = &runs[3].tenants[1];
        assert_eq!(b.run.server_args, ["--max-num-seqs", "8"]);
        assert_eq!(b.start_after, Duration::from_secs(1));
        assert_eq!(b.solo_label, "solo-b_max-num-seqs_8");
        assert_eq!(runs[0].tenants[0].start_after, Duration::ZERO);
        let solo: Vec<String> = r.solo_runs(0).into_iter().map(|r| r.label).collect();
        assert_eq!(solo, ["solo-a_max-num-seqs_4", "solo-a_max-num-seqs_8"]);
    }

    #[test]
    fn without_a_matrix_one_shared_run_and_one_solo_per_tenant() {
        let text = BASE.replace("sharing = [\"none\", \"mps\"]\nmax-num-seqs = [4, 8]\n", "");
        let text = text.replace(
            "title = \"two\"",
            "title = \"two\"\nsharing = \"mps\"\nsolo = false",
        );
        let r = TenantsRecipe::parse(Path::new("t.toml"), &text).unwrap();
        let runs = r.runs();
        assert_eq!(runs.len(), 1);
        assert_eq!(
            (runs[0].label.as_str(), runs[0].sharing),
            ("shared", Sharing::Mps)
        );
        assert_eq!(runs[0].tenants[0].solo_label, "solo-a");
        assert!(r.solo_runs(0).is_empty());
    }

    #[test]
    fn a_bad_tenant_is_named_at_its_line() {
        let text = BASE.replace("rate = 2.0\n", "");
        let err = TenantsRecipe::parse(Path::new("t.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("tenant `a`") && err.contains("needs `rate` > 0"),
            "{err}"
        );
        assert!(err.contains("t.toml:"), "{err}");
        let text = BASE.replace("name = \"b\"", "name = \"a\"");
        let err = TenantsRecipe::parse(Path::new("t.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("two tenants have this name") && err.contains("t.toml:18"),
            "{err}"
        );
        let text = BASE.replace("mps_thread_percentage = 30", "mps_thread_percentage = 130");
        let err = TenantsRecipe::parse(Path::new("t.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 to 100"), "{err}");
        let text = BASE.replace("\"none\", \"mps\"", "\"none\", \"mig\"");
        let err = TenantsRecipe::parse(Path::new("t.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not `mig`"), "{err}");
        let text = BASE.replace(
            "kind = \"command\"\ncommand = [\"y\", \"{port}\"]",
            "kind = \"vllm\"\nvllm = \"0.10.1.1\"\ndevice = \"cpu\"",
        );
        let err = TenantsRecipe::parse(Path::new("t.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("tenant `b` runs vLLM's CPU build"), "{err}");
        let text = BASE.replace("name = \"b\"", "name = \"b/c\"");
        let err = TenantsRecipe::parse(Path::new("t.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("letters, digits"), "{err}");
    }
}
