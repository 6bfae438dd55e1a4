//! Any `benchmarks/<name>.toml`, by its shape: a top-level `kind` (`"offline"`) makes an offline
//! benchmark (`recipe::offline`), `[[tenant]]`s a tenants benchmark (`recipe::tenants`),
//! anything else a one-server benchmark (`recipe::bench`).

use std::path::{Path, PathBuf};

use crate::config::ConfigError;
use crate::recipe::bench::{self, BenchRecipe};
use crate::recipe::offline::OfflineRecipe;
use crate::recipe::tenants::TenantsRecipe;

/// The shipped benchmarks beyond `recipe::bench::BUILTIN`'s.
pub const SHIPPED: [(&str, &str); 5] = [
    (
        "mock-multitenant",
        include_str!("../../benchmarks/mock-multitenant.toml"),
    ),
    (
        "mock-engines",
        include_str!("../../benchmarks/mock-engines.toml"),
    ),
    (
        "cpu-multitenant",
        include_str!("../../benchmarks/cpu-multitenant.toml"),
    ),
    (
        "cpu-offline",
        include_str!("../../benchmarks/cpu-offline.toml"),
    ),
    (
        "cpu-priority",
        include_str!("../../benchmarks/cpu-priority.toml"),
    ),
];

/// A benchmark recipe of any kind.
// A command holds a few of these, never many: their sizes need no boxing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Benchmark {
    /// One server, one workload.
    Serve(BenchRecipe),
    /// Several servers at once on one device.
    Tenants(TenantsRecipe),
    /// `LLM.generate` without a server.
    Offline(OfflineRecipe),
}

impl Benchmark {
    pub fn title(&self) -> &str {
        match self {
            Benchmark::Serve(r) => &r.title,
            Benchmark::Tenants(r) => &r.title,
            Benchmark::Offline(r) => &r.title,
        }
    }

    /// Parse a recipe of either kind.
    pub fn parse(path: &Path, text: &str) -> Result<Benchmark, ConfigError> {
        let table: Option<toml::Table> = toml::from_str(text).ok();
        let has = |key: &str| table.as_ref().is_some_and(|t| t.contains_key(key));
        if has("kind") {
            Ok(Benchmark::Offline(OfflineRecipe::parse(path, text)?))
        } else if has("tenant") {
            Ok(Benchmark::Tenants(TenantsRecipe::parse(path, text)?))
        } else {
            Ok(Benchmark::Serve(BenchRecipe::parse(path, text)?))
        }
    }
}

/// A benchmark that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BenchmarkError {
    #[error("no benchmark `{name}`{did_you_mean}: expected `{}` or a shipped one ({})", path.display(), shipped_names().join(", "))]
    NotFound {
        name: String,
        path: PathBuf,
        /// ` (did you mean `mock-serve`?)`, or empty.
        did_you_mean: String,
    },
    #[error("no benchmark recipe `{}`: no such file (a name without `.toml` is looked up in benchmarks/ and the shipped ones)", path.display())]
    NoFile { path: PathBuf },
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn shipped() -> impl Iterator<Item = (&'static str, &'static str)> {
    bench::BUILTIN.into_iter().chain(SHIPPED)
}

fn shipped_names() -> Vec<&'static str> {
    shipped().map(|(n, _)| n).collect()
}

/// A benchmark named as `repro bench` takes it: a path to a recipe file (`….toml`, or any
/// existing file named with a `/`), whose name is its file stem, else a name for [`load`].
pub fn load_named(dir: &Path, word: &str) -> Result<(String, Benchmark), BenchmarkError> {
    let path = Path::new(word);
    let is_path = word.ends_with(".toml") || (word.contains('/') && path.is_file());
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    match stem {
        Some(name) if is_path => {
            if !path.is_file() {
                return Err(BenchmarkError::NoFile {
                    path: path.to_path_buf(),
                });
            }
            Ok((name, read(path)?))
        }
        _ => Ok((word.to_string(), load(dir, word)?)),
    }
}

/// Read and parse a recipe file.
fn read(path: &Path) -> Result<Benchmark, BenchmarkError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Benchmark::parse(path, &text)?)
}

/// Load `<dir>/<name>.toml`, or the shipped recipe of that name.
pub fn load(dir: &Path, name: &str) -> Result<Benchmark, BenchmarkError> {
    let path = dir.join(format!("{name}.toml"));
    if path.is_file() {
        return read(&path);
    }
    match shipped().find(|(b, _)| *b == name) {
        Some((_, text)) => Ok(Benchmark::parse(
            Path::new(&format!("<builtin>/benchmarks/{name}.toml")),
            text,
        )?),
        None => {
            let names = available(dir);
            Err(BenchmarkError::NotFound {
                name: name.to_string(),
                path,
                did_you_mean: crate::suggest::did_you_mean(name, names.iter().map(String::as_str)),
            })
        }
    }
}

/// Names of every shipped benchmark and of `<dir>/*.toml`, sorted, without duplicates.
pub fn available(dir: &Path) -> Vec<String> {
    let mut names = bench::available(dir);
    names.extend(SHIPPED.iter().map(|s| s.0.to_string()));
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_benchmark_parses_as_its_kind() {
        for (name, _) in shipped() {
            let b = load(Path::new("/nonexistent"), name).unwrap();
            let tenants = matches!(b, Benchmark::Tenants(_));
            let several = name.contains("multitenant") || name.contains("engines");
            assert_eq!(tenants, several, "{name}");
            let offline = matches!(b, Benchmark::Offline(_));
            assert_eq!(offline, name.contains("offline"), "{name}");
        }
        let err = load(Path::new("/nonexistent"), "nope")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mock-multitenant"), "{err}");
    }

    #[test]
    fn a_recipe_file_is_named_by_its_stem() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("my-tenants.toml");
        let (_, text) = shipped().find(|(n, _)| *n == "mock-multitenant").unwrap();
        std::fs::write(&file, text).unwrap();
        let (name, b) = load_named(Path::new("/nonexistent"), file.to_str().unwrap()).unwrap();
        assert_eq!(name, "my-tenants");
        assert!(matches!(b, Benchmark::Tenants(_)));
        let (name, _) = load_named(Path::new("/nonexistent"), "mock-capacity").unwrap();
        assert_eq!(name, "mock-capacity");
        let missing = dir.path().join("gone.toml");
        let err = load_named(Path::new("/nonexistent"), missing.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("gone.toml"), "{err}");
    }
}
