//! The one place that writes to the terminal: results to stdout, problems to stderr, as
//! text or JSON. Decides nothing.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::exit;
use crate::spec::Diagnostics;

pub struct Report {
    json: bool,
}

impl Report {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    pub fn json(&self) -> bool {
        self.json
    }

    /// A line of results on stdout.
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        writeln!(io::stdout().lock(), "{text}")
    }

    pub fn json_line<T: Serialize>(&mut self, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string(value)?;
        writeln!(io::stdout().lock(), "{text}")?;
        Ok(())
    }

    /// A warning on stderr.
    pub fn warn(&mut self, text: &str) -> io::Result<()> {
        writeln!(io::stderr().lock(), "warning: {text}")
    }

    /// A whole document (template, schema, script) to stdout or to a file.
    pub fn document(&mut self, text: &str, out: Option<&Path>) -> anyhow::Result<()> {
        match out {
            Some(path) => std::fs::write(path, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
            None => io::stdout().lock().write_all(text.as_bytes())?,
        }
        Ok(())
    }

    /// Every problem of an invalid spec; returns the exit code for it.
    pub fn invalid(&mut self, d: &Diagnostics) -> anyhow::Result<u8> {
        if self.json {
            self.json_line(&serde_json::json!({ "valid": false, "file": d.file, "problems": d.problems }))?;
        } else {
            writeln!(io::stderr().lock(), "{d}")?;
        }
        Ok(exit::ERROR)
    }

    /// A fatal error: `error:` and each `caused by:`.
    pub fn error(&mut self, err: &anyhow::Error) {
        let mut stderr = io::stderr().lock();
        if self.json {
            let chain: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
            let _ = writeln!(stderr, "{}", serde_json::json!({ "error": err.to_string(), "caused_by": chain }));
            return;
        }
        let _ = writeln!(stderr, "error: {err}");
        for cause in err.chain().skip(1) {
            let _ = writeln!(stderr, "  caused by: {cause}");
        }
    }
}
