use std::process::ExitCode;

use clap::Parser;

use ecship::cli::{Cli, OutputFormat};
use ecship::report::Report;

fn main() -> ExitCode {
    // Usage errors exit 1 like every other error: 2 means "changes present" to `plan`.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { ecship::exit::ERROR } else { ecship::exit::OK });
        }
    };
    let mut report = Report::new(cli.output == OutputFormat::Json);
    match ecship::commands::run(cli, &mut report) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`ecship render … | head`) is not an error worth reporting.
            if err.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
                return ExitCode::from(ecship::exit::OK);
            }
            report.error(&err);
            ExitCode::from(ecship::exit::ERROR)
        }
    }
}
