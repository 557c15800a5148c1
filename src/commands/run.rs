//! `ecship run FILE NAME [-- CMD…] [--detach] [--timeout D]`: a job, or a one-off task of a
//! service; its log lines on stdout as they come; the task's exit code as ecship's.

use serde_json::json;

use crate::aws::Aws;
use crate::cli::RunArgs;
use crate::events::{Event, Reporter};
use crate::exit;
use crate::ops::run::{self, Runnable};
use crate::ops::task::Ran;
use crate::ops::{Ended, Error};
use crate::report::Report;
use crate::stack::Compiled;
use crate::workload::TaskRun;

use super::session::Session;

/// What to run, from the arguments.
struct Task<'a> {
    compiled: &'a Compiled,
    what: Runnable<'a>,
    args: &'a RunArgs,
}

/// What running the task came to: left running (`--detach`), stopped on Ctrl-C, or its end.
enum Outcome {
    Detached(TaskRun),
    Interrupted(TaskRun),
    Ran(Ran),
}

pub fn run(args: &RunArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let what = match Runnable::find(m, &args.name) {
        Ok(w) => w,
        Err(e) => return super::failed(e, report),
    };
    let session = Session::open(global, m.region.as_deref())?;
    let task = Task { compiled: &compiled, what, args };
    match session.progress(report.json(), async |aws, r| start_and_follow(aws, r, task, report).await) {
        Ok(outcome) => said(outcome, args, report),
        Err(e) => super::failed(e, report),
    }
}

/// Start the task and, without `--detach`, follow it to its end, its log lines on stdout.
async fn start_and_follow(aws: &Aws, r: &dyn Reporter, task: Task<'_>, report: &mut Report) -> Result<Outcome, Error> {
    let args = task.args;
    let command = (!args.command.is_empty()).then(|| args.command.clone());
    let prepared = run::prepare(aws, task.compiled, task.what, command, args.timeout).await?;
    let started = run::start(aws, &prepared, r).await?;
    if args.detach {
        return Ok(Outcome::Detached(started));
    }
    let json = report.json();
    let mut print = |line: &str| {
        let _ =
            if json { report.json_line(&json!({ "task": prepared.label, "line": line })) } else { report.line(line).map_err(Into::into) };
    };
    match run::follow(aws, &prepared, &started, &mut print, r).await {
        Ended::Interrupted => Ok(Outcome::Interrupted(started)),
        Ended::Finished(Ok(ran)) => {
            if ran.succeeded() {
                r.event(&Event::Step { message: format!("run: {}: task {} exited 0", prepared.label, ran.task.id) });
            }
            Ok(Outcome::Ran(ran))
        }
        Ended::Finished(Err(e)) => Err(e),
    }
}

/// What the command says of the task, and its exit code.
fn said(outcome: Outcome, args: &RunArgs, report: &mut Report) -> anyhow::Result<u8> {
    let json = report.json();
    let ran = match outcome {
        Outcome::Detached(started) => {
            if json {
                report.json_line(&json!({ "result": "started", "task": started }))?;
            } else {
                report.line(&started.arn)?;
            }
            return Ok(exit::OK);
        }
        Outcome::Interrupted(started) => {
            report.error(&anyhow::anyhow!("interrupted: task {} of {} was stopped", started.id, args.name));
            return Ok(exit::INTERRUPTED);
        }
        Outcome::Ran(ran) => ran,
    };
    if json {
        report.json_line(
            &json!({ "result": if ran.succeeded() { "succeeded" } else { "failed" }, "task": ran.task, "timed_out": ran.timed_out }),
        )?;
    }
    if ran.succeeded() {
        return Ok(exit::OK);
    }
    if !json {
        report.error(&anyhow::anyhow!("{}: task {} failed: {}", args.name, ran.task.id, ran.failure()));
    }
    Ok(exit_code(&ran))
}

/// A failed task's exit code as ecship's: a timeout's is ecship's own; none (or 0) an error.
fn exit_code(ran: &Ran) -> u8 {
    match (ran.timed_out, ran.task.exit_code) {
        (true, _) => exit::TIMED_OUT,
        (false, Some(code)) => u8::try_from(code).ok().filter(|c| *c != 0).unwrap_or(exit::ERROR),
        (false, None) => exit::ERROR,
    }
}
