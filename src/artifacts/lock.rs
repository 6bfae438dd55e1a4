//! One repro at a time per results folder (and per models folder while models are prepared): an
//! exclusive `flock` on `<dir>/.repro.lock`.

use std::fs::File;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

/// The results folder is in use, or the lock cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another repro is using `{}` (it holds `{}`); wait for it, or use another folder", dir.display(), lock.display())]
    Busy { dir: PathBuf, lock: PathBuf },
    #[error("`{}` is a file, not a results folder: pass --results DIR", dir.display())]
    NotAFolder { dir: PathBuf },
    #[error("cannot write in `{}` (to take its lock `{}`): {source}", dir.display(), path.display())]
    Io {
        dir: PathBuf,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held while running; released on drop (or when the process dies).
#[derive(Debug)]
pub struct ResultsLock {
    _lock: Flock<File>,
}

/// The lock's file in a results folder.
pub const LOCK_FILE: &str = ".repro.lock";

/// Take the results folder's lock (making the folder where it is missing), or say who holds it.
pub fn lock(results: &Path) -> Result<ResultsLock, LockError> {
    take(results, None)
}

/// Take the folder's lock, waiting for the repro that holds it to let go (`on_busy` is called
/// once first, to say so): for work another repro may be doing right now that this one would
/// then find done (an environment's setup).
pub fn wait(dir: &Path, on_busy: &mut dyn FnMut()) -> Result<ResultsLock, LockError> {
    take(dir, Some(on_busy))
}

fn take(results: &Path, on_busy: Option<&mut dyn FnMut()>) -> Result<ResultsLock, LockError> {
    let path = results.join(LOCK_FILE);
    if results.exists() && !results.is_dir() {
        return Err(LockError::NotAFolder {
            dir: results.to_path_buf(),
        });
    }
    let io = |source| LockError::Io {
        dir: results.to_path_buf(),
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(results).map_err(io)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io)?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(ResultsLock { _lock: lock }),
        Err((file, nix::errno::Errno::EWOULDBLOCK)) => match on_busy {
            None => Err(LockError::Busy {
                dir: results.to_path_buf(),
                lock: path.clone(),
            }),
            Some(on_busy) => {
                on_busy();
                Flock::lock(file, FlockArg::LockExclusive)
                    .map(|lock| ResultsLock { _lock: lock })
                    .map_err(|(_, errno)| io(errno.into()))
            }
        },
        Err((_, errno)) => Err(io(errno.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_folder_is_refused_or_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).unwrap();
        assert!(matches!(lock(dir.path()), Err(LockError::Busy { .. })));
        let (said_busy, busy) = std::sync::mpsc::channel();
        let path = dir.path().to_path_buf();
        let waiter =
            std::thread::spawn(move || wait(&path, &mut || said_busy.send(()).unwrap()).map(drop));
        // Let go only once the waiter said it waits: it then gets the lock.
        busy.recv().unwrap();
        drop(held);
        waiter.join().unwrap().unwrap();
        lock(dir.path()).unwrap();
    }
}
