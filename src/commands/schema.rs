//! `ecship schema`: the JSON Schema of the stack spec.

use crate::cli::OutFile;
use crate::exit;
use crate::report::Report;

pub fn run(args: &OutFile, report: &mut Report) -> anyhow::Result<u8> {
    let mut text = serde_json::to_string_pretty(&crate::spec::schema())?;
    text.push('\n');
    report.document(&text, args.out.as_deref())?;
    Ok(exit::OK)
}
