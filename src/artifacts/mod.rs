//! The results folder: the paper's layout, run manifests, and writes that never leave a file
//! half written.

pub mod layout;
pub mod lock;
pub mod manifest;
pub mod stage;

use std::io::Write;
use std::path::Path;

/// Write `bytes` to `path` through a temporary file in the same folder, then rename it into
/// place: a reader sees the old file or the new one, never a part.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(layout::TEMP_PREFIX)
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
