//! The paper's published logs, known by their bytes: `paper-logs.txt` lists the blake3 hash and
//! path of every log in `data/published.tar.zst` (its `repro-pack.json`), so a run is tagged
//! `paper` wherever its file lies (a merge of the bundle, the paper's repository, a copy).

use std::collections::HashSet;
use std::sync::LazyLock;

static LIST: &str = include_str!("paper-logs.txt");

static HASHES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    LIST.lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect()
});

/// Whether these bytes are one of the paper's published logs.
pub fn is_papers(bytes: &[u8]) -> bool {
    HASHES.contains(blake3::hash(bytes).to_hex().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The list is the bundle's own: every `.txt` of its `repro-pack.json`, hash for hash.
    #[test]
    fn the_list_is_the_bundles_file_list() {
        let bundle =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/published.tar.zst");
        let file = std::fs::File::open(&bundle).unwrap();
        let mut archive = tar::Archive::new(zstd::Decoder::new(file).unwrap());
        let mut manifest = String::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            if entry.path().unwrap().to_string_lossy() == "repro-pack.json" {
                entry.read_to_string(&mut manifest).unwrap();
                break;
            }
        }
        let pack: serde_json::Value = serde_json::from_str(&manifest).unwrap();
        let mut want: Vec<String> = pack["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(".txt"))
            .map(|f| {
                format!(
                    "{} {}",
                    f["blake3"].as_str().unwrap(),
                    f["path"].as_str().unwrap()
                )
            })
            .collect();
        let mut have: Vec<String> = LIST.lines().map(str::to_string).collect();
        want.sort();
        have.sort();
        assert!(want.len() > 300);
        assert_eq!(have, want);
        assert!(!is_papers(
            b"INFO 01-01 10:00:00 [core.py:1] not the paper's\n"
        ));
    }
}
