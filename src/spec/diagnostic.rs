//! Problems found in a spec: what is wrong, where (dotted path, line:column) and how to fix it.
//!
//! Every stage of loading and validation pushes into one [`Diagnostics`] list so a user
//! sees all problems of a file at once. Must not depend on YAML or AWS types.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A 1-based line and column in the spec file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// One problem with a spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Dotted path of the offending value, e.g. `services.like.routes[0].path`; empty for the
    /// whole document.
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Diagnostic {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into(), hint: None, location: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }
}

/// Every problem found in one spec file. Displayed one block per problem, in file order.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostics {
    pub file: PathBuf,
    pub problems: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(file: &Path, mut problems: Vec<Diagnostic>) -> Self {
        // File order first; problems without a location (whole-stack limits) last.
        problems.sort_by(|a, b| {
            let key = |d: &Diagnostic| (d.location.is_none(), d.location, d.path.clone());
            key(a).cmp(&key(b))
        });
        problems.dedup();
        Self { file: file.to_path_buf(), problems }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if d.path.is_empty() {
                writeln!(f, "error: {}", d.message)?;
            } else {
                writeln!(f, "error: {}: {}", d.path, d.message)?;
            }
            match d.location {
                Some(l) => writeln!(f, "  --> {}:{}:{}", self.file.display(), l.line, l.column)?,
                None => writeln!(f, "  --> {}", self.file.display())?,
            }
            if let Some(hint) = &d.hint {
                writeln!(f, "  hint: {hint}")?;
            }
        }
        let n = self.problems.len();
        write!(f, "{n} problem{} in {}", if n == 1 { "" } else { "s" }, self.file.display())
    }
}

impl std::error::Error for Diagnostics {}

/// The closest candidate to `input`, if it is close enough to be a likely typo: similar by
/// Jaro-Winkler, or one edit away (a swapped pair counts as one: `wbe` → `web`), which short
/// names need.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(input, c), strsim::osa_distance(input, c), c))
        .filter(|(score, edits, _)| *score > 0.8 || *edits <= 1)
        .max_by(|a, b| b.1.cmp(&a.1).then(a.0.total_cmp(&b.0)))
        .map(|(_, _, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("prot", ["port", "cpu", "memory"]), Some("port"));
        assert_eq!(did_you_mean("helth_check", ["health_check", "env"]), Some("health_check"));
        assert_eq!(did_you_mean("zzz", ["port", "cpu"]), None);
        assert_eq!(did_you_mean("wbe", ["web", "api"]), Some("web"), "a swapped pair in a short name");
        assert_eq!(did_you_mean("db", ["web", "api"]), None, "two edits in a short name is another name");
    }

    #[test]
    fn display_lists_every_problem_in_file_order() {
        let d = Diagnostics::new(
            Path::new("s.yaml"),
            vec![
                Diagnostic::new("b", "second").at(Some(Location { line: 9, column: 3 })),
                Diagnostic::new("a", "first").at(Some(Location { line: 2, column: 1 })).hint("fix"),
            ],
        );
        let text = d.to_string();
        assert_eq!(text, "error: a: first\n  --> s.yaml:2:1\n  hint: fix\n\nerror: b: second\n  --> s.yaml:9:3\n2 problems in s.yaml");
    }
}
