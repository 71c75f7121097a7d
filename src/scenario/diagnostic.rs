use std::path::PathBuf;

/// One problem in a plan file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: u32,
    pub col: u32,
    pub message: String,
    /// e.g. "did you mean `ehlo`?"
    pub help: Option<String>,
    /// The source line the problem is on (without its line end), when known.
    pub source_line: Option<String>,
}

/// Every problem found while loading, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// rustc-style text: `error: MSG`, `  --> file:line:col`, the source line, a caret, help.
    pub fn render(&self, color: bool) -> String {
        let _ = color;
        todo!("loader helper")
    }
}
