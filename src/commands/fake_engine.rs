//! `repro __fake-engine <engine args>` (hidden): the fake vLLM engine behind `--engine fake`.

use std::process::ExitCode;

use repro::run::fake::{self, FakeExit, FakeRequest};

use super::Output;
use crate::cli::FakeEngineArgs;

pub fn run(args: FakeEngineArgs, out: Output) -> anyhow::Result<ExitCode> {
    // Unknown models get Qwen-4B's facts; a broken models.toml should not stop a fake run.
    let models = out.project.models().unwrap_or_default();
    let request = FakeRequest::from_args(&args.args, &|key| std::env::var(key).ok());
    let mut stdout = std::io::stdout().lock();
    match fake::run(&request, &models, &mut stdout)? {
        FakeExit::Success => Ok(ExitCode::SUCCESS),
        FakeExit::Failed => Ok(ExitCode::from(1)),
    }
}
