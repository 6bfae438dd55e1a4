//! Chart models → pictures. One renderer per chart kind, each in its own file and each a pure
//! function from the chart model (`figures::*Data`) to a [`Figure`]: the page as the paper's
//! `plot.py` draws it with matplotlib (`style` holds its rcParams, `ticks` its tick locator and
//! labels, `text` its text layout, `figure` the marks and the tight bounding box). `pdf` and
//! `png` turn the SVG into a PDF (font embedded) or a PNG.

pub mod axes;
mod bars;
mod compare_bars;
mod cpu_heatmap;
pub mod draw;
pub mod figure;
pub mod geom;
mod grouped_bars;
pub mod legend;
mod line_chart;
mod pareto_chart;
pub mod pdf;
pub mod png;
mod predictor_bars;
mod regression_bars;
mod run_stages;
mod speedup_bars;
mod stacked_stages;
pub mod style;
pub mod text;
pub mod ticks;
mod version_bars;
mod viridis;

pub use figure::Figure;

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
    #[error("the PNG could not be made: {0}")]
    Png(String),
}

/// A chart model that can draw itself.
pub trait Render {
    /// The chart, drawn.
    fn figure(&self) -> Result<Figure, RenderError>;

    /// The chart as an SVG document.
    fn to_svg(&self) -> Result<String, RenderError> {
        Ok(self.figure()?.to_svg(None))
    }
}

impl Render for ChartData {
    fn figure(&self) -> Result<Figure, RenderError> {
        match self {
            ChartData::VersionBars(d) => d.figure(),
            ChartData::StackedStages(d) => d.figure(),
            ChartData::RegressionBars(d) => d.figure(),
            ChartData::SpeedupBars(d) => d.figure(),
            ChartData::CpuHeatmap(d) => d.figure(),
            ChartData::GroupedBars(d) => d.figure(),
            ChartData::PredictorBars(d) => d.figure(),
            ChartData::RunStages(d) => d.figure(),
            ChartData::Lines(d) => d.figure(),
            ChartData::Pareto(d) => d.figure(),
        }
    }
}

/// Output file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Svg,
    /// A raster image at this many pixels per inch, on white.
    Png {
        dpi: u32,
    },
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Svg => "svg",
            Format::Png { .. } => "png",
        }
    }
}

/// The bytes of the chart in the format asked for.
pub fn render(data: &ChartData, format: Format) -> Result<Vec<u8>, RenderError> {
    render_with_banner(data, format, None)
}

/// Like [`render`], with a red line of text in a band of its own above the figure: a synthetic
/// or simulated result never passes for the paper's, and the line covers nothing.
pub fn render_with_banner(
    data: &(impl Render + ?Sized),
    format: Format,
    banner: Option<&str>,
) -> Result<Vec<u8>, RenderError> {
    let svg = data.figure()?.to_svg(banner);
    match format {
        Format::Svg => Ok(svg.into_bytes()),
        Format::Pdf => pdf::svg_to_pdf(&svg),
        Format::Png { dpi } => png::svg_to_png(&svg, dpi),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::regression::{Bar, Fit};
    use crate::figures::{RegressionBarsData, SpeedupBarsData};

    fn regression() -> RegressionBarsData {
        let bar = |i: usize, label: &str, mean: f64| Bar {
            run: format!("output_model_{label}.txt"),
            label: label.to_string(),
            tick: format!("{label} ({i})"),
            x_value: i as f64,
            mean,
            stderr: Some(0.05),
            color: "#4477AA".into(),
            in_fit: true,
        };
        RegressionBarsData {
            bars: vec![
                bar(1, "A-1B", 1.0),
                bar(2, "B-2B", 2.5),
                bar(3, "C<3B>", 2.0),
            ],
            fit: Some(Fit {
                slope: 0.5,
                intercept: 0.7,
            }),
            pcc: Some(0.5),
            xlabel: String::new(),
            ylabel: "Some Time (s)".into(),
            inset_xlabel: "Size (KB)".into(),
            inset_ylabel: "Time (s)".into(),
            top: 2.55,
            ymax: 2.55 * 1.3,
            tick_rotation: 30.0,
            missing: vec![],
        }
    }

    #[test]
    fn regression_svg_has_labels_values_and_the_pcc_box() {
        let svg = regression().to_svg().unwrap();
        for needle in [
            "Some Time (s)",
            "PCC = 0.50",
            ">2.50<",
            "A-1B (1)",
            "C&lt;3B&gt; (3)",
            "rotate(-30.00",
            "stroke-dasharray",
            "Size (KB)",
        ] {
            assert!(svg.contains(needle), "SVG lacks {needle:?}");
        }
    }

    #[test]
    fn speedup_svg_draws_total_grey() {
        let data = SpeedupBarsData {
            bars: vec![crate::figures::speedup::SpeedupBar {
                stage: crate::parse::Stage::ActualTotalTime,
                label: "Total Time".into(),
                mean: 0.99,
                stderr: None,
                models: 1,
                color: "#666666".into(),
            }],
            ylabel: "Normalized".into(),
            skipped: vec![],
        };
        let svg = data.to_svg().unwrap();
        assert!(svg.contains("Total Time") && svg.contains(">0.99<"));
        assert!(svg.to_lowercase().contains("#666666"));
    }

    #[test]
    fn pdf_embeds_the_font_and_keeps_text() {
        let bytes = render(&ChartData::RegressionBars(regression()), Format::Pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let raw = String::from_utf8_lossy(&bytes);
        assert!(raw.contains("DejaVuSans"), "font not embedded");
        assert!(raw.contains("/FontFile2"), "font program not embedded");
    }

    #[test]
    fn one_core_heatmap_draws_with_its_colorbar() {
        let data = crate::figures::CpuHeatmapData {
            samples: vec![vec![0.0], vec![50.0], vec![100.0]],
            cores: 1,
            interval_s: 0.1,
            xlabel: "Time (s)".into(),
            ylabel: "Core ID".into(),
            colorbar_label: "CPU Usage (%)".into(),
        };
        let svg = data.to_svg().unwrap();
        assert!(svg.contains("Core ID") && svg.contains("CPU Usage (%)"));
        assert!(render(&ChartData::CpuHeatmap(data), Format::Pdf).is_ok());
    }

    #[test]
    fn a_short_heatmap_gets_decimal_time_ticks() {
        let data = crate::figures::CpuHeatmapData {
            samples: vec![vec![10.0, 90.0]; 4],
            cores: 2,
            interval_s: 0.1,
            xlabel: "Time (s)".into(),
            ylabel: "Core ID".into(),
            colorbar_label: "CPU Usage (%)".into(),
        };
        let svg = data.to_svg().unwrap();
        for tick in ["0.00", "0.05", "0.10", "0.15", "0.20", "0.25", "0.30"] {
            assert!(svg.contains(&format!(">{tick}<")), "no tick {tick}");
        }
        assert_eq!(
            svg.matches(">0<").count(),
            2,
            "core 0 and the colorbar's 0 only"
        );
    }
}
