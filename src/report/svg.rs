//! A renderer's SVG made fit to sit inline in a page beside others: its text turned into paths
//! with the bundled DejaVu Sans (so it looks the same in any browser, with no font to fetch)
//! and its ids prefixed (two figures' hatch patterns must not share an id).

use svg2pdf::usvg;

use crate::render::RenderError;

/// The SVG, rewritten by usvg: text as glyph outlines, every id under `prefix`, no XML
/// declaration; the `<svg>` element labelled for screen readers with `label`.
pub fn inline(svg: &str, prefix: &str, label: &str) -> Result<String, RenderError> {
    let tree = crate::render::pdf::tree(svg)?;
    let options = usvg::WriteOptions {
        id_prefix: Some(prefix.to_string()),
        preserve_text: false,
        coordinates_precision: 2,
        transforms_precision: 4,
        indent: usvg::Indent::None,
        attributes_indent: usvg::Indent::None,
        ..usvg::WriteOptions::default()
    };
    let text = tree.to_string(&options);
    let start = text
        .find("<svg")
        .ok_or_else(|| RenderError::Svg("no <svg> element".into()))?;
    let body = &text[start..];
    let label = super::html::escape(label);
    Ok(body.replacen(
        "<svg",
        &format!(r#"<svg role="img" aria-label="{label}" preserveAspectRatio="xMidYMid meet""#),
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_paths_and_ids_get_the_prefix() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40" viewBox="0 0 100 40"><defs><pattern id="hatch4" patternUnits="userSpaceOnUse" width="4" height="4"><path d="M0,4 L4,0" stroke="black"/></pattern></defs><rect x="0" y="0" width="50" height="20" fill="url(#hatch4)"/><text x="5" y="35" font-family="DejaVu Sans" font-size="10">Total: 1.00s</text></svg>"##;
        let out = inline(svg, "f2-", "Figure 2").unwrap();
        assert!(
            out.starts_with("<svg role=\"img\" aria-label=\"Figure 2\""),
            "{out}"
        );
        assert!(!out.contains("<text"), "text left as text: {out}");
        assert!(out.contains("<path"), "{out}");
        assert!(out.contains("f2-"), "ids not prefixed: {out}");
        assert!(!out.contains("\"hatch4\""), "{out}");
    }
}
