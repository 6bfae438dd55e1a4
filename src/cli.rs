//! The command line, as clap types only: no logic here (commands/ does the work).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "repro",
    version,
    about = "Reproduce the figures of the vLLM cold-start paper, end to end",
    long_about = None,
    after_help = "Examples:\n  repro render all --results figures-data --out figs\n  repro parse run/output_model_qwen-4b.txt\n  repro figure 10 --gpu 1 --dry-run"
)]
pub struct Cli {
    /// Print less (no progress)
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more (why tasks run, every file written)
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Project folder with figures/, models.toml, machines.toml (default: the current folder;
    /// files missing there are taken from the copies built into repro)
    #[arg(long, global = true, value_name = "DIR", env = "REPRO_PROJECT")]
    pub project: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read vLLM logs and print their stage timings
    #[command(
        after_help = "Examples:\n  repro parse output_model_qwen-4b.txt\n  repro parse --json results/figure-7/iterations/1/output_model_*"
    )]
    Parse(ParseArgs),
    /// Write the paper's comparison tables (JSON) from the raw logs of a results folder
    #[command(
        after_help = "Examples:\n  repro table 7 --results results\n  repro table all --results ../shared/reference/vllm-profiling/figures"
    )]
    Table(TableArgs),
    /// Run a figure's experiments (skipping runs already done), then write its tables
    #[command(after_help = FIGURE_EXAMPLES)]
    Figure(FigureArgs),
    /// Show which runs of each figure exist (done, failed, missing) and on which machine
    #[command(after_help = STATUS_EXAMPLES)]
    Status(StatusArgs),
    /// A fake vLLM engine that writes a realistic log (used by `--engine fake`)
    #[command(name = "__fake-engine", hide = true)]
    FakeEngine(FakeEngineArgs),
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// vLLM log files (stdout of a run)
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TableArgs {
    /// A figure (1–17, `rest`) or `all`
    #[arg(value_name = "FIGURE")]
    pub figure: String,
    /// The results folder (holds figure-<id>/ folders)
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
}

const FIGURE_EXAMPLES: &str = "Examples:
  repro figure 2 --engine fake --results /tmp/r     # the whole pipeline, no GPU or Python needed
  repro figure 10 --gpu 1                           # this machine runs figure 10's second GPU
  repro figure 13 --case 1 --dry-run -v             # what would run, and why (task keys)
  repro figure all --iterations 2 --timeout 30m     # every unsplit figure, shorter
  repro figure 9 --force --python .venv/bin/python  # rerun everything with another Python

Exit codes: 0 all runs done, 3 some runs failed (the others are kept), 130 interrupted.
Fake engine failures on request (patterns match run labels, `*` all, `label@2` iteration 2):
REPRO_FAKE_FAIL, REPRO_FAKE_CRASH, REPRO_FAKE_HANG, REPRO_FAKE_FLAKY; REPRO_FAKE_SPEEDUP.";

const STATUS_EXAMPLES: &str = "Examples:
  repro status
  repro status --results /data/n2-results -v        # every run, with its host";

/// Which engine runs the experiments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// vLLM through the engine harness, in the version's Python environment
    Real,
    /// `repro __fake-engine`: realistic logs, no Python or GPU (for tests and dry runs)
    Fake,
}

#[derive(Debug, Args)]
pub struct FigureArgs {
    /// A figure (1–17, `rest`) or `all`
    #[arg(value_name = "FIGURE")]
    pub figure: String,
    /// Run this GPU part of a split figure (figure 10)
    #[arg(long, value_name = "I", conflicts_with_all = ["cpu", "case"])]
    pub gpu: Option<u32>,
    /// Run this CPU part of a split figure (figure 11)
    #[arg(long, value_name = "I", conflicts_with_all = ["gpu", "case"])]
    pub cpu: Option<u32>,
    /// Run this case of a split figure (figure 13: 1 = cold SSD loads)
    #[arg(long, value_name = "I", conflicts_with_all = ["gpu", "cpu"])]
    pub case: Option<u32>,
    /// Print the tasks, what is done and why the others would run; run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Rerun tasks that are done
    #[arg(long)]
    pub force: bool,
    /// Timed iterations (default: the recipe's, 5 in the paper)
    #[arg(long, value_name = "N")]
    pub iterations: Option<u32>,
    /// The results folder
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    #[arg(long, value_enum, default_value = "real")]
    pub engine: EngineArg,
    /// Stop at the first failed run
    #[arg(long)]
    pub fail_fast: bool,
    /// Longest one run may take, e.g. `90s`, `30m` (default: the recipe's)
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// The Python of the vLLM environment (default: `repro env setup`'s, under `.cache/envs/`)
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Where models live (`<DIR>/<model>`)
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models_dir: PathBuf,
    /// Also drop the whole page cache (/proc/sys/vm/drop_caches, root) before cold runs
    #[arg(long)]
    pub drop_caches: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The results folder
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
}

#[derive(Debug, Args)]
pub struct FakeEngineArgs {
    /// vLLM engine arguments (`--model models/qwen-4b --cuda-graph-sizes 56 …`)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ENGINE_ARGS"
    )]
    pub args: Vec<String>,
}
