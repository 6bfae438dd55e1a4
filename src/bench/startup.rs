//! A run's start-up, for `summary.json`'s `startup`: what repro measured from outside (spawn →
//! healthy, spawn → the first token of the first request) beside what the server's own log says
//! (its ledger, `parse::ledger`). Pure: the runner passes the times and the log's path.

use std::path::Path;
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::record::RequestRecord;
use crate::parse::ledger::{self, Ledger};

/// `summary.json`'s `startup`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Startup {
    /// The server's process started → its health endpoint first answered, seconds; `null` for a
    /// server repro did not start (`kind = "url"`).
    pub spawn_to_healthy_s: Option<f64>,
    /// The endpoint that answered (`/health`, `/v1/models`).
    pub health_path: Option<String>,
    /// The server's process started → the first token of the first request sent, seconds.
    pub spawn_to_first_token_s: Option<f64>,
    /// That request's own time to first token, seconds.
    pub first_request_ttft_s: Option<f64>,
    /// `server.log` read as `repro parse --ledger --json` reads it (`logs[0]` there).
    pub ledger: Option<Ledger>,
    /// Why there is no ledger (no log, or no vLLM line in it).
    pub ledger_error: Option<String>,
    pub definitions: IndexMap<String, String>,
}

impl Startup {
    /// The server log's summary value (`last`) of a ledger key, from its last run.
    pub fn ledger_value(&self, key: &str) -> Option<f64> {
        let run = self.ledger.as_ref()?.last_run()?;
        run.summary.get(key).map(|s| s.last)
    }
}

fn definitions() -> IndexMap<String, String> {
    [
        ("spawn_to_healthy_s", "the server's process spawned -> its health endpoint answered 2xx, seconds (repro's clock)"),
        ("spawn_to_first_token_s", "the server's process spawned -> the first token of the request sent first, seconds (repro's clock)"),
        ("first_request_ttft_s", "that request's first token - its send time, seconds"),
        ("ledger", "server.log as `repro parse --ledger --json` reads it; numbers from the log's last run; see docs/ledger.md"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Seconds to the microsecond (a clock's float noise off the JSON).
fn micros(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// What the runner measured around the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measured {
    /// Spawn → healthy; `None` where repro started no server.
    pub healthy_after: Option<Duration>,
    /// Spawn → the load generator's start (its records' time 0).
    pub load_started_after: Option<Duration>,
}

/// The start-up of one run.
pub fn startup(
    measured: Measured,
    health_path: Option<&str>,
    records: &[RequestRecord],
    log: Option<&Path>,
) -> Startup {
    let first = records
        .iter()
        .filter(|r| r.sent.is_some())
        .min_by(|a, b| a.sent.unwrap_or(0.0).total_cmp(&b.sent.unwrap_or(0.0)));
    let spawn_to_first_token_s = match (
        measured.load_started_after,
        first.and_then(|r| r.first_token),
    ) {
        (Some(load), Some(token)) => Some(micros(load.as_secs_f64() + token)),
        _ => None,
    };
    let (ledger, ledger_error) = match log {
        None => (
            None,
            Some("no server log: repro did not start this server".to_string()),
        ),
        Some(path) => {
            match ledger::ledger_of_file_as(path, "server.log", ledger::Options::default()) {
                Ok(l) => (Some(l), None),
                Err(e) => (None, Some(e.to_string())),
            }
        }
    };
    Startup {
        spawn_to_healthy_s: measured.healthy_after.map(|d| micros(d.as_secs_f64())),
        health_path: health_path.map(str::to_string),
        spawn_to_first_token_s,
        first_request_ttft_s: first.and_then(RequestRecord::ttft).map(micros),
        ledger,
        ledger_error,
        definitions: definitions(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::record::Outcome;

    fn record(id: u64, sent: f64, ttft: f64) -> RequestRecord {
        let mut r = RequestRecord::not_sent(id, None, 1, 2);
        r.sent = Some(sent);
        r.first_token = Some(sent + ttft);
        r.outcome = Outcome::Ok;
        r
    }

    #[test]
    fn the_first_request_is_the_one_sent_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        std::fs::write(
            &log,
            "INFO 01-01 10:00:00.000 [core.py:1] Initializing a V1 LLM engine (v0.10.1.1) with config: model='m'\nINFO 01-01 10:00:02.500 [core.py:2] init engine (profile, create kv cache, warmup model) took 2.40 seconds\n",
        )
        .unwrap();
        let measured = Measured {
            healthy_after: Some(Duration::from_millis(3000)),
            load_started_after: Some(Duration::from_millis(3100)),
        };
        let records = [record(0, 0.5, 0.2), record(1, 0.01, 0.04)];
        let s = startup(measured, Some("/health"), &records, Some(&log));
        assert_eq!(s.spawn_to_healthy_s, Some(3.0));
        assert!((s.spawn_to_first_token_s.unwrap() - 3.15).abs() < 1e-9);
        assert!((s.first_request_ttft_s.unwrap() - 0.04).abs() < 1e-9);
        assert_eq!(s.ledger_value("init_engine_s"), Some(2.4));
        assert_eq!(s.ledger.as_ref().unwrap().log, "server.log");
        let none = startup(Measured::default(), None, &[], None);
        assert_eq!(
            (none.spawn_to_healthy_s, none.ledger.is_none()),
            (None, true)
        );
        assert!(none.ledger_error.unwrap().contains("did not start"));
        std::fs::write(&log, "").unwrap();
        let empty = startup(measured, None, &[], Some(&log));
        assert_eq!(empty.ledger_error.as_deref(), Some("`server.log` is empty"));
    }
}
