//! The report as one HTML document: inline CSS, inline SVG, no script, nothing fetched. It reads
//! at laptop width (one column, tables scroll sideways inside their box) and prints.

use std::fmt::Write as _;

use crate::claims::{Checked, Outcome, Verdict};

use super::{ChartState, Level, Numbers, PartProvenance, Report, Section};

/// Text safe inside HTML elements and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An id made of letters, digits and `-` (`my sweep/x` → `my-sweep-x`).
pub fn anchor(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Inline `code` spans for text written with backticks (`results/figure-2`).
fn inline(text: &str) -> String {
    let mut out = String::new();
    for (i, piece) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(piece));
        } else {
            out.push_str(&escape(piece));
        }
    }
    out
}

const STYLE: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--link:#0969da}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--fg);background:#fff;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",sans-serif}
main{max-width:70rem;margin:0 auto;padding:1.5rem 1.25rem 4rem}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:1.55rem;line-height:1.25;margin:0 0 .35rem}
h2{font-size:1.25rem;margin:2.25rem 0 .5rem;padding-top:.75rem;border-top:1px solid var(--line)}
h3{font-size:1rem;margin:1.25rem 0 .4rem}
p{margin:.35rem 0}
.meta{color:var(--muted);font-size:.9rem}
nav{margin:1rem 0;font-size:.9rem;line-height:1.9}
nav a{display:inline-block;margin-right:.35rem;padding:0 .45rem;border:1px solid var(--line);border-radius:1rem;white-space:nowrap}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));gap:.6rem;margin:1rem 0}
.card{background:var(--soft);border:1px solid var(--line);border-radius:.5rem;padding:.55rem .8rem}
.card b{display:block;font-size:1.15rem}
.scroll{overflow-x:auto;margin:.4rem 0}
table{border-collapse:collapse;width:100%;font-size:.86rem}
th,td{text-align:left;vertical-align:top;padding:.3rem .55rem;border-bottom:1px solid var(--line)}
thead th{background:var(--soft);font-weight:600;white-space:nowrap}
tbody th{font-weight:600;white-space:nowrap;color:var(--muted)}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.claim{min-width:18rem;width:46%}
td.claim small{display:block;color:var(--muted)}
td.why{font-size:.82rem;color:var(--muted);min-width:9rem}
table.numbers{width:auto;min-width:min(34rem,100%)}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.78rem;font-weight:600;white-space:nowrap}
.supported{background:#dafbe1;color:var(--ok)}
.not_supported,.cannot_check{background:#ffebe9;color:var(--bad)}
.simulated,.synthetic{background:#fff8c5;color:var(--warn)}
.no_data{background:#eff2f5;color:var(--muted)}
.banner{background:#fff8c5;border-left:4px solid #d4a72c;padding:.45rem .75rem;margin:.6rem 0;font-weight:600}
.missing{background:var(--soft);border:1px dashed var(--line);border-radius:.5rem;padding:1rem;color:var(--muted)}
figure{margin:.75rem 0;text-align:center}
figure svg{display:inline-block;max-width:100%;height:auto}
ul.warnings{list-style:none;padding-left:0;margin:.4rem 0}
ul.warnings li{margin:.2rem 0}
.level{font-size:.75rem;font-weight:700;text-transform:uppercase;letter-spacing:.03em;margin-right:.35rem}
li.warning .level{color:var(--bad)}li.note .level{color:var(--muted)}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:.5rem;padding:.7rem .9rem;overflow-x:auto;font-size:.84rem;line-height:1.45}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.92em}
pre .c{color:var(--muted)}
details{margin:.4rem 0}
summary{cursor:pointer;color:var(--link)}
ul.notes{font-size:.88rem;color:var(--muted)}
@media print{nav{display:none}h2{break-before:page}figure,table{break-inside:avoid}}
"#;

/// The page.
pub fn page(report: &Report) -> String {
    let mut h = String::with_capacity(1 << 20);
    let results = report.results.display().to_string();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Reproduction report — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&results)
    );
    let _ = write!(
        h,
        "<header>\n<h1>Breaking the Ice: Analyzing Cold Start Latency in vLLM — reproduction report</h1>\n<p class=\"meta\">Results folder <code>{}</code> · made {} by <code>repro report</code> {} · one file, nothing fetched</p>\n</header>\n",
        escape(&results),
        escape(&report.generated),
        escape(report.repro_version)
    );
    cards(&mut h, report);
    contents(&mut h, report);
    warnings(&mut h, report);
    claims_table(&mut h, &report.claims, report);
    for section in &report.sections {
        figure_section(&mut h, section, &report.claims);
    }
    about(&mut h);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn cards(h: &mut String, report: &Report) {
    let drawn = report
        .sections
        .iter()
        .filter(|s| matches!(s.chart, ChartState::Drawn { .. }))
        .count();
    let count = |v: Verdict| report.claims.iter().filter(|c| c.verdict() == v).count();
    let warnings = report
        .warnings
        .iter()
        .filter(|w| w.level == Level::Warning)
        .count();
    let mut kinds: Vec<String> = Vec::new();
    for s in &report.sections {
        if let Some(d) = &s.data {
            let text = d.describe();
            if !kinds.contains(&text) {
                kinds.push(text);
            }
        }
    }
    let _ = write!(
        h,
        "<div class=\"cards\">\n<div class=\"card\"><b>{drawn} of {}</b>figures drawn</div>\n<div class=\"card\"><b>{} supported · {} not</b>of {} claims; {} on simulated or synthetic data, {} without data here</div>\n<div class=\"card\"><b>{warnings} warning(s)</b><a href=\"#warnings\">listed below</a></div>\n<div class=\"card\"><b>Data</b>{}</div>\n</div>\n",
        report.sections.len(),
        count(Verdict::Supported),
        count(Verdict::NotSupported),
        report.claims.len(),
        count(Verdict::Simulated) + count(Verdict::Synthetic),
        count(Verdict::NoData),
        if kinds.is_empty() {
            "none".to_string()
        } else {
            kinds.iter().map(|k| inline(k)).collect::<Vec<_>>().join("<br>")
        }
    );
}

fn contents(h: &mut String, report: &Report) {
    h.push_str("<nav aria-label=\"Contents\"><a href=\"#warnings\">Warnings</a><a href=\"#claims\">Claims</a>");
    for s in &report.sections {
        let _ = write!(h, "<a href=\"#{}\">{}</a>", s.anchor, escape(&s.heading));
    }
    h.push_str("<a href=\"#about\">About this page</a></nav>\n");
}

fn warnings(h: &mut String, report: &Report) {
    h.push_str("<section id=\"warnings\">\n<h2>Warnings</h2>\n");
    if report.warnings.is_empty() {
        h.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    h.push_str("<ul class=\"warnings\">\n");
    for (level, text, same) in super::grouped_warnings(&report.warnings) {
        let abouts: Vec<String> = same
            .iter()
            .map(|w| match &w.anchor {
                Some(a) => format!("<a href=\"#{a}\">{}</a>", escape(&w.about)),
                None => escape(&w.about),
            })
            .collect();
        let (class, word) = match level {
            Level::Warning => ("warning", "warning"),
            Level::Note => ("note", "note"),
        };
        let _ = writeln!(
            h,
            "<li class=\"{class}\"><span class=\"level\">{word}</span>{}: {}</li>",
            abouts.join(", "),
            inline(text)
        );
    }
    h.push_str("</ul>\n</section>\n");
}

fn verdict_badge(c: &Checked) -> String {
    let v = c.verdict();
    let class = serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default();
    format!("<span class=\"badge {class}\">{}</span>", escape(v.text()))
}

fn claims_table(h: &mut String, claims: &[Checked], report: &Report) {
    h.push_str("<section id=\"claims\">\n<h2>Claims</h2>\n<p class=\"meta\">Each claim is computed from the figure it rests on, as that figure is drawn below. A claim checked on fake-engine or synthetic-model data is never called supported; one checked on the paper's own published data shows that repro computes what the paper printed, not that it was reproduced.</p>\n");
    h.push_str("<div class=\"scroll\"><table>\n<thead><tr><th>verdict</th><th>claim</th><th>figure</th><th>measured</th><th>paper</th><th>needs</th></tr></thead>\n<tbody>\n");
    for c in claims {
        let figure = report
            .sections
            .iter()
            .find(|s| s.heading == format!("Figure {}", c.claim.figure))
            .map_or(escape(&c.claim.figure), |s| {
                format!("<a href=\"#{}\">{}</a>", s.anchor, escape(&c.claim.figure))
            });
        let measured = match &c.outcome {
            Outcome::Measured { .. } => format!(
                "<td class=\"n\">{}</td>",
                escape(&c.measured_text().unwrap_or_default())
            ),
            Outcome::NoData { missing, hint } => format!(
                "<td class=\"why\">no <code>{}</code> (<code>{}</code> makes it)</td>",
                escape(&missing.display().to_string()),
                escape(hint)
            ),
            Outcome::CannotCheck { why } => format!("<td class=\"why\">{}</td>", inline(why)),
        };
        let _ = writeln!(
            h,
            "<tr id=\"claim-{}\"><td>{}</td><td class=\"claim\">{}<small><code>{}</code> · {}</small></td><td class=\"n\">{figure}</td>{measured}<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            anchor(&c.claim.id),
            verdict_badge(c),
            escape(&c.claim.claim),
            escape(&c.claim.id),
            escape(&c.claim.source),
            escape(&c.paper_text()),
            escape(&c.needs_text()),
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn numbers_table(h: &mut String, numbers: &Numbers) {
    h.push_str("<div class=\"scroll\"><table class=\"numbers\">\n<thead><tr>");
    for cell in &numbers.header {
        let _ = write!(h, "<th>{}</th>", escape(cell));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in &numbers.rows {
        h.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let numeric = i > 0 && looks_numeric(cell);
            let class = if numeric { " class=\"n\"" } else { "" };
            let _ = write!(h, "<td{class}>{}</td>", escape(cell));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
    if !numbers.notes.is_empty() {
        h.push_str("<ul class=\"notes\">");
        for note in &numbers.notes {
            let _ = write!(h, "<li>{}</li>", inline(note));
        }
        h.push_str("</ul>\n");
    }
}

fn looks_numeric(cell: &str) -> bool {
    let t = cell.trim_start_matches(['+', '-']);
    t.starts_with(|c: char| c.is_ascii_digit()) || t == "–"
}

fn figure_section(h: &mut String, s: &Section, claims: &[Checked]) {
    let _ = write!(
        h,
        "<section id=\"{}\">\n<h2>{} — {}</h2>\n",
        s.anchor,
        escape(&s.heading),
        escape(&s.title)
    );
    let data = s
        .data
        .as_ref()
        .map_or("no data here".to_string(), |d| inline(&d.describe()));
    let _ = writeln!(
        h,
        "<p class=\"meta\">Recipe <code>{}</code> · data: {data}</p>",
        escape(&s.recipe)
    );
    chart(h, &s.chart);
    if let Some(startup) = &s.startup {
        h.push_str("<h3>Start-up of its runs</h3>\n");
        numbers_table(h, startup);
    }
    if !s.notes.is_empty() {
        h.push_str("<ul class=\"notes\">");
        for note in &s.notes {
            let _ = write!(h, "<li>{}</li>", inline(note));
        }
        h.push_str("</ul>\n");
    }
    let mine: Vec<&Checked> = claims
        .iter()
        .filter(|c| s.heading == format!("Figure {}", c.claim.figure))
        .collect();
    if !mine.is_empty() {
        h.push_str("<h3>Claims on this figure</h3>\n<ul class=\"warnings\">");
        for c in mine {
            let _ = write!(
                h,
                "<li>{} <a href=\"#claim-{}\"><code>{}</code></a>: {}</li>",
                verdict_badge(c),
                anchor(&c.claim.id),
                escape(&c.claim.id),
                inline(&c.detail())
            );
        }
        h.push_str("</ul>\n");
    }
    provenance_table(h, &s.parts);
    reproduce_steps(h, &s.reproduce);
    if !s.made_with.is_empty() {
        h.push_str("<p>The data on this page was made with:</p>\n<pre><code>");
        for line in &s.made_with {
            let _ = writeln!(h, "{}", escape(line));
        }
        h.push_str("</code></pre>\n");
    }
    h.push_str("</section>\n");
}

/// The chart as drawn (with the numbers it draws), or why it is not.
fn chart(h: &mut String, chart: &ChartState) {
    match chart {
        ChartState::Drawn {
            svg,
            numbers,
            banner,
        } => {
            if let Some(banner) = banner {
                let _ = writeln!(h, "<div class=\"banner\">{}</div>", inline(banner));
            }
            let _ = writeln!(h, "<figure>{svg}</figure>");
            h.push_str("<details open><summary>The numbers drawn</summary>\n");
            numbers_table(h, numbers);
            h.push_str("</details>\n");
        }
        ChartState::NoData { missing } => {
            let _ = writeln!(
                h,
                "<div class=\"missing\">No data: <code>{}</code> is missing. The commands below make it.</div>",
                escape(&missing.display().to_string())
            );
        }
        ChartState::Failed { why } => {
            let _ = writeln!(h, "<div class=\"missing\">Not drawn: {}</div>", inline(why));
        }
    }
}

/// The commands that make the figure's data, each with where it runs.
fn reproduce_steps(h: &mut String, steps: &[crate::reproduce::Step]) {
    h.push_str("<h3>Reproduce it</h3>\n<pre><code>");
    let width = steps
        .iter()
        .map(|step| step.command.chars().count())
        .max()
        .unwrap_or(0);
    for step in steps {
        let pad = " ".repeat(width - step.command.chars().count());
        let _ = write!(h, "{}", escape(&step.command));
        if let Some(note) = &step.note {
            let _ = write!(h, "{pad}  <span class=\"c\"># {}</span>", escape(note));
        }
        h.push('\n');
    }
    h.push_str("</code></pre>\n");
}

/// One column per part, one row per fact: narrow enough for a laptop with two parts.
fn provenance_table(h: &mut String, parts: &[PartProvenance]) {
    h.push_str(
        "<h3>Where the data came from</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th></th>",
    );
    for p in parts {
        let _ = write!(h, "<th>{}</th>", escape(&p.name));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    type Row<'a> = (&'a str, Box<dyn Fn(&PartProvenance) -> String + 'a>);
    let mut rows: Vec<Row> = vec![
        (
            "part",
            Box::new(|p| p.description.as_deref().map_or("–".into(), escape)),
        ),
        ("runs", Box::new(runs_cell)),
    ];
    if parts.iter().any(|p| p.assigned.is_some()) {
        rows.push((
            "machines.toml",
            Box::new(|p| {
                p.assigned
                    .as_deref()
                    .map_or("–".into(), |a| format!("runs on {}", escape(a)))
            }),
        ));
    }
    if parts.iter().any(PartProvenance::recorded) {
        let facts: Vec<(&str, Field)> = vec![
            ("machine", |p| &p.hosts),
            ("CPU", |p| &p.cpus),
            ("GPU", |p| &p.gpus),
            ("hardware", |p| &p.machines),
            ("model disk, software", |p| &p.software),
            ("device", |p| &p.devices),
            ("engine", |p| &p.engines),
            ("vLLM", |p| &p.vllm),
            ("patch hash", |p| &p.patches),
            ("repro", |p| &p.repro_versions),
        ];
        for (name, field) in facts {
            rows.push((name, Box::new(move |p| join(field(p)))));
        }
        rows.push(("models", Box::new(models_cell)));
    } else {
        rows.push((
            "run manifests",
            Box::new(|p| {
                if p.present {
                    "none: the machine, GPU, vLLM, patches and models of data repro did not make are not recorded".into()
                } else {
                    "–".into()
                }
            }),
        ));
    }
    rows.push((
        "time, actual",
        Box::new(|p| {
            if !p.recorded() {
                "–".into()
            } else {
                format!(
                    "{} over {} run(s) (their wall times summed)",
                    duration(p.wall_s),
                    p.runs_ok + p.failed.len() + p.changed.len()
                )
            }
        }),
    ));
    rows.push(("time, estimate", Box::new(|_| "no estimate yet".into())));
    for (name, cell) in &rows {
        let _ = write!(h, "<tr><th scope=\"row\">{name}</th>");
        for p in parts {
            let _ = write!(h, "<td>{}</td>", cell(p));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
}

/// A list-valued fact of a part.
type Field = fn(&PartProvenance) -> &Vec<String>;

fn join(values: &[String]) -> String {
    if values.is_empty() {
        "–".to_string()
    } else {
        values
            .iter()
            .map(|v| escape(v))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn runs_cell(p: &PartProvenance) -> String {
    if !p.present {
        return "<b>missing</b>".into();
    }
    let mut text = format!("{} made by repro", p.runs_ok);
    if !p.failed.is_empty() {
        let _ = write!(text, ", <b>{} failed</b>", p.failed.len());
    }
    if !p.changed.is_empty() {
        let _ = write!(text, ", <b>{} changed since</b>", p.changed.len());
    }
    if p.foreign > 0 {
        let from: Vec<String> = p.foreign_from.iter().map(|f| inline(f)).collect();
        let _ = write!(
            text,
            "; {} file(s) not made by repro ({})",
            p.foreign,
            from.join("; ")
        );
    }
    text
}

fn models_cell(p: &PartProvenance) -> String {
    match p.models.len() {
        0 => "–".into(),
        1..=3 => join(&p.models),
        n => format!(
            "<details><summary>{n} models</summary>{}</details>",
            p.models
                .iter()
                .map(|m| escape(m))
                .collect::<Vec<_>>()
                .join("<br>")
        ),
    }
}

/// `4.2 s`, `12 min 3 s`, `2 h 5 min`.
fn duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else if seconds < 3600.0 {
        format!(
            "{} min {} s",
            (seconds / 60.0) as u64,
            (seconds % 60.0) as u64
        )
    } else {
        format!(
            "{} h {} min",
            (seconds / 3600.0) as u64,
            ((seconds % 3600.0) / 60.0) as u64
        )
    }
}

fn about(h: &mut String) {
    h.push_str(
        "<section id=\"about\">\n<h2>About this page</h2>\n<ul class=\"notes\">\
<li>Each figure is drawn by repro's renderer from the tables it computes from the raw logs, as <code>repro render</code> draws it; its text is drawn as outlines so the page needs no font.</li>\
<li>“Where the data came from” is read from the run manifests (<code>manifests/*.json</code>) beside the logs; files no manifest accounts for are data repro did not make, such as the paper's published logs, with the archive a merge brought them from.</li>\
<li>Time, actual: the sum of the wall times the manifests record, every attempt included. Time, estimate: repro does not estimate run times yet, so none is shown.</li>\
<li>A FAKE ENGINE figure is simulated: its timings come from a stand-in for vLLM and say nothing about the paper's claims.</li>\
</ul>\n</section>\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_anchors() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(anchor("My Sweep/fig 2"), "my-sweep-fig-2");
        assert_eq!(inline("no `a<b`"), "no <code>a&lt;b</code>");
        assert_eq!(duration(75.0), "1 min 15 s");
        assert_eq!(duration(7300.0), "2 h 1 min");
    }
}
