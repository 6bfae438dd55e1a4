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
    /// Draw the figures (PDF) from the data of a results folder
    #[command(
        after_help = "Examples:\n  repro render all --results ../shared/reference/vllm-profiling/figures --out figs\n  repro render 7 --results results --out figs --format svg\n\nFigures whose folder is missing are reported and skipped; nothing is written into --results."
    )]
    Render(RenderArgs),
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

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A figure (1–15, 17, `rest`) or `all`
    #[arg(value_name = "FIGURE")]
    pub figure: String,
    /// The results folder (holds figure-<id>/ folders); only read
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Where figure<N>.pdf files are written
    #[arg(long, value_name = "OUT", default_value = "out")]
    pub out: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "pdf")]
    pub format: RenderFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RenderFormat {
    Pdf,
    Svg,
}
