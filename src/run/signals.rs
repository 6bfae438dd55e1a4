//! The process's one handler for Ctrl-C (and SIGTERM, SIGHUP), the same for every command that
//! runs things: the first press stops the current run gracefully (SIGTERM to its group, a grace
//! period), the second kills it and every background child (servers) at once, a third exits
//! with 130.

use super::child::{kill_all_now, Interrupt};

/// Install the handler; `first_press` says what happens next (the command line prints it).
pub fn install(first_press: impl Fn() + Send + 'static) -> Result<Interrupt, ctrlc::Error> {
    let interrupt = Interrupt::default();
    let handler = interrupt.clone();
    ctrlc::set_handler(move || {
        handler.raise();
        match handler.count() {
            1 => first_press(),
            2 => kill_all_now(),
            _ => std::process::exit(crate::exit::INTERRUPTED.into()),
        }
    })?;
    Ok(interrupt)
}
