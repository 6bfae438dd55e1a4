//! `repro startup PATH…` (per group and phase: median, spread, tag; a timeline picture) and
//! `repro startup compare BASE NEW` (a verdict per phase; exit 1 on a regression).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::render::{self, Format};
use repro::startup::{self, compare, group, picture, trend, Collected, Group};

use super::Output;
use crate::cli::{StartupAction, StartupArgs, StartupCompareArgs};

pub fn run(args: StartupArgs, out: Output) -> anyhow::Result<ExitCode> {
    if let Some(StartupAction::Compare(c)) = args.action {
        return run_compare(c, out);
    }
    let paths = resolve(&args.paths, &args.results, &out)?;
    let collected = read(&paths, &out)?;
    let groups = startup::groups(&collected.runs);
    // The picture's arguments are checked before anything is printed.
    let picture = match &args.picture {
        Some(path) => {
            let format = picture_format(path, args.dpi)?;
            let g = pick(&groups, args.group.as_deref())?;
            let chart =
                picture::timeline(g, &collected.runs, args.run).map_err(anyhow::Error::msg)?;
            Some((path, format, chart))
        }
        None => None,
    };
    let trend = match &args.trend {
        Some(path) => {
            let format = picture_format(path, args.dpi)?;
            let t = trend::trend(&groups).with_context(|| {
                format!(
                    "--trend `{}`: the runs are of {} vLLM version(s); a trend needs two or more",
                    path.display(),
                    groups
                        .iter()
                        .filter_map(|g| g.config.vllm.as_deref())
                        .collect::<std::collections::BTreeSet<_>>()
                        .len()
                )
            })?;
            Some((path, format, t))
        }
        None => None,
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        stdout.write_all(&json(&groups, &collected)?)?;
    } else {
        stdout.write_all(group::table(&groups).as_bytes())?;
    }
    if let Some((path, format, t)) = trend {
        if !args.json {
            stdout.write_all(format!("\n{}", trend::table(&t)).as_bytes())?;
        }
        let bytes = render::render_with_banner(&t, format, None)?;
        // Through a rename: a picture is either whole or not there.
        repro::artifacts::atomic_write(path, &bytes)
            .with_context(|| format!("writing `{}`", path.display()))?;
        if !out.quiet {
            eprintln!("wrote {} ({})", path.display(), t.title);
        }
    }
    if let Some((path, format, chart)) = picture {
        let bytes = render::render_with_banner(&chart, format, None)?;
        // Through a rename: a picture is either whole or not there.
        repro::artifacts::atomic_write(path, &bytes)
            .with_context(|| format!("writing `{}`", path.display()))?;
        if !out.quiet {
            eprintln!("wrote {} ({})", path.display(), chart.title);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Each path as it is where it exists; else a figure, recipe or `all`: its folder(s) under
/// `results`.
fn resolve(paths: &[PathBuf], results: &Path, out: &Output) -> anyhow::Result<Vec<PathBuf>> {
    let mut resolved = Vec::new();
    for path in paths {
        let word = path.to_string_lossy();
        if path.exists() || word.contains('/') {
            resolved.push(path.clone());
            continue;
        }
        let found = repro::table::folders::data_folders(&out.project, results, &word)
            .with_context(|| format!("`{word}` is no file or folder, nor a figure's folder"))?;
        resolved.extend(found.folders.into_iter().map(|f| f.dir));
    }
    Ok(resolved)
}

/// The runs under the paths; refused files are warnings (the others go on).
fn read(paths: &[PathBuf], out: &Output) -> anyhow::Result<Collected> {
    let collected = startup::collect(paths)?;
    if !out.quiet {
        for (file, why) in &collected.refused {
            eprintln!("warning: `{}` left out: {why}", file.display());
        }
    }
    Ok(collected)
}

fn json(groups: &[Group], c: &Collected) -> anyhow::Result<Vec<u8>> {
    let refused: Vec<serde_json::Value> = c
        .refused
        .iter()
        .map(|(f, why)| serde_json::json!({ "path": f.display().to_string(), "error": why }))
        .collect();
    let value = serde_json::json!({
        "schema": "repro startup; docs/startup.md",
        "schema_version": startup::SCHEMA_VERSION,
        "groups": groups,
        "refused": refused,
    });
    let mut bytes = serde_json::to_vec_pretty(&value).context("writing JSON")?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The group `--group` names: its id, or the one group whose id contains the text; without
/// `--group`, the only group.
fn pick<'a>(groups: &'a [Group], word: Option<&str>) -> anyhow::Result<&'a Group> {
    let matching: Vec<&Group> = match word {
        Some(w) => match groups.iter().find(|g| g.id == w) {
            Some(g) => vec![g],
            None => groups.iter().filter(|g| g.id.contains(w)).collect(),
        },
        None => groups.iter().collect(),
    };
    match matching.as_slice() {
        [one] => Ok(one),
        [] => bail!(
            "no group's id contains `{}`; the groups: {}",
            word.unwrap_or(""),
            ids(groups)
        ),
        several => bail!(
            "--picture draws one group and {} match{}: name one with --group (its id, or a part only it has): {}",
            several.len(),
            if word.is_some() { " it" } else { "" },
            ids(several.iter().copied())
        ),
    }
}

fn ids<'a>(groups: impl IntoIterator<Item = &'a Group>) -> String {
    let all: Vec<&str> = groups.into_iter().map(|g| g.id.as_str()).collect();
    let shown: Vec<&str> = all.iter().take(12).copied().collect();
    let more = all.len().saturating_sub(shown.len());
    let mut text = shown.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

fn picture_format(path: &Path, dpi: u32) -> anyhow::Result<Format> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("pdf") => Ok(Format::Pdf),
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png { dpi }),
        _ => bail!(
            "--picture `{}`: the picture is a .pdf, .svg or .png file",
            path.display()
        ),
    }
}

fn run_compare(args: StartupCompareArgs, out: Output) -> anyhow::Result<ExitCode> {
    if !(args.fail_over >= 0.0 && args.fail_over.is_finite()) {
        bail!(
            "--fail-over {}: a percentage of 0 or more (10 for 10 %)",
            args.fail_over
        );
    }
    if !(args.min_diff >= 0.0 && args.min_diff.is_finite()) {
        bail!("--min-diff {}: seconds, 0 or more", args.min_diff);
    }
    let base = read(std::slice::from_ref(&args.base), &out)
        .with_context(|| format!("reading BASE `{}`", args.base.display()))?;
    let new = read(std::slice::from_ref(&args.new), &out)
        .with_context(|| format!("reading NEW `{}`", args.new.display()))?;
    let options = compare::Options {
        fail_over: args.fail_over / 100.0,
        min_diff_s: args.min_diff,
    };
    let c = compare::compare(
        &startup::groups(&base.runs),
        &startup::groups(&new.runs),
        &options,
    );
    if c.pairs.is_empty() {
        bail!(
            "no group of BASE pairs with one of NEW (groups pair by label: the log's name, or a benchmark run's folder); BASE has {}, NEW has {}",
            c.unpaired_base.join(", "),
            c.unpaired_new.join(", ")
        );
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let mut value = serde_json::json!({
            "schema": "repro startup compare; docs/startup.md",
            "schema_version": startup::SCHEMA_VERSION,
            "base": args.base.display().to_string(),
            "new": args.new.display().to_string(),
        });
        if let (Some(map), serde_json::Value::Object(fields)) =
            (value.as_object_mut(), serde_json::to_value(&c)?)
        {
            map.extend(fields);
        }
        let mut bytes = serde_json::to_vec_pretty(&value).context("writing JSON")?;
        bytes.push(b'\n');
        stdout.write_all(&bytes)?;
    } else {
        stdout.write_all(compare::table(&c).as_bytes())?;
    }
    // CI reads the status: 1 where a phase got slower beyond the noise.
    Ok(if c.regressions.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(repro::exit::FAILURE)
    })
}
