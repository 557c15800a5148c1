//! `ecship push FILE [--service NAME]`: build and push images without deploying services.

use serde_json::json;

use crate::cli::PushArgs;
use crate::events::ImageResult;
use crate::exit;
use crate::human::{mib, plural};
use crate::image::{self, Pending, Pushed};
use crate::model::{Model, ServiceName};
use crate::ops::push;
use crate::report::Report;

use super::session::Session;

pub fn run(args: &PushArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let only = super::services(&args.services, m)?;
    let pending = pending(m, &only)?;
    if pending.is_empty() {
        report.line("nothing to push: every service's image is a `uri:`")?;
        return Ok(exit::OK);
    }
    let session = Session::open(global, m.region.as_deref())?;
    let interrupted =
        format!("interrupted: blobs already in the registry stay there; run `ecship push {}` again to send the rest", args.file.display());
    let result =
        session.run(report, &interrupted, super::any_error, async |aws, r| push::run(aws, m, pending, global.registry_endpoint, r).await);
    let pushed = match result {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    if report.json() {
        let (calls, retries) = (session.aws.calls().snapshot(), session.aws.calls().retries());
        report.json_line(&json!({ "result": "pushed", "images": pushed, "api_calls": calls, "retries": retries }))?;
    } else {
        for p in &pushed {
            report.line(&summary(p))?;
        }
    }
    Ok(exit::OK)
}

/// The images to push: every service's, or those of the services named (each must have one
/// ecship pushes).
fn pending(m: &Model, only: &[ServiceName]) -> anyhow::Result<Vec<Pending>> {
    let pushes = |s: &crate::model::Service| s.image.is_pushed() || s.sidecars.iter().any(|sc| sc.image.is_pushed());
    if let Some(name) = only.iter().find(|n| m.services.get(*n).is_some_and(|s| !pushes(s))) {
        anyhow::bail!("--service {name}: its image is a `uri:`, which ecship does not push");
    }
    Ok(image::pending(m, &Default::default(), (!only.is_empty()).then_some(only))?)
}

/// One line per image: where it went and what was sent.
pub fn summary(p: &Pushed) -> String {
    if p.result == ImageResult::Present {
        return format!("{}: {}:{} is in the registry already ({})", p.owner(), p.repository, p.tag, p.digest);
    }
    let tag = if p.tagged { format!(":{}", p.tag) } else { String::new() };
    format!(
        "{}: pushed {}{tag}@{} ({} blob{} uploaded, {}; {} already there)",
        p.owner(),
        p.repository,
        p.digest,
        p.blobs_uploaded,
        plural(p.blobs_uploaded),
        mib(p.bytes_uploaded),
        p.blobs_present
    )
}
