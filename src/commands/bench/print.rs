//! What `repro bench` prints of its runs: a line per event on stderr (nothing but failures
//! under `-q`), and on stdout the tables at the end — a row per complete serving run, per
//! offline benchmark its runs, per shared run its aggregate.

use repro::bench::aggregate::Aggregate;
use repro::bench::capacity_search::CapacityEvent;
use repro::bench::harness::OfflineSummary;
use repro::bench::metrics::Summary;
use repro::bench::prefill::PrefillFile;
use repro::bench::startup::Startup;
use repro::bench::{Event, Finished};

use crate::commands::Output;

fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}", x * 1000.0))
        .unwrap_or_else(|| "-".into())
}

/// A row of the table printed at the end: one complete serving run.
struct Row {
    run: String,
    ok: usize,
    requests: usize,
    achieved_rate: Option<f64>,
    request_throughput: f64,
    ttft_p50: String,
    ttft_p99: String,
    tpot_p50: String,
    tpot_p99: String,
    goodput: f64,
}

impl Row {
    fn of(run: String, s: &Summary) -> Row {
        Row {
            run,
            ok: s.outcomes["ok"],
            requests: s.requests,
            achieved_rate: s.arrivals.achieved_rate,
            request_throughput: s.request_throughput,
            ttft_p50: ms(s.ttft.p50),
            ttft_p99: ms(s.ttft.p99),
            tpot_p50: ms(s.tpot.p50),
            tpot_p99: ms(s.tpot.p99),
            goodput: s.goodput,
        }
    }
}

/// Draws the events of every benchmark of one command and keeps what the tables need.
pub struct Printer<'a> {
    out: &'a Output,
    rows: Vec<Row>,
    /// The offline rows of the benchmark under way.
    offline: Vec<String>,
    /// The aggregates of the shared runs of the benchmark under way.
    aggregates: Vec<String>,
}

impl<'a> Printer<'a> {
    pub fn new(out: &'a Output) -> Printer<'a> {
        Printer {
            out,
            rows: Vec::new(),
            offline: Vec::new(),
            aggregates: Vec::new(),
        }
    }

    /// Show what happened to a run of benchmark `name`.
    pub fn event(&mut self, event: Event, name: &str) {
        let quiet = self.out.quiet;
        match event {
            Event::Skipped { label } if !quiet => {
                eprintln!("  {label}: done before, skipped (--force to rerun)")
            }
            Event::Starting { label, command } if !quiet => match command {
                Some(argv) if self.out.verbose => {
                    eprintln!("  {label}: starting `{}`", argv.join(" "))
                }
                Some(_) => eprintln!("  {label}: starting the server"),
                None => eprintln!("  {label}: using the server by URL"),
            },
            Event::Harness { label } if !quiet => {
                eprintln!("  {label}: running LLM.generate in the harness")
            }
            Event::Healthy { label, after, path } if !quiet => {
                eprintln!(
                    "  {label}: healthy after {:.1}s ({path})",
                    after.as_secs_f64()
                )
            }
            Event::Loading { label, requests } if !quiet => {
                eprintln!("  {label}: sending {requests} requests")
            }
            Event::Finished { label, result, dir } => match result {
                Finished::Serve(summary) => self.served(name, label, summary, dir),
                Finished::Offline(summary) => {
                    if !quiet {
                        eprintln!("  {label}: done → {}", dir.display());
                    }
                    self.offline.push(offline_row(name, label, summary));
                }
                Finished::Shared { tenants, aggregate } => {
                    for (tenant, summary) in tenants {
                        self.served(name, &format!("{label}/{tenant}"), summary, dir);
                    }
                    self.aggregates
                        .push(aggregate_words(name, label, aggregate));
                }
            },
            Event::Failed { label, error, kept } => {
                eprintln!("  {label}: FAILED: {error}");
                if let Some(kept) = kept {
                    eprintln!("  {label}: kept for inspection in {}", kept.display());
                }
            }
            _ => {}
        }
    }

    /// A complete serving run (or tenant): its lines, and its row.
    fn served(&mut self, name: &str, label: &str, summary: &Summary, dir: &std::path::Path) {
        if !self.out.quiet {
            eprintln!("  {label}: done → {}", dir.display());
            if let Some(startup) = &summary.startup {
                eprintln!("  {label}: start-up: {}", startup_words(startup));
            }
        }
        self.rows.push(Row::of(format!("{name}/{label}"), summary));
    }

    /// After each benchmark: its offline runs' table, its shared runs' aggregates.
    pub fn benchmark_done(&mut self) {
        if !self.offline.is_empty() {
            println!("{:<48} {:>10} {:>40}", "run", "mode", "result");
            for r in self.offline.drain(..) {
                println!("{r}");
            }
        }
        for a in self.aggregates.drain(..) {
            println!("{a}");
        }
    }

    /// The closing table: a row per serving run of this command.
    pub fn print_rows(&self) {
        if self.rows.is_empty() {
            return;
        }
        println!(
            "{:<32} {:>9} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8}",
            "run",
            "ok/total",
            "rate",
            "req/s",
            "ttft p50",
            "ttft p99",
            "tpot p50",
            "tpot p99",
            "goodput"
        );
        for r in &self.rows {
            println!(
                "{:<32} {:>9} {:>8} {:>8.2} {:>9} {:>9} {:>9} {:>9} {:>8.2}",
                r.run,
                format!("{}/{}", r.ok, r.requests),
                r.achieved_rate
                    .map(|x| format!("{x:.2}"))
                    .unwrap_or_else(|| "-".into()),
                r.request_throughput,
                r.ttft_p50,
                r.ttft_p99,
                r.tpot_p50,
                r.tpot_p99,
                r.goodput
            );
        }
        println!(
            "(latencies in ms; rate = achieved requests/s sent; goodput = requests/s meeting the SLOs)"
        );
    }
}

/// `healthy 41.2 s after spawn, first token at 41.3 s; its log: model loading 2.1 s, …`.
fn startup_words(s: &Startup) -> String {
    let mut parts = Vec::new();
    if let Some(h) = s.spawn_to_healthy_s {
        parts.push(format!("healthy {h:.1} s after spawn"));
    }
    if let Some(t) = s.spawn_to_first_token_s {
        parts.push(format!("first token at {t:.1} s"));
    }
    let mut text = parts.join(", ");
    let logged: Vec<String> = [
        ("model loading", "model_loading_s"),
        ("torch.compile", "torch_compile_s"),
        ("graph capture", "graph_capture_s"),
        ("init engine", "init_engine_s"),
    ]
    .iter()
    .filter_map(|(name, key)| s.ledger_value(key).map(|v| format!("{name} {v:.1} s")))
    .collect();
    match (&s.ledger_error, logged.is_empty()) {
        (Some(error), _) => text.push_str(&format!("; its log: {error}")),
        (None, false) => text.push_str(&format!("; its log: {}", logged.join(", "))),
        (None, true) => {}
    }
    text
}

/// An offline run's line of its table.
fn offline_row(name: &str, label: &str, s: &OfflineSummary) -> String {
    let result = match (&s.latency, &s.throughput) {
        (Some(l), _) => format!(
            "latency p50 {} ms, p99 {} ms, {:.1} tok/s",
            ms(l.percentiles_s.get("50").copied()),
            ms(l.percentiles_s.get("99").copied()),
            l.output_tokens_per_s
        ),
        (None, Some(t)) => format!(
            "{:.2} req/s, {:.1} in tok/s, {:.1} out tok/s",
            t.requests_per_s, t.input_tokens_per_s, t.output_tokens_per_s
        ),
        (None, None) => "-".into(),
    };
    format!(
        "{:<48} {:>10} {:>40}",
        format!("{name}/{label}"),
        s.mode.name(),
        result
    )
}

fn opt(v: Option<f64>, scale: f64, digits: usize) -> String {
    v.map(|x| format!("{:.digits$}", x * scale))
        .unwrap_or_else(|| "-".into())
}

/// The aggregate of a shared run, as printed.
fn aggregate_words(name: &str, label: &str, a: &Aggregate) -> String {
    let mut text = format!(
        "{name}/{label} (sharing {}): device throughput {:.2} req/s, {:.1} output tok/s over {:.2} s; slowest tenant {}\n",
        a.sharing.name(),
        a.device_request_throughput,
        a.device_output_throughput,
        a.longest_completion_s,
        a.slowest_tenant.as_deref().unwrap_or("-"),
    );
    text.push_str(&format!(
        "  {:<12} {:>9} {:>9} {:>10} {:>10} {:>10} {:>9}\n",
        "tenant", "ok/total", "req/s", "e2e mean", "solo e2e", "slowdown", "tok/s ×"
    ));
    for t in &a.tenants {
        text.push_str(&format!(
            "  {:<12} {:>9} {:>9.2} {:>10} {:>10} {:>10} {:>9}\n",
            t.name,
            format!("{}/{}", t.ok, t.requests),
            t.request_throughput,
            opt(t.e2e_mean, 1000.0, 1),
            opt(t.solo.as_ref().and_then(|s| s.e2e_mean), 1000.0, 1),
            opt(t.slowdown, 1.0, 2),
            opt(t.throughput_ratio, 1.0, 2),
        ));
    }
    text.push_str("  (e2e in ms; slowdown = mean E2E shared / alone; tok/s × = output tokens/s shared / alone)");
    text
}

/// A capacity search's progress, on stderr.
pub fn capacity_event(event: &CapacityEvent, quiet: bool) {
    match event {
        CapacityEvent::Config { config } if !quiet => {
            eprintln!("  capacity search of `{config}`")
        }
        CapacityEvent::Probed { config, probe } if !quiet => {
            let mut words = format!(
                "  {config} {} req/s: {:.1}% meet the goal → {}",
                probe.rate,
                probe.score * 100.0,
                if probe.passed { "passes" } else { "fails" }
            );
            if let Some(why) = &probe.saturated {
                words.push_str(&format!("; over-saturated: {why}"));
            }
            if let Some(why) = &probe.invalid {
                words.push_str(&format!("; INVALID, the client was the limit: {why}"));
            }
            eprintln!("{words}");
        }
        CapacityEvent::Done { result } => {
            let found = match (result.capacity_rps, result.failing_rps) {
                (Some(c), Some(f)) => format!("{c} req/s (fails at {f})"),
                (Some(c), None) => format!("at least {c} req/s"),
                (None, Some(f)) => format!("below {f} req/s"),
                (None, None) => "unknown".to_string(),
            };
            eprintln!(
                "  {}: capacity {found} after {} probes; stopped: {}",
                result.config,
                result.probes.len(),
                result.stop_words
            );
        }
        _ => {}
    }
}

/// Each configuration's fitted prefill time, as a formula in the prompt's tokens.
pub fn prefill_fits(file: &PrefillFile, bench: &std::path::Path) {
    for c in &file.configs {
        let Some(fit) = &c.fit else { continue };
        let terms: Vec<String> = fit
            .coefficients
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{:.4e}·n^{i}", k))
            .collect();
        eprintln!(
            "  {}: prefill ≈ {} s (n prompt tokens; rmse {:.2} ms over {} lengths) → {}",
            c.config,
            terms.join(" + "),
            fit.rmse * 1000.0,
            c.points.len(),
            bench.join("prefill.json").display()
        );
    }
}
