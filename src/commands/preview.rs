//! `ecship preview deploy|destroy|list|sweep FILE …`: preview environments of a deployed
//! stack. A preview deploy is `deploy`'s own flow (plan shown, confirmed, applied) over the
//! preview's model; destroy, list and sweep report what `ops::preview` did.

use std::collections::BTreeMap;

use serde_json::json;

use super::deploy::{deploy_compiled, Target};
use super::session::Session;
use crate::cli::{PreviewArgs, PreviewCommand, PreviewDeployArgs, PreviewNameArgs, SpecArgs};
use crate::exit;
use crate::model::preview::{check_name, service_name};
use crate::model::ServiceName;
use crate::ops::preview::{self, Preview, PreviewOptions, Swept};
use crate::report::Report;

pub fn run(args: &PreviewArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    match &args.command {
        PreviewCommand::Deploy(a) => deploy(a, global, report),
        PreviewCommand::Destroy(a) => destroy(a, global, report),
        PreviewCommand::List(a) => list(a, global, report),
        PreviewCommand::Sweep(a) => sweep(a, global, report),
    }
}

fn deploy(a: &PreviewDeployArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let parent = match super::compile_deployable(&a.deploy.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let images = preview_images(&super::images(&a.deploy.images, &parent.model)?, &parent.model, &a.name)?;
    let session = Session::open(global, parent.model.region.as_deref())?;
    // The preview's host certificate and record go in the environment's zone.
    let parent = super::with_zones(parent, &session)?;
    let opts = PreviewOptions { name: &a.name, ttl: a.ttl };
    let compiled = match session.call(async |aws| preview::compile(aws, parent, &opts).await) {
        Ok(c) => crate::stack::with_pulls(c, images.values().cloned())?,
        Err(e) => return super::failed(e, report),
    };
    let (code, done) = deploy_compiled(&Target { args: &a.deploy, global, session: &session, compiled: &compiled }, &images, report)?;
    if done.is_none() {
        return Ok(code);
    }
    let (url, header) = preview::address(&compiled);
    let expires = compiled.model.preview.as_ref().map(|p| p.expires.clone()).unwrap_or_default();
    if report.json() {
        report.json_line(&json!({ "result": "preview", "name": a.name, "stack": compiled.model.stack, "url": url, "header": header, "expires": expires }))?;
    } else {
        let at = url.unwrap_or_default();
        let with = header.map(|h| format!(" with header `{h}`")).unwrap_or_default();
        report.line(&format!("preview {} answers at {at}{with}; expires {expires}", a.name))?;
    }
    Ok(code)
}

/// `--image SERVICE=IMAGE` of the spec's services, by their names in the preview: each must be
/// a service previews run.
fn preview_images(
    given: &BTreeMap<ServiceName, String>,
    m: &crate::model::Model,
    name: &str,
) -> anyhow::Result<BTreeMap<ServiceName, String>> {
    let runs = m.previews.as_ref().map(|p| p.services.clone()).unwrap_or_default();
    given
        .iter()
        .map(|(svc, image)| {
            if !runs.contains(svc) {
                anyhow::bail!("--image {svc}={image}: previews do not run service {svc} (previews.services)");
            }
            Ok((service_name(name, svc), image.clone()))
        })
        .collect()
}

fn destroy(a: &PreviewNameArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let parent = match super::compile_or_report(&a.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let stack = parent.model.stack.to_string();
    check_name(&stack, &a.name).map_err(anyhow::Error::msg)?;
    let session = Session::open(global, parent.model.region.as_deref())?;
    destroy_one(&session, &stack, &a.name, report)
}

/// Destroy one preview and say what became of it: the exit code.
pub(super) fn destroy_one(session: &Session, stack: &str, name: &str, report: &mut Report) -> anyhow::Result<u8> {
    let interrupted = format!("interrupted: part of preview {name} may be deleted already; run `ecship preview destroy` again to finish");
    let result = session.run(report, &interrupted, super::any_error, async |aws, r| preview::destroy(aws, stack, name, None, r).await);
    let done = match result {
        Ok(done) => done,
        Err(code) => return Ok(code),
    };
    let code = if done.leftovers.is_empty() { exit::OK } else { exit::ERROR };
    if report.json() {
        report
            .json_line(&json!({ "result": if code == exit::OK { "destroyed" } else { "leftovers" }, "preview": name, "destroy": done }))?;
    } else {
        super::destroy::summary(&done, &done.stack, report)?;
    }
    Ok(code)
}

fn list(a: &SpecArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let parent = match super::compile_or_report(&a.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let session = Session::open(global, parent.model.region.as_deref())?;
    let previews = match session.call(async |aws| preview::list(aws, parent.model.stack.as_str()).await) {
        Ok(p) => p,
        Err(e) => return super::failed(e, report),
    };
    if report.json() {
        report.json_line(&json!({ "stack": parent.model.stack, "previews": previews }))?;
    } else if previews.is_empty() {
        report.line(&format!("stack {} has no previews", parent.model.stack))?;
    } else {
        for p in &previews {
            report.line(&line(p))?;
        }
    }
    Ok(exit::OK)
}

/// `pr-42  http://… (X-Ecship-Preview: pr-42)  images …  age 2h  expires … (expired)`.
fn line(p: &Preview) -> String {
    let at = p.url.clone().unwrap_or_else(|| "(no URL)".into());
    let header = p.header.as_ref().map(|h| format!(" ({h})")).unwrap_or_default();
    let age = p.age_seconds.map_or_else(|| "?".into(), |s| humantime::format_duration(std::time::Duration::from_secs(s)).to_string());
    let expires = p.expires.clone().unwrap_or_else(|| "never".into());
    let expired = if p.expired { " (expired)" } else { "" };
    format!("{}  {at}{header}  images {}  age {age}  expires {expires}{expired}", p.name, p.images.join(", "))
}

fn sweep(a: &SpecArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let parent = match super::compile_or_report(&a.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let stack = parent.model.stack.to_string();
    let session = Session::open(global, parent.model.region.as_deref())?;
    let interrupted = "interrupted: some expired previews may be left; run `ecship preview sweep` again to finish";
    let swept = match session.run(report, interrupted, super::exit_code, async |aws, r| preview::sweep(aws, &stack, r).await) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let code = if swept.iter().all(|s| s.leftovers.is_empty()) { exit::OK } else { exit::ERROR };
    if report.json() {
        report.json_line(&json!({ "stack": stack, "swept": swept }))?;
        return Ok(code);
    }
    if swept.is_empty() {
        report.line(&format!("no preview of {stack} has expired: nothing destroyed"))?;
    }
    for s in &swept {
        report.line(&swept_line(s))?;
    }
    Ok(code)
}

fn swept_line(s: &Swept) -> String {
    let expired = s.expires.as_deref().unwrap_or("?");
    match (s.result, s.leftovers.is_empty()) {
        ("elsewhere", _) => format!("preview {} (expired {expired}) is being destroyed by another run: left to it", s.name),
        ("gone", true) => format!("preview {} (expired {expired}) was destroyed by another run meanwhile", s.name),
        ("extended", _) => format!("preview {} (expired {expired}) was deployed again meanwhile: left alone", s.name),
        (_, true) => format!("destroyed preview {} (stack {}, expired {expired})", s.name, s.stack),
        (_, false) => {
            let left: Vec<String> = s.leftovers.iter().map(|l| format!("{} {}", l.kind, l.name)).collect();
            format!("preview {} (stack {}) was not fully destroyed; still there: {}", s.name, s.stack, left.join(", "))
        }
    }
}
