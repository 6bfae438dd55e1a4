//! Files repro derives from the logs beside them (the paper's tables), written so that they never
//! replace a file repro did not write: each folder's `manifests/tables.json` records the bytes
//! repro wrote there. A table file that is not recorded (the paper's own, a merged one, a hand
//! edit) is replaced only when the new bytes are the same, or when asked (its old bytes are then
//! kept under `replaced/`). The record also holds what a reader of a table must know that the
//! paper's format has no place for (a log of its runs was cut or crashed).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::layout::MANIFEST_DIR;
use super::replaced::Replaced;
use super::FileRecord;

/// The record's file name inside a folder's `manifests/`.
pub const TABLES_RECORD: &str = "tables.json";
const RECORD_SCHEMA: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    schema: u32,
    files: Vec<FileRecord>,
    /// File name → what its numbers rest on that the file cannot say.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    notes: std::collections::BTreeMap<String, String>,
}

fn record_path(dir: &Path) -> PathBuf {
    dir.join(MANIFEST_DIR).join(TABLES_RECORD)
}

fn read_record(dir: &Path) -> Record {
    std::fs::read(record_path(dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Record>(&bytes).ok())
        .filter(|r| r.schema == RECORD_SCHEMA)
        .unwrap_or_default()
}

/// What happened to one derived file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Written (new, or replacing bytes repro wrote before).
    Written,
    /// The file already held these bytes.
    Unchanged,
    /// The old bytes were not repro's; they were kept under `replaced/` (forced).
    ReplacedForeign { kept: PathBuf },
    /// Not written: the file holds other bytes that repro did not write.
    KeptForeign,
}

/// How a derived file may treat a file repro did not write.
pub struct Policy<'a> {
    /// Replace such a file, keeping its bytes here; `None`: leave it.
    pub replace_foreign: Option<&'a mut Replaced>,
}

/// Write `bytes` to `dir/name` unless that replaces bytes repro did not write there; `note`
/// goes into the record beside it.
pub fn write(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    note: Option<&str>,
    policy: &mut Policy<'_>,
) -> std::io::Result<Written> {
    let path = dir.join(name);
    let mut record = read_record(dir);
    let mut outcome = Written::Written;
    let note_changes = record.notes.get(name).map(String::as_str) != note;
    match std::fs::read(&path) {
        Ok(current) if current == bytes && !note_changes => return Ok(Written::Unchanged),
        Ok(current) if current == bytes => outcome = Written::Unchanged,
        Ok(_) => {
            let ours = record
                .files
                .iter()
                .any(|f| f.path == name && f.matches(dir));
            if !ours {
                let Some(replaced) = policy.replace_foreign.as_deref_mut() else {
                    return Ok(Written::KeptForeign);
                };
                outcome = Written::ReplacedForeign {
                    kept: replaced.copy(&path)?,
                };
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if outcome != Written::Unchanged {
        super::atomic_write(&path, bytes)?;
    }
    match note {
        Some(note) => record.notes.insert(name.to_string(), note.to_string()),
        None => record.notes.remove(name),
    };
    record.schema = RECORD_SCHEMA;
    if outcome != Written::Unchanged {
        record.files.retain(|f| f.path != name);
        record.files.push(FileRecord {
            path: name.to_string(),
            size: bytes.len() as u64,
            blake3: blake3::hash(bytes).to_hex().to_string(),
        });
    }
    let mut json = serde_json::to_vec_pretty(&record).expect("plain data");
    json.push(b'\n');
    super::atomic_write(&record_path(dir), &json)?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leave() -> Policy<'static> {
        Policy {
            replace_foreign: None,
        }
    }

    #[test]
    fn a_foreign_file_is_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("t.json"), "paper").unwrap();
        assert_eq!(
            write(d, "t.json", b"paper", None, &mut leave()).unwrap(),
            Written::Unchanged
        );
        assert_eq!(
            write(d, "t.json", b"other", None, &mut leave()).unwrap(),
            Written::KeptForeign
        );
        assert_eq!(std::fs::read_to_string(d.join("t.json")).unwrap(), "paper");

        let mut replaced = Replaced::new(d);
        let mut force = Policy {
            replace_foreign: Some(&mut replaced),
        };
        let Written::ReplacedForeign { kept } =
            write(d, "t.json", b"other", None, &mut force).unwrap()
        else {
            panic!("not replaced")
        };
        assert_eq!(std::fs::read_to_string(kept).unwrap(), "paper");
        assert_eq!(std::fs::read_to_string(d.join("t.json")).unwrap(), "other");
        // Now the bytes are repro's: the next write replaces them without asking.
        assert_eq!(
            write(d, "t.json", b"third", None, &mut leave()).unwrap(),
            Written::Written
        );
        // A hand edit of repro's file makes it foreign again.
        std::fs::write(d.join("t.json"), "edited").unwrap();
        assert_eq!(
            write(d, "t.json", b"fourth", None, &mut leave()).unwrap(),
            Written::KeptForeign
        );
    }
}
