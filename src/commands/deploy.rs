//! `ecship deploy FILE [--plan PLAN.json]`: compile, plan, show, confirm, apply, report.

use std::path::Path;

use serde_json::json;

use crate::cli::DeployArgs;
use crate::exit;
use crate::ops::deploy::{self, DeployOptions, Deployed, PrepareOptions, Prepared};
use crate::ops::Error;
use crate::ops::{rollback, Ended, WaitUntil};
use crate::plan::{render, saved, Plan};
use crate::report::{progress, Report};
use crate::stack::Compiled;

pub fn run(args: &DeployArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let images = super::images(&args.images, &compiled.model)?;
    let compiled = crate::stack::with_pulls(compiled, images.values().cloned())?;
    let saved = args.plan.as_deref().map(load_plan).transpose()?;
    let runtime = super::runtime()?;
    // Images are built before the plan is shown, so it names their digests.
    let builds = progress::reporter(report.json());
    let (aws, prepared) = runtime.block_on(async {
        let aws = super::connect(global, compiled.model.region.as_deref()).await?;
        aws.report_to(&builds);
        let opts = PrepareOptions {
            images: &images,
            registry_endpoint: global.registry_endpoint,
            registry_mirrors: global.registry_mirrors,
            asset_bucket: global.asset_bucket,
        };
        let prepared = deploy::prepare(&aws, &compiled, &opts, Some(builds.as_ref())).await?;
        anyhow::Ok((aws, prepared))
    })?;
    drop(builds);
    if let (Some(path), Some(saved)) = (&args.plan, &saved) {
        check_saved(path, saved, &prepared)?;
    }
    let plan = &prepared.plan;
    let interactive = progress::interactive();
    if plan.summary.changes && !report.json() {
        report.document(&render::text(plan), None)?;
    }
    // A rollout an earlier run left half-way: on a terminal, continue it or roll it back.
    if interactive && !args.yes && saved.is_none() {
        if let Some(code) = continue_or_roll_back(&runtime, &aws, &compiled, &prepared, global, report)? {
            return Ok(code);
        }
    }
    // A saved plan was reviewed already; on a terminal, this one is reviewed now.
    let mut confirmed = args.yes || saved.is_some();
    if plan.summary.changes && !confirmed && interactive {
        if !progress::ask(&format!("Deploy these changes to stack {}? [y/N]", compiled.model.stack), &["y", "yes"]) {
            report.line("cancelled: nothing was changed")?;
            return Ok(exit::ERROR);
        }
        confirmed = true;
    }
    if args.no_wait {
        refuse_two_colours(plan)?;
    }
    let opts = DeployOptions {
        remove_services: confirmed,
        check_endpoint: global.check_endpoint.map(str::to_string),
        parallel: usize::from(args.parallel),
        wait_until: if args.no_wait { WaitUntil::Updated } else { args.wait_until },
    };
    let reporter = progress::reporter(report.json());
    aws.report_to(&reporter);
    let result = runtime.block_on(deploy::run(&aws, &compiled, &prepared, &opts, reporter.as_ref()));
    drop(reporter);
    let calls = aws.calls();
    let done = match result {
        Ended::Interrupted => {
            report.error(&anyhow::anyhow!(
                "interrupted: what was already sent to AWS carries on (a stack update finishes or rolls back on its own, ECS keeps rolling out services); nothing else was changed. Run `ecship status {}` to see where stack {} is, and `ecship deploy` again to continue",
                args.file.display(),
                compiled.model.stack
            ));
            return Ok(exit::INTERRUPTED);
        }
        Ended::Finished(Err(e)) => {
            let code = super::exit_code(&e);
            report.error(&anyhow::Error::new(e));
            return Ok(code);
        }
        Ended::Finished(Ok(done)) => done,
    };
    if report.json() {
        report.json_line(&json!({ "result": "deployed", "changed": done.changed(), "plan": plan, "deploy": done, "api_calls": calls.snapshot(), "writes": calls.writes(), "retries": calls.retries() }))?;
    } else {
        summary(&done, &compiled, report)?;
    }
    Ok(exit::OK)
}

/// `--no-wait` leaves rollouts to ECS: not those whose traffic ecship moves (ECS's native
/// ones, `deploy.engine: ecs`, carry on alone).
fn refuse_two_colours(plan: &crate::plan::Plan) -> anyhow::Result<()> {
    match plan.rollout.iter().find(|r| r.engine == crate::model::Engine::Ecship) {
        Some(r) => anyhow::bail!(
            "--no-wait: service {} rolls out as a {}, whose traffic ecship moves step by step: deploy without --no-wait, or give it deploy.engine: ecs (nothing was changed)",
            r.service,
            r.strategy
        ),
        None => Ok(()),
    }
}

fn summary(done: &Deployed, compiled: &Compiled, report: &mut Report) -> anyhow::Result<()> {
    let stack = &compiled.model.stack;
    if !done.changed() {
        report.line(&format!("no changes: stack {stack} and its services already match the spec; nothing was written"))?;
        return Ok(());
    }
    for image in done.images.iter().filter(|i| i.result != crate::events::ImageResult::Present) {
        report.line(&super::push::summary(image))?;
    }
    report.line(&format!("deployed {stack}: infrastructure {}; {}", done.infrastructure, services_line(done)))?;
    if !done.unwatched.is_empty() {
        report.line(&format!(
            "not waited for: {} still rolling out (ECS rolls a failing one back); `ecship wait {}` follows them",
            done.unwatched.join(", "),
            compiled.loaded.file.display()
        ))?;
    }
    if !done.removed.is_empty() {
        report.line(&format!("removed: {}", done.removed.join(", ")))?;
    }
    let spec = compiled.loaded.file.display();
    for (service, revision) in &done.held {
        report.line(&format!(
            "held for approval: {service} ({revision} beside the live revision) — `ecship approve {spec} {service}`, then `ecship deploy {spec}` again, carries it on; `ecship rollback {spec} --service {service}` rolls it back"
        ))?;
    }
    Ok(())
}

/// Ask whether to continue the rollouts an earlier run left half-way or roll them back; an
/// exit code when the run ends here (rolled back, or cancelled).
fn continue_or_roll_back(
    runtime: &tokio::runtime::Runtime,
    aws: &crate::aws::Aws,
    compiled: &Compiled,
    prepared: &Prepared,
    global: &super::Global<'_>,
    report: &mut Report,
) -> anyhow::Result<Option<u8>> {
    let unfinished = deploy::unfinished(&compiled.model, &prepared.observed);
    if unfinished.is_empty() {
        return Ok(None);
    }
    let list: Vec<String> = unfinished.iter().map(|(name, weights)| format!("{name} ({weights})")).collect();
    let question = format!("An earlier rollout stopped half-way: {}. Continue it, or roll it back? [c/r]", list.join(", "));
    match progress::choose(&question, &[&["c", "continue"], &["r", "rollback"]]) {
        Some(0) => Ok(None),
        Some(_) => {
            let names: Vec<_> = unfinished.into_iter().map(|(name, _)| name).collect();
            let reporter = progress::reporter(report.json());
            aws.report_to(&reporter);
            let result = runtime.block_on(rollback::run(aws, compiled, &names, global.check_endpoint, reporter.as_ref()));
            drop(reporter);
            unfinished_rolled_back(result, report).map(Some)
        }
        None => {
            report.line("cancelled: nothing was changed")?;
            Ok(Some(exit::ERROR))
        }
    }
}

/// Each service with what happened to it — or, for more than a screenful, how many of each.
fn services_line(done: &Deployed) -> String {
    if done.services.len() <= 12 {
        return done.services.iter().map(|s| format!("{} {} ({})", s.service, s.action, s.task_definition)).collect::<Vec<_>>().join(", ");
    }
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for s in &done.services {
        *counts.entry(s.action.to_string()).or_default() += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(action, n)| format!("{n} {action}")).collect();
    format!("{} services: {} (`--output json` lists each)", done.services.len(), parts.join(", "))
}

/// What `deploy` says after rolling back the rollouts an earlier run left half-way (and
/// deploying nothing else).
fn unfinished_rolled_back(result: Ended<Result<Vec<rollback::RolledBack>, Error>>, report: &mut Report) -> anyhow::Result<u8> {
    match result {
        Ended::Interrupted => {
            report.error(&anyhow::anyhow!("interrupted: traffic stays where it was last moved; run `ecship rollback` to finish"));
            Ok(exit::INTERRUPTED)
        }
        Ended::Finished(Ok(done)) => {
            for d in &done {
                report.line(&format!("{}: traffic back on {} (was {})", d.service, d.to, d.from))?;
            }
            report.line("the unfinished rollout is rolled back; nothing else was deployed — run `ecship deploy` again to start over")?;
            Ok(exit::OK)
        }
        Ended::Finished(Err(e)) => {
            report.error(&anyhow::Error::new(e));
            Ok(exit::ERROR)
        }
    }
}

fn load_plan(path: &Path) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read the plan {}: {e}", path.display()))?;
    Ok(saved::parse(&path.display().to_string(), &text)?)
}

/// A saved plan applies only to the spec and deployed state it was made from, and pins
/// builds by their commit.
fn check_saved(path: &Path, saved: &Plan, prepared: &Prepared) -> anyhow::Result<()> {
    saved::check(&path.display().to_string(), saved, &prepared.plan)?;
    if let Some(p) = deploy::unpinned_build(prepared) {
        anyhow::bail!(
            "{} is built from {} with uncommitted changes (or outside git), which a saved plan cannot pin: nothing was changed — commit the source, or deploy without --plan",
            p.service,
            p.origin.split_once(' ').map_or(p.origin.as_str(), |(_, source)| source)
        );
    }
    Ok(())
}
