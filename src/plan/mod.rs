//! The task graph: a recipe expanded into tasks with stable keys, independent of running them.

pub mod bench;
pub mod benchmark;
pub mod explain;
pub mod graph;
pub mod guard;
pub mod offline;
pub mod prepare;
pub mod status;
pub mod task;
pub mod tenants;

pub use crate::artifacts::key::{EngineKind, KeyInputs, ModelRef, Phase, TaskKey};
pub use graph::{
    plan, task_state, Foreign, Group, Plan, PlanError, PlanRequest, Reason, TaskState,
};
pub use task::{ConfigInputs, Task};
