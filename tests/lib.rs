//! The one integration test binary: every test drives the real `repro` binary.

mod common;

mod cli;
mod render;
mod table;
