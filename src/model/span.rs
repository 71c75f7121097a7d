//! Where a piece of the model was written: a position in a plan file, and the file when it
//! is not the plan file (an included group).

use std::path::PathBuf;
use std::sync::Arc;

/// A 1-based position in a plan file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Span {
    pub line: u32,
    pub col: u32,
}

/// A file other than the plan file that a step was written in. `Debug` shows the text's size
/// (see `model::debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    /// The file's text, for the source line of a failure.
    pub source: Arc<str>,
}
