use std::path::Path;

use super::*;
use crate::config::Models;

fn models() -> Models {
    Models::parse(Path::new("models.toml"), include_str!("../../models.toml")).unwrap()
}

#[test]
fn every_shipped_recipe_parses_and_names_known_models() {
    let models = models();
    for (id, text) in BUILTIN {
        let recipe = Recipe::parse(Path::new(id), text, Some(&models))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(!recipe.combinations(None).is_empty(), "{id}");
    }
}

#[test]
fn figure_nine_sweeps_graph_sizes_in_env_json_order() {
    let recipe = Recipe::load(Path::new("/nonexistent"), "9", None).unwrap();
    let order = recipe.label_order(None).unwrap();
    assert_eq!(order.len(), 7);
    assert_eq!(order[0], "output_model_llama2-7b-hf_cuda-graph-sizes_1.txt");
    assert_eq!(
        order[6],
        "output_model_llama2-7b-hf_cuda-graph-sizes_456.txt"
    );
}

#[test]
fn split_parts_differ_where_the_paper_does() {
    let recipe = Recipe::load(Path::new("/nonexistent"), "13", None).unwrap();
    let split = recipe.split.as_ref().unwrap();
    assert!(!split.part(0).unwrap().evict_page_cache);
    assert!(split.part(1).unwrap().evict_page_cache);
    let case0: Vec<String> = recipe
        .combinations(Some(0))
        .iter()
        .map(|c| c.log_name())
        .collect();
    let case1: Vec<String> = recipe
        .combinations(Some(1))
        .iter()
        .map(|c| c.log_name())
        .collect();
    assert!(case0.contains(&"output_model_qwen-14b_max_model_len_16752.txt".to_string()));
    assert!(case1.contains(&"output_model_qwen-14b.txt".to_string()));
    assert_eq!(recipe.part_of_folder("case1"), Some(1));
}

#[test]
fn unknown_model_points_at_its_line() {
    let text = "title = \"t\"\nfolder = \"f\"\n[run]\nvllm = \"0.10.1.1\"\nconfigs = [{ model = \"nope\" }]\n";
    let err = Recipe::parse(Path::new("figures/x.toml"), text, Some(&models()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("model `nope` is not in models.toml"), "{err}");
    assert!(err.contains("figures/x.toml:5:"), "{err}");
}

#[test]
fn unknown_key_in_a_plot_is_an_error() {
    let text = "title = \"t\"\nfolder = \"f\"\n[run]\nvllm = \"1\"\nconfigs = []\n[[plot]]\nfigure = \"2\"\noutput = \"o.pdf\"\nkind = \"stacked_stages\"\nylabel = \"y\"\nsteps = []\ncolour = 1\n";
    let err = Recipe::parse(Path::new("r.toml"), text, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn errors_inside_a_plot_name_the_field_and_its_line() {
    let head = "title = \"t\"\nfolder = \"f\"\n[run]\nvllm = \"1\"\nconfigs = []\n[[plot]]\nfigure = \"2\"\noutput = \"o.pdf\"\n";
    let cases = [
        (
            "kind = \"stacked_stages\"\nylabel = \"y\"\nsteps = []\ncolour = 1\n",
            "field `colour`: unknown field `colour`",
            "r.toml:12:1",
        ),
        (
            "kind = \"regression_bars\"\nmetric = \"graph_capturing\"\nx = \"batch_sizes\"\nmodels = {}\nxlabel = \"x\"\nylabel = \"y\"\ninset_xlabel = \"a\"\ninset_ylabel = \"b\"\nylim_multiplier = \"big\"\n",
            "field `ylim_multiplier`: invalid type: string \"big\", expected f64",
            "r.toml:17:19",
        ),
        (
            "kind = \"bars\"\n",
            "field `kind`: unknown kind `bars`",
            "r.toml:9:8",
        ),
    ];
    for (plot, message, place) in cases {
        let text = format!("{head}{plot}");
        let err = Recipe::parse(Path::new("r.toml"), &text, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("[[plot]] number 1"), "{err}");
        assert!(err.contains(message), "{err}");
        assert!(err.contains(place), "{err}");
    }
}

/// Errors found after parsing point at the value itself, not at the first place its text
/// appears in the file (here the title names the model first).
#[test]
fn a_post_parse_error_points_at_the_value_not_a_mention_of_it() {
    let text = "title = \"why \\\"nope\\\" is slow\"\nfolder = \"f\"\n[run]\nvllm = \"1\"\nconfigs = [{ model = \"qwen-4b\" }, { model = \"nope\" }]\n";
    let err = Recipe::parse(Path::new("r.toml"), text, Some(&models()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("model `nope` is not in models.toml"), "{err}");
    assert!(err.contains("r.toml:5:"), "{err}");
    let text = "title = \"t\"\nfolder = \".hidden\"\n[run]\nvllm = \"1\"\nconfigs = []\n";
    let err = Recipe::parse(Path::new("r.toml"), text, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("r.toml:2:10"), "{err}");
}
