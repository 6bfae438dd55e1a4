//! Chart models → pictures. One renderer per chart kind, each in its own file and each a pure
//! function from the chart model (`figures::*Data`) to an SVG document drawn with plotters;
//! `pdf` turns the SVG into a PDF with the font embedded.

mod cpu_heatmap;
mod grouped_bars;
pub mod pdf;
mod predictor_bars;
mod regression_bars;
mod speedup_bars;
mod stacked_stages;
pub mod svg;
mod version_bars;

use crate::figures::ChartData;

/// A chart that could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("drawing failed: {0}")]
    Plot(String),
    #[error("`{0}` is not a colour (expected `#RRGGBB`)")]
    Color(String),
    #[error("the SVG could not be read back: {0}")]
    Svg(String),
    #[error("the PDF could not be made: {0}")]
    Pdf(String),
}

/// A chart model that can draw itself.
pub trait Render {
    /// The chart as an SVG document.
    fn to_svg(&self) -> Result<String, RenderError>;
}

impl Render for ChartData {
    fn to_svg(&self) -> Result<String, RenderError> {
        match self {
            ChartData::VersionBars(d) => d.to_svg(),
            ChartData::StackedStages(d) => d.to_svg(),
            ChartData::RegressionBars(d) => d.to_svg(),
            ChartData::SpeedupBars(d) => d.to_svg(),
            ChartData::CpuHeatmap(d) => d.to_svg(),
            ChartData::GroupedBars(d) => d.to_svg(),
            ChartData::PredictorBars(d) => d.to_svg(),
        }
    }
}

/// Output file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Svg,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Svg => "svg",
        }
    }
}

/// The bytes of the chart in the format asked for.
pub fn render(data: &ChartData, format: Format) -> Result<Vec<u8>, RenderError> {
    let svg = data.to_svg()?;
    match format {
        Format::Svg => Ok(svg.into_bytes()),
        Format::Pdf => pdf::svg_to_pdf(&svg),
    }
}
