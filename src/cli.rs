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
    /// Archive this machine's results for another machine (deterministic .tar.zst)
    #[command(
        after_help = "Examples:\n  repro pack --figure 10 -o n2-fig10.tar.zst\n  repro pack --results results"
    )]
    Pack(PackArgs),
    /// Fold other machines' results (folders or archives) into the local results
    #[command(
        after_help = "Examples:\n  repro merge n2-results.tar.zst\n  repro merge /mnt/n2/results --dry-run\n  repro merge n2.tar.zst --prefer theirs"
    )]
    Merge(MergeArgs),
    /// Apply, revert or check the paper's profiling patches in a vLLM environment
    #[command(
        after_help = "Examples:\n  repro patch status\n  repro patch apply --vllm 0.10.1.1 --device cpu\n  repro patch revert --site-packages .venv/lib/python3.11/site-packages"
    )]
    Patch(PatchArgs),
    /// Serving benchmark: start a server, drive load, measure TTFT/TPOT/ITL/goodput
    #[command(
        after_help = "Examples:\n  repro bench cpu-smoke\n  repro bench all --dry-run\n  repro bench mine --force --results results\n\nRecipes: benchmarks/<name>.toml (see benchmarks/cpu-smoke.toml). Results:\n  <results>/bench-<name>/<run>/{records.jsonl,summary.json,server.log,run.json}"
    )]
    Bench(BenchArgs),
    /// A mock OpenAI-compatible server, for tests and load-generator benchmarks (loopback only)
    #[command(name = "__mock-server", hide = true)]
    MockServer(MockServerArgs),
    /// Run a server in this process group and end the whole group with it (used by `bench`)
    #[command(name = "__server-guard", hide = true)]
    ServerGuard(ServerGuardArgs),
}

#[derive(Debug, Args)]
pub struct ServerGuardArgs {
    /// Between SIGTERM and SIGKILL for what the server leaves behind, ms
    #[arg(long, default_value_t = 10_000)]
    pub grace_ms: u64,
    /// The server's command
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A benchmark (`benchmarks/<name>.toml` or a shipped one) or `all`
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Show the runs, their server commands and what is already done; run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Run again even the runs that are done
    #[arg(long)]
    pub force: bool,
    /// The results folder (holds bench-<name>/ folders)
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
}

#[derive(Debug, Args)]
pub struct MockServerArgs {
    /// Port on 127.0.0.1 (0: a free one; the line `listening on 127.0.0.1:PORT` says which)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Time to first token, ms
    #[arg(long, default_value_t = 20)]
    pub ttft_ms: u64,
    /// Gap between tokens, ms
    #[arg(long, default_value_t = 2)]
    pub gap_ms: u64,
    /// Share of completions answered with HTTP 500
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Share of streams cut after half their tokens
    #[arg(long, default_value_t = 0.0)]
    pub cut_rate: f64,
    /// Exit like a crash once this many completions have arrived
    #[arg(long)]
    pub die_after: Option<u64>,
    /// Never become healthy (/health and /v1/models answer 503)
    #[arg(long)]
    pub unhealthy: bool,
    /// Wait this long before listening, ms
    #[arg(long, default_value_t = 0)]
    pub startup_delay_ms: u64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Exit after this many seconds whatever happens
    #[arg(long, default_value_t = 600)]
    pub lifetime_s: u64,
    /// Worker threads
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
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
pub struct PackArgs {
    /// The results folder to pack
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Pack only this figure's data (repeatable; figures 3–6, 8, 17 are in `rest`)
    #[arg(long, value_name = "N")]
    pub figure: Vec<String>,
    /// The archive to write (default: `<host>-results.tar.zst`)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Which side wins when a file differs.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PreferArg {
    /// Keep the local file
    Ours,
    /// Take the incoming file
    Theirs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Folders or `.tar.zst` archives (from `repro pack`) to fold in
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<PathBuf>,
    /// The local results folder
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Settle conflicting files instead of stopping
    #[arg(long, value_enum)]
    pub prefer: Option<PreferArg>,
    /// Show what would be merged, change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `repro patch` actions.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PatchAction {
    /// Apply the profiling patches (all or nothing; a second apply does nothing)
    Apply,
    /// Restore vLLM's original files byte for byte
    Revert,
    /// Say whether the patches are applied, not applied, or the files were changed by someone else
    Status,
}

#[derive(Debug, Args)]
pub struct PatchArgs {
    #[arg(value_enum)]
    pub action: PatchAction,
    /// The vLLM version of the environment (its patches: patches/vllm-<version>/)
    #[arg(long, default_value = "0.10.1.1")]
    pub vllm: String,
    /// The environment of vLLM's CPU build (`repro env setup --device cpu`)
    #[arg(long, value_enum, default_value = "gpu")]
    pub device: DeviceArg,
    /// Patch this site-packages folder instead of repro's environment
    #[arg(long, value_name = "DIR")]
    pub site_packages: Option<PathBuf>,
    /// With `revert`: restore the originals even over files changed since the patch
    #[arg(long)]
    pub force: bool,
}

/// GPU or vLLM's CPU build.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DeviceArg {
    Gpu,
    Cpu,
}

impl From<DeviceArg> for repro::config::machines::Device {
    fn from(d: DeviceArg) -> Self {
        match d {
            DeviceArg::Gpu => repro::config::machines::Device::Gpu,
            DeviceArg::Cpu => repro::config::machines::Device::Cpu,
        }
    }
}
