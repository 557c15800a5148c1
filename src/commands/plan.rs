//! `ecship plan FILE`: read the deployed state, build the plan, show it.

use crate::cli::{PlanArgs, PlanFormat};
use crate::exit;
use crate::ops::deploy::PrepareOptions;
use crate::plan::render;
use crate::report::Report;

use super::session::Session;

pub fn run(args: &PlanArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_deployable(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let images = super::images(&args.images, &compiled.model)?;
    let compiled = crate::stack::with_pulls(compiled, images.values().cloned())?;
    // `scripts/bench` times the plan without its estimate, to measure what the estimate adds.
    let priced = std::env::var_os("ECSHIP_BENCH_NO_COST").is_none();
    let table = if priced { Some(super::price_table(args.prices.as_deref())?) } else { None };
    let opts = PrepareOptions {
        images: &images,
        registry_endpoint: global.registry_endpoint,
        registry_mirrors: global.registry_mirrors,
        asset_bucket: global.asset_bucket,
        prices: table.as_ref(),
    };
    let session = Session::open(global, compiled.model.region.as_deref())?;
    let compiled = super::with_zones(compiled, &session)?;
    let prepared = session.call(async |aws| crate::ops::deploy::prepare(aws, &compiled, &opts, None).await)?;
    let plan = &prepared.plan;
    if let Some(out) = &args.out {
        report.document(&format!("{}\n", serde_json::to_string_pretty(plan)?), Some(out))?;
    }
    match if report.json() { PlanFormat::Json } else { args.format } {
        PlanFormat::Json => report.json_line(plan)?,
        PlanFormat::Text => report.document(&render::text(plan), None)?,
        PlanFormat::Markdown => report.document(&render::markdown(plan), None)?,
    }
    Ok(if plan.summary.changes && args.detailed_exitcode { exit::CHANGES } else { exit::OK })
}
