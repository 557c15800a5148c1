//! `ecship completions SHELL`: a completion script generated from the clap definitions.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit;
use crate::report::Report;

pub fn run(args: &CompletionsArgs, report: &mut Report) -> anyhow::Result<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "ecship", &mut buf);
    report.document(&String::from_utf8_lossy(&buf), None)?;
    Ok(exit::OK)
}
