//! The paper's figures by number: which experiment (recipe) draws each and where its data lives.
//! Figures 3–6, 8 and 17 are all drawn from one experiment, `rest`.

use std::fmt;

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

/// One of the paper's figures (`7`, `17`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FigureId(&'static str);

impl FigureId {
    /// The figure named `id`, if the paper has it.
    pub fn parse(id: &str) -> Result<FigureId, UnknownFigure> {
        ALL.iter()
            .find(|f| **f == id)
            .map(|f| FigureId(f))
            .ok_or_else(|| UnknownFigure(id.to_string()))
    }

    pub fn all() -> impl Iterator<Item = FigureId> {
        ALL.iter().map(|f| FigureId(f))
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The recipe that draws it (`7` → `7`, `17` → `rest`).
    pub fn recipe(self) -> &'static str {
        if REST.contains(&self.0) {
            "rest"
        } else {
            self.0
        }
    }

    /// The results folder of its data: `figure-<recipe>`.
    pub fn folder(self) -> String {
        format!("figure-{}", self.recipe())
    }
}

impl fmt::Display for FigureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The results folder holding a figure's data: `figure-<id>`, or `figure-rest`.
pub fn data_folder(figure: &str) -> Result<String, UnknownFigure> {
    if figure == "rest" {
        return Ok("figure-rest".to_string());
    }
    FigureId::parse(figure).map(FigureId::folder)
}

/// The recipe a figure's plot is in (`7` → `7`, `17` → `rest`).
pub fn recipe_id(figure: &str) -> Result<String, UnknownFigure> {
    if figure == "rest" {
        return Ok("rest".to_string());
    }
    FigureId::parse(figure).map(|f| f.recipe().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_map_to_their_experiment() {
        assert_eq!(FigureId::parse("17").unwrap().folder(), "figure-rest");
        assert_eq!(FigureId::parse("10").unwrap().recipe(), "10");
        assert_eq!(data_folder("rest").unwrap(), "figure-rest");
        assert!(FigureId::parse("16").is_err());
        assert_eq!(FigureId::all().count(), 16);
    }
}
