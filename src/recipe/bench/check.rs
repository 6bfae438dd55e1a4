//! Checking a benchmark recipe after parsing: what its server needs by its kind, its compile
//! cache axis, its capacity search, its prefill profile, and every run of its matrix — each
//! error placed at its key.

use super::*;

/// What a server table needs by its kind.
pub(super) fn check_server(
    s: &ServerSpec,
    at: &dyn Fn(&[&str], String) -> ConfigError,
) -> Result<(), ConfigError> {
    match s.kind {
        ServerKind::Vllm if s.vllm.is_none() => Err(at(
            &["server"],
            "a `vllm` server needs `vllm = \"<version>\"` (its environment: `repro env setup`)"
                .into(),
        )),
        ServerKind::Command if s.command.is_empty() => Err(at(
            &["server"],
            "a `command` server needs `command = [\"program\", \"arg\", …]`".into(),
        )),
        ServerKind::Url => match &s.url {
            None => Err(at(
                &["server"],
                "a `url` server needs `url = \"http://host:port\"`".into(),
            )),
            Some(url) if !url.starts_with("http://") => Err(at(
                &["server", "url"],
                format!("`server.url` `{url}` must start with `http://` (TLS is not built in)"),
            )),
            Some(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

/// What is wrong with a prefill profile, where something is: its key and why.
pub(super) fn prefill_problem(
    recipe: &BenchRecipe,
    p: &PrefillSpec,
) -> Option<(&'static str, &'static str)> {
    if recipe.capacity.is_some() {
        Some((
            "lens",
            "a recipe is a capacity search or a prefill profile, not both",
        ))
    } else if p.lens.len() < 2 || p.lens.contains(&0) {
        Some((
            "lens",
            "`prefill_profile.lens` needs at least two prompt lengths, each ≥ 1",
        ))
    } else if p.repeats == 0 || p.output_len == 0 {
        Some((
            "repeats",
            "`prefill_profile.repeats` and `output_len` must be at least 1",
        ))
    } else if !(1..=2).contains(&p.degree) {
        Some((
            "degree",
            "`prefill_profile.degree` is 1 (linear) or 2 (quadratic)",
        ))
    } else {
        None
    }
}

/// One run of the matrix: its arrival, its size, its output lengths, its server arguments.
pub(super) fn check_run(
    recipe: &BenchRecipe,
    mut run: BenchRun,
    at: &dyn Fn(&[&str], String) -> ConfigError,
) -> Result<(), ConfigError> {
    // A run's value comes from the matrix where the matrix sweeps it.
    let workload_at = |key: &str, message: String| {
        let table = match recipe.matrix.contains_key(key) {
            true => "matrix",
            false => "workload",
        };
        at(&[table, key], message)
    };
    // A capacity search sets the rate of every probe; check its runs at the lowest.
    if let Some(c) = &recipe.capacity {
        run.workload.rate = Some(c.min_rate);
    }
    let w = &run.workload;
    let problem = match w.arrival {
        Arrival::Closed if w.concurrency.unwrap_or(0) == 0 => {
            Some("a `closed` arrival needs `concurrency` ≥ 1 (in [workload] or [matrix])")
        }
        Arrival::Poisson | Arrival::Gamma if !w.rate.is_some_and(|r| r > 0.0 && r.is_finite()) => {
            Some("a `poisson` or `gamma` arrival needs `rate` > 0 (requests/s, in [workload] or [matrix])")
        }
        Arrival::Gamma if !w.burstiness.is_some_and(|b| b > 0.0 && b.is_finite()) => {
            Some("a `gamma` arrival needs `burstiness` > 0 (1 = Poisson)")
        }
        Arrival::Trace if w.trace.is_none() => Some("a `trace` arrival needs `trace = \"file\"`"),
        _ => None,
    };
    if let Some(problem) = problem {
        return Err(workload_at(
            "arrival",
            format!("run `{}`: {problem}", run.label),
        ));
    }
    if w.requests == 0 || w.requests > 1_000_000 {
        return Err(workload_at(
            "requests",
            format!("run `{}`: `requests` must be 1 to 1000000", run.label),
        ));
    }
    if w.repeats.is_some_and(|n| n == 0 || n > 100) {
        return Err(at(
            &["workload", "repeats"],
            "`repeats` must be 1 to 100".into(),
        ));
    }
    if w.repeats.is_some() && (recipe.capacity.is_some() || recipe.prefill_profile.is_some()) {
        return Err(at(
            &["workload", "repeats"],
            "`repeats` repeats the points of a matrix; a capacity search or a prefill profile picks its own (leave it out)".into(),
        ));
    }
    if let Some(c) = &w.conversation {
        if recipe.prefill_profile.is_some() {
            return Err(at(
                &["workload", "conversation"],
                "a prefill profile sends one prompt at a time; leave `conversation` out".into(),
            ));
        }
        if c.turns.is_none() && c.file.is_none() {
            return Err(at(
                &["workload", "conversation"],
                "a conversation needs `turns` (a length distribution) or a `file`".into(),
            ));
        }
        if !matches!(w.prompt, PromptSpec::Synthetic { .. }) && c.file.is_none() {
            return Err(at(
                &["workload", "conversation"],
                "a synthetic conversation's user messages need `prompt = { kind = \"synthetic\", … }`".into(),
            ));
        }
    }
    let from_file = w.conversation.as_ref().is_some_and(|c| c.file.is_some());
    if w.output_len.is_none() && !from_file && !matches!(w.prompt, PromptSpec::Dataset { .. }) {
        return Err(at(
            &["workload"],
            "`workload.output_len` is needed unless prompts come from a dataset".into(),
        ));
    }
    if recipe.server.kind == ServerKind::Url && !run.server_args.is_empty() {
        return Err(at(
            &["matrix"],
            format!("matrix key(s) {:?} would be server arguments, but a `url` server is not started by repro", run.server_args),
        ));
    }
    Ok(())
}

/// `cache` in the matrix is `"cold"` or `"warm"`, for a server repro starts.
pub(super) fn check_cache(
    recipe: &BenchRecipe,
    at: &dyn Fn(&[&str], String) -> ConfigError,
) -> Result<(), ConfigError> {
    let Some(value) = recipe.matrix.get(CACHE_PARAM) else {
        return Ok(());
    };
    let values = match value {
        ParamValue::One(one) => std::slice::from_ref(one),
        ParamValue::Sweep(list) => list.as_slice(),
    };
    if let Some(bad) = values
        .iter()
        .find(|v| !matches!(v, Scalar::Str(s) if s == "cold" || s == "warm"))
    {
        return Err(at(&["matrix", CACHE_PARAM], format!("`cache` is \"cold\" (fresh compile caches for the server) or \"warm\" (the caches an earlier start of the same server left), not `{}`", bad.python_str())));
    }
    if recipe.server.kind == ServerKind::Url {
        return Err(at(
            &["matrix", CACHE_PARAM],
            "`cache` needs a server repro starts: a `url` server's caches are not repro's".into(),
        ));
    }
    Ok(())
}

/// What a `[capacity]` table needs to make sense.
pub(super) fn check_capacity(
    recipe: &BenchRecipe,
    c: &CapacitySpec,
    at: &dyn Fn(&[&str], String) -> ConfigError,
) -> Result<(), ConfigError> {
    // The first problem found, in the order the keys are checked.
    let problem = capacity_range_problem(c).or_else(|| capacity_setting_problem(recipe, c));
    if let Some((key, message)) = problem {
        return Err(at(&["capacity", key], message.to_string()));
    }
    if !matches!(recipe.workload.arrival, Arrival::Poisson | Arrival::Gamma) {
        return Err(at(
            &["workload", "arrival"],
            "a capacity search offers an open-loop rate: `arrival` must be `poisson` or `gamma`"
                .into(),
        ));
    }
    if recipe.matrix.contains_key("rate") {
        return Err(at(
            &["matrix", "rate"],
            "a capacity search sets the rate itself: take `rate` out of [matrix]".into(),
        ));
    }
    Ok(())
}

/// What is wrong with the rates and shares of a `[capacity]` table: its key and why.
fn capacity_range_problem(c: &CapacitySpec) -> Option<(&'static str, &'static str)> {
    let positive = |v: f64| v > 0.0 && v.is_finite();
    if !positive(c.min_rate) {
        Some((
            "min_rate",
            "`capacity.min_rate` must be a rate > 0 (requests/s)",
        ))
    } else if !positive(c.max_rate) || c.max_rate < c.min_rate {
        Some((
            "max_rate",
            "`capacity.max_rate` must be at least `min_rate`",
        ))
    } else if c
        .start_rate
        .is_some_and(|s| !(c.min_rate..=c.max_rate).contains(&s))
    {
        Some((
            "start_rate",
            "`capacity.start_rate` must lie within `min_rate`..`max_rate`",
        ))
    } else if !(c.attainment > 0.0 && c.attainment <= 1.0) {
        Some((
            "attainment",
            "`capacity.attainment` is a share: more than 0, at most 1",
        ))
    } else if !(c.fluidity > 0.0 && c.fluidity <= 1.0) {
        Some((
            "fluidity",
            "`capacity.fluidity` is a fluidity-index: more than 0, at most 1",
        ))
    } else if !(positive(c.precision) && c.precision < 1.0) {
        Some((
            "precision",
            "`capacity.precision` is a share of the rate: more than 0, less than 1 (0.05 = 5 %)",
        ))
    } else {
        None
    }
}

/// What is wrong with the search settings of a `[capacity]` table and its goal: its key and why.
fn capacity_setting_problem(
    recipe: &BenchRecipe,
    c: &CapacitySpec,
) -> Option<(&'static str, &'static str)> {
    if c.max_probes < 2 {
        Some(("max_probes", "`capacity.max_probes` must be at least 2"))
    } else if !(c.growth > 1.0 && c.growth.is_finite()) {
        Some(("growth", "`capacity.growth` must be a factor more than 1"))
    } else if c.prefill.is_some() && c.goal != CapacityGoal::Fluidity {
        Some((
            "prefill",
            "`capacity.prefill` sets per-prompt TTFT deadlines: it needs `goal = \"fluidity\"`",
        ))
    } else if c.max_in_flight == Some(0) {
        Some((
            "max_in_flight",
            "`capacity.max_in_flight` must be at least 1",
        ))
    } else if !(c.saturation > 0.0 && c.saturation < 1.0) {
        Some((
            "saturation",
            "`capacity.saturation` is a share: more than 0, less than 1",
        ))
    } else if c.goal == CapacityGoal::Slo
        && [recipe.slo.ttft, recipe.slo.tpot, recipe.slo.e2e]
            .iter()
            .all(Option::is_none)
    {
        Some(("goal", "`goal = \"slo\"` needs an SLO in [slo] (ttft, tpot or e2e), or use `goal = \"fluidity\"`"))
    } else {
        None
    }
}
