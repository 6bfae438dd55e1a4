//! The one integration test binary: every test drives the real `repro` binary.

mod common;

mod appendix;
mod archive;
mod bench;
mod capacity;
mod claims;
mod cli;
mod compare;
mod conversation;
mod cpu_engine;
mod doctor;
mod env;
mod experiments;
mod figure;
mod import;
mod kick;
mod layers;
mod ledger;
mod models;
mod offline;
mod patch;
mod prepare;
mod readme;
mod render;
mod repeats;
mod report;
mod resume;
mod slurm;
mod startup;
mod table;
mod tenants;
mod trust;
mod vllm_format;
