//! One thin adapter per command: arguments in, one library call, result to `report`.

mod completions;
mod render;
mod schema;
mod validate;

use std::path::Path;

use crate::cli::{Cli, Command};
use crate::report::Report;
use crate::spec::{LoadError, LoadOptions};
use crate::stack::{compile, process_env, Compiled};

/// Run the parsed command line; returns the process exit code.
pub fn run(cli: Cli, report: &mut Report) -> anyhow::Result<u8> {
    let env = cli.env.as_deref();
    match cli.command {
        Command::Validate(args) => validate::run(&args, env, report),
        Command::Render(args) => render::run(&args, env, report),
        Command::Schema(args) => schema::run(&args, report),
        Command::Completions(args) => completions::run(&args, report),
    }
}

/// Compile a spec for a command. An invalid spec is reported here: `Ok(Err(exit code))`.
fn compile_or_report(file: &Path, env: Option<&str>, report: &mut Report) -> anyhow::Result<Result<Compiled, u8>> {
    let opts = LoadOptions { env, vars: &process_env };
    match compile(file, &opts) {
        Ok(c) => Ok(Ok(c)),
        Err(LoadError::Invalid(d)) => Ok(Err(report.invalid(&d)?)),
        Err(e) => Err(e.into()),
    }
}
