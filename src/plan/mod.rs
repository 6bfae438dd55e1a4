//! The task graph: a recipe expanded into tasks with stable keys, independent of running them.

pub mod explain;
pub mod graph;
pub mod prepare;
pub mod task;

pub use graph::{plan, task_state, Group, Plan, PlanError, PlanRequest, Reason, TaskState};
pub use task::{ConfigInputs, EngineKind, KeyInputs, ModelRef, Phase, Task, TaskKey};
