//! The order in which the paper's shell globs (`output_model_*`) listed its logs: glibc's
//! en_US.UTF-8 collation, which compares letters and digits first, ignoring punctuation and case
//! (`…sizes_136.txt` sorts before `…sizes_1.txt`), and only then the rest.

use std::cmp::Ordering;

fn primary_key(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
}

/// Compare two file names as `ls`/bash globbing does under en_US.UTF-8.
pub fn compare(a: &str, b: &str) -> Ordering {
    primary_key(a)
        .cmp(primary_key(b))
        // Same letters and digits: lowercase before uppercase, then punctuation, then bytes.
        .then_with(|| {
            let case = |s: &str| {
                s.chars()
                    .filter(|c| c.is_alphanumeric())
                    .map(|c| c.is_uppercase())
                    .collect::<Vec<_>>()
            };
            case(a).cmp(&case(b))
        })
        .then_with(|| a.cmp(b))
}

/// Sort names in glob order.
pub fn sort(names: &mut [String]) {
    names.sort_by(|a, b| compare(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_order_of_the_published_logs() {
        let mut names: Vec<String> = [
            "output_model_llama2-7b-hf_cuda-graph-sizes_56.txt",
            "output_model_llama2-7b-hf_cuda-graph-sizes_1.txt",
            "output_model_llama2-7b-hf_cuda-graph-sizes_136.txt",
            "output_model_falcon-7b-tensorized_load-format_tensorizer.txt",
            "output_model_falcon-7b_load-format_safetensors.txt",
            "output_model_falcon-7b_load-format_runai_streamer.txt",
            "output_model_qwen-1.8b.txt",
            "output_model_qwen-14b_max_model_len_16752.txt",
        ]
        .map(String::from)
        .to_vec();
        sort(&mut names);
        assert_eq!(
            names,
            [
                "output_model_falcon-7b_load-format_runai_streamer.txt",
                "output_model_falcon-7b_load-format_safetensors.txt",
                "output_model_falcon-7b-tensorized_load-format_tensorizer.txt",
                "output_model_llama2-7b-hf_cuda-graph-sizes_136.txt",
                "output_model_llama2-7b-hf_cuda-graph-sizes_1.txt",
                "output_model_llama2-7b-hf_cuda-graph-sizes_56.txt",
                "output_model_qwen-14b_max_model_len_16752.txt",
                "output_model_qwen-1.8b.txt",
            ]
        );
    }
}
