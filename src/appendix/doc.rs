//! The appendix as a small document model — headings, fields, paragraphs, tables, commands —
//! written out as Markdown or LaTeX by the same walk, so both say the same things.

use std::fmt::Write as _;

/// The whole document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    pub title: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// One block of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A checklist line: `**name**: text`.
    Field(String, String),
    Para(String),
    /// A header row, then rows of as many cells.
    Table(Vec<String>, Vec<Vec<String>>),
    /// Shell commands, one a line.
    Commands(Vec<String>),
    /// A smaller heading inside the section.
    Sub(String),
}

impl Section {
    pub fn new(heading: impl Into<String>) -> Section {
        Section {
            heading: heading.into(),
            blocks: vec![],
        }
    }

    pub fn field(&mut self, name: &str, text: impl Into<String>) {
        self.blocks.push(Block::Field(name.into(), text.into()));
    }

    pub fn para(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Para(text.into()));
    }

    pub fn sub(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Sub(text.into()));
    }
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Markdown,
    Tex,
}

impl Doc {
    pub fn write(&self, format: Format) -> String {
        match format {
            Format::Markdown => self.markdown(),
            Format::Tex => self.tex(),
        }
    }

    pub fn markdown(&self) -> String {
        let mut out = format!("# {}\n", self.title);
        for section in &self.sections {
            let _ = write!(out, "\n## {}\n", section.heading);
            let mut previous: Option<&Block> = None;
            for block in &section.blocks {
                // Fields in a row are one list.
                let in_list = matches!(
                    (previous, block),
                    (Some(Block::Field(..)), Block::Field(..))
                );
                if !in_list {
                    out.push('\n');
                }
                markdown_block(&mut out, block);
                previous = Some(block);
            }
        }
        out
    }

    pub fn tex(&self) -> String {
        let mut out = format!(
            "% Written by `repro appendix --format tex`; \\input it into the paper.\n\\section*{{{}}}\n",
            tex_escape(&self.title)
        );
        for section in &self.sections {
            let _ = write!(out, "\n\\subsection*{{{}}}\n", tex_escape(&section.heading));
            for block in &section.blocks {
                tex_block(&mut out, block);
            }
        }
        out
    }
}

fn markdown_block(out: &mut String, block: &Block) {
    match block {
        Block::Field(name, text) => {
            let _ = writeln!(out, "- **{name}**: {text}");
        }
        Block::Para(text) => {
            let _ = writeln!(out, "{text}");
        }
        Block::Sub(text) => {
            let _ = writeln!(out, "### {text}");
        }
        Block::Commands(lines) => {
            let _ = writeln!(out, "```sh\n{}\n```", lines.join("\n"));
        }
        Block::Table(header, rows) => {
            let cell = |c: &String| c.replace('|', "\\|").replace('\n', " ");
            let row = |cells: &[String]| {
                let cells: Vec<String> = cells.iter().map(cell).collect();
                format!("| {} |\n", cells.join(" | "))
            };
            out.push_str(&row(header));
            let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
            for r in rows {
                out.push_str(&row(r));
            }
        }
    }
}

fn tex_block(out: &mut String, block: &Block) {
    match block {
        Block::Field(name, text) => {
            let _ = writeln!(
                out,
                "\\noindent\\textbf{{{}}}: {}\\par",
                tex_escape(name),
                tex_text(text)
            );
        }
        Block::Para(text) => {
            let _ = writeln!(out, "\n{}\\par", tex_text(text));
        }
        Block::Sub(text) => {
            let _ = writeln!(out, "\n\\paragraph{{{}}}", tex_escape(text));
        }
        Block::Commands(lines) => {
            let _ = writeln!(
                out,
                "\\begin{{verbatim}}\n{}\n\\end{{verbatim}}",
                lines.join("\n")
            );
        }
        Block::Table(header, rows) => {
            // Paragraph columns, so long cells wrap instead of running off the page.
            let width = 0.95 / header.len().max(1) as f64;
            let columns = format!("p{{{width:.2}\\linewidth}}").repeat(header.len());
            let _ = writeln!(out, "\n\\begin{{tabular}}{{{columns}}}\n\\hline");
            let row = |cells: &[String]| {
                let cells: Vec<String> = cells.iter().map(|c| tex_text(c)).collect();
                format!("{} \\\\\n", cells.join(" & "))
            };
            out.push_str(&row(header));
            out.push_str("\\hline\n");
            for r in rows {
                out.push_str(&row(r));
            }
            out.push_str("\\hline\n\\end{tabular}\n");
        }
    }
}

/// Text with Markdown's `code` spans as `\texttt{}`, the rest escaped.
fn tex_text(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| match i % 2 {
            1 => format!("\\texttt{{{}}}", tex_escape(part)),
            _ => tex_escape(&part.replace("**", "")),
        })
        .collect()
}

/// LaTeX's special characters, and the few non-ASCII ones the appendix uses.
pub fn tex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '×' => out.push_str("$\\times$"),
            '–' => out.push_str("--"),
            '—' => out.push_str("---"),
            '→' => out.push_str("$\\rightarrow$"),
            '≥' => out.push_str("$\\geq$"),
            '≤' => out.push_str("$\\leq$"),
            '±' => out.push_str("$\\pm$"),
            '·' => out.push_str("$\\cdot$"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Doc {
        let mut s = Section::new("Check-list");
        s.field("Program", "repro 0.1.0 (`cargo build`)");
        s.blocks.push(Block::Table(
            vec!["figure".into(), "time".into()],
            vec![vec!["10".into(), "2 h | 5 min".into()]],
        ));
        s.blocks
            .push(Block::Commands(vec!["repro figure 10 --gpu 1".into()]));
        Doc {
            title: "Artifact Appendix".into(),
            sections: vec![s],
        }
    }

    #[test]
    fn markdown_has_fields_tables_and_commands() {
        let md = doc().markdown();
        assert!(md.starts_with("# Artifact Appendix\n"));
        assert!(md.contains("- **Program**: repro 0.1.0 (`cargo build`)"));
        assert!(md.contains("| figure | time |\n| --- | --- |\n| 10 | 2 h \\| 5 min |"));
        assert!(md.contains("```sh\nrepro figure 10 --gpu 1\n```"));
    }

    #[test]
    fn tex_escapes_what_latex_reads_as_commands() {
        let tex = doc().tex();
        assert!(tex.contains("\\textbf{Program}: repro 0.1.0 (\\texttt{cargo build})"));
        assert!(tex.contains("\\begin{verbatim}\nrepro figure 10 --gpu 1\n\\end{verbatim}"));
        assert_eq!(
            tex_escape("50% of a_b & ~x×2"),
            "50\\% of a\\_b \\& \\textasciitilde{}x$\\times$2"
        );
    }
}
