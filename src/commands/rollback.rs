//! `ecship rollback FILE [--service NAME]… [--yes]`: back to what ran before.

use serde_json::json;

use crate::cli::RollbackArgs;
use crate::exit;
use crate::model::ServiceName;
use crate::ops::rollback::{self, How, RolledBack};
use crate::ops::Error;
use crate::report::{progress, Report};

use super::session::Session;

pub fn run(args: &RollbackArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let only = super::services(&args.services, m)?;
    if !args.yes && !confirmed(&only, m.stack.as_str(), report)? {
        return Ok(exit::ERROR);
    }
    let session = Session::open(global, m.region.as_deref())?;
    let interrupted =
        "interrupted: traffic stays where it was last moved; run `ecship rollback` again to finish, or `ecship status` to see where it is";
    let result =
        session.run(report, interrupted, exit_code, async |aws, r| rollback::run(aws, &compiled, &only, global.check_endpoint, r).await);
    let done = match result {
        Ok(done) => done,
        Err(code) => return Ok(code),
    };
    if report.json() {
        report.json_line(&json!({ "result": "rolled_back", "services": done }))?;
    } else {
        summary(&done, report)?;
    }
    Ok(exit::OK)
}

/// On a terminal, whether rolling back was confirmed; with no terminal, an error.
fn confirmed(only: &[ServiceName], stack: &str, report: &mut Report) -> anyhow::Result<bool> {
    let what =
        if only.is_empty() { "every service".to_string() } else { only.iter().map(ServiceName::as_str).collect::<Vec<_>>().join(", ") };
    if !progress::interactive() {
        anyhow::bail!("rollback changes what runs in stack {stack}: pass --yes to confirm when there is no terminal to ask on");
    }
    if progress::ask(&format!("Roll back {what} of stack {stack}? [y/N]"), &["y", "yes"]) {
        return Ok(true);
    }
    report.line("cancelled: nothing was changed")?;
    Ok(false)
}

/// A rollback that did not finish timed out, or failed: one it rolled back too failed.
fn exit_code(e: &Error) -> u8 {
    if matches!(e, Error::Rollout { .. }) && e.timed_out() {
        exit::TIMED_OUT
    } else {
        exit::ERROR
    }
}

/// Each service, and where it is back to.
fn summary(done: &[RolledBack], report: &mut Report) -> anyhow::Result<()> {
    for d in done {
        let how = match d.how {
            How::Traffic => "traffic back on",
            How::Revision => "redeployed",
            How::Rejected => {
                report.line(&format!("{}: rejected {} (held for approval): all traffic back on {}", d.service, d.from, d.to))?;
                continue;
            }
        };
        report.line(&format!("{}: {how} {} (was {})", d.service, d.to, d.from))?;
    }
    Ok(())
}
