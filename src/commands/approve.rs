//! `ecship approve FILE SERVICE`: let a rollout held for approval move all its traffic.

use serde_json::json;

use crate::cli::ApproveArgs;
use crate::exit;
use crate::ops::approval;
use crate::report::Report;

use super::session::Session;

pub fn run(args: &ApproveArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let svc = super::one_service(&args.service, m)?;
    let session = Session::open(global, m.region.as_deref())?;
    let done = match session.call(async |aws| approval::answer(aws, &compiled, svc, true).await) {
        Ok(done) => done,
        Err(e) => return super::failed(e, report),
    };
    if report.json() {
        report.json_line(&json!({ "result": "approved", "approval": done }))?;
        return Ok(exit::OK);
    }
    let next = if done.running {
        format!("the deploy holding it moves all traffic there from {}", done.live)
    } else {
        format!("no deploy holds it now: `ecship deploy {}` moves all traffic there from {}", args.file.display(), done.live)
    };
    report.line(&format!("{}: approved {} (on {}): {next}", done.service, done.revision, done.held))?;
    Ok(exit::OK)
}
