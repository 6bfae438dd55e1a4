//! Cold SSD loads (figure 13, case 1): drop a model's files from the page cache before a run
//! with `posix_fadvise(POSIX_FADV_DONTNEED)` (no root needed), then check with `mmap` +
//! `mincore` that no page is resident. The global `/proc/sys/vm/drop_caches` (what the paper
//! did, with sudo) is only written on explicit request.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::artifacts::manifest::EvictionRecord;

/// Page-cache eviction that could not be done or verified.
#[derive(Debug, thiserror::Error)]
pub enum EvictError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` does not exist: fetch the model first (`repro models fetch`) or pass --models-dir", .0.display())]
    Missing(PathBuf),
    #[error("`{}`: {resident} of {total} pages still in the page cache after eviction (the filesystem may ignore POSIX_FADV_DONTNEED; try --drop-caches as root)", path.display())]
    StillResident {
        path: PathBuf,
        resident: u64,
        total: u64,
    },
    #[error("cannot write /proc/sys/vm/drop_caches ({0}): --drop-caches needs root")]
    DropCaches(std::io::Error),
}

/// How much of some files is in the page cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Residency {
    pub files: u64,
    pub bytes: u64,
    pub pages: u64,
    pub resident_pages: u64,
}

impl std::ops::AddAssign for Residency {
    fn add_assign(&mut self, other: Residency) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.pages += other.pages;
        self.resident_pages += other.resident_pages;
    }
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}

crate::io_adapter!(fn io_error -> EvictError);

/// Resident pages of one file, by `mincore` on a read-only mapping of it.
pub fn file_residency(path: &Path) -> Result<Residency, EvictError> {
    let file = File::open(path).map_err(io_error(path))?;
    let len = file.metadata().map_err(io_error(path))?.len();
    let page = page_size();
    let pages = len.div_ceil(page);
    let mut out = Residency {
        files: 1,
        bytes: len,
        pages,
        resident_pages: 0,
    };
    if len == 0 {
        return Ok(out);
    }
    // SAFETY: a private read-only mapping of a file we hold open; unmapped below.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len as usize,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return Err(io_error(path)(std::io::Error::last_os_error()));
    }
    let mut vec = vec![0u8; pages as usize];
    // SAFETY: `vec` has one byte per page of the mapping, as mincore requires.
    let rc = unsafe { libc::mincore(addr, len as usize, vec.as_mut_ptr()) };
    let err = std::io::Error::last_os_error();
    // SAFETY: unmapping exactly what was mapped.
    unsafe { libc::munmap(addr, len as usize) };
    if rc != 0 {
        return Err(io_error(path)(err));
    }
    out.resident_pages = vec.iter().filter(|b| *b & 1 == 1).count() as u64;
    Ok(out)
}

/// Ask the kernel to drop one file's pages.
pub fn evict_file(path: &Path) -> Result<(), EvictError> {
    let file = File::open(path).map_err(io_error(path))?;
    // Dirty pages are not dropped: write them out first.
    file.sync_data().map_err(io_error(path))?;
    nix::fcntl::posix_fadvise(
        &file,
        0,
        0,
        nix::fcntl::PosixFadviseAdvice::POSIX_FADV_DONTNEED,
    )
    .map_err(|e| io_error(path)(e.into()))?;
    Ok(())
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>, EvictError> {
    if !dir.exists() {
        return Err(EvictError::Missing(dir.to_path_buf()));
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        let entry = entry.map_err(|e| io_error(dir)(std::io::Error::other(e)))?;
        if entry.file_type().is_file() {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// Residency of every file under `path` (a file or a folder).
pub fn residency(path: &Path) -> Result<Residency, EvictError> {
    let mut total = Residency::default();
    for file in files_under(path)? {
        total += file_residency(&file)?;
    }
    Ok(total)
}

/// Write 3 to `/proc/sys/vm/drop_caches` (root only): every clean page of every file.
pub fn drop_global_caches() -> Result<(), EvictError> {
    // SAFETY: sync has no preconditions.
    unsafe { libc::sync() };
    std::fs::write("/proc/sys/vm/drop_caches", "3\n").map_err(EvictError::DropCaches)
}

/// Evict every file under `path` and verify that nothing stayed resident.
pub fn evict(path: &Path, drop_global: bool) -> Result<EvictionRecord, EvictError> {
    let before = residency(path)?;
    for file in files_under(path)? {
        evict_file(&file)?;
    }
    if drop_global {
        drop_global_caches()?;
    }
    let after = residency(path)?;
    if after.resident_pages > 0 {
        return Err(EvictError::StillResident {
            path: path.to_path_buf(),
            resident: after.resident_pages,
            total: after.pages,
        });
    }
    Ok(EvictionRecord {
        dir: path.to_path_buf(),
        files: after.files,
        bytes: after.bytes,
        resident_pages_before: before.resident_pages,
        resident_pages_after: after.resident_pages,
        total_pages: after.pages,
        dropped_global_caches: drop_global,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_cached_file_is_evicted_and_verified_with_mincore() {
        // Not tmpfs (/tmp may be one, where pages cannot leave memory): a folder on the disk.
        let base = std::env::var_os("CARGO_TARGET_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
        std::fs::create_dir_all(&base).unwrap();
        let dir = tempfile::tempdir_in(&base).unwrap();
        let path = dir.path().join("weights.bin");
        let mut file = File::create(&path).unwrap();
        file.write_all(&vec![7u8; 4 << 20]).unwrap();
        file.sync_all().unwrap();
        let mut buf = Vec::new();
        File::open(&path).unwrap().read_to_end(&mut buf).unwrap();
        let cached = residency(dir.path()).unwrap();
        assert_eq!(cached.files, 1);
        if cached.resident_pages == 0 {
            eprintln!(
                "SKIPPED: the filesystem does not keep `{}` in the page cache",
                path.display()
            );
            return;
        }
        match evict(dir.path(), false) {
            Ok(record) => {
                assert_eq!(record.resident_pages_after, 0);
                assert!(record.resident_pages_before > 0);
                assert_eq!(residency(&path).unwrap().resident_pages, 0);
            }
            Err(EvictError::StillResident { .. }) => {
                eprintln!("SKIPPED: this filesystem refuses POSIX_FADV_DONTNEED (tmpfs/overlay?)");
            }
            Err(e) => panic!("{e}"),
        }
    }
}
