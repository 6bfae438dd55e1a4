//! The commands that make a recipe's data, part by part, and on which machine of
//! `machines.toml` each part belongs: what `repro claims` and `repro report` tell a reader to
//! run where data is missing, and how a figure is reproduced.

pub mod dry_run;
pub mod figure;
pub mod prepare;

use crate::config::Machines;
use crate::project::NamedRecipe;

/// One command, and where it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub command: String,
    /// `on n2 (L40S, AMD EPYC 9354 (32C)): n2: L40S`, or nothing.
    pub note: Option<String>,
}

/// How the data was (or is to be) made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine<'a> {
    Real,
    /// The fake engine, with this many iterations, into this results folder.
    Fake {
        iterations: u32,
        results: &'a str,
    },
}

/// `repro figure NAME [--gpu I]` for one part (`None`: the whole recipe).
pub fn figure_command(named: &NamedRecipe, part: Option<u32>, engine: Engine<'_>) -> String {
    let mut command = format!("repro figure {}", named.name);
    if let (Some(split), Some(index)) = (&named.recipe.split, part) {
        command.push_str(&format!(" --{} {index}", split.kind.as_str()));
    }
    if let Engine::Fake {
        iterations,
        results,
    } = engine
    {
        command.push_str(&format!(
            " --engine fake --iterations {iterations} --results {results}"
        ));
    }
    command
}

/// The command for a part's folder name (`gpu1`), where it is one of the recipe's parts.
pub fn part_command(named: &NamedRecipe, part_folder: &str) -> Option<String> {
    let index = named.recipe.part_of_folder(part_folder)?;
    Some(figure_command(named, Some(index), Engine::Real))
}

/// Every command that makes the recipe's data: one per part, each with its machine; where the
/// parts run on different machines, the pack and merge that bring them together.
pub fn run_steps(named: &NamedRecipe, machines: &Machines, engine: Engine<'_>) -> Vec<Step> {
    let Some(split) = &named.recipe.split else {
        return vec![Step {
            command: figure_command(named, None, engine),
            note: None,
        }];
    };
    let mut steps = Vec::new();
    let mut hosts = Vec::new();
    for part in &split.parts {
        let folder = format!("{}/{}", named.recipe.folder, split.part_name(part.index));
        let runner = machines.runner_of(&folder);
        let note = match (engine, runner) {
            (Engine::Fake { .. }, _) => Some(part.description.clone()),
            (Engine::Real, Some((name, machine))) => {
                hosts.push(name.to_string());
                Some(format!(
                    "on {name} ({}): {}",
                    machine.hardware(),
                    part.description
                ))
            }
            (Engine::Real, None) => Some(part.description.clone()),
        };
        steps.push(Step {
            command: figure_command(named, Some(part.index), engine),
            note,
        });
    }
    hosts.dedup();
    if let [first, rest @ ..] = hosts.as_slice() {
        for other in rest.iter().filter(|h| *h != first) {
            steps.push(Step {
                command: format!("repro pack --figure {} -o {other}.tar.zst", named.name),
                note: Some(format!("on {other}: its part's results, for {first}")),
            });
            steps.push(Step {
                command: format!("repro merge {other}.tar.zst"),
                note: Some(format!("on {first}: hashes checked, conflicts refused")),
            });
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Project;

    #[test]
    fn split_parts_get_their_machine_and_a_merge() {
        let project = Project::new("/nonexistent-repro-project");
        let named = project.named_recipe("10").unwrap();
        let steps = run_steps(&named, &project.machines().unwrap(), Engine::Real);
        let commands: Vec<&str> = steps.iter().map(|s| s.command.as_str()).collect();
        assert_eq!(
            commands,
            [
                "repro figure 10 --gpu 0",
                "repro figure 10 --gpu 1",
                "repro pack --figure 10 -o n2.tar.zst",
                "repro merge n2.tar.zst"
            ]
        );
        assert!(steps[1].note.as_deref().unwrap().starts_with("on n2 (L40S"));
        let fake = Engine::Fake {
            iterations: 2,
            results: "fake",
        };
        assert_eq!(
            figure_command(&named, Some(1), fake),
            "repro figure 10 --gpu 1 --engine fake --iterations 2 --results fake"
        );
        assert_eq!(
            part_command(&named, "gpu1").unwrap(),
            "repro figure 10 --gpu 1"
        );
    }
}
