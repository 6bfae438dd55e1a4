//! Progress, one stream for every long step of the library — runs of a plan, an environment's
//! setup, downloads: the library says what happens ([`Event`]), the command line draws it (a
//! bar on a terminal, plain lines otherwise, nothing under `-q`). Events carry words and
//! numbers only, so every layer can send them.

pub mod bars;
pub mod terminal;

use std::time::Duration;

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// A run starts: the `position`-th of `total`, `what` as people read it
    /// (`figure-9 iteration 1 model_llama2-7b-hf`), its attempt (1 for the first).
    RunStarted {
        position: usize,
        total: usize,
        what: &'a str,
        attempt: u32,
    },
    /// A line of the running engine's log.
    RunLine(&'a str),
    /// The run ended: `ok`, or its status (`failed`, `timed out`, …) and why.
    RunFinished {
        ok: bool,
        status: &'a str,
        error: Option<&'a str>,
        wall: Duration,
    },
    /// A step of a longer job (an environment's setup): the `index`-th of `total`.
    Step {
        index: usize,
        total: usize,
        what: &'a str,
    },
    /// Something worth saying before the steps.
    Note(&'a str),
    /// A model's download starts: its files and bytes.
    DownloadStarted {
        name: &'a str,
        files: usize,
        bytes: u64,
    },
    /// `bytes` more of a model are here.
    Downloaded { name: &'a str, bytes: u64 },
    /// A model's download ended.
    DownloadFinished { name: &'a str },
}

/// Whoever shows progress. `Sync`: downloads report from several threads.
pub trait Progress: Sync {
    fn event(&self, event: Event<'_>);
}

/// Shows nothing (tests, `-q`).
pub struct Silent;

impl Progress for Silent {
    fn event(&self, _: Event<'_>) {}
}
