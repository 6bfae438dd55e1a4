//! Why a benchmark run could not finish, for every kind of run (a server's, an offline
//! harness's, a set of tenants'): one error type below every runner, so none of them imports
//! another for it.

use std::path::{Path, PathBuf};

use super::harness::OfflineError;
use super::mps::MpsError;
use super::server::ServerError;
use super::workload::WorkloadError;
use crate::run::folder::{drive_error, DriveError, FolderStatus};

/// A run that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("the environment `{}` has no python: set it up with `repro env setup --vllm {vllm}{}`", env.display(), if *cpu { " --device cpu" } else { "" })]
    NoEnv {
        env: PathBuf,
        vllm: String,
        cpu: bool,
    },
    #[error("the API key variable `{0}` named by `server.api_key_env` is not set")]
    NoApiKey(String),
    #[error("the server died during the run ({status}); {failed} of {requests} requests did not succeed; the end of `{}`:\n{tail}", log.display())]
    ServerDied {
        status: String,
        failed: usize,
        requests: usize,
        log: PathBuf,
        tail: String,
    },
    #[error(transparent)]
    Drive(#[from] DriveError),
    #[error("cannot start the async runtime or HTTP client: {0}")]
    Runtime(String),
    #[error("`capacity.prefill` names `{name}`, whose prefill profile `{}` is not there: run `repro bench {name}` first", path.display())]
    NoPrefillProfile { name: String, path: PathBuf },
    #[error("interrupted")]
    Interrupted,
    /// One tenant of a tenants run (`bench::tenants`).
    #[error("tenant `{tenant}`: {source}")]
    Tenant {
        tenant: String,
        source: Box<BenchError>,
    },
    #[error(transparent)]
    Mps(#[from] MpsError),
    #[error(transparent)]
    Offline(OfflineError),
}

impl From<OfflineError> for BenchError {
    /// Ctrl-C and the results folder are no harness's failure.
    fn from(e: OfflineError) -> BenchError {
        match e {
            OfflineError::Interrupted => BenchError::Interrupted,
            OfflineError::Write(e) => BenchError::Drive(e),
            e => BenchError::Offline(e),
        }
    }
}

impl BenchError {
    /// What a failed run's manifest says of it: the server never healthy, dead during the
    /// load, or any other failure (of the tenant that failed a tenants run).
    pub fn folder_status(&self) -> FolderStatus {
        match self {
            BenchError::Server(_) => FolderStatus::NotHealthy,
            BenchError::ServerDied { .. } => FolderStatus::ServerDied,
            BenchError::Tenant { source, .. } => source.folder_status(),
            _ => FolderStatus::Failed,
        }
    }

    /// The tenant that failed a tenants run, where one did.
    pub fn failed_tenant(&self) -> Option<&str> {
        match self {
            BenchError::Tenant { tenant, .. } => Some(tenant),
            _ => None,
        }
    }
}

/// A results file that cannot be written or read back, as a run's error.
pub fn drive_error_of(path: &Path, e: std::io::Error) -> BenchError {
    BenchError::Drive(drive_error(path)(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenants_failure_is_recorded_as_its_tenants_was() {
        let died = BenchError::ServerDied {
            status: "exit status: 1".into(),
            failed: 1,
            requests: 2,
            log: "s.log".into(),
            tail: String::new(),
        };
        let tenant = BenchError::Tenant {
            tenant: "a".into(),
            source: Box::new(died),
        };
        assert_eq!(tenant.folder_status(), FolderStatus::ServerDied);
        assert_eq!(tenant.failed_tenant(), Some("a"));
        assert_eq!(
            BenchError::NoApiKey("K".into()).folder_status(),
            FolderStatus::Failed
        );
        assert!(matches!(
            BenchError::from(OfflineError::Interrupted),
            BenchError::Interrupted
        ));
    }
}
