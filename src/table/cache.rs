//! What the paper's parser and the cut/crash check make of a log, kept by the blake3 hash of
//! the log's bytes in one file per folder, `<folder>/.repro-cache/parse.v<PARSER_VERSION>`
//! ([`PARSE_CACHE_FILE`]), so re-tabling a folder after one more run parses one log.
//!
//! A cache never changes a table: an entry is found by the hash of the very bytes that would
//! be parsed, under [`PARSER_VERSION`] (raise it whenever what a parser gives may change), and
//! the file carries the hash of its own text: a file that is missing, unreadable, of another
//! version or damaged anywhere is ignored as a whole and written again. Logs the parser refuses
//! are not kept (they are rare, and their error names the log). The file is read once when a
//! command starts and written once when it ends, where a log was parsed, through a temporary
//! file and a rename, without the fsync of a table: a crash can lose the pass's new entries,
//! never half-write a file that passes the check. Two commands tabling under one folder at once
//! each write what they knew; the one that renames last wins, the other's entries are parsed
//! again next time.
//!
//! Why one file and not one a log (bench/RESULTS.md, 2026-12-07): a log costs ~0.25 ms of CPU
//! to parse and its hash ~0.01 ms; an entry file of its own cost a create, a write and a
//! rename, which on the first pass took more system time than the parse saved.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::artifacts::layout::{PARSE_CACHE_FILE, TEMP_PREFIX};
use crate::num::Num;
use crate::parse::{Completeness, ParsedLog, Stage, StageTimings};

/// Raised whenever `parse::parse_text` or `parse::completeness` may give another answer.
pub const PARSER_VERSION: u32 = 1;

const MAGIC: &str = "repro parse cache";

/// A log's parse, as the table needs it.
pub type Parsed = (ParsedLog, Completeness);

/// The key of a log: the blake3 hash of its bytes.
pub type LogHash = blake3::Hash;

/// The cache of one folder (the results folder, or a tree's root), read when opened.
#[derive(Debug)]
pub struct ParseCache {
    file: PathBuf,
    known: HashMap<LogHash, Parsed>,
    added: Mutex<Vec<(LogHash, Parsed)>>,
}

impl ParseCache {
    /// The cache under `root`, with what its file holds (nothing where there is no sound one).
    pub fn open(root: &Path) -> ParseCache {
        let file = root.join(format!("{PARSE_CACHE_FILE}.v{PARSER_VERSION}"));
        let known = std::fs::read(&file)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| decode(&text))
            .unwrap_or_default();
        ParseCache {
            file,
            known,
            added: Mutex::new(Vec::new()),
        }
    }

    /// The file the cache is kept in.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// How many logs the file held when opened.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether the file held nothing sound when opened.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The parse of a log whose bytes hash to `hash`, where the cache has one.
    pub fn get(&self, hash: &LogHash) -> Option<Parsed> {
        self.known.get(hash).cloned()
    }

    /// Keep `parsed` for `hash`, written by [`ParseCache::save`].
    pub fn put(&self, hash: LogHash, parsed: &Parsed) {
        let mut added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        added.push((hash, parsed.clone()));
    }

    /// Write the file where logs were parsed since it was opened: what it held and what was
    /// added. A write that fails is left (the next pass parses again); it is returned for
    /// whoever wants to say so.
    pub fn save(&self) -> std::io::Result<bool> {
        let added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        if added.is_empty() {
            return Ok(false);
        }
        let mut entries: Vec<(&LogHash, &Parsed)> = self.known.iter().collect();
        entries.extend(
            added
                .iter()
                .filter(|(hash, _)| !self.known.contains_key(hash))
                .map(|(hash, parsed)| (hash, parsed)),
        );
        // Sorted, so the same entries make the same file.
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        entries.dedup_by(|a, b| a.0 == b.0);
        let dir = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut tmp = crate::artifacts::temp_file_in(dir, TEMP_PREFIX)?;
        std::io::Write::write_all(&mut tmp, encode(&entries).as_bytes())?;
        tmp.persist(&self.file).map_err(|e| e.error)?;
        Ok(true)
    }
}

/// The caches of several folders, one a root, opened once for a whole command.
#[derive(Debug, Default)]
pub struct ParseCaches {
    by_root: HashMap<PathBuf, ParseCache>,
}

impl ParseCaches {
    /// The caches of `roots` (each opened once, however often it is named).
    pub fn open<'a>(roots: impl IntoIterator<Item = &'a Path>) -> ParseCaches {
        let mut by_root = HashMap::new();
        for root in roots {
            by_root
                .entry(root.to_path_buf())
                .or_insert_with(|| ParseCache::open(root));
        }
        ParseCaches { by_root }
    }

    /// The cache of `root`, where it was opened.
    pub fn of(&self, root: &Path) -> Option<&ParseCache> {
        self.by_root.get(root)
    }

    /// Write every cache a log was added to; the files that could not be written.
    pub fn save(&self) -> Vec<(PathBuf, std::io::Error)> {
        self.by_root
            .values()
            .filter_map(|cache| cache.save().err().map(|e| (cache.file.clone(), e)))
            .collect()
    }
}

/// The hash a log is kept under.
pub fn hash_of(bytes: &[u8]) -> LogHash {
    blake3::hash(bytes)
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

/// The file's text: a header line, one line an entry (tab-separated fields: JSON never holds
/// a raw tab or line break), and last the hash of all before it.
fn encode(entries: &[(&LogHash, &Parsed)]) -> String {
    let mut body = format!("{MAGIC} {PARSER_VERSION}\n");
    for (hash, (log, completeness)) in entries {
        let stages: Vec<String> = log.stages.iter().map(|(_, v)| num(v)).collect();
        let fields = [
            hash.to_hex().to_string(),
            stages.join(" "),
            num(log.initialize_engine.map(Num::Float)),
            json(&log.vllm_version),
            json(&completeness.complete),
            json(&completeness.reason),
            json(&completeness.error_line),
            json(&completeness.error),
        ];
        body.push_str(&fields.join("\t"));
        body.push('\n');
    }
    let check = blake3::hash(body.as_bytes()).to_hex();
    format!("{body}{check}\n")
}

fn decode(text: &str) -> Option<HashMap<LogHash, Parsed>> {
    let text = text.strip_suffix('\n')?;
    let (body, check) = text.rsplit_once('\n')?;
    let body = &text[..body.len() + 1];
    if blake3::hash(body.as_bytes()).to_hex().as_str() != check {
        return None;
    }
    let mut lines = body.lines();
    if lines.next()? != format!("{MAGIC} {PARSER_VERSION}") {
        return None;
    }
    lines.map(decode_entry).collect()
}

fn decode_entry(line: &str) -> Option<(LogHash, Parsed)> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [key, stages, init, version, complete, reason, error_line, error] = fields[..] else {
        return None;
    };
    let hash = LogHash::from_hex(key).ok()?;
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
    Some((hash, (log, completeness)))
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

    fn entries(cache: &ParseCache) -> usize {
        cache.len()
    }

    #[test]
    fn an_entry_comes_back_bit_for_bit_after_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ParseCache::open(dir.path());
        let hash = hash_of(b"a log");
        assert!(cache.get(&hash).is_none());
        assert!(!cache.save().unwrap(), "nothing added, nothing written");
        assert!(!cache.file().exists());
        cache.put(hash, &parsed());
        cache.put(hash, &parsed());
        assert!(cache.save().unwrap());
        let again = ParseCache::open(dir.path());
        assert_eq!(entries(&again), 1);
        assert!(same(&again.get(&hash).unwrap(), &parsed()));
        // A second log added keeps the first.
        let other = hash_of(b"another log");
        again.put(other, &parsed());
        again.save().unwrap();
        let third = ParseCache::open(dir.path());
        assert_eq!(entries(&third), 2);
        assert!(third.get(&hash).is_some() && third.get(&other).is_some());
    }

    #[test]
    fn a_damaged_or_foreign_file_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ParseCache::open(dir.path());
        let hash = hash_of(b"a log");
        cache.put(hash, &parsed());
        cache.save().unwrap();
        let path = cache.file().to_path_buf();
        let good = std::fs::read_to_string(&path).unwrap();
        let flipped = good.replacen("i0", "i1", 1);
        let other_key = good.replacen(&hash.to_hex().to_string(), &hash_of(b"x").to_hex(), 1);
        let other_version = good.replacen(&format!("cache {PARSER_VERSION}"), "cache 0", 1);
        for bad in [
            &good[..good.len() / 2],
            "",
            "\n",
            &flipped,
            &other_key,
            &other_version,
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(ParseCache::open(dir.path()).is_empty(), "{bad:?}");
        }
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(ParseCache::open(dir.path()).is_empty());
    }

    #[test]
    fn caches_are_opened_once_a_root() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let caches = ParseCaches::open([a.as_path(), b.as_path(), a.as_path()]);
        assert_eq!(caches.by_root.len(), 2);
        caches.of(&a).unwrap().put(hash_of(b"log"), &parsed());
        assert!(caches.save().is_empty());
        assert!(caches.of(&a).unwrap().file().is_file());
        assert!(!caches.of(&b).unwrap().file().exists());
    }
}
