//! One file per subcommand: arguments → library calls → output.

mod appendix;
mod bench;
mod claims;
mod compare;
mod dataset;
mod doctor;
mod env;
mod fake_engine;
mod figure;
mod import;
mod interrupt;
mod kick;
mod merge;
mod models;
mod on;
mod pack;
mod parse;
mod patch;
mod render;
mod report;
mod startup;
mod status;
mod table;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// How the user asked the output to look.
#[derive(Debug, Clone)]
pub struct Output {
    pub quiet: bool,
    pub verbose: bool,
    /// Where figures/, models.toml and machines.toml are read from.
    pub project: repro::project::Project,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let project = repro::project::Project::new(cli.project.clone().unwrap_or_else(|| ".".into()));
    let out = Output {
        quiet: cli.quiet,
        verbose: cli.verbose,
        project,
    };
    match cli.command {
        Command::Parse(args) => parse::run(args, out),
        Command::Table(args) => table::run(args, out),
        Command::Pack(args) => pack::run(args, out),
        Command::Merge(args) => merge::run(args, out),
        Command::Patch(args) => patch::run(args, out),
        Command::Bench(args) => bench::run(args, out),
        Command::MockServer(args) => bench::mock_server(args),
        Command::ServerGuard(args) => bench::server_guard(args),
        Command::Models(args) => models::run(args, out),
        Command::Env(args) => env::run(args, out),
        Command::Render(args) => render::run(args, out),
        Command::Figure(args) => figure::run(args, out),
        Command::Status(args) => status::run(args, out),
        Command::Doctor(args) => doctor::run(args, out),
        Command::Import(args) => import::run(args, out),
        Command::Compare(args) => compare::run(args, out),
        Command::Startup(args) => startup::run(args, out),
        Command::Claims(args) => claims::run(args, out),
        Command::Report(args) => report::run(args, out),
        Command::Appendix(args) => appendix::run(args, out),
        Command::KickTheTires(args) => kick::run(args, out),
        Command::FakeEngine(args) => fake_engine::run(args, out),
    }
}

/// A results folder a command reads: it must exist and be a folder.
pub fn existing_results(results: &std::path::Path) -> anyhow::Result<()> {
    Ok(repro::table::folders::existing_results(results)?)
}
