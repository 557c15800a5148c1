//! `ecship deploy FILE`: compile, connect, apply, report.

use std::collections::BTreeMap;

use serde_json::json;

use crate::apply::{self, Consent, DeployError, DeployOptions};
use crate::cli::DeployArgs;
use crate::exit;
use crate::model::{Model, ServiceName};
use crate::report::{progress, Report};

pub fn run(args: &DeployArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_or_report(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if !compiled.limits.is_empty() {
        return report.invalid(&compiled.limit_diagnostics());
    }
    let images = images(&args.images, &compiled.model)?;
    let stack = compiled.model.stack.to_string();
    let ask = |question: &str| progress::ask(&format!("{question} [y/N]"), &["y", "yes"]);
    let removal = if args.yes {
        Consent::Given
    } else if progress::interactive() {
        Consent::Ask(&ask)
    } else {
        Consent::Refused
    };
    let opts = DeployOptions { images: &images, removal };
    let reporter = progress::reporter(report.json());
    let runtime = super::runtime()?;
    let (result, aws) = runtime.block_on(async {
        let aws = super::connect(global, compiled.model.region.as_deref()).await?;
        let run = apply::deploy(&aws, &compiled, &opts, reporter.as_ref());
        tokio::select! {
            r = run => anyhow::Ok((Some(r), aws)),
            _ = tokio::signal::ctrl_c() => anyhow::Ok((None, aws)),
        }
    })?;
    drop(reporter);
    let calls = aws.calls();
    let Some(result) = result else {
        report.error(&anyhow::anyhow!(
            "interrupted: what was already sent to AWS carries on (a stack update finishes or rolls back on its own, ECS keeps rolling out services); nothing else was changed. Run `ecship status {}` to see where stack {stack} is, and `ecship deploy` again to continue",
            args.file.display()
        ));
        return Ok(exit::INTERRUPTED);
    };
    match result {
        Ok(done) => {
            if report.json() {
                report.json_line(&json!({ "result": "deployed", "changed": done.changed(), "deploy": done, "api_calls": calls.snapshot(), "writes": calls.writes() }))?;
            } else if !done.changed() {
                report.line(&format!("no changes: stack {stack} and its services already match the spec; nothing was written"))?;
            } else {
                let services: Vec<String> =
                    done.services.iter().map(|s| format!("{} {} ({})", s.service, s.action, s.task_definition)).collect();
                report.line(&format!("deployed {stack}: infrastructure {}; {}", done.infrastructure, services.join(", ")))?;
                if !done.removed.is_empty() {
                    report.line(&format!("removed: {}", done.removed.join(", ")))?;
                }
            }
            Ok(exit::OK)
        }
        Err(e) => {
            let code = match &e {
                DeployError::Rollout { .. } if e.timed_out() => exit::TIMED_OUT,
                DeployError::Rollout { .. } if e.rolled_back() => exit::ROLLED_BACK,
                _ => exit::ERROR,
            };
            report.error(&anyhow::Error::new(e));
            Ok(code)
        }
    }
}

/// `--image SERVICE=IMAGE` pairs, each naming a service of the spec.
fn images(pairs: &[String], model: &Model) -> anyhow::Result<BTreeMap<ServiceName, String>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let Some((name, image)) = pair.split_once('=').filter(|(n, i)| !n.is_empty() && !i.is_empty()) else {
            anyhow::bail!(
                "--image {pair}: expected SERVICE=IMAGE, e.g. --image web=123456789012.dkr.ecr.us-east-1.amazonaws.com/app/web:v1"
            );
        };
        let Some(svc) = model.services.keys().find(|k| k.as_str() == name) else {
            let names: Vec<&str> = model.services.keys().map(ServiceName::as_str).collect();
            anyhow::bail!("--image {pair}: the spec has no service `{name}` (services: {})", names.join(", "));
        };
        out.insert(svc.clone(), image.to_string());
    }
    Ok(out)
}
