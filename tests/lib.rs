//! The one integration test binary: every test drives the real `repro` binary.

mod common;

mod cli;
mod figure;
mod resume;
mod table;
