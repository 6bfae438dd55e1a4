//! SVG → PDF with svg2pdf. The font database holds DejaVu Sans only (from the `dejavu` crate), so
//! the output never depends on the fonts of the machine; the glyphs used are embedded and the
//! text stays text (`pdftotext` reads it back).

use std::sync::{Arc, OnceLock};

use svg2pdf::usvg::{self, fontdb};

use super::style::{FONT, PX_PER_IN};
use super::RenderError;

fn fonts() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(dejavu::sans::regular().to_vec());
        db.load_font_data(dejavu::sans::bold().to_vec());
        db.set_sans_serif_family(FONT);
        Arc::new(db)
    })
    .clone()
}

/// The SVG read back, its text shaped with the bundled DejaVu Sans.
pub(crate) fn tree(svg: &str) -> Result<usvg::Tree, RenderError> {
    let options = usvg::Options {
        fontdb: fonts(),
        font_family: FONT.to_string(),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).map_err(|e| RenderError::Svg(e.to_string()))
}

pub fn svg_to_pdf(svg: &str) -> Result<Vec<u8>, RenderError> {
    svg2pdf::to_pdf(
        &tree(svg)?,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions {
            dpi: PX_PER_IN as f32,
        },
    )
    .map_err(|e| RenderError::Pdf(e.to_string()))
}
