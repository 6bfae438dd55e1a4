//! repro: reproduce the figures of "Breaking the Ice: Analyzing Cold Start Latency in vLLM".
//!
//! Data flows one way: recipe → plan → run → artifacts → table → render. The analysis half
//! (`parse`, `table`, `render`, `predict`) reads artifacts only, so it works on anyone's folder.

pub mod archive;
pub mod artifacts;
pub mod assets;
pub mod bench;
pub mod claims;
pub mod compare;
pub mod config;
pub mod disk;
pub mod doctor;
pub mod env;
pub mod exit;
pub mod figures;
pub mod models;
pub mod num;
pub mod parse;
pub mod patch;
pub mod plan;
pub mod predict;
pub mod project;
pub mod recipe;
pub mod render;
pub mod report;
pub mod reproduce;
pub mod run;
pub mod samplers;
pub mod table;
