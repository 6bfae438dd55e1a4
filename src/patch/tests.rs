use super::*;

const ORIGINAL: &str = "import os\n\ndef f():\n    return 1\n\nprint(f())\n";
const PATCH: &str = "--- a/vllm/m.py\n+++ b/vllm/m.py\n@@ -1,6 +1,7 @@\n import os\n-\n+import time\n def f():\n+    time.sleep(0)\n     return 1\n \n print(f())\n";

fn site(version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("vllm")).unwrap();
    std::fs::write(dir.path().join("vllm/m.py"), ORIGINAL).unwrap();
    let info = dir.path().join(format!("vllm-{version}.dist-info"));
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(
        info.join("METADATA"),
        format!("Metadata-Version: 2.1\nName: vllm\nVersion: {version}\n"),
    )
    .unwrap();
    dir
}

fn set() -> PatchSet {
    PatchSet::from_texts("1.0", &[("01-m.patch".into(), PATCH.into())]).unwrap()
}

#[test]
fn apply_is_idempotent_and_revert_is_byte_exact() {
    let dir = site("1.0");
    let set = set();
    assert_eq!(status(dir.path(), &set).unwrap(), Status::NotApplied);
    assert!(matches!(
        apply(dir.path(), &set).unwrap(),
        Applied::Now { files: 1, .. }
    ));
    let patched = std::fs::read_to_string(dir.path().join("vllm/m.py")).unwrap();
    assert!(patched.contains("import time"));
    assert!(matches!(
        status(dir.path(), &set).unwrap(),
        Status::Applied { .. }
    ));
    assert!(matches!(
        apply(dir.path(), &set).unwrap(),
        Applied::Already { .. }
    ));
    assert_eq!(revert(dir.path(), false).unwrap(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("vllm/m.py")).unwrap(),
        ORIGINAL
    );
    assert!(!dir.path().join(STATE_DIR).exists());
    assert_eq!(revert(dir.path(), false).unwrap(), 0);
}

#[test]
fn wrong_version_changes_nothing() {
    let dir = site("0.9.0");
    let err = apply(dir.path(), &set()).unwrap_err().to_string();
    assert!(
        err.contains("vLLM 0.9.0 is installed, but the patches are for 1.0"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("vllm/m.py")).unwrap(),
        ORIGINAL
    );
}

#[test]
fn a_hunk_that_does_not_apply_changes_nothing() {
    let dir = site("1.0");
    std::fs::write(dir.path().join("vllm/m.py"), "something else entirely\n").unwrap();
    let err = apply(dir.path(), &set()).unwrap_err().to_string();
    assert!(err.contains("does not apply"), "{err}");
    assert!(!dir.path().join(STATE_DIR).exists());
    assert_eq!(
        status(dir.path(), &set()).unwrap(),
        Status::Foreign {
            files: vec!["vllm/m.py".into()]
        }
    );
}

#[test]
fn a_file_changed_after_patching_is_reported_and_protected() {
    let dir = site("1.0");
    apply(dir.path(), &set()).unwrap();
    std::fs::write(dir.path().join("vllm/m.py"), "edited by hand\n").unwrap();
    assert_eq!(
        status(dir.path(), &set()).unwrap(),
        Status::Modified {
            files: vec!["vllm/m.py".into()]
        }
    );
    assert!(matches!(
        revert(dir.path(), false),
        Err(PatchError::ModifiedSinceApply { .. })
    ));
    assert_eq!(revert(dir.path(), true).unwrap(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("vllm/m.py")).unwrap(),
        ORIGINAL
    );
}

#[test]
fn shipped_patches_parse_and_name_their_targets() {
    let set = PatchSet::load(Path::new("/nonexistent"), "0.10.1.1").unwrap();
    let targets: Vec<String> = set
        .patches
        .iter()
        .map(|p| p.target.display().to_string())
        .collect();
    assert_eq!(
        targets,
        [
            "vllm/model_executor/model_loader/base_loader.py",
            "vllm/model_executor/model_loader/tensorizer_loader.py",
            "vllm/v1/engine/llm_engine.py",
            "vllm/v1/engine/async_llm.py",
            "vllm/v1/worker/gpu_model_runner.py"
        ]
    );
    assert!(PatchSet::load(Path::new("/nonexistent"), "0.9.9").is_err());
}
