//! `ecship push FILE [--service NAME]`: build and push images without deploying services.

use serde_json::json;

use crate::cli::PushArgs;
use crate::events::ImageResult;
use crate::exit;
use crate::human::{mib, plural};
use crate::image::{self, Pushed};
use crate::ops::{push, Ended};
use crate::report::{progress, Report};

pub fn run(args: &PushArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let only = super::services(&args.services, m)?;
    let pushes = |s: &crate::model::Service| s.image.is_pushed() || s.sidecars.iter().any(|sc| sc.image.is_pushed());
    if let Some(name) = only.iter().find(|n| m.services.get(*n).is_some_and(|s| !pushes(s))) {
        anyhow::bail!("--service {name}: its image is a `uri:`, which ecship does not push");
    }
    let pending = image::pending(m, &Default::default(), (!only.is_empty()).then_some(only.as_slice()))?;
    if pending.is_empty() {
        report.line("nothing to push: every service's image is a `uri:`")?;
        return Ok(exit::OK);
    }
    let reporter = progress::reporter(report.json());
    let (result, calls, retries) = super::runtime()?.block_on(async {
        let aws = super::connect(global, m.region.as_deref()).await?;
        aws.report_to(&reporter);
        let result = push::run(&aws, m, pending, global.registry_endpoint, reporter.as_ref()).await;
        anyhow::Ok((result, aws.calls().snapshot(), aws.calls().retries()))
    })?;
    drop(reporter);
    let pushed = match result {
        Ended::Interrupted => {
            report.error(&anyhow::anyhow!(
                "interrupted: blobs already in the registry stay there; run `ecship push {}` again to send the rest",
                args.file.display()
            ));
            return Ok(exit::INTERRUPTED);
        }
        Ended::Finished(Err(e)) => {
            report.error(&anyhow::Error::new(e));
            return Ok(exit::ERROR);
        }
        Ended::Finished(Ok(p)) => p,
    };
    if report.json() {
        report.json_line(&json!({ "result": "pushed", "images": pushed, "api_calls": calls, "retries": retries }))?;
    } else {
        for p in &pushed {
            report.line(&summary(p))?;
        }
    }
    Ok(exit::OK)
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
