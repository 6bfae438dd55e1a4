//! Ctrl-C for the commands that run things: `repro::run::signals` handles it, this says so.

use anyhow::Context;
use repro::run::Interrupt;

/// What the first Ctrl-C prints.
pub fn first_press() {
    eprintln!("interrupted: stopping the current run (Ctrl-C again to kill it at once)")
}

pub fn install() -> anyhow::Result<Interrupt> {
    repro::run::signals::install(first_press).context("installing the Ctrl-C handler")
}
