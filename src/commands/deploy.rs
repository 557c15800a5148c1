//! `ecship deploy FILE [--plan PLAN.json]`: compile, plan, show, confirm, apply, report.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use crate::cli::DeployArgs;
use crate::exit;
use crate::model::ServiceName;
use crate::ops::deploy::{self, DeployOptions, Deployed, PrepareOptions, Prepared};
use crate::ops::{rollback, WaitUntil};
use crate::plan::{render, saved, Plan};
use crate::report::{progress, Report};
use crate::stack::Compiled;

use super::session::Session;

/// One deploy, once its plan is made.
struct Deploy<'a> {
    args: &'a DeployArgs,
    global: &'a super::Global<'a>,
    session: &'a Session,
    compiled: &'a Compiled,
    prepared: &'a Prepared,
}

pub fn run(args: &DeployArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let images = super::images(&args.images, &compiled.model)?;
    let compiled = crate::stack::with_pulls(compiled, images.values().cloned())?;
    let session = Session::open(global, compiled.model.region.as_deref())?;
    let compiled = super::with_zones(compiled, &session)?;
    Ok(deploy_compiled(&Target { args, global, session: &session, compiled: &compiled }, &images, report)?.0)
}

/// What one deploy goes to: a stack's spec, or a preview's model of it.
pub(super) struct Target<'a> {
    pub args: &'a DeployArgs,
    pub global: &'a super::Global<'a>,
    pub session: &'a Session,
    pub compiled: &'a Compiled,
}

/// Plan, show, confirm and apply: the exit code, and what was deployed when it was.
pub(super) fn deploy_compiled(
    t: &Target<'_>,
    images: &BTreeMap<ServiceName, String>,
    report: &mut Report,
) -> anyhow::Result<(u8, Option<Deployed>)> {
    let (args, global, compiled) = (t.args, t.global, t.compiled);
    let saved = args.plan.as_deref().map(load_plan).transpose()?;
    let opts = PrepareOptions {
        images,
        registry_endpoint: global.registry_endpoint,
        registry_mirrors: global.registry_mirrors,
        asset_bucket: global.asset_bucket,
        prices: None,
    };
    // Images are built before the plan is shown, so it names their digests.
    let prepared = t.session.progress(report.json(), async |aws, r| deploy::prepare(aws, compiled, &opts, Some(r)).await)?;
    if let (Some(path), Some(saved)) = (&args.plan, &saved) {
        check_saved(path, saved, &prepared)?;
    }
    let deploy = Deploy { args, global, session: t.session, compiled, prepared: &prepared };
    match confirm(&deploy, saved.is_some(), report)? {
        Ok(confirmed) => apply(&deploy, confirmed, report),
        Err(code) => Ok((code, None)),
    }
}

/// Show the plan and, on a terminal, ask about it: whether removing services is confirmed,
/// or the exit code of a run that ends here (an earlier rollout rolled back, or cancelled).
fn confirm(d: &Deploy<'_>, saved: bool, report: &mut Report) -> anyhow::Result<Result<bool, u8>> {
    let plan = &d.prepared.plan;
    let interactive = progress::interactive();
    if let Some(code) = show(plan, d.args, report)? {
        return Ok(Err(code));
    }
    // A rollout an earlier run left half-way: on a terminal, continue it or roll it back.
    if interactive && !d.args.yes && !saved {
        if let Some(code) = continue_or_roll_back(d, report)? {
            return Ok(Err(code));
        }
    }
    // A saved plan was reviewed already; on a terminal, this one is reviewed now.
    let mut confirmed = d.args.yes || saved;
    if plan.summary.changes && !confirmed && interactive {
        if !progress::ask(&format!("Deploy these changes to stack {}? [y/N]", d.compiled.model.stack), &["y", "yes"]) {
            report.line("cancelled: nothing was changed")?;
            return Ok(Err(exit::ERROR));
        }
        confirmed = true;
    }
    if d.args.no_wait {
        refuse_two_colours(plan)?;
    }
    Ok(Ok(confirmed))
}

/// Apply the plan, then say what was deployed.
fn apply(d: &Deploy<'_>, confirmed: bool, report: &mut Report) -> anyhow::Result<(u8, Option<Deployed>)> {
    let args = d.args;
    let opts = DeployOptions {
        remove_services: confirmed,
        allow_data_loss: args.allow_data_loss,
        check_endpoint: d.global.check_endpoint.map(str::to_string),
        parallel: usize::from(args.parallel),
        wait_until: if args.no_wait { WaitUntil::Updated } else { args.wait_until },
    };
    let interrupted = format!(
        "interrupted: what was already sent to AWS carries on (a stack update finishes or rolls back on its own, ECS keeps rolling out services); nothing else was changed. Run `ecship status {}` to see where stack {} is, and `ecship deploy` again to continue",
        args.file.display(),
        d.compiled.model.stack
    );
    let (session, compiled, prepared) = (d.session, d.compiled, d.prepared);
    let result = session.run(report, &interrupted, super::exit_code, async |aws, r| deploy::run(aws, compiled, prepared, &opts, r).await);
    let done = match result {
        Ok(done) => done,
        Err(code) => return Ok((code, None)),
    };
    if report.json() {
        let (plan, calls) = (&prepared.plan, session.aws.calls());
        report.json_line(&json!({ "result": "deployed", "changed": done.changed(), "plan": plan, "deploy": done, "api_calls": calls.snapshot(), "writes": calls.writes(), "retries": calls.retries() }))?;
    } else {
        summary(&done, compiled, report)?;
    }
    Ok((exit::OK, Some(done)))
}

/// Show the plan (unless JSON is asked for); an exit code when the run ends here: a plan
/// that destroys data is refused before any question, and only `--allow-data-loss` lets it go.
fn show(plan: &Plan, args: &DeployArgs, report: &mut Report) -> anyhow::Result<Option<u8>> {
    if plan.summary.changes && !report.json() {
        report.document(&render::text(plan), None)?;
    }
    match crate::ops::data::refuse(plan, args.allow_data_loss) {
        Ok(()) => Ok(None),
        Err(e) => {
            let code = super::exit_code(&e);
            report.error(&anyhow::Error::new(e));
            Ok(Some(code))
        }
    }
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
    if !done.deleted_data.is_empty() {
        let list: Vec<String> = done.deleted_data.iter().map(ToString::to_string).collect();
        report.line(&format!("deleted with its data (--allow-data-loss): {}", list.join(", ")))?;
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
fn continue_or_roll_back(d: &Deploy<'_>, report: &mut Report) -> anyhow::Result<Option<u8>> {
    let unfinished = deploy::unfinished(&d.compiled.model, &d.prepared.observed);
    if unfinished.is_empty() {
        return Ok(None);
    }
    let list: Vec<String> = unfinished.iter().map(|(name, weights)| format!("{name} ({weights})")).collect();
    let question = format!("An earlier rollout stopped half-way: {}. Continue it, or roll it back? [c/r]", list.join(", "));
    match progress::choose(&question, &[&["c", "continue"], &["r", "rollback"]]) {
        Some(0) => Ok(None),
        Some(_) => {
            let names: Vec<_> = unfinished.into_iter().map(|(name, _)| name).collect();
            roll_back_unfinished(d, &names, report).map(Some)
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

/// Roll back the rollouts an earlier run left half-way (and deploy nothing else), and say so.
fn roll_back_unfinished(d: &Deploy<'_>, names: &[ServiceName], report: &mut Report) -> anyhow::Result<u8> {
    let interrupted = "interrupted: traffic stays where it was last moved; run `ecship rollback` to finish";
    let (compiled, check_endpoint) = (d.compiled, d.global.check_endpoint);
    let result =
        d.session.run(report, interrupted, super::any_error, async |aws, r| rollback::run(aws, compiled, names, check_endpoint, r).await);
    let done = match result {
        Ok(done) => done,
        Err(code) => return Ok(code),
    };
    for d in &done {
        report.line(&format!("{}: traffic back on {} (was {})", d.service, d.to, d.from))?;
    }
    report.line("the unfinished rollout is rolled back; nothing else was deployed — run `ecship deploy` again to start over")?;
    Ok(exit::OK)
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
