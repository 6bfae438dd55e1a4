//! What a run's `model` value names. A bare name is an entry of `models.toml`, loaded from
//! repro's local copy; a value with a `/` is a hub id (`owner/name`) or a folder, as the paper's
//! `env.json` may give it (`run_test.py` passes it to vLLM as is and names the log after its last
//! path component). A hub id that is an entry's `repo` is loaded from that entry's local copy.

use crate::config::Models;

/// A `model` value, by its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelValue<'a> {
    /// No `/`: a name in `models.toml` (`qwen-4b`).
    Name(&'a str),
    /// `owner/name`, as the Hugging Face hub writes ids.
    HubId(&'a str),
    /// Any other value with a `/`: a folder (`/data/qwen-4b`, `./models/qwen-4b`).
    Path(&'a str),
}

impl<'a> ModelValue<'a> {
    pub fn of(value: &'a str) -> ModelValue<'a> {
        if !value.contains('/') {
            ModelValue::Name(value)
        } else if value.matches('/').count() == 1
            && !value.starts_with(['.', '/', '~'])
            && !value.ends_with('/')
        {
            ModelValue::HubId(value)
        } else {
            ModelValue::Path(value)
        }
    }
}

/// The last path component, as `run_test.py` cuts a value with a `/` for the log's name
/// (`os.path.basename(value.rstrip("/"))`).
pub fn basename(value: &str) -> &str {
    value.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

/// How a run loads its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelSource<'a> {
    /// An entry of `models.toml` (by its name): repro's local copy.
    Entry(&'a str),
    /// A folder, read where it is.
    Path(&'a str),
    /// A hub id no entry has: the engine downloads it.
    Hub(&'a str),
}

/// Where a `model` value loads from; `None` for a bare name that is not in `models.toml`.
pub fn source<'a>(models: &'a Models, value: &'a str) -> Option<ModelSource<'a>> {
    if models.contains(value) {
        return Some(ModelSource::Entry(value));
    }
    match ModelValue::of(value) {
        ModelValue::Name(_) => None,
        ModelValue::HubId(id) => Some(
            entry_of_repo(models, id)
                .map(ModelSource::Entry)
                .unwrap_or(ModelSource::Hub(id)),
        ),
        ModelValue::Path(path) => Some(ModelSource::Path(path)),
    }
}

/// The entry whose `repo` is this hub id (hub ids ignore ASCII case); shapes only made
/// locally (`repo = "none/…"`) have no hub id.
pub fn entry_of_repo<'a>(models: &'a Models, hub_id: &str) -> Option<&'a str> {
    models
        .models
        .iter()
        .find(|(_, m)| !m.synthetic_only() && m.repo.eq_ignore_ascii_case(hub_id))
        .map(|(name, _)| name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> Models {
        Models::parse(
            std::path::Path::new("models.toml"),
            include_str!("../../models.toml"),
        )
        .unwrap()
    }

    #[test]
    fn values_are_sorted_by_shape() {
        assert_eq!(ModelValue::of("qwen-4b"), ModelValue::Name("qwen-4b"));
        assert_eq!(
            ModelValue::of("Qwen/Qwen1.5-4B"),
            ModelValue::HubId("Qwen/Qwen1.5-4B")
        );
        for path in [
            "./models/qwen-4b",
            "/data/qwen-4b",
            "models/x/",
            "~/m/x",
            "a/b/c",
        ] {
            assert_eq!(ModelValue::of(path), ModelValue::Path(path), "{path}");
        }
        assert_eq!(basename("./models/qwen-4b/"), "qwen-4b");
        assert_eq!(basename("/"), "");
    }

    #[test]
    fn hub_ids_of_an_entry_load_its_local_copy() {
        let models = models();
        assert_eq!(
            source(&models, "qwen/qwen1.5-4b"),
            Some(ModelSource::Entry("qwen-4b"))
        );
        assert_eq!(
            source(&models, "someone/qwen-4b"),
            Some(ModelSource::Hub("someone/qwen-4b"))
        );
        assert_eq!(
            source(&models, "/data/qwen-4b"),
            Some(ModelSource::Path("/data/qwen-4b"))
        );
        assert_eq!(
            source(&models, "yi-6b-tensorized"),
            Some(ModelSource::Entry("yi-6b-tensorized"))
        );
        assert_eq!(source(&models, "nope"), None);
    }
}
