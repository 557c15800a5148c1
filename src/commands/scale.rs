//! `ecship scale FILE SERVICE N [--no-wait]`: set a service's task count.

use serde_json::json;

use crate::cli::ScaleArgs;
use crate::exit;
use crate::ops::scale;
use crate::report::Report;

use super::session::Session;

pub fn run(args: &ScaleArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let svc = super::one_service(&args.service, m)?;
    let name = &svc.name;
    let session = Session::open(global, m.region.as_deref())?;
    let interrupted = "interrupted: ECS has the new count and carries on; `ecship wait` watches it";
    let result = session
        .run(report, interrupted, super::exit_code, async |aws, r| scale::run(aws, &compiled, svc, args.count, !args.no_wait, r).await);
    let done = match result {
        Ok(done) => done,
        Err(code) => return Ok(code),
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
