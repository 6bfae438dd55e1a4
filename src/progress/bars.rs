//! Drawing downloads for the command line: a bar per model on a terminal, a line each
//! otherwise (`-q` and `REPRO_NO_PROGRESS` turn the bars off).

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::{Event, Progress};

/// Progress bars on stderr, one per model, when stderr is a terminal.
pub struct DownloadBars {
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar)>>,
    enabled: bool,
}

impl DownloadBars {
    pub fn new(quiet: bool) -> DownloadBars {
        let enabled = !quiet
            && std::io::stderr().is_terminal()
            && std::env::var_os("REPRO_NO_PROGRESS").is_none();
        DownloadBars {
            multi: MultiProgress::new(),
            bars: Mutex::new(vec![]),
            enabled,
        }
    }

    fn with_bar(&self, name: &str, f: impl FnOnce(&ProgressBar)) {
        if let Ok(bars) = self.bars.lock() {
            if let Some((_, bar)) = bars.iter().find(|(n, _)| n == name) {
                f(bar);
            }
        }
    }
}

impl Progress for DownloadBars {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::DownloadStarted { name, files, bytes } => self.started(name, files, bytes),
            Event::Downloaded { name, bytes } => self.with_bar(name, |bar| bar.inc(bytes)),
            Event::DownloadFinished { name } => self.with_bar(name, ProgressBar::finish),
            _ => {}
        }
    }
}

impl DownloadBars {
    fn started(&self, name: &str, files: usize, bytes: u64) {
        if !self.enabled {
            eprintln!("{name}: {files} files, {}", human_bytes(bytes));
            return;
        }
        let bar = self.multi.add(ProgressBar::new(bytes));
        let style = ProgressStyle::with_template(
            "{prefix:>24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(name.to_string());
        if let Ok(mut bars) = self.bars.lock() {
            bars.push((name.to_string(), bar));
        }
    }
}

/// `1.50 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}
