//! `<results>/.repro/origins.json`: where the files `merge` brought into this results folder came
//! from (an archive's name, or the origin its packer recorded), bound to their bytes. Data
//! without run manifests — the paper's published logs — is then shown as "merged from
//! `published.tar.zst`" rather than as nobody's. Kept out of packs (it describes this folder);
//! what a pack carries of it travels in the pack's own file list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// repro's own state folder under a results root (never packed or merged).
pub const STATE_DIR: &str = ".repro";
const ORIGINS_FILE: &str = "origins.json";
const SCHEMA: u32 = 1;

/// Where one file came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub blake3: String,
    /// `published.tar.zst`, `n2-results.tar.zst`, or a folder's path.
    pub from: String,
    /// RFC 3339, UTC.
    pub merged: String,
}

/// The record of a results folder, keyed by path relative to it (`/`-separated).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Origins {
    schema: u32,
    files: BTreeMap<String, Origin>,
}

fn path(results: &Path) -> PathBuf {
    results.join(STATE_DIR).join(ORIGINS_FILE)
}

impl Origins {
    /// The record of `results` (empty where there is none or it cannot be read).
    pub fn read(results: &Path) -> Origins {
        std::fs::read(path(results))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Origins>(&bytes).ok())
            .filter(|o| o.schema == SCHEMA)
            .unwrap_or_default()
    }

    pub fn write(&mut self, results: &Path) -> std::io::Result<()> {
        self.schema = SCHEMA;
        let mut json = serde_json::to_vec_pretty(self).expect("plain data");
        json.push(b'\n');
        super::atomic_write(&path(results), &json)
    }

    pub fn insert(&mut self, rel: &Path, origin: Origin) {
        self.files
            .insert(rel.to_string_lossy().into_owned(), origin);
    }

    /// Where `rel` came from, while it holds the bytes that were merged (`hash`).
    pub fn of(&self, rel: &Path, hash: &str) -> Option<&Origin> {
        self.files
            .get(rel.to_string_lossy().as_ref())
            .filter(|o| o.blake3 == hash)
    }

    /// Where `rel` came from, whatever its bytes now (for packing: the hash is checked there).
    pub fn recorded(&self, rel: &Path) -> Option<&Origin> {
        self.files.get(rel.to_string_lossy().as_ref())
    }
}
