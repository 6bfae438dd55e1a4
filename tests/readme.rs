//! The README's commands, read as a new user in a fresh clone runs them: every file they name is
//! there, real CPU runs go to `cpu/`, and what they write into the project is ignored by git.

use std::path::Path;
use std::process::Command;

/// The README's `sh` blocks from "Without a GPU" on (the part that runs as written in a fresh
/// clone), one command a line, comments and continuations joined.
fn runnable_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let from = readme
        .find("## Without a GPU")
        .expect("the README has its section `Without a GPU`");
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut heredoc: Option<String> = None;
    let mut pending = String::new();
    for line in readme[from..].lines() {
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            continue;
        }
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let code = line.split(" #").next().unwrap_or(line).trim_end();
        if code.trim_start().starts_with('#') || code.trim().is_empty() {
            continue;
        }
        if let Some(at) = code.find("<<'") {
            heredoc = code[at + 3..].split('\'').next().map(str::to_string);
        }
        pending.push_str(code.trim_end_matches('\\'));
        if code.ends_with('\\') {
            pending.push(' ');
            continue;
        }
        commands.push(std::mem::take(&mut pending));
    }
    assert!(commands.len() > 30, "{commands:?}");
    commands
}

#[test]
fn every_file_the_readme_names_ships_with_repro() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for command in runnable_commands() {
        assert!(
            !command.contains("../shared"),
            "`{command}` names ../shared, which only a development checkout has"
        );
        for word in command.split_whitespace() {
            if [
                "examples/",
                "tests/fixtures/",
                "benchmarks/",
                "data/published",
            ]
            .iter()
            .any(|p| word.starts_with(p))
            {
                assert!(
                    root.join(word).exists(),
                    "`{command}` names `{word}`, which a fresh clone does not have"
                );
            }
        }
    }
}

#[test]
fn real_cpu_runs_go_to_their_own_folder() {
    for command in runnable_commands() {
        let real_cpu = command.contains("repro figure")
            && command.contains("--device cpu")
            && !command.contains("--engine fake");
        assert!(
            !real_cpu || command.contains("--results cpu"),
            "`{command}`: a real CPU run writes beside the paper's data in results/; give it `--results cpu`"
        );
    }
}

/// `git status` after the README shows nothing to commit but the user's own recipes.
#[test]
fn what_the_readme_writes_into_the_project_is_ignored_by_git() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = Command::new("git").arg("--version").output();
    if git.is_err() || !root.join(".git").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs in a git clone with git installed"
        );
        eprintln!("SKIPPED: git or the checkout's .git is missing: cannot ask git what it ignores");
        return;
    }
    let mut written = vec!["models/qwen-0.5b".to_string(), "kick-the-tires".to_string()];
    for command in runnable_commands() {
        let words: Vec<&str> = command.split_whitespace().collect();
        for pair in words.windows(2) {
            if ["--results", "--out", "--dir", "-o"].contains(&pair[0]) {
                written.push(pair[1].trim_end_matches('/').to_string());
            }
        }
    }
    for path in written {
        // Recipes are the user's to keep; `DIR` is a placeholder in prose.
        if path.starts_with("figures/") || path == "DIR" || path.starts_with('/') {
            continue;
        }
        let ignored = Command::new("git")
            .args(["check-ignore", "-q", "--no-index", &path])
            .current_dir(root)
            .status()
            .unwrap();
        assert!(
            ignored.success(),
            "the README writes `{path}` into the project, and .gitignore does not list it"
        );
    }
}
