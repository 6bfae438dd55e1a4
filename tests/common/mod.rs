//! The test driver: a temporary folder, the real `repro` binary, and what it printed.

#![allow(dead_code)]

pub mod hub;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const REPRO: &str = env!("CARGO_BIN_EXE_repro");

/// The paper's repository beside this one (`../shared/reference/vllm-profiling`), or `None` with
/// a loud message: tests that need it skip where it is missing.
pub fn shared_reference() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/vllm-profiling");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: shared fixtures not found at {} — this test needs ../shared/ beside the repo",
            path.display()
        );
        None
    }
}

/// The published figure data: `figures/` of the paper's repository beside this one, else the
/// copy bundled in `data/published.tar.zst`, unpacked once per test run.
pub fn published_figures() -> Option<PathBuf> {
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/vllm-profiling/figures");
    if shared.is_dir() {
        return Some(shared);
    }
    static BUNDLED: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BUNDLED
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("repro-published-{}", std::process::id()));
            let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/published.tar.zst");
            let ok = Command::new(REPRO)
                .args(["-q", "merge"])
                .arg(&archive)
                .arg("--results")
                .arg(&dir)
                .status()
                .map(|s| s.success());
            eprintln!("note: ../shared is missing; using the bundled data/published.tar.zst");
            ok.unwrap_or(false).then_some(dir)
        })
        .clone()
}

/// The repository's own fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Copy a folder tree (tests never write into shared fixtures).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes, except repro's own state (the lock, `.repro/`): what a
/// user's data is, for "nothing changed" checks.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            !e.path()
                .strip_prefix(dir)
                .unwrap()
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with(".repro"))
        })
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// A stand-in "python" that checks what the runner gives the harness and hands over to the fake
/// engine: the real engine's path without vLLM.
pub fn stand_in_python(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!(
            "#!/bin/sh\nharness=\"$1\"; shift\ngrep -q 'initialize_engine took' \"$harness\" || exit 9\ngrep -q NewLineFormatter \"$VLLM_LOGGING_CONFIG_PATH\" || exit 8\nexec {} __fake-engine \"$@\"\n",
            REPRO
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// What a run of the binary gave back.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    #[track_caller]
    pub fn success(self) -> Outcome {
        assert_eq!(
            self.code,
            Some(0),
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn failure(self) -> Outcome {
        assert_ne!(
            self.code,
            Some(0),
            "expected failure\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Outcome {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Outcome {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }
}

/// A test case: a temporary folder as the working directory, arguments, environment.
/// The builder methods move the `Test` (and its folder, deleted on drop): bind the result where
/// files are checked after the run.
pub struct Test {
    pub dir: tempfile::TempDir,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
}

impl Default for Test {
    fn default() -> Self {
        Test::new()
    }
}

impl Test {
    pub fn new() -> Test {
        Test {
            dir: tempfile::tempdir().unwrap(),
            args: vec![],
            env: vec![],
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Write a file under the test folder, creating its parents.
    pub fn write(self, rel: &str, content: impl AsRef<[u8]>) -> Test {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    /// `repro -q figure FIGURE --engine fake EXTRA… --results <folder>/results`; the results
    /// folder comes back with the test.
    pub fn fake_figure(self, figure: &str, extra: &[&str]) -> (Test, PathBuf) {
        let results = self.path("results");
        let t = self
            .args(["-q", "figure", figure, "--engine", "fake"])
            .args(extra)
            .arg("--results")
            .arg(&results);
        (t, results)
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Test {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Test {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Test {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn command(&self) -> Command {
        let mut cmd = self.bare_command();
        cmd.args(&self.args);
        cmd
    }

    /// `repro` in the test folder with its environment but none of its arguments.
    pub fn bare_command(&self) -> Command {
        let mut cmd = Command::new(REPRO);
        cmd.current_dir(self.dir.path())
            .env("REPRO_NO_PROGRESS", "1")
            .env_remove("REPRO_PROJECT")
            .env_remove("REPRO_MODELS")
            .env_remove("REPRO_CACHE");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run `repro ARGS` in the test folder (its arguments left out, the folder kept).
    pub fn run_with<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(
        &self,
        args: I,
    ) -> Outcome {
        Outcome::of(self.bare_command().args(args).output().expect("run repro"))
    }

    pub fn run(&self) -> Outcome {
        Outcome::of(self.command().output().expect("run repro"))
    }
}

impl Outcome {
    fn of(output: std::process::Output) -> Outcome {
        Outcome {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}
