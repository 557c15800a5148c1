//! `ecship scale FILE SERVICE N [--no-wait]`: set a service's task count.

use serde_json::json;

use crate::cli::ScaleArgs;
use crate::exit;
use crate::ops::{scale, Ended};
use crate::report::{progress, Report};

pub fn run(args: &ScaleArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let svc = super::one_service(&args.service, m)?;
    let name = &svc.name;
    let reporter = progress::reporter(report.json());
    let result = super::runtime()?.block_on(async {
        let aws = super::connect(global, m.region.as_deref()).await?;
        aws.report_to(&reporter);
        anyhow::Ok(scale::run(&aws, &compiled, svc, args.count, !args.no_wait, reporter.as_ref()).await)
    })?;
    drop(reporter);
    let done = match result {
        Ended::Interrupted => {
            report.error(&anyhow::anyhow!("interrupted: ECS has the new count and carries on; `ecship wait` watches it"));
            return Ok(exit::INTERRUPTED);
        }
        Ended::Finished(Err(e)) => return super::failed(e, report),
        Ended::Finished(Ok(done)) => done,
    };
    if report.json() {
        report.json_line(&json!({ "result": "scaled", "scale": done }))?;
        return Ok(exit::OK);
    }
    let waited = if done.waited { ", steady" } else { "" };
    report.line(&format!("{}: {} → {} task{}{waited}", done.service, done.from, done.to, crate::human::plural(done.to)))?;
    if !done.autoscaled && done.to != svc.count {
        report.warn(&format!(
            "{name} is not autoscaled: the next deploy sets it back to count: {} (the spec's); change `count` to keep {}",
            svc.count, done.to
        ))?;
    }
    Ok(exit::OK)
}
