//! "Did you mean …?": the nearest of the names a user could have meant, for an error that
//! names a recipe, a benchmark or a model that is not there (as clap suggests subcommands).

/// The candidate most like `typed`, where it is like enough to be what was meant: Jaro–Winkler
/// similarity of at least 0.8 (clap takes 0.7 for subcommands; model and recipe names share
/// long prefixes such as `qwen-`, so a stricter bar keeps unrelated names out).
pub fn nearest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| *c != typed)
        .map(|c| (strsim::jaro_winkler(typed, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// ` (did you mean `x`?)`, or nothing.
pub fn did_you_mean<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(typed, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_the_name_and_a_stranger_finds_none() {
        let models = ["qwen-0.5b", "qwen-4b", "llama2-7b-hf", "opt-6.7b"];
        assert_eq!(nearest("qwen-05b", models), Some("qwen-0.5b"));
        assert_eq!(nearest("qwen4b", models), Some("qwen-4b"));
        assert_eq!(nearest("lama2-7b-hf", models), Some("llama2-7b-hf"));
        assert_eq!(nearest("mistral-7b", models), None);
        assert_eq!(nearest("my-swep", ["my-sweep", "rest"]), Some("my-sweep"));
        assert_eq!(did_you_mean("xyz", ["my-sweep"]), "");
    }
}
