//! Ctrl-C for the commands that run things: `repro::run::signals` handles it, this says so.

use anyhow::Context;
use repro::run::Interrupt;

pub fn install() -> anyhow::Result<Interrupt> {
    repro::run::signals::install(|| {
        eprintln!("interrupted: stopping the current run (Ctrl-C again to kill it at once)")
    })
    .context("installing the Ctrl-C handler")
}
