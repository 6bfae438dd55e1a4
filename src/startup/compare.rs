//! Two sets of runs compared per group and phase: both medians, their ratio, and whether the
//! difference is beyond the noise of the runs. The test, as the output and docs/startup.md
//! state it:
//!
//! a phase is **slower** (a regression) when NEW's median over BASE's is above `1 + fail_over`,
//! the medians differ by at least `min_diff_s`, and — where both sides have two runs or more —
//! the two sides' min–max ranges do not overlap; **faster** the same way below
//! `1 / (1 + fail_over)`. With one run on a side only the ratio and `min_diff_s` decide. A
//! phase only NEW has (a stage the base never ran, as compiling is for cold caches) is slower
//! when its median is at least `min_diff_s`.

use serde::Serialize;

use super::group::{Group, PhaseStats};
use super::short;

/// The test's thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// A ratio above `1 + fail_over` is slower (0.10: 10 %).
    pub fail_over: f64,
    /// Medians closer than this are never a difference (clock resolution, printed rounding).
    pub min_diff_s: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fail_over: 0.10,
            min_diff_s: 0.1,
        }
    }
}

/// The test in words, for the table and the JSON.
pub fn test_text(o: &Options) -> String {
    format!(
        "slower: NEW/BASE median > {:.2} and |difference| >= {} s and, where both sides have >= 2 runs, their min-max ranges do not overlap (one run on a side: the ratio and the difference alone); faster: the same below {:.3}; a phase only NEW has is slower when its median >= {} s",
        1.0 + o.fail_over,
        o.min_diff_s,
        1.0 / (1.0 + o.fail_over),
        o.min_diff_s
    )
}

/// A side's numbers of a phase.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub n: usize,
}

impl From<&PhaseStats> for Side {
    fn from(p: &PhaseStats) -> Side {
        Side {
            median_s: p.median_s,
            min_s: p.min_s,
            max_s: p.max_s,
            n: p.n,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Slower,
    Faster,
    /// Within the noise or the threshold.
    Same,
    OnlyBase,
    OnlyNew,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Slower => "SLOWER",
            Verdict::Faster => "faster",
            Verdict::Same => "same",
            Verdict::OnlyBase => "only in BASE",
            Verdict::OnlyNew => "only in NEW",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseDiff {
    pub phase: String,
    pub base: Option<Side>,
    pub new: Option<Side>,
    /// NEW's median / BASE's; `null` where a side lacks the phase or BASE's is 0.
    pub ratio: Option<f64>,
    /// The min–max ranges do not overlap (`null` where a side has one run or lacks it).
    pub ranges_apart: Option<bool>,
    pub beyond_noise: bool,
    pub verdict: Verdict,
    /// Slower beyond the noise, or only in NEW and long enough: a regression.
    pub regression: bool,
}

/// Two groups paired.
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    pub base: String,
    pub new: String,
    pub phases: Vec<PhaseDiff>,
}

/// A regression, for CI.
#[derive(Debug, Clone, Serialize)]
pub struct Regression {
    pub base_group: String,
    pub new_group: String,
    pub phase: String,
    pub base_median_s: Option<f64>,
    pub new_median_s: f64,
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub test: String,
    pub fail_over: f64,
    pub min_diff_s: f64,
    pub pairs: Vec<Pair>,
    /// Groups of one side with no partner on the other.
    pub unpaired_base: Vec<String>,
    pub unpaired_new: Vec<String>,
    pub regressions: Vec<Regression>,
}

/// Which NEW group each BASE group pairs with: the same label; where several NEW groups have
/// it, those of the same first-run kind, cache state, version, loader and experiment, as long
/// as one is left; a NEW group pairs once. A single group left on each side pairs too.
fn pairs(base: &[Group], new: &[Group]) -> Vec<(usize, usize)> {
    let mut taken = vec![false; new.len()];
    let mut out = Vec::new();
    for (b, bg) in base.iter().enumerate() {
        let mut cands: Vec<usize> = (0..new.len())
            .filter(|&n| !taken[n] && new[n].config.label == bg.config.label)
            .collect();
        let narrowers: [&dyn Fn(&Group) -> bool; 5] = [
            &|g| g.config.uncached == bg.config.uncached,
            &|g| g.config.cache == bg.config.cache,
            &|g| g.config.vllm == bg.config.vllm,
            &|g| g.config.loader == bg.config.loader,
            &|g| g.config.experiment == bg.config.experiment,
        ];
        for keep in narrowers {
            let narrowed: Vec<usize> = cands.iter().copied().filter(|&n| keep(&new[n])).collect();
            if !narrowed.is_empty() {
                cands = narrowed;
            }
        }
        if let Some(&n) = cands.first() {
            taken[n] = true;
            out.push((b, n));
        }
    }
    // One group left on each side (two logs of other names, `base.log` and `new.log`): they
    // are the two things compared.
    let left_base: Vec<usize> = (0..base.len())
        .filter(|b| !out.iter().any(|p| p.0 == *b))
        .collect();
    let left_new: Vec<usize> = (0..new.len()).filter(|n| !taken[*n]).collect();
    if let ([b], [n]) = (left_base.as_slice(), left_new.as_slice()) {
        out.push((*b, *n));
    }
    out
}

fn diff(
    phase: &str,
    base: Option<&PhaseStats>,
    new: Option<&PhaseStats>,
    o: &Options,
) -> PhaseDiff {
    let (b, n) = (base.map(Side::from), new.map(Side::from));
    let mut d = PhaseDiff {
        phase: phase.to_string(),
        ratio: None,
        ranges_apart: None,
        beyond_noise: false,
        verdict: Verdict::Same,
        regression: false,
        base: b.clone(),
        new: n.clone(),
    };
    match (b, n) {
        (Some(b), Some(n)) => {
            let ratio = (b.median_s > 0.0).then(|| n.median_s / b.median_s);
            let apart = (b.n >= 2 && n.n >= 2).then_some(n.min_s > b.max_s || n.max_s < b.min_s);
            let big = (n.median_s - b.median_s).abs() >= o.min_diff_s;
            let up = ratio.is_none_or(|r| r > 1.0 + o.fail_over) && n.median_s > b.median_s;
            let down = ratio.is_some_and(|r| r < 1.0 / (1.0 + o.fail_over));
            d.beyond_noise = big && apart.unwrap_or(true) && (up || down);
            d.verdict = match (d.beyond_noise, up) {
                (true, true) => Verdict::Slower,
                (true, false) => Verdict::Faster,
                (false, _) => Verdict::Same,
            };
            d.regression = d.verdict == Verdict::Slower;
            d.ratio = ratio;
            d.ranges_apart = apart;
        }
        (Some(_), None) => d.verdict = Verdict::OnlyBase,
        (None, Some(n)) => {
            d.verdict = Verdict::OnlyNew;
            d.beyond_noise = n.median_s >= o.min_diff_s;
            d.regression = d.beyond_noise;
        }
        (None, None) => {}
    }
    d
}

/// BASE's groups against NEW's.
pub fn compare(base: &[Group], new: &[Group], o: &Options) -> Comparison {
    let paired = pairs(base, new);
    let mut out = Comparison {
        test: test_text(o),
        fail_over: o.fail_over,
        min_diff_s: o.min_diff_s,
        pairs: Vec::new(),
        unpaired_base: base
            .iter()
            .enumerate()
            .filter(|(i, _)| !paired.iter().any(|p| p.0 == *i))
            .map(|(_, g)| g.id.clone())
            .collect(),
        unpaired_new: new
            .iter()
            .enumerate()
            .filter(|(i, _)| !paired.iter().any(|p| p.1 == *i))
            .map(|(_, g)| g.id.clone())
            .collect(),
        regressions: Vec::new(),
    };
    for (b, n) in paired {
        let (bg, ng) = (&base[b], &new[n]);
        let mut names: Vec<&str> = bg.phases.iter().map(|p| p.phase.as_str()).collect();
        for p in &ng.phases {
            if !names.contains(&p.phase.as_str()) {
                names.push(&p.phase);
            }
        }
        let phases: Vec<PhaseDiff> = names
            .iter()
            .map(|name| diff(name, bg.phase(name), ng.phase(name), o))
            .collect();
        for d in phases.iter().filter(|d| d.regression) {
            out.regressions.push(Regression {
                base_group: bg.id.clone(),
                new_group: ng.id.clone(),
                phase: d.phase.clone(),
                base_median_s: d.base.as_ref().map(|s| s.median_s),
                new_median_s: d.new.as_ref().map_or(0.0, |s| s.median_s),
                ratio: d.ratio,
            });
        }
        out.pairs.push(Pair {
            base: bg.id.clone(),
            new: ng.id.clone(),
            phases,
        });
    }
    out
}

fn side_text(s: &Option<Side>) -> (String, String) {
    match s {
        Some(s) => (
            super::secs(s.median_s),
            format!(
                "{}-{} n={}",
                super::secs(s.min_s),
                super::secs(s.max_s),
                s.n
            ),
        ),
        None => ("-".into(), String::new()),
    }
}

/// The comparison as a table: per pair one line per phase, then the regressions.
pub fn table(c: &Comparison) -> String {
    let mut out = format!("test: {}\n\n", c.test);
    for p in &c.pairs {
        out.push_str(&format!("BASE {}\nNEW  {}\n", p.base, p.new));
        out.push_str(&format!(
            "  {:<30} {:>8} {:>22} {:>8} {:>22} {:>7}  verdict\n",
            "phase", "base", "base range", "new", "new range", "ratio"
        ));
        for d in &p.phases {
            let (bm, br) = side_text(&d.base);
            let (nm, nr) = side_text(&d.new);
            let ratio = d.ratio.map_or("-".to_string(), |r| format!("{r:.2}"));
            out.push_str(&format!(
                "  {:<30} {:>8} {:>22} {:>8} {:>22} {:>7}  {}\n",
                short(&d.phase),
                bm,
                br,
                nm,
                nr,
                ratio,
                d.verdict.as_str()
            ));
        }
        out.push('\n');
    }
    for (side, ids) in [("BASE", &c.unpaired_base), ("NEW", &c.unpaired_new)] {
        for id in ids {
            out.push_str(&format!("unpaired in {side}: {id}\n"));
        }
    }
    if c.regressions.is_empty() {
        out.push_str("regressions: none\n");
    } else {
        out.push_str(&format!("regressions ({}):\n", c.regressions.len()));
        for r in &c.regressions {
            let how = match (r.base_median_s, r.ratio) {
                (Some(b), Some(ratio)) => format!(
                    "{} s -> {} s ({ratio:.2}x)",
                    super::secs(b),
                    super::secs(r.new_median_s)
                ),
                _ => format!("{} s, only in NEW", super::secs(r.new_median_s)),
            };
            out.push_str(&format!("  {}  {}: {how}\n", r.new_group, short(&r.phase)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::group::groups;
    use super::super::Cache;
    use super::super::{Config, PhaseSource, RunPhases};
    use super::*;
    use indexmap::IndexMap;

    fn run(label: &str, cache: Cache, values: &[(&str, f64)]) -> RunPhases {
        RunPhases {
            source: format!("x/{label}.txt").into(),
            config: Config {
                experiment: "x".into(),
                label: label.into(),
                uncached: false,
                model: None,
                vllm: None,
                cache: Some(cache),
                loader: None,
            },
            cache_from: None,
            paper: false,
            complete: true,
            phases: values
                .iter()
                .map(|(k, v)| (k.to_string(), (*v, PhaseSource::Printed)))
                .collect::<IndexMap<_, _>>(),
            timeline: None,
        }
    }

    #[test]
    fn slower_beyond_noise_is_a_regression_and_overlapping_ranges_are_not() {
        let base: Vec<RunPhases> = [10.0, 11.0, 12.0]
            .iter()
            .map(|v| {
                run(
                    "m",
                    Cache::Warm,
                    &[("load_weights_s", *v), ("torch_compile_s", 5.0 + v / 10.0)],
                )
            })
            .collect();
        // load_weights: 20 s, apart from 10–12 s; torch_compile: 6.1 in a 5.0–7.2 range that meets 6.0–6.2.
        let new: Vec<RunPhases> = [(20.0, 5.0), (21.0, 6.1), (22.0, 7.2)]
            .iter()
            .map(|(l, t)| {
                run(
                    "m",
                    Cache::Cold,
                    &[
                        ("load_weights_s", *l),
                        ("torch_compile_s", *t),
                        ("graph_compile_general_shape_s", 30.0),
                    ],
                )
            })
            .collect();
        let c = compare(&groups(&base), &groups(&new), &Options::default());
        assert_eq!(c.pairs.len(), 1, "paired by label across cache states");
        let v: Vec<(&str, Verdict)> = c.pairs[0]
            .phases
            .iter()
            .map(|d| (d.phase.as_str(), d.verdict))
            .collect();
        assert_eq!(
            v,
            [
                ("load_weights_s", Verdict::Slower),
                ("torch_compile_s", Verdict::Same),
                ("graph_compile_general_shape_s", Verdict::OnlyNew)
            ]
        );
        let r: Vec<&str> = c.regressions.iter().map(|r| r.phase.as_str()).collect();
        assert_eq!(r, ["load_weights_s", "graph_compile_general_shape_s"]);
        // The other way round: faster, and a phase only the base has is no regression.
        let back = compare(&groups(&new), &groups(&base), &Options::default());
        assert!(back.regressions.is_empty(), "{:?}", back.regressions);
        assert_eq!(back.pairs[0].phases[0].verdict, Verdict::Faster);
    }

    #[test]
    fn with_one_run_a_side_the_threshold_decides() {
        let base = [run(
            "m",
            Cache::Warm,
            &[("a_s", 10.0), ("b_s", 10.0), ("c_s", 0.01)],
        )];
        let new = [run(
            "m",
            Cache::Warm,
            &[("a_s", 10.9), ("b_s", 11.2), ("c_s", 0.05)],
        )];
        let c = compare(&groups(&base), &groups(&new), &Options::default());
        let v: Vec<Verdict> = c.pairs[0].phases.iter().map(|d| d.verdict).collect();
        // 9 % is under the threshold; 12 % is over; 0.04 s is under min_diff however large the ratio.
        assert_eq!(v, [Verdict::Same, Verdict::Slower, Verdict::Same]);
        let strict = Options {
            fail_over: 0.05,
            min_diff_s: 0.01,
        };
        let c = compare(&groups(&base), &groups(&new), &strict);
        assert_eq!(c.regressions.len(), 3);
        assert!(table(&c).contains("regressions (3)"));
    }

    #[test]
    fn unpaired_groups_are_named_and_two_lone_groups_pair() {
        let lone = compare(
            &groups(&[run("base", Cache::Warm, &[("x_s", 1.0)])]),
            &groups(&[run("new", Cache::Warm, &[("x_s", 2.0)])]),
            &Options::default(),
        );
        assert_eq!(lone.pairs.len(), 1);
        assert_eq!(lone.regressions.len(), 1);
        let c = compare(
            &groups(&[
                run("a", Cache::Warm, &[("x_s", 1.0)]),
                run("c", Cache::Warm, &[("x_s", 1.0)]),
                run("d", Cache::Warm, &[("x_s", 1.0)]),
            ]),
            &groups(&[
                run("b", Cache::Warm, &[("x_s", 1.0)]),
                run("c", Cache::Warm, &[("x_s", 1.0)]),
            ]),
            &Options::default(),
        );
        assert_eq!(c.pairs.len(), 1, "c with c; a and d against b is no pair");
        assert_eq!(
            (c.unpaired_base.as_slice(), c.unpaired_new.as_slice()),
            (
                &["x:a@warm".to_string(), "x:d@warm".to_string()][..],
                &["x:b@warm".to_string()][..]
            )
        );
    }
}
