//! SVG → PNG with resvg (the renderer beside svg2pdf on the same parsed tree): the page at
//! `dpi` pixels per inch, on white.

use resvg::tiny_skia;

use super::style::PX_PER_IN;
use super::RenderError;

/// The most pixels per inch asked for; a page of 10 in is then 12,000 px wide.
pub const MAX_DPI: u32 = 1200;

pub fn svg_to_png(svg: &str, dpi: u32) -> Result<Vec<u8>, RenderError> {
    if dpi == 0 || dpi > MAX_DPI {
        return Err(RenderError::Png(format!(
            "{dpi} dpi is out of range (1–{MAX_DPI})"
        )));
    }
    let tree = super::pdf::tree(svg)?;
    let scale = dpi as f32 / PX_PER_IN as f32;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w.max(1), h.max(1))
        .ok_or_else(|| RenderError::Png(format!("no {w} × {h} px image")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| RenderError::Png(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Width and height from a PNG's IHDR chunk.
    pub(crate) fn png_size(bytes: &[u8]) -> (u32, u32) {
        let be =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        (be(16), be(20))
    }

    #[test]
    fn the_image_is_the_page_at_the_dpi_asked_for() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect x="0" y="0" width="100" height="100" fill="#ff0000"/></svg>"##;
        let png = svg_to_png(svg, 300).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(png_size(&png), (600, 300));
        assert!(svg_to_png(svg, 0).is_err());
    }
}
