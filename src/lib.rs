//! repro: reproduce the figures of "Breaking the Ice: Analyzing Cold Start Latency in vLLM",
//! and run any experiment of its kind.
//!
//! Data flows one way: recipe → plan → run → artifacts → table → render. The modules are
//! layered so that imports point down only (a module uses those below it, never one above):
//!
//! ```text
//! commands (binary)   clap → settings → the library; prints what it returns
//! appendix            the artifact appendix (check-list, commands and time per claim) from
//!                     the project, the estimates, doctor, and a results folder's report
//! report, kick        one self-contained HTML page: figures, numbers, provenance, claims;
//!                     the evaluator's end-to-end checks (each the repro binary itself)
//! claims, reproduce   the paper's claims checked on tables; making a figure's data (plan,
//!                     prepare, run under the lock, tables) and the commands that make it
//! doctor              checks the machine and project (reads everything, changes nothing)
//! startup             start-up studies: runs grouped by what they ran, per phase medians and
//!                     spread, two sets compared with a noise test, timeline pictures
//! render              chart models → SVG / PDF / PNG (one renderer per chart kind)
//! figures, compare    tables → chart models, the paper's plot.py as pure functions
//! table, predict,     the paper's tables from logs; the start-up predictor; how
//!   estimate          long a plan's runs will take (past runs, the paper's times, the predictor)
//! bench, run          run plans: engine runs (child processes, samplers, eviction, signals),
//!                     serving benchmarks (servers, tenants, offline, load, metrics, capacity)
//!                     on the same child lifecycle and folder runs
//! plan                recipe + models → tasks with keys; what is done; what to prepare
//! archive             pack / merge results folders
//! models, env, patch  models on disk, Python environments, the profiling patches
//! assets              the Python scripts and lock files repro ships, written out when used
//! artifacts           the results folder: layout, keys, manifests, staging, provenance
//! recipe, config,     recipes (figure and benchmark), models.toml, machines.toml; the
//!   project           project folder's editable files (or the copies built in)
//! parse, samplers,    vLLM logs → stage timings and ledgers; CPU/GPU samplers; the progress
//!   progress          events every layer sends, and their drawing on a terminal
//! stats, num, sys,    numpy-exact arithmetic and fits, Python's number printing, machine
//!   exit, suggest     facts, exit codes, "did you mean" for a mistyped name
//! ```
//!
//! The analysis half (`parse`, `table`, `predict`, `figures`, `render`) reads artifacts only,
//! so it works on anyone's folder. `project` finds the editable files (or the shipped copies).

pub mod appendix;
pub mod archive;
pub mod artifacts;
pub mod assets;
pub mod bench;
pub mod claims;
pub mod compare;
pub mod config;
pub mod doctor;
pub mod env;
pub mod estimate;
pub mod exit;
pub mod figures;
pub mod kick;
pub mod models;
pub mod num;
pub mod parse;
pub mod patch;
pub mod plan;
pub mod predict;
pub mod progress;
pub mod project;
pub mod recipe;
pub mod render;
pub mod report;
pub mod reproduce;
pub mod run;
pub mod samplers;
pub mod startup;
pub mod stats;
pub mod suggest;
pub mod sys;
pub mod table;
