//! `ecship destroy FILE | --stack NAME`: confirm, tear down, report what is left.

use std::time::Duration;

use serde_json::json;

use crate::cli::DestroyArgs;
use crate::exit;
use crate::human::plural;
use crate::ops::destroy::{self, DestroyOptions};
use crate::ops::Ended;
use crate::report::{progress, Report};

pub fn run(args: &DestroyArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let (stack, region) = match super::target(&args.target, global, report)? {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    if !args.yes {
        if !progress::interactive() {
            anyhow::bail!("destroy deletes stack {stack} and everything in it: pass --yes to confirm when there is no terminal to ask on");
        }
        if !progress::ask(
            &format!("This deletes stack {stack}, its services, task definitions and images. Type the stack name to confirm:"),
            &[&stack],
        ) {
            report.line("nothing was deleted: the name did not match")?;
            return Ok(exit::ERROR);
        }
    }
    let opts = DestroyOptions {
        stack: stack.clone(),
        keep_images: args.keep_images,
        keep_logs: args.keep_logs,
        timeout: Duration::from_secs(1800),
        asset_bucket: global.asset_bucket.map(str::to_string),
    };
    let reporter = progress::reporter(report.json());
    let (result, calls, retries) = super::runtime()?.block_on(async {
        let aws = super::connect(global, region.as_deref()).await?;
        aws.report_to(&reporter);
        let result = destroy::run(&aws, &opts, reporter.as_ref()).await;
        anyhow::Ok((result, aws.calls().snapshot(), aws.calls().retries()))
    })?;
    drop(reporter);
    let done = match result {
        Ended::Interrupted => {
            report
                .error(&anyhow::anyhow!("interrupted: part of stack {stack} may be deleted already; run `ecship destroy` again to finish"));
            return Ok(exit::INTERRUPTED);
        }
        Ended::Finished(r) => r?,
    };
    let code = if done.leftovers.is_empty() { exit::OK } else { exit::ERROR };
    if report.json() {
        report.json_line(
            &json!({ "result": if code == exit::OK { "destroyed" } else { "leftovers" }, "destroy": done, "api_calls": calls, "retries": retries }),
        )?;
        return Ok(code);
    }
    if !done.existed && done.services.is_empty() && done.task_definitions == 0 && done.leftovers.is_empty() {
        report.line(&format!("stack {stack} does not exist: nothing to destroy"))?;
        return Ok(code);
    }
    if done.leftovers.is_empty() {
        report.line(&format!(
            "destroyed {stack}: {} service{}, {} task definition{}, {} image{}{}; nothing ecship created is left",
            done.services.len(),
            plural(done.services.len()),
            done.task_definitions,
            plural(done.task_definitions),
            done.images,
            plural(done.images),
            match done.templates {
                0 => String::new(),
                n => format!(", {n} template{}", plural(n)),
            },
        ))?;
        if !done.kept.is_empty() {
            report.line(&format!("kept: {}", done.kept.join(", ")))?;
        }
        return Ok(code);
    }
    report.error(&anyhow::anyhow!("stack {stack} was not fully destroyed; still there:"));
    for l in &done.leftovers {
        report.line(&format!("  {}: {}", l.kind, l.name))?;
    }
    report.line("run `ecship destroy` again; if something stays, delete it in the console and check its owner")?;
    Ok(code)
}
