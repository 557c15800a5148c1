//! `ecship wait FILE [SERVICE…] [--timeout D]`: until the services are steady.

use serde_json::json;

use crate::cli::WaitArgs;
use crate::exit;
use crate::ops::{wait, Ended};
use crate::report::{progress, Report};

pub fn run(args: &WaitArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_or_report(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let names = super::services(&args.services, m)?;
    let services: Vec<&crate::model::Service> = names.iter().filter_map(|n| m.services.get(n)).collect();
    let reporter = progress::reporter(report.json());
    let result = super::runtime()?.block_on(async {
        let aws = super::connect(global, m.region.as_deref()).await?;
        aws.report_to(&reporter);
        anyhow::Ok(wait::run(&aws, &compiled, &services, args.timeout, reporter.as_ref()).await)
    })?;
    drop(reporter);
    let steady = match result {
        Ended::Interrupted => {
            report.error(&anyhow::anyhow!("interrupted: nothing was changed"));
            return Ok(exit::INTERRUPTED);
        }
        Ended::Finished(Err(e)) => return super::failed(e, report),
        Ended::Finished(Ok(steady)) => steady,
    };
    if report.json() {
        report.json_line(&json!({ "result": "steady", "services": steady }))?;
        return Ok(exit::OK);
    }
    report.line(&format!("steady: {}", steady.join(", ")))?;
    Ok(exit::OK)
}
