//! What the paper's parser and the cut/crash check make of a log, kept by the blake3 hash of
//! the log's bytes under `<folder>/.repro-cache/parse/` ([`PARSE_CACHE_DIR`]), so re-tabling a
//! folder after one more run parses one log.
//!
//! A cache never changes a table: an entry is found by the hash of the very bytes that would
//! be parsed, under [`PARSER_VERSION`] (raise it whenever what a parser gives may change), it
//! carries the hash of its own text, and an entry that is missing, unreadable, of another
//! version or corrupt is ignored and written again. Logs the parser refuses are not kept (they
//! are rare, and their error names the log). Entries are written through a temporary file and
//! a rename, without the fsync of a table: a crash can lose an entry, never half-write one
//! that passes the checks.
//!
//! Why it pays (bench/RESULTS.md, 2026-12-07): a log costs ~0.25 ms of CPU to parse, its hash
//! ~0.01 ms, and an entry's read ~0.02 ms; the first pass pays the entries' writes.

use std::path::{Path, PathBuf};

use crate::artifacts::layout::{PARSE_CACHE_DIR, TEMP_PREFIX};
use crate::num::Num;
use crate::parse::{Completeness, ParsedLog, Stage, StageTimings};

/// Raised whenever `parse::parse_text` or `parse::completeness` may give another answer.
pub const PARSER_VERSION: u32 = 1;

const MAGIC: &str = "repro parse cache";

/// The cache of one folder (the results folder, or a tree's root).
#[derive(Debug, Clone)]
pub struct ParseCache {
    dir: PathBuf,
}

/// A log's parse, as the table needs it.
pub type Parsed = (ParsedLog, Completeness);

impl ParseCache {
    /// The cache under `root`.
    pub fn under(root: &Path) -> ParseCache {
        ParseCache {
            dir: root.join(PARSE_CACHE_DIR),
        }
    }

    fn entry(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("{hash}.v{PARSER_VERSION}"))
    }

    /// The entry for a log whose bytes hash to `hash`, where a sound one is there.
    pub fn get(&self, hash: &str) -> Option<Parsed> {
        let text = std::fs::read_to_string(self.entry(hash)).ok()?;
        decode(&text, hash)
    }

    /// Keep `parsed` for `hash`; a write that fails is left (the next pass parses again).
    pub fn put(&self, hash: &str, parsed: &Parsed) {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let mut tmp = crate::artifacts::temp_file_in(&self.dir, TEMP_PREFIX)?;
            std::io::Write::write_all(&mut tmp, encode(hash, parsed).as_bytes())?;
            tmp.persist(self.entry(hash)).map_err(|e| e.error)?;
            Ok(())
        };
        let _ = write();
    }
}

/// The hash a log is kept under.
pub fn hash_of(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

fn num(value: Option<Num>) -> String {
    match value {
        None => "-".into(),
        Some(Num::Int(i)) => format!("i{i}"),
        // The bits, so the value comes back exactly.
        Some(Num::Float(f)) => format!("f{:016x}", f.to_bits()),
    }
}

fn parse_num(token: &str) -> Option<Option<Num>> {
    if token == "-" {
        return Some(None);
    }
    let (kind, rest) = token.split_at_checked(1)?;
    match kind {
        "i" => rest.parse().ok().map(|i| Some(Num::Int(i))),
        "f" => u64::from_str_radix(rest, 16)
            .ok()
            .map(|bits| Some(Num::Float(f64::from_bits(bits)))),
        _ => None,
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The entry's text: one field a line, the last the hash of the others.
fn encode(hash: &str, (log, completeness): &Parsed) -> String {
    let stages: Vec<String> = log.stages.iter().map(|(_, v)| num(v)).collect();
    let body = [
        format!("{MAGIC} {PARSER_VERSION}"),
        hash.to_string(),
        stages.join(" "),
        num(log.initialize_engine.map(Num::Float)),
        json(&log.vllm_version),
        json(&completeness.complete),
        json(&completeness.reason),
        json(&completeness.error_line),
        json(&completeness.error),
    ]
    .join("\n");
    let check = hash_of(body.as_bytes());
    format!("{body}\n{check}\n")
}

fn decode(text: &str, hash: &str) -> Option<Parsed> {
    let text = text.strip_suffix('\n')?;
    let (body, check) = text.rsplit_once('\n')?;
    if hash_of(body.as_bytes()) != check {
        return None;
    }
    let fields: Vec<&str> = body.split('\n').collect();
    let [magic, key, stages, init, version, complete, reason, error_line, error] = fields[..]
    else {
        return None;
    };
    if magic != format!("{MAGIC} {PARSER_VERSION}") || key != hash {
        return None;
    }
    let values: Vec<Option<Num>> = stages.split(' ').map(parse_num).collect::<Option<_>>()?;
    if values.len() != Stage::COUNT {
        return None;
    }
    let mut timings = StageTimings::default();
    for (stage, value) in Stage::ALL.into_iter().zip(values) {
        timings.set(stage, value);
    }
    let initialize_engine = match parse_num(init)? {
        None => None,
        Some(Num::Float(f)) => Some(f),
        Some(Num::Int(_)) => return None,
    };
    let log = ParsedLog {
        stages: timings,
        initialize_engine,
        vllm_version: serde_json::from_str(version).ok()?,
    };
    let completeness = Completeness {
        complete: serde_json::from_str(complete).ok()?,
        reason: serde_json::from_str(reason).ok()?,
        error_line: serde_json::from_str(error_line).ok()?,
        error: serde_json::from_str(error).ok()?,
    };
    Some((log, completeness))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed() -> Parsed {
        let mut stages = StageTimings::default();
        stages.set(Stage::TotalTime, Some(Num::ZERO));
        stages.set(Stage::LoadWeights, Some(Num::Float(0.1 + 0.2)));
        stages.set(Stage::ModelLoading, Some(Num::Float(-0.0)));
        let log = ParsedLog {
            stages,
            initialize_engine: Some(26.18),
            vllm_version: Some("0.10.1.1".into()),
        };
        let completeness = Completeness {
            complete: false,
            reason: "crashed at line 8 (\"RuntimeError\")\nx".into(),
            error_line: Some(8),
            error: None,
        };
        (log, completeness)
    }

    fn same(a: &Parsed, b: &Parsed) -> bool {
        let bits = |p: &Parsed| -> Vec<String> { p.0.stages.iter().map(|(_, v)| num(v)).collect() };
        bits(a) == bits(b)
            && a.0.initialize_engine.map(f64::to_bits) == b.0.initialize_engine.map(f64::to_bits)
            && a.0.vllm_version == b.0.vllm_version
            && a.1 == b.1
    }

    #[test]
    fn an_entry_comes_back_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ParseCache::under(dir.path());
        let hash = hash_of(b"a log");
        assert!(cache.get(&hash).is_none());
        cache.put(&hash, &parsed());
        assert!(same(&cache.get(&hash).unwrap(), &parsed()));
    }

    #[test]
    fn a_damaged_or_foreign_entry_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ParseCache::under(dir.path());
        let hash = hash_of(b"a log");
        cache.put(&hash, &parsed());
        let path = cache.entry(&hash);
        let good = std::fs::read_to_string(&path).unwrap();
        let flipped = good.replacen("i0", "i1", 1);
        let other_key = good.replacen(&hash, &hash_of(b"other"), 1);
        for bad in [&good[..good.len() / 2], "", "\n", &flipped, &other_key] {
            std::fs::write(&path, bad).unwrap();
            assert!(cache.get(&hash).is_none(), "{bad:?}");
        }
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(cache.get(&hash).is_none());
    }
}
