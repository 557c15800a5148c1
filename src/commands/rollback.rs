//! `ecship rollback FILE [--service NAME]… [--yes]`: back to what ran before.

use serde_json::json;

use crate::cli::RollbackArgs;
use crate::exit;
use crate::model::ServiceName;
use crate::ops::rollback::{self, How};
use crate::ops::Ended;
use crate::ops::Error;
use crate::report::{progress, Report};

pub fn run(args: &RollbackArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let only = super::services(&args.services, m)?;
    let what =
        if only.is_empty() { "every service".to_string() } else { only.iter().map(ServiceName::as_str).collect::<Vec<_>>().join(", ") };
    if !args.yes {
        if !progress::interactive() {
            anyhow::bail!("rollback changes what runs in stack {}: pass --yes to confirm when there is no terminal to ask on", m.stack);
        }
        if !progress::ask(&format!("Roll back {what} of stack {}? [y/N]", m.stack), &["y", "yes"]) {
            report.line("cancelled: nothing was changed")?;
            return Ok(exit::ERROR);
        }
    }
    let reporter = progress::reporter(report.json());
    let result = super::runtime()?.block_on(async {
        let aws = super::connect(global, m.region.as_deref()).await?;
        aws.report_to(&reporter);
        anyhow::Ok(rollback::run(&aws, &compiled, &only, global.check_endpoint, reporter.as_ref()).await)
    })?;
    drop(reporter);
    let done = match result {
        Ended::Interrupted => {
            report.error(&anyhow::anyhow!("interrupted: traffic stays where it was last moved; run `ecship rollback` again to finish, or `ecship status` to see where it is"));
            return Ok(exit::INTERRUPTED);
        }
        Ended::Finished(Err(e)) => {
            let code = if matches!(e, Error::Rollout { .. }) && e.timed_out() { exit::TIMED_OUT } else { exit::ERROR };
            report.error(&anyhow::Error::new(e));
            return Ok(code);
        }
        Ended::Finished(Ok(done)) => done,
    };
    if report.json() {
        report.json_line(&json!({ "result": "rolled_back", "services": done }))?;
        return Ok(exit::OK);
    }
    for d in &done {
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
    Ok(exit::OK)
}
