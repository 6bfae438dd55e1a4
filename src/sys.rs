//! Facts about this machine that every layer asks for — its name, a program on PATH, the free
//! space under a path — and I/O failures described as a user needs them: which folder, and what
//! to do (free space, write permission), not just the OS's words.

use std::fmt;
use std::path::{Path, PathBuf};

/// This machine's name (`unknown` where the system will not say).
/// Now, in seconds since the Unix epoch (0 on a clock before it).
pub fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `program --version`'s answer (stdout, else stderr), trimmed; `None` where it cannot run,
/// fails or says nothing.
pub fn version_of(program: &str) -> Option<String> {
    let out = std::process::Command::new(program)
        .arg("--version")
        .output()
        .ok()?;
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    let text = String::from_utf8_lossy(&text).trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

pub fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The first `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// `path` made absolute against the current folder (without touching the disk), as every path
/// handed to a child process must be: a child may work in a folder of its own (PyTorch's C++
/// builder compiles in one), where a relative path names nothing. Unchanged where the current
/// folder cannot be read.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `f` of every item, in the items' order, on as many threads as there are cores (work is
/// handed out one item at a time, so a slow item does not hold the others back).
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return mine;
                        };
                        mine.push((i, f(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The path itself if it exists, else its nearest existing parent.
pub fn existing_ancestor(path: &Path) -> PathBuf {
    absolute(path)
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"))
        .to_path_buf()
}

/// Free bytes for an unprivileged user on the filesystem of `path` (or its nearest parent).
pub fn free_bytes(path: &Path) -> Option<u64> {
    let stat = nix::sys::statvfs::statvfs(&existing_ancestor(path)).ok()?;
    Some(stat.blocks_available() as u64 * stat.fragment_size() as u64)
}

/// An I/O error at `path`, said with the next step where there is one: a full disk names its
/// folder and free space, a refused write says it is a write.
pub struct Problem<'a> {
    pub error: &'a std::io::Error,
    pub path: &'a Path,
}

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = existing_ancestor(self.path.parent().unwrap_or(self.path));
        match self.error.raw_os_error() {
            Some(libc::ENOSPC) | Some(libc::EDQUOT) => {
                let free = free_bytes(&dir)
                    .map_or("little".into(), |b| format!("{:.0} MB", b as f64 / 1e6));
                write!(
                    f,
                    "no space left on the disk of `{}` ({free} free): free some space there and rerun",
                    dir.display()
                )
            }
            Some(libc::EACCES) | Some(libc::EPERM) => write!(
                f,
                "permission denied: this user cannot write in `{}` ({})",
                dir.display(),
                self.error
            ),
            Some(libc::EROFS) => write!(
                f,
                "`{}` is on a read-only filesystem: use a folder you can write in",
                dir.display()
            ),
            _ => write!(f, "{}", self.error),
        }
    }
}

/// [`Problem`] of `error` at `path`.
pub fn problem<'a>(error: &'a std::io::Error, path: &'a Path) -> Problem<'a> {
    Problem { error, path }
}

/// The one adapter from `std::io::Error` to a module's error with an `Io { path, source }` case:
/// `io_adapter!(fn io -> MyError);` defines `io(path)`, used as `.map_err(io(&path))?`. (A generic
/// function cannot be used there: `?` leaves the error type open.)
#[macro_export]
macro_rules! io_adapter {
    ($vis:vis fn $name:ident -> $error:ident) => {
        /// The path an I/O error happened at, kept with the error.
        $vis fn $name(
            path: impl AsRef<std::path::Path>,
        ) -> impl FnOnce(std::io::Error) -> $error {
            let path = path.as_ref().to_path_buf();
            move |source| $error::Io { path, source }
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn par_map_keeps_the_order() {
        let items: Vec<u64> = (0..1000).collect();
        assert_eq!(
            super::par_map(&items, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        assert!(super::par_map(&[] as &[u8], |x| *x).is_empty());
    }

    use super::*;

    #[test]
    fn a_full_disk_names_the_folder_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.txt");
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let text = problem(&full, &file).to_string();
        assert!(text.starts_with("no space left on the disk of `"), "{text}");
        assert!(
            text.contains(" MB free): free some space there and rerun"),
            "{text}"
        );
        let denied = std::io::Error::from_raw_os_error(libc::EACCES);
        let text = problem(&denied, &file).to_string();
        assert!(text.contains("cannot write in"), "{text}");
    }
}
