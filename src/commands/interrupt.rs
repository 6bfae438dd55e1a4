//! Ctrl-C (and SIGTERM, SIGHUP), the same for every command that runs things: the first press
//! stops the current run gracefully (SIGTERM to its group, a grace period), the second kills it
//! and every background child (servers) at once, a third exits with 130.

use anyhow::Context;
use repro::run::Interrupt;

pub fn install() -> anyhow::Result<Interrupt> {
    let interrupt = Interrupt::default();
    let handler = interrupt.clone();
    ctrlc::set_handler(move || {
        handler.raise();
        match handler.count() {
            1 => {
                eprintln!("interrupted: stopping the current run (Ctrl-C again to kill it at once)")
            }
            2 => repro::run::child::kill_all_now(),
            _ => std::process::exit(repro::exit::INTERRUPTED.into()),
        }
    })
    .context("installing the Ctrl-C handler")?;
    Ok(interrupt)
}
