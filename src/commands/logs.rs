//! `ecship logs FILE [NAME…] [--follow] [--since D] [--filter PATTERN]`: services' and jobs'
//! log lines, `NAME/TASK | line` (coloured by name on a terminal), or JSON lines.

use std::io::{self, BufWriter, IsTerminal, StdoutLock, Write};

use crate::cli::LogsArgs;
use crate::exit;
use crate::ops::logs::{self, LogLine, Query, Sink};
use crate::ops::Ended;
use crate::report::Report;

use super::session::Session;

/// ANSI colours names take in turn.
const COLOURS: [u8; 6] = [36, 33, 32, 35, 34, 31];

struct Out {
    w: BufWriter<StdoutLock<'static>>,
    json: bool,
    colour: bool,
    names: Vec<String>,
}

impl Sink for Out {
    fn line(&mut self, l: LogLine) -> io::Result<()> {
        if self.json {
            let text = serde_json::to_string(&l).map_err(io::Error::other)?;
            return writeln!(self.w, "{text}");
        }
        let prefix = format!("{}/{}", l.name, l.short_task());
        if !self.colour {
            return writeln!(self.w, "{prefix} | {}", l.message);
        }
        let i = match self.names.iter().position(|n| *n == l.name) {
            Some(i) => i,
            None => {
                self.names.push(l.name.clone());
                self.names.len() - 1
            }
        };
        writeln!(self.w, "\x1b[{}m{prefix}\x1b[0m | {}", COLOURS[i % COLOURS.len()], l.message)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

pub fn run(args: &LogsArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_or_report(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let q = Query { names: &args.names, since: args.since, pattern: args.filter.clone(), follow: args.follow };
    let stdout = io::stdout();
    let colour = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = Out { w: BufWriter::with_capacity(64 * 1024, stdout.lock()), json: report.json(), colour, names: Vec::new() };
    let session = Session::open(global, m.region.as_deref())?;
    let result = session.call(async |aws| logs::run(aws, &compiled, &q, &mut out).await);
    let _ = out.flush();
    drop(out);
    match result {
        Ended::Interrupted => Ok(exit::INTERRUPTED),
        Ended::Finished(Err(e)) => super::failed(e, report),
        Ended::Finished(Ok(())) => Ok(exit::OK),
    }
}
