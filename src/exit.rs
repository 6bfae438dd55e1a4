//! Exit codes of `repro`, named so scripts can rely on them.

/// Everything asked for was done.
pub const SUCCESS: u8 = 0;
/// An error stopped the command (bad input, I/O, …); the message says what.
pub const FAILURE: u8 = 1;
/// The command ran, but some of its runs failed (see the summary); the others are kept.
pub const RUNS_FAILED: u8 = 3;
/// Interrupted by the user (Ctrl-C): finished work is kept, the rest resumes on the next call.
pub const INTERRUPTED: u8 = 130;
