//! `repro env setup` with a tiny package set: local stand-in wheels (no registry), the real
//! vLLM 0.10.1.1 files inside so the patches apply for real.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Write a minimal wheel with `files` (path → content) and return its path.
fn wheel(dir: &Path, name: &str, version: &str, files: &[(String, Vec<u8>)]) -> std::path::PathBuf {
    // Wheel file and dist-info names spell `-` as `_`.
    let escaped = name.replace('-', "_");
    let path = dir.join(format!("{escaped}-{version}-py3-none-any.whl"));
    let staging = dir.join(format!("{escaped}-src"));
    let info = format!("{escaped}-{version}.dist-info");
    let mut all: Vec<(String, Vec<u8>)> = files.to_vec();
    all.push((
        format!("{info}/METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").into_bytes(),
    ));
    all.push((
        format!("{info}/WHEEL"),
        b"Wheel-Version: 1.0\nGenerator: repro-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
            .to_vec(),
    ));
    let record: String = all
        .iter()
        .map(|(p, _)| format!("{p},,\n"))
        .collect::<String>()
        + &format!("{info}/RECORD,,\n");
    all.push((format!("{info}/RECORD"), record.into_bytes()));
    for (rel, content) in &all {
        let p = staging.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    let script = format!(
        "import zipfile, os\nz = zipfile.ZipFile({path:?}, 'w')\nfor root, _, names in os.walk({src:?}):\n    for n in names:\n        full = os.path.join(root, n)\n        z.write(full, os.path.relpath(full, {src:?}))\nz.close()\n",
        path = path.display().to_string(),
        src = staging.display().to_string()
    );
    assert!(Command::new("python3")
        .arg("-c")
        .arg(script)
        .status()
        .unwrap()
        .success());
    path
}

fn venv_works() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("SKIPPED: python3 with venv and ensurepip is not available");
    }
    ok
}

#[test]
fn setup_installs_pins_patches_records_and_is_idempotent() {
    if !venv_works() {
        return;
    }
    let Some(real) = crate::patch::real_wheel() else {
        return;
    };
    let t = Test::new();
    let wheels = t.path("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    // The real vLLM 0.10.1.1 sources of the five patched files, in a stand-in vllm wheel.
    let src = t.path("real");
    crate::patch::unpack(&real, &src);
    let files: Vec<(String, Vec<u8>)> = crate::patch::TARGETS
        .iter()
        .map(|f| (f.to_string(), std::fs::read(src.join(f)).unwrap()))
        .chain([(
            "vllm/__init__.py".to_string(),
            b"__version__ = '0.10.1.1'\n".to_vec(),
        )])
        .collect();
    wheel(&wheels, "vllm", "0.10.1.1", &files);
    for (name, version) in [
        ("transformers", "4.57.3"),
        ("torch", "2.7.1"),
        ("tensorizer", "2.10.1"),
        ("runai-model-streamer", "0.15.5"),
        ("runai-model-streamer-s3", "0.15.5"),
    ] {
        let module = name.replace('-', "_");
        wheel(
            &wheels,
            name,
            version,
            &[(format!("{module}/__init__.py"), b"".to_vec())],
        );
    }

    let cache = t.path("cache");
    let t = t
        .env("REPRO_CACHE", &cache)
        .args(["env", "setup", "--offline", "--find-links"])
        .arg(&wheels);
    let first = t
        .run()
        .success()
        .stdout_has("vLLM 0.10.1.1")
        .stdout_has("patches ");
    // Each step's line says how long the one before took, not the time since the start (a
    // `[4/8] checking libstdc++ (561s)` read as a 9-minute check).
    let steps: Vec<&str> = first
        .stderr
        .lines()
        .filter(|l| l.starts_with('['))
        .collect();
    assert!(steps.len() > 2, "{}", first.stderr);
    assert!(!steps[0].contains("took"), "{steps:?}");
    for (i, line) in steps.iter().enumerate().skip(1) {
        assert!(
            line.contains(&format!("(step {i} took ")) && line.ends_with(" in all)"),
            "{line}"
        );
    }
    let env = t.path("cache/envs/vllm-0.10.1.1");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.join("repro-env.json")).unwrap()).unwrap();
    let packages: Vec<String> = manifest["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    for pin in [
        "vllm==0.10.1.1",
        "transformers==4.57.3",
        "torch==2.7.1",
        "tensorizer==2.10.1",
        "runai-model-streamer==0.15.5",
    ] {
        assert!(
            packages.iter().any(|p| p == pin),
            "{pin} not in {packages:?}"
        );
    }
    assert!(manifest["patch_hash"].is_string());
    t.run()
        .success()
        .stdout_has("already set up")
        .stdout_has("nothing to do");
    let status = Command::new(REPRO)
        .current_dir(t.dir.path())
        .env("REPRO_CACHE", t.path("cache"))
        .args(["patch", "status"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&status.stdout).contains("applied (hash"));
}

#[test]
fn a_failing_install_says_which_step_and_shows_the_log() {
    if !venv_works() {
        return;
    }
    let t = Test::new();
    std::fs::create_dir_all(t.path("empty")).unwrap();
    let (cache, empty) = (t.path("cache"), t.path("empty"));
    let t = t
        .env("REPRO_CACHE", &cache)
        .args([
            "env",
            "setup",
            "--vllm",
            "0.6.0",
            "--offline",
            "--find-links",
        ])
        .arg(&empty);
    t.run()
        .failure()
        .stderr_has("step `pip install` failed")
        .stderr_has("vllm==0.6.0");
    assert!(
        !t.path("cache/envs/vllm-0.6.0/repro-env.json").exists(),
        "no manifest for a failed setup"
    );
}

#[test]
fn unknown_versions_are_refused_before_anything_is_made() {
    let t = Test::new();
    let cache = t.path("cache");
    let t = t
        .env("REPRO_CACHE", &cache)
        .args(["env", "setup", "--vllm", "0.99.0"]);
    t.run()
        .failure()
        .stderr_has("no transformers pin for vLLM 0.99.0");
    assert!(!t.path("cache/envs").exists());
    Test::new()
        .args(["env", "setup", "--device", "cpu", "--vllm", "0.8.0"])
        .run()
        .failure()
        .stderr_has("no lock file for 0.8.0");
}
