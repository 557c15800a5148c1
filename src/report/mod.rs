//! The one place that writes to the terminal: results to stdout, problems to stderr, as
//! text or JSON. Decides nothing.

mod crowd;
pub mod progress;

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

    /// A remark beside a document (on stderr, so the document stays clean on stdout).
    pub fn note(&mut self, text: &str) -> io::Result<()> {
        writeln!(io::stderr().lock(), "note: {text}")
    }

    /// Ask on stderr and read a line of the answer from stdin; an empty answer is `default`.
    pub fn ask(&mut self, question: &str, default: &str) -> io::Result<String> {
        let mut err = io::stderr().lock();
        write!(err, "{question} [{default}]: ")?;
        err.flush()?;
        let mut line = String::new();
        io::BufRead::read_line(&mut io::stdin().lock(), &mut line)?;
        let line = line.trim();
        Ok(if line.is_empty() { default.to_string() } else { line.to_string() })
    }

    /// A whole document (template, schema, script) to stdout or to a file. A file is
    /// written beside its destination and renamed into place, so an interrupted run never
    /// leaves half a template behind.
    pub fn document(&mut self, text: &str, out: Option<&Path>) -> anyhow::Result<()> {
        let Some(path) = out else {
            io::stdout().lock().write_all(text.as_bytes())?;
            return Ok(());
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.ecship-tmp"));
        let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            anyhow::bail!("cannot write {}: {e}", path.display());
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
