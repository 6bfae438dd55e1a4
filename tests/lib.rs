//! The one integration test binary: every test drives the real `repro` binary.

mod common;

mod archive;
mod bench;
mod cli;
mod patch;
mod table;
