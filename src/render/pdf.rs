//! SVG → PDF with svg2pdf. The font database holds DejaVu Sans only (from the `dejavu` crate), so
//! the output never depends on the fonts of the machine; the glyphs used are embedded and the
//! text stays text (`pdftotext` reads it back).

use std::sync::{Arc, OnceLock};

use svg2pdf::usvg::{self, fontdb};

use super::RenderError;

/// Pixels per inch of the SVGs: a 700 px wide chart is a 7 in wide page.
pub const DPI: f32 = 100.0;

fn fonts() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(dejavu::sans::regular().to_vec());
        db.load_font_data(dejavu::sans::bold().to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        Arc::new(db)
    })
    .clone()
}

pub fn svg_to_pdf(svg: &str) -> Result<Vec<u8>, RenderError> {
    let options = usvg::Options {
        fontdb: fonts(),
        font_family: "DejaVu Sans".to_string(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| RenderError::Svg(e.to_string()))?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions { dpi: DPI },
    )
    .map_err(|e| RenderError::Pdf(e.to_string()))
}
