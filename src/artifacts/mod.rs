//! The results folder: the paper's layout, run manifests, and writes that never leave a file
//! half written.

pub mod derived;
pub mod inventory;
pub mod key;
pub mod layout;
pub mod lock;
pub mod machine;
pub mod manifest;
pub mod origins;
pub mod replaced;
pub mod stage;

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A temporary file in `dir` whose name starts with `prefix`, created with the mode every other
/// file gets (0666 less the umask): `tempfile` makes them private (0600) by default, and results
/// are meant to be read by colleagues on a shared filesystem once renamed into place.
pub fn temp_file_in(dir: &Path, prefix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix(prefix)
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

/// Write `bytes` to `path` through a temporary file in the same folder, then rename it into
/// place: a reader sees the old file or the new one, never a part.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = temp_file_in(dir, layout::TEMP_PREFIX)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The blake3 hash of a file, hex.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// A file as a manifest records it: where (relative to the folder the manifest describes), how
/// big, and its bytes' hash. A record binds provenance to bytes: a file whose size or hash
/// differs from its record is not the file that was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    pub size: u64,
    pub blake3: String,
}

impl FileRecord {
    /// The record of `dir/rel` as it is now.
    pub fn of(dir: &Path, rel: &str) -> std::io::Result<FileRecord> {
        let path = dir.join(rel);
        Ok(FileRecord {
            path: rel.to_string(),
            size: std::fs::metadata(&path)?.len(),
            blake3: hash_file(&path)?,
        })
    }

    /// Whether `dir/<path>` still holds the recorded bytes (the size is compared first, so a
    /// changed file is usually found without reading it).
    pub fn matches(&self, dir: &Path) -> bool {
        let path = dir.join(&self.path);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() == self.size => {
                hash_file(&path).is_ok_and(|hash| hash == self.blake3)
            }
            _ => false,
        }
    }
}

/// The last `lines` lines of a log (empty where it cannot be read), for error messages. Only
/// the end of the file is read: a server or engine log can be large.
pub fn tail_lines(path: &Path, lines: usize) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut bytes = Vec::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
        let _ = file.read_to_end(&mut bytes);
    }
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}
