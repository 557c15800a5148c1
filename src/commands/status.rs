//! `ecship status FILE | --stack NAME`: the deployed stack and its services.

use crate::cli::TargetArgs;
use crate::exit;
use crate::ops::status::{JobStatus, ServiceStatus, Status};
use crate::report::Report;

use super::session::Session;

pub fn run(args: &TargetArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let (stack, region) = match super::target(args, global, report)? {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    let table = crate::cost::Table::built_in()?;
    let session = Session::open(global, region.as_deref())?;
    let status = session.call(async |aws| crate::ops::status::status(aws, &stack, Some(&table)).await)?;
    if report.json() {
        report.json_line(&status)?;
        return Ok(exit::OK);
    }
    let Some(state) = &status.status else {
        report.line(&format!("stack {stack} does not exist"))?;
        return Ok(exit::OK);
    };
    report.line(&format!("stack {stack}: {state}"))?;
    stack_lines(&status, report)?;
    for s in &status.services {
        service(s, report)?;
    }
    for j in &status.jobs {
        job(j, report)?;
    }
    for d in &status.data {
        let about: Vec<&str> = d.state.iter().chain(d.size.iter()).map(String::as_str).collect();
        let about = if about.is_empty() { String::new() } else { format!(": {}", about.join(", ")) };
        report.line(&format!("{} {}{about}", d.kind, d.id))?;
    }
    cost(&status, report)?;
    Ok(exit::OK)
}

/// The stack's URL and outputs (the services' own are on their lines), or that it has none.
fn stack_lines(status: &Status, report: &mut Report) -> anyhow::Result<()> {
    if let Some(url) = &status.load_balancer_url {
        report.line(&format!("url: {url}"))?;
    }
    for url in &status.urls {
        report.line(&format!("url: {url}"))?;
    }
    if let Some(url) = &status.dashboard_url {
        report.line(&format!("dashboard: {url}"))?;
    }
    for (k, v) in &status.outputs {
        if !k.starts_with("Svc") {
            report.line(&format!("  {k}: {v}"))?;
        }
    }
    if status.services.is_empty() {
        report.line("services: none deployed")?;
    }
    Ok(())
}

fn service(s: &ServiceStatus, report: &mut Report) -> anyhow::Result<()> {
    let rollout = s.rollout.as_deref().map(|r| format!(", rollout {}", r.to_lowercase().replace('_', " "))).unwrap_or_default();
    let rollout = format!("{rollout}{}", s.traffic.map(|t| format!(", {t} % of the traffic")).unwrap_or_default());
    report.line(&format!(
        "service {}: {}/{} running ({} pending), {}, {} deployment{}{rollout}",
        s.name,
        s.running,
        s.desired,
        s.pending,
        s.task_definition,
        s.deployments,
        crate::human::plural(s.deployments)
    ))?;
    if let Some(image) = &s.image {
        report.line(&format!("  image: {image}"))?;
    }
    if let Some(revision) = &s.held {
        report.line(&format!("  held for approval: {revision} (`ecship approve SPEC SERVICE` lets it take all the traffic)"))?;
    }
    if let Some(scaling) = &s.autoscaling {
        report.line(&format!("  autoscaling: {scaling}"))?;
    }
    for e in &s.events {
        report.line(&format!("  {e}"))?;
    }
    Ok(())
}

fn job(j: &JobStatus, report: &mut Report) -> anyhow::Result<()> {
    let schedule = j.schedule.as_deref().map_or_else(|| "run when asked".to_string(), |s| format!("scheduled {s}"));
    report.line(&format!("job {}: {schedule}", j.name))?;
    if j.runs.is_empty() {
        report.line("  no recent runs")?;
    }
    for run in &j.runs {
        let when = run.stopped_at.map(crate::human::unix_time).unwrap_or_default();
        let how = match run.exit_code {
            Some(code) => format!("exit code {code}"),
            None => "no exit code".to_string(),
        };
        let why = run.stopped_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        report.line(&format!("  {when} task {}: {how}{why}", run.id.get(..8).unwrap_or(&run.id)))?;
    }
    Ok(())
}

/// What runs now costs a month, or why it cannot be told.
fn cost(status: &Status, report: &mut Report) -> anyhow::Result<()> {
    let line = match (&status.cost, &status.cost_unavailable) {
        (Some(c), _) => format!(
            "running cost: {:.2} {} a month, estimated from the tasks running now and the stack's resources ({}, prices as of {})",
            c.monthly_after, c.currency, c.region, c.prices_as_of
        ),
        (None, Some(why)) => format!("running cost: not estimated: {why}"),
        (None, None) => return Ok(()),
    };
    report.line(&line)?;
    Ok(())
}
