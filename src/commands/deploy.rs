//! `ecship deploy FILE [--plan PLAN.json]`: compile, plan, show, confirm, apply, report.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::apply::{self, DeployError, DeployOptions};
use crate::cli::DeployArgs;
use crate::exit;
use crate::plan::{render, Plan, FORMAT_VERSION};
use crate::report::{progress, Report};

pub fn run(args: &DeployArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let images = super::images(&args.images, &compiled.model)?;
    let stack = compiled.model.stack.to_string();
    let saved = args.plan.as_deref().map(load_plan).transpose()?;
    let runtime = super::runtime()?;
    // Images are built before the plan is shown, so it names their digests.
    let builds = progress::reporter(report.json());
    let (aws, prepared) = runtime.block_on(async {
        let aws = super::connect(global, compiled.model.region.as_deref()).await?;
        let prepared = apply::prepare(&aws, &compiled, &images, global.registry_endpoint, Some(builds.as_ref())).await?;
        anyhow::Ok((aws, prepared))
    })?;
    drop(builds);
    if let Some((path, saved)) = &saved {
        check_saved(path, saved, &prepared.plan)?;
        // A saved plan pins a build by its commit: only a committed source is that commit.
        if let Some(p) = prepared.images.pending.iter().find(|p| p.built && p.tag.as_ref().is_none_or(|t| t.ends_with("-dirty"))) {
            anyhow::bail!(
                "{} is built from {} with uncommitted changes (or outside git), which a saved plan cannot pin: nothing was changed — commit the source, or deploy without --plan",
                p.service,
                p.origin.split_once(' ').map_or(p.origin.as_str(), |(_, source)| source)
            );
        }
    }
    let plan = &prepared.plan;
    let interactive = progress::interactive();
    if plan.summary.changes && !report.json() {
        report.document(&render::text(plan), None)?;
    }
    // A rollout an earlier run left half-way: on a terminal, continue it or roll it back.
    let unfinished = apply::unfinished(&compiled.model, &prepared.observed);
    if !unfinished.is_empty() && interactive && !args.yes && saved.is_none() {
        let list: Vec<String> = unfinished.iter().map(|(name, (b, g))| format!("{name} (blue {b} %, green {g} %)")).collect();
        let question = format!("An earlier rollout stopped half-way: {}. Continue it, or roll it back? [c/r]", list.join(", "));
        match progress::choose(&question, &[&["c", "continue"], &["r", "rollback"]]) {
            Some(0) => {}
            Some(_) => {
                let names: Vec<_> = unfinished.into_iter().map(|(name, _)| name).collect();
                return roll_back_unfinished(&runtime, &aws, &compiled, &names, global, report);
            }
            None => {
                report.line("cancelled: nothing was changed")?;
                return Ok(exit::ERROR);
            }
        }
    }
    // A saved plan was reviewed already; on a terminal, this one is reviewed now.
    let mut confirmed = args.yes || saved.is_some();
    if plan.summary.changes && !confirmed && interactive {
        if !progress::ask(&format!("Deploy these changes to stack {stack}? [y/N]"), &["y", "yes"]) {
            report.line("cancelled: nothing was changed")?;
            return Ok(exit::ERROR);
        }
        confirmed = true;
    }
    let opts = DeployOptions { remove_services: confirmed, check_endpoint: global.check_endpoint.map(str::to_string) };
    // Only a run that writes takes the stack's lock; then what it planned from must still hold.
    let lock = if plan.summary.changes || !unfinished.is_empty() {
        Some(runtime.block_on(super::lock_unchanged(&aws, &compiled.model, &plan.fingerprint.state))?)
    } else {
        None
    };
    let reporter = progress::reporter(report.json());
    let result = runtime.block_on(async {
        let result = super::until_interrupted(apply::apply(&aws, &compiled, &prepared, &opts, reporter.as_ref())).await;
        if let Some(lock) = lock {
            super::release(lock, reporter.as_ref()).await;
        }
        result
    });
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
                report.json_line(&json!({ "result": "deployed", "changed": done.changed(), "plan": plan, "deploy": done, "api_calls": calls.snapshot(), "writes": calls.writes(), "retries": calls.retries() }))?;
            } else if !done.changed() {
                report.line(&format!("no changes: stack {stack} and its services already match the spec; nothing was written"))?;
            } else {
                let services: Vec<String> =
                    done.services.iter().map(|s| format!("{} {} ({})", s.service, s.action, s.task_definition)).collect();
                for image in done.images.iter().filter(|i| i.result != "present") {
                    report.line(&super::push::summary(image))?;
                }
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

/// Roll back the rollouts an earlier run left half-way, and deploy nothing else.
fn roll_back_unfinished(
    runtime: &tokio::runtime::Runtime,
    aws: &crate::aws::Aws,
    compiled: &crate::stack::Compiled,
    names: &[crate::model::ServiceName],
    global: &super::Global<'_>,
    report: &mut Report,
) -> anyhow::Result<u8> {
    let reporter = progress::reporter(report.json());
    let lock = runtime.block_on(crate::lock::acquire(aws, compiled.model.stack.as_str()))?;
    let result = runtime.block_on(async {
        let result =
            super::until_interrupted(apply::rollback::rollback(aws, compiled, names, global.check_endpoint, reporter.as_ref())).await;
        super::release(lock, reporter.as_ref()).await;
        result
    });
    drop(reporter);
    match result {
        None => {
            report.error(&anyhow::anyhow!("interrupted: traffic stays where it was last moved; run `ecship rollback` to finish"));
            Ok(exit::INTERRUPTED)
        }
        Some(Ok(done)) => {
            for d in &done {
                report.line(&format!("{}: traffic back on {} (was {})", d.service, d.to, d.from))?;
            }
            report.line("the unfinished rollout is rolled back; nothing else was deployed — run `ecship deploy` again to start over")?;
            Ok(exit::OK)
        }
        Some(Err(e)) => {
            report.error(&anyhow::Error::new(e));
            Ok(exit::ERROR)
        }
    }
}

fn load_plan(path: &Path) -> anyhow::Result<(PathBuf, Plan)> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read the plan {}: {e}", path.display()))?;
    let version: Option<u64> = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| v["format_version"].as_u64());
    if version != Some(u64::from(FORMAT_VERSION)) {
        anyhow::bail!(
            "{} is not a plan this ecship can apply (format_version {}, expected {FORMAT_VERSION}): make a new one with `ecship plan --out`",
            path.display(),
            version.map(|v| v.to_string()).unwrap_or_else(|| "missing".into())
        );
    }
    let plan = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{} is not a valid plan: {e}", path.display()))?;
    Ok((path.to_path_buf(), plan))
}

/// A saved plan applies only to the spec and the deployed state it was made from.
fn check_saved(path: &Path, saved: &Plan, now: &Plan) -> anyhow::Result<()> {
    let file = path.display();
    if saved.stack != now.stack {
        anyhow::bail!("{file} is a plan for stack {}, not {}: nothing was changed", saved.stack, now.stack);
    }
    if saved.fingerprint.spec != now.fingerprint.spec {
        anyhow::bail!("the spec (or the variables, environment or images it uses) changed since {file} was made: nothing was changed — run `ecship plan --out` again and review the new plan");
    }
    if saved.fingerprint.state != now.fingerprint.state {
        anyhow::bail!("stack {} changed in AWS since {file} was made (another deploy, or a change outside ecship): nothing was changed — run `ecship plan --out` again and review the new plan", now.stack);
    }
    Ok(())
}
