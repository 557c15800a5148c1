//! `ecship run FILE NAME [-- CMD…] [--detach] [--timeout D]`: a job, or a one-off task of a
//! service; its log lines on stdout as they come; the task's exit code as ecship's.

use serde_json::json;

use crate::cli::RunArgs;
use crate::events::Reporter;
use crate::exit;
use crate::ops::run::{self, Runnable};
use crate::ops::Ended;
use crate::report::{progress, Report};

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
    let command = (!args.command.is_empty()).then(|| args.command.clone());
    let json = report.json();
    let reporter = progress::reporter(json);
    let result = super::runtime()?.block_on(async {
        let aws = super::connect(global, m.region.as_deref()).await?;
        aws.report_to(&reporter);
        let r: &dyn Reporter = reporter.as_ref();
        let prepared = match run::prepare(&aws, &compiled, what, command, args.timeout).await {
            Ok(p) => p,
            Err(e) => return anyhow::Ok(Err(e)),
        };
        let started = match run::start(&aws, &prepared, r).await {
            Ok(t) => t,
            Err(e) => return anyhow::Ok(Err(e)),
        };
        if args.detach {
            return anyhow::Ok(Ok((started, None)));
        }
        let mut print = |line: &str| {
            let _ = if json {
                report.json_line(&json!({ "task": prepared.label, "line": line }))
            } else {
                report.line(line).map_err(Into::into)
            };
        };
        anyhow::Ok(match run::follow(&aws, &prepared, &started, &mut print, r).await {
            Ended::Interrupted => Ok((started, Some(None))),
            Ended::Finished(Ok(ran)) => {
                if ran.succeeded() {
                    r.event(&crate::events::Event::Step { message: format!("run: {}: task {} exited 0", prepared.label, ran.task.id) });
                }
                Ok((started, Some(Some(ran))))
            }
            Ended::Finished(Err(e)) => Err(e),
        })
    })?;
    drop(reporter);
    let (started, ran) = match result {
        Err(e) => return super::failed(e, report),
        Ok(done) => done,
    };
    let Some(ran) = ran else {
        if json {
            report.json_line(&json!({ "result": "started", "task": started }))?;
        } else {
            report.line(&started.arn)?;
        }
        return Ok(exit::OK);
    };
    let Some(ran) = ran else {
        report.error(&anyhow::anyhow!("interrupted: task {} of {} was stopped", started.id, args.name));
        return Ok(exit::INTERRUPTED);
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
    Ok(match (ran.timed_out, ran.task.exit_code) {
        (true, _) => exit::TIMED_OUT,
        (false, Some(code)) => u8::try_from(code).ok().filter(|c| *c != 0).unwrap_or(exit::ERROR),
        (false, None) => exit::ERROR,
    })
}
