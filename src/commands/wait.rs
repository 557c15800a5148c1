//! `ecship wait FILE [SERVICE…] [--timeout D]`: until the services are steady.

use serde_json::json;

use crate::cli::WaitArgs;
use crate::exit;
use crate::ops::wait;
use crate::report::Report;

use super::session::Session;

pub fn run(args: &WaitArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_or_report(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let names = super::services(&args.services, m)?;
    let services: Vec<&crate::model::Service> = names.iter().filter_map(|n| m.services.get(n)).collect();
    let session = Session::open(global, m.region.as_deref())?;
    let interrupted = "interrupted: nothing was changed";
    let result =
        session.run(report, interrupted, super::exit_code, async |aws, r| wait::run(aws, &compiled, &services, args.timeout, r).await);
    let steady = match result {
        Ok(steady) => steady,
        Err(code) => return Ok(code),
    };
    if report.json() {
        report.json_line(&json!({ "result": "steady", "services": steady }))?;
        return Ok(exit::OK);
    }
    report.line(&format!("steady: {}", steady.join(", ")))?;
    Ok(exit::OK)
}
