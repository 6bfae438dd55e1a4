//! `repro kick-the-tires`'s checks: every path an artifact evaluator uses, end to end and
//! quickly — the bundled data tabled and rendered, every figure through the fake engine, a real
//! cold start on vLLM's CPU build with a synthetic model (where its environment is there, or
//! `setup_cpu`), a pack → merge round trip, a serving benchmark against the mock, the claims and
//! the report — each step the real `repro` binary in a folder of its own; each check passes,
//! fails or is skipped, with how long it took and where to look.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How one step ended.
pub enum Verdict {
    Pass(String),
    Fail(String),
    Skipped(String),
}

/// One line of the checklist.
pub struct Check {
    pub what: &'static str,
    pub verdict: Verdict,
    pub took: Duration,
    /// Where to look: the step's log and what it made.
    pub look: String,
}

/// A check: the verdict, and where to look.
type Step = fn(&Steps) -> (Verdict, String);

/// Runs `repro` subcommands into the work folder, each logged to `logs/<step>.log`.
pub struct Steps {
    /// repro's own binary.
    pub exe: PathBuf,
    /// The work folder (absolute; its `logs/` made).
    pub dir: PathBuf,
    /// The project folder (absolute).
    pub project: PathBuf,
    /// Set up vLLM's CPU environment where it is missing, for the real cold start.
    pub setup_cpu: bool,
}

impl Steps {
    /// `repro ARGS` with its output to `logs/<log>.log`; `Ok(())` when it exited 0, else the
    /// last lines of its log.
    fn repro(&self, log: &str, args: &[&str]) -> Result<(), String> {
        let path = self.log(log);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        let status = Command::new(&self.exe)
            .arg("--project")
            .arg(&self.project)
            .args(args)
            .current_dir(&self.dir)
            .env("REPRO_NO_PROGRESS", "1")
            .stdout(file)
            .stderr(err)
            .status()
            .map_err(|e| format!("cannot run repro: {e}"))?;
        if status.success() {
            return Ok(());
        }
        let tail = crate::artifacts::tail_lines(&path, 3).join(" | ");
        Err(format!(
            "`repro {}` failed ({status}): {tail}",
            args.join(" ")
        ))
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{name}.log"))
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
}

/// Every check, in order, with what it checks.
const CHECKS: [(&str, Step); 6] = [
    (
        "the paper's data: merged, tabled byte for byte, drawn",
        bundled_data,
    ),
    ("every figure through the fake engine, drawn", fake_figures),
    (
        "a real cold start on vLLM's CPU build (synthetic model)",
        cpu_cold_start,
    ),
    ("pack → merge between two results folders", pack_and_merge),
    (
        "a serving benchmark against the mock server, drawn",
        mock_benchmark,
    ),
    ("the paper's claims and the report", claims_and_report),
];

/// What each check checks, in the order they run.
pub fn check_names() -> impl Iterator<Item = &'static str> {
    CHECKS.iter().map(|(what, _)| *what)
}

/// Every check, in order; `starting` is told each one's name before it runs.
pub fn checks(steps: &Steps, starting: &mut dyn FnMut(&str)) -> Vec<Check> {
    CHECKS
        .into_iter()
        .map(|(what, step)| {
            starting(what);
            let started = Instant::now();
            let (verdict, look) = step(steps);
            Check {
                what,
                verdict,
                took: started.elapsed(),
                look,
            }
        })
        .collect()
}

fn verdict(result: Result<String, String>) -> Verdict {
    match result {
        Ok(detail) => Verdict::Pass(detail),
        Err(why) => Verdict::Fail(why),
    }
}

/// Every file under `dir` with its bytes' hash.
fn hashes(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            !e.path()
                .strip_prefix(dir)
                .unwrap_or(e.path())
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with(".repro"))
        })
        .filter_map(|e| {
            let hash = crate::artifacts::hash_file(e.path()).ok()?;
            Some((e.path().strip_prefix(dir).ok()?.to_path_buf(), hash))
        })
        .collect();
    files.sort();
    files
}

fn count_files(dir: &Path, ext: &str) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == ext))
        .count()
}

/// The bundled data merged into a folder of its own, its tables rewritten from its logs (they
/// must come out the paper's bytes), its figures drawn.
fn bundled_data(s: &Steps) -> (Verdict, String) {
    let look = "published/, figures-published/, logs/published.log".to_string();
    let archive = s.project.join("data/published.tar.zst");
    if !archive.is_file() {
        let why = format!(
            "no `{}` (run from the repro repository, or pass --project)",
            archive.display()
        );
        return (Verdict::Skipped(why), look);
    }
    let result = (|| {
        let archive = archive.to_string_lossy();
        s.repro(
            "published",
            &["-q", "merge", &archive, "--results", "published"],
        )?;
        let before = hashes(&s.path("published"));
        s.repro(
            "published",
            &["-q", "table", "all", "--results", "published"],
        )?;
        if hashes(&s.path("published")) != before {
            return Err(
                "the tables rewritten from the paper's logs differ from the paper's".into(),
            );
        }
        s.repro(
            "published",
            &[
                "-q",
                "render",
                "all",
                "--results",
                "published",
                "--out",
                "figures-published",
            ],
        )?;
        let drawn = count_files(&s.path("figures-published"), "pdf");
        Ok(format!(
            "{} files, every table rewritten byte for byte, {drawn} figures drawn",
            before.len()
        ))
    })();
    (verdict(result), look)
}

/// Every figure (and every split part) through the fake engine at one iteration, then drawn.
fn fake_figures(s: &Steps) -> (Verdict, String) {
    let look = "fake/, figures-fake/, logs/fake.log".to_string();
    let result = (|| {
        let base = ["-q", "figure"];
        let tail = ["--engine", "fake", "--iterations", "1", "--results", "fake"];
        let mut runs: Vec<Vec<&str>> = vec![vec!["all"]];
        for part in [
            ["10", "--gpu", "0"],
            ["10", "--gpu", "1"],
            ["11", "--cpu", "0"],
            ["11", "--cpu", "1"],
            ["13", "--case", "0"],
            ["13", "--case", "1"],
        ] {
            runs.push(part.to_vec());
        }
        for run in runs {
            let args: Vec<&str> = base.iter().chain(&run).chain(&tail).copied().collect();
            s.repro("fake", &args)?;
        }
        s.repro(
            "fake",
            &[
                "-q",
                "render",
                "all",
                "--results",
                "fake",
                "--out",
                "figures-fake",
            ],
        )?;
        let drawn = count_files(&s.path("figures-fake"), "pdf");
        if drawn < 16 {
            return Err(format!("{drawn} of the paper's 16 figures drawn"));
        }
        Ok(format!(
            "{drawn} figures drawn from fake-engine runs (marked FAKE ENGINE)"
        ))
    })();
    (verdict(result), look)
}

/// Figure 13's cold case on vLLM's CPU build with a 2-layer synthetic Qwen-0.5B, one iteration.
fn cpu_cold_start(s: &Steps) -> (Verdict, String) {
    let look = "cpu/, models/, logs/cpu.log".to_string();
    let spec =
        crate::env::EnvSpec::new(crate::env::PAPER_VLLM, crate::config::machines::Device::Cpu);
    let cache = crate::env::cache_dir(&s.project);
    let there = spec.is_set_up(&cache);
    if !there && !s.setup_cpu {
        let why = format!(
            "vLLM's CPU environment is not set up (`{}`): `repro env setup --device cpu` (~15 min, 3.4 GB), or rerun with --setup-cpu",
            spec.dir(&cache).display()
        );
        return (Verdict::Skipped(why), look);
    }
    let result = (|| {
        if !there {
            s.repro("cpu", &["env", "setup", "--device", "cpu"])?;
        }
        s.repro(
            "cpu",
            &[
                "-q",
                "models",
                "synth",
                "qwen-0.5b",
                "--layers",
                "2",
                "--models-dir",
                "models",
            ],
        )?;
        s.repro(
            "cpu",
            &[
                "-q",
                "figure",
                "13",
                "--case",
                "1",
                "--device",
                "cpu",
                "--model",
                "qwen-0.5b",
                "--iterations",
                "1",
                "--results",
                "cpu",
                "--models-dir",
                "models",
            ],
        )?;
        let log = s.path("cpu/figure-13/case1/iterations/1/output_model_qwen-0.5b.txt");
        let parsed = crate::parse::parse_file(&log).map_err(|e| e.to_string())?;
        let total = parsed
            .stages
            .get(crate::parse::Stage::ActualTotalTime)
            .map_or(0.0, |v| v.as_f64());
        Ok(format!(
            "a cold start (page cache evicted) took {total:.1} s, parsed and tabled"
        ))
    })();
    (verdict(result), look)
}

/// One machine's fake figure 2 packed, merged into another results folder: the same bytes.
fn pack_and_merge(s: &Steps) -> (Verdict, String) {
    let look = "pack/, merged/, logs/pack.log".to_string();
    let result = (|| {
        let _ = std::fs::remove_dir_all(s.path("pack"));
        let _ = std::fs::remove_dir_all(s.path("merged"));
        s.repro(
            "pack",
            &[
                "-q",
                "figure",
                "2",
                "--engine",
                "fake",
                "--iterations",
                "1",
                "--results",
                "pack/a",
            ],
        )?;
        s.repro(
            "pack",
            &[
                "-q",
                "pack",
                "--results",
                "pack/a",
                "--figure",
                "2",
                "-o",
                "pack/a.tar.zst",
            ],
        )?;
        s.repro(
            "pack",
            &["-q", "merge", "pack/a.tar.zst", "--results", "merged"],
        )?;
        let (a, b) = (
            hashes(&s.path("pack/a/figure-2")),
            hashes(&s.path("merged/figure-2")),
        );
        if a != b {
            return Err("the merged folder differs from the packed one".into());
        }
        Ok(format!(
            "{} files packed and merged, every hash the same",
            a.len()
        ))
    })();
    (verdict(result), look)
}

/// A benchmark of the mock server at two rates, then its charts.
fn mock_benchmark(s: &Steps) -> (Verdict, String) {
    let look = "bench/bench-kick-mock/, figures-bench/, logs/bench.log".to_string();
    let result = (|| {
        let project = s.path("bench-project");
        std::fs::create_dir_all(project.join("benchmarks")).map_err(|e| e.to_string())?;
        let recipe = format!(
            r#"title = "kick-the-tires: the mock server at two rates"
[server]
kind = "command"
model = "mock"
command = [{exe:?}, "__mock-server", "--port", "{{port}}", "--ttft-ms", "5", "--gap-ms", "1"]
health_timeout = "30s"
[workload]
arrival = "poisson"
requests = 40
prompt = {{ kind = "synthetic", len = {{ dist = "fixed", value = 16 }} }}
output_len = {{ dist = "fixed", value = 8 }}
seed = 0
[slo]
ttft = "200ms"
[matrix]
rate = [20.0, 80.0]
"#,
            exe = s.exe.display().to_string()
        );
        std::fs::write(project.join("benchmarks/kick-mock.toml"), recipe)
            .map_err(|e| e.to_string())?;
        let status = Command::new(&s.exe)
            .args(["--project"])
            .arg(&project)
            .args(["-q", "bench", "kick-mock", "--results"])
            .arg(s.path("bench"))
            .current_dir(&s.dir)
            .stdout(std::fs::File::create(s.log("bench")).map_err(|e| e.to_string())?)
            .stderr(std::process::Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!(
                "`repro bench` failed ({status}): see logs/bench.log"
            ));
        }
        s.repro(
            "bench-render",
            &[
                "-q",
                "render",
                "bench-kick-mock",
                "--results",
                "bench",
                "--out",
                "figures-bench",
            ],
        )?;
        let drawn = count_files(&s.path("figures-bench"), "pdf");
        Ok(format!("2 runs of 40 requests, {drawn} charts drawn"))
    })();
    (verdict(result), look)
}

/// The claims checked on the paper's data, and the report made of it.
fn claims_and_report(s: &Steps) -> (Verdict, String) {
    let look = "report/report.html, logs/claims.log".to_string();
    if !s.path("published").is_dir() {
        return (
            Verdict::Skipped("the paper's data was not merged (see the first check)".into()),
            look,
        );
    }
    let result = (|| {
        s.repro("claims", &["claims", "--results", "published"])?;
        s.repro(
            "claims",
            &["-q", "report", "--results", "published", "--out", "report"],
        )?;
        let page = s.path("report/report.html");
        let size = std::fs::metadata(&page).map_err(|e| e.to_string())?.len();
        Ok(format!(
            "claims checked; one self-contained page of {} KB",
            size / 1024
        ))
    })();
    (verdict(result), look)
}
