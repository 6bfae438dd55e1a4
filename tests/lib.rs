//! The one integration test binary: every test drives the real `repro` binary.

mod common;

mod archive;
mod bench;
mod cli;
mod cpu_engine;
mod doctor;
mod env;
mod figure;
mod ledger;
mod models;
mod patch;
mod prepare;
mod render;
mod resume;
mod slurm;
mod table;
