//! The paper's figures: which experiment's data each one draws.

/// An id that is not one of the paper's figures.
#[derive(Debug, thiserror::Error)]
#[error("unknown figure `{0}`: use 1–15, 17, `rest` (figures 3–6, 8 and 17) or `all`")]
pub struct UnknownFigure(pub String);

/// Every figure the paper has, in order.
pub const ALL: [&str; 16] = [
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "17",
];

/// Figures drawn from the data of the `rest` experiment.
pub const REST: [&str; 6] = ["3", "4", "5", "6", "8", "17"];

/// The results folder holding a figure's data: `figure-<id>`, or `figure-rest`.
pub fn data_folder(figure: &str) -> Result<String, UnknownFigure> {
    if figure == "rest" || REST.contains(&figure) {
        Ok("figure-rest".to_string())
    } else if ALL.contains(&figure) {
        Ok(format!("figure-{figure}"))
    } else {
        Err(UnknownFigure(figure.to_string()))
    }
}
